"""A trainer's label becomes a training example: written into nlu_data/ (Rasa YAML), de-duplicated
against every example already there, kept out of the held-out test set, and checked with
``rasa data validate``; a label that fails validation leaves the files as they were."""

from __future__ import annotations

import fcntl
import subprocess
import sys
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, Iterator, List, Sequence

import yaml

from assistant.base.config import REPO_ROOT, Settings
from assistant.desk.errors import Conflict, DeskError
from assistant.ops.training.nlu_files import examples_in, known_examples, plain_text, render_nlu_file

LABELS_FILE = Path("nlu") / "trainer_labels.yml"
HEADER = "Examples labelled by trainers from the NLU inbox (make label / the /trainer page).\nWritten by assistant/ops/training/labels.py; edit freely, duplicates are skipped."
HELDOUT = REPO_ROOT / "tests" / "nlu" / "nlu_heldout.yml"
_SPECIAL = set("[](){}")
_local = threading.Lock()


@dataclass(frozen=True)
class EntitySpan:
    entity: str
    text: str


@dataclass(frozen=True)
class LabelResult:
    added: bool
    example: str
    file: Path


def parse_entities(raw: Any) -> List[EntitySpan]:
    """[{"entity": "payee", "text": "李四"}, ...] from a request; anything else is refused."""
    if raw in (None, ""):
        return []
    if not isinstance(raw, list) or len(raw) > 10:
        raise DeskError("invalid_entities", "实体应为列表，每项包含 entity 和 text")
    spans = []
    for item in raw:
        if (
            not isinstance(item, dict)
            or not isinstance(item.get("entity"), str)
            or not isinstance(item.get("text"), str)
        ):
            raise DeskError("invalid_entities", "实体应为列表，每项包含 entity 和 text")
        spans.append(EntitySpan(item["entity"].strip(), item["text"].strip()))
    return spans


def domain_names(settings: Settings) -> Dict[str, set]:
    domain = yaml.safe_load((settings.training_dir / "domain.yml").read_text(encoding="utf-8")) or {}
    return {
        "intents": {i if isinstance(i, str) else next(iter(i)) for i in domain.get("intents") or []},
        "entities": {e if isinstance(e, str) else next(iter(e)) for e in domain.get("entities") or []},
    }


def annotate(text: str, spans: Sequence[EntitySpan]) -> str:
    """Rasa markup for the text: each entity's text (first unused occurrence) as [text](entity)."""
    taken: List[tuple] = []
    for span in spans:
        start = text.find(span.text)
        while start >= 0 and any(s < start + len(span.text) and start < e for s, e, _ in taken):
            start = text.find(span.text, start + 1)
        if not span.text or start < 0:
            raise DeskError("entity_not_in_text", f"实体“{span.text}”不在这句话里")
        taken.append((start, start + len(span.text), span.entity))
    out, last = [], 0
    for start, end, entity in sorted(taken):
        out += [text[last:start], f"[{text[start:end]}]({entity})"]
        last = end
    return "".join(out) + text[last:]


def heldout_texts(path: Path = HELDOUT) -> set:
    return {plain_text(e) for _, e in examples_in(path)} if path.exists() else set()


@contextmanager
def labels_lock(settings: Settings) -> Iterator[None]:
    """One writer at a time, across the gateway's threads and command-line runs."""
    with _local, open(settings.training_dir / ".labels.lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def validate_training_data(settings: Settings) -> None:
    """``rasa data validate`` on the training folder; raises with its complaint when it fails."""
    rasa = str(Path(sys.executable).parent / "rasa")
    result = subprocess.run(
        [
            rasa,
            "data",
            "validate",
            "--config",
            "config.yml",
            "--domain",
            "domain.yml",
            "--data",
            "nlu_data",
            "--fail-on-warnings",
        ],
        cwd=settings.training_dir,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if result.returncode != 0:
        problems = [
            line for line in (result.stdout + result.stderr).splitlines() if "UserWarning" in line or "ERROR" in line
        ] or (result.stdout + result.stderr).splitlines()[-5:]
        raise DeskError("validation_failed", "训练数据校验未通过：" + " ".join(problems)[-500:])


def add_label(settings: Settings, text: str, intent: str, entities: Sequence[EntitySpan] = ()) -> LabelResult:
    """Write one labelled example; an example already present with the same intent is not repeated."""
    text = text.strip()
    names = domain_names(settings)
    if intent not in names["intents"]:
        raise DeskError("unknown_intent", f"未知的意图：{intent}")
    unknown = [s.entity for s in entities if s.entity not in names["entities"]]
    if unknown:
        raise DeskError("unknown_entity", f"未知的实体类型：{'、'.join(unknown)}")
    if not text or any(ch in _SPECIAL for ch in text):
        raise DeskError("invalid_text", "这句话不能作为训练样本（为空或含有方括号等标注符号）")
    if text in heldout_texts():
        raise Conflict("in_heldout", "这句话在评测集里，不能加入训练数据")
    example = annotate(text, entities)
    path = settings.nlu_data_dir / LABELS_FILE
    with labels_lock(settings):
        existing = known_examples(settings.nlu_data_dir).get(text)
        if existing == intent:
            return LabelResult(False, example, path)
        if existing is not None:
            raise Conflict("label_conflict", f"这句话已是意图“{existing}”的训练样本")
        before = path.read_text(encoding="utf-8") if path.exists() else None
        blocks: Dict[str, List[str]] = {}
        if before is not None:
            for known_intent, known_example in examples_in(path):
                blocks.setdefault(known_intent, []).append(known_example)
        blocks.setdefault(intent, []).append(example)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render_nlu_file(blocks, HEADER), encoding="utf-8")
        try:
            validate_training_data(settings)
        except Exception:
            if before is None:
                path.unlink(missing_ok=True)
            else:
                path.write_text(before, encoding="utf-8")
            raise
    return LabelResult(True, example, path)
