"""Reads the examples of Rasa NLU YAML files without loading Rasa (the gateway stays light)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Dict, Iterator, List, Tuple

import yaml

# [李四](payee), [五百]{"entity": "amount", "value": 500}
_MARKUP = re.compile(r"\[([^\]]+)\](?:\([^)]*\)|\{[^}]*\})")


def plain_text(example: str) -> str:
    """The text of an annotated example."""
    return _MARKUP.sub(r"\1", example).strip()


def examples_in(path: Path) -> Iterator[Tuple[str, str]]:
    """(intent, annotated example) for every intent example in one NLU YAML file."""
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    for block in doc.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        for line in str(block.get("examples") or "").splitlines():
            line = line.strip()
            if line.startswith("- "):
                yield str(block["intent"]), line[2:].strip()


def known_examples(nlu_dir: Path) -> Dict[str, str]:
    """Plain text → intent, over every NLU file under ``nlu_dir``."""
    known: Dict[str, str] = {}
    for path in sorted(nlu_dir.rglob("*.yml")):
        for intent, example in examples_in(path):
            known.setdefault(plain_text(example), intent)
    return known


def render_nlu_file(blocks: Dict[str, List[str]], header: str) -> str:
    """An NLU YAML file with one literal block of examples per intent, intents sorted."""
    lines = [f"# {line}" for line in header.splitlines()] + ['version: "3.1"', "nlu:"]
    for intent in sorted(blocks):
        lines += [f"  - intent: {intent}", "    examples: |"] + [f"      - {e}" for e in blocks[intent]]
    return "\n".join(lines) + "\n"
