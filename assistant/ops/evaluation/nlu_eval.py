"""``make eval-nlu``: score the trained model on the held-out file and enforce the thresholds.

Prints intent accuracy, macro F1, per-intent F1, entity precision/recall per type and
the amount-value exact-match rate; saves a confusion matrix image and a JSON report.
Exits 1 below: intent accuracy 0.95, amount exact match 0.98, payee F1 0.95.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections import Counter, defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Set

from assistant.base.config import REPO_ROOT
from assistant.ops.evaluation.calibration import calibration, format_calibration, save_reliability_chart

THRESHOLDS = {"intent_accuracy": 0.95, "amount_exact_match": 0.98, "payee_f1": 0.95}
HELDOUT = REPO_ROOT / "tests" / "nlu" / "nlu_heldout.yml"


@dataclass
class Example:
    text: str
    intent: str
    entities: List[Dict[str, Any]]


def load_examples(path: Path) -> List[Example]:
    from rasa.shared.nlu.training_data.loading import load_data

    data = load_data(str(path))
    return [Example(m.get("text"), m.get("intent"), list(m.get("entities") or [])) for m in data.intent_examples]


def training_texts(data_dir: Path) -> Set[str]:
    texts: Set[str] = set()
    for path in sorted(data_dir.rglob("*.yml")):
        if "nlu:" in path.read_text(encoding="utf-8"):
            texts.update(e.text for e in load_examples(path))
    return texts


def _f1(p: float, r: float) -> float:
    return 2 * p * r / (p + r) if p + r else 0.0


def score(examples: Sequence[Example], parses: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    """All the figures of the report from gold examples and the model's parses."""
    gold_intents = [e.intent for e in examples]
    pred_intents = [p.get("intent", {}).get("name") or "none" for p in parses]
    labels = sorted(set(gold_intents) | set(pred_intents))
    per_intent = {}
    for label in labels:
        tp = sum(g == label and p == label for g, p in zip(gold_intents, pred_intents))
        fp = sum(g != label and p == label for g, p in zip(gold_intents, pred_intents))
        fn = sum(g == label and p != label for g, p in zip(gold_intents, pred_intents))
        prec = tp / (tp + fp) if tp + fp else 0.0
        rec = tp / (tp + fn) if tp + fn else 0.0
        per_intent[label] = {"precision": prec, "recall": rec, "f1": _f1(prec, rec), "support": tp + fn}
    gold_labels = sorted(set(gold_intents))
    accuracy = sum(g == p for g, p in zip(gold_intents, pred_intents)) / len(examples)

    counts: Dict[str, Counter] = defaultdict(Counter)
    amount_total = amount_exact = 0
    entity_errors = []
    for example, parse in zip(examples, parses):
        gold = {(e["entity"], e["start"], e["end"]) for e in example.entities}
        pred = {(e["entity"], e["start"], e["end"]) for e in parse.get("entities", [])}
        for kind, *_ in gold & pred:
            counts[kind]["tp"] += 1
        for kind, *_ in pred - gold:
            counts[kind]["fp"] += 1
        for kind, *_ in gold - pred:
            counts[kind]["fn"] += 1
        if gold != pred:
            entity_errors.append({"text": example.text, "missing": sorted(gold - pred), "extra": sorted(pred - gold)})
        for g in example.entities:
            if g["entity"] != "amount":
                continue
            amount_total += 1
            found = [
                p
                for p in parse.get("entities", [])
                if p["entity"] == "amount" and p["start"] < g["end"] and g["start"] < p["end"]
            ]
            if found and _same_number(found[0].get("value"), g.get("value")):
                amount_exact += 1
    per_entity = {}
    for kind, c in sorted(counts.items()):
        prec = c["tp"] / (c["tp"] + c["fp"]) if c["tp"] + c["fp"] else 0.0
        rec = c["tp"] / (c["tp"] + c["fn"]) if c["tp"] + c["fn"] else 0.0
        per_entity[kind] = {"precision": prec, "recall": rec, "f1": _f1(prec, rec), "support": c["tp"] + c["fn"]}
    return {
        "examples": len(examples),
        "intent_accuracy": accuracy,
        "macro_f1": sum(per_intent[label]["f1"] for label in gold_labels) / len(gold_labels),
        "per_intent": per_intent,
        "per_entity": per_entity,
        "amount_exact_match": amount_exact / amount_total if amount_total else 1.0,
        "amount_total": amount_total,
        "payee_f1": per_entity.get("payee", {}).get("f1", 0.0),
        "intent_errors": [
            {"text": e.text, "gold": g, "predicted": p}
            for e, g, p in zip(examples, gold_intents, pred_intents)
            if g != p
        ],
        "entity_errors": entity_errors,
        "labels": labels,
        "pairs": list(zip(gold_intents, pred_intents)),
        "calibration": calibration(
            [
                (float(p.get("intent", {}).get("confidence") or 0.0), g == i)
                for p, g, i in zip(parses, gold_intents, pred_intents)
            ]
        ),
    }


def _same_number(a: Any, b: Any) -> bool:
    try:
        return abs(float(a) - float(b)) < 1e-9
    except (TypeError, ValueError):
        return False


def save_confusion_matrix(report: Dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    labels = report["labels"]
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for gold, pred in report["pairs"]:
        matrix[index[gold]][index[pred]] += 1
    fig, ax = plt.subplots(figsize=(12, 10))
    ax.imshow(matrix, cmap="Blues")
    ax.set_xticks(range(len(labels)))
    ax.set_yticks(range(len(labels)))
    ax.set_xticklabels(labels, rotation=90, fontsize=8)
    ax.set_yticklabels(labels, fontsize=8)
    for i, row in enumerate(matrix):
        for j, value in enumerate(row):
            if value:
                ax.text(
                    j,
                    i,
                    str(value),
                    ha="center",
                    va="center",
                    fontsize=7,
                    color="white" if value > max(map(max, matrix)) / 2 else "black",
                )
    ax.set_xlabel("predicted")
    ax.set_ylabel("expected")
    ax.set_title(f"Intent confusion (accuracy {report['intent_accuracy']:.3f})")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=110)
    plt.close(fig)


def print_report(report: Dict[str, Any]) -> None:
    print(f"\nNLU evaluation on {report['examples']} held-out utterances")
    print(f"  intent accuracy      {report['intent_accuracy']:.3f}")
    print(f"  intent macro F1      {report['macro_f1']:.3f}")
    print(f"  amount exact match   {report['amount_exact_match']:.3f}  ({report['amount_total']} amounts)")
    print(f"  payee F1             {report['payee_f1']:.3f}")
    print("\n  intent                     F1     prec   recall support")
    for label, m in sorted(report["per_intent"].items()):
        if m["support"]:
            print(f"  {label:<24} {m['f1']:.3f}  {m['precision']:.3f}  {m['recall']:.3f}  {m['support']:>4}")
    print("\n  entity      precision recall  F1     support")
    for kind, m in report["per_entity"].items():
        print(f"  {kind:<10}  {m['precision']:.3f}     {m['recall']:.3f}  {m['f1']:.3f}  {m['support']:>4}")
    print("\n  calibration of the intent confidence:")
    print(format_calibration(report["calibration"]))
    if report["intent_errors"]:
        print("\n  intent errors:")
        for e in report["intent_errors"]:
            print(f"    {e['text']!r}: expected {e['gold']}, got {e['predicted']}")
    if report["entity_errors"]:
        print("\n  entity errors:")
        for e in report["entity_errors"]:
            print(f"    {e['text']!r}: missing {e['missing']} extra {e['extra']}")


async def parse_all(model: Path, texts: Sequence[str]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent

    agent = Agent.load(str(model))
    return [await agent.parse_message(text) for text in texts]


def main(argv: Optional[List[str]] = None) -> int:
    from assistant.base.config import Settings
    from assistant.ops.steps.model import model_path

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--data", type=Path, default=HELDOUT)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "test-output" / "nlu")
    args = parser.parse_args(argv)
    logging.getLogger("rasa").setLevel(logging.WARNING)
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

    model = args.model or model_path(Settings.from_env())
    if not model.exists():
        print(f"no model at {model}: run `make train` first", file=sys.stderr)
        return 2
    examples = load_examples(args.data)
    seen = training_texts(Settings.from_env().nlu_data_dir)
    leaked = [e.text for e in examples if e.text in seen]
    if leaked:
        print(f"held-out utterances also in the training data: {leaked}", file=sys.stderr)
        return 2
    parses = asyncio.run(parse_all(model, [e.text for e in examples]))
    report = score(examples, parses)
    print_report(report)
    args.out.mkdir(parents=True, exist_ok=True)
    save_confusion_matrix(report, args.out / "intent_confusion.png")
    save_reliability_chart(
        report["calibration"], args.out / "intent_reliability.png", "Intent confidence, held-out set"
    )
    public = {k: v for k, v in report.items() if k not in ("pairs", "labels", "calibration")}
    public["calibration"] = report["calibration"].to_json()
    (args.out / "report.json").write_text(json.dumps(public, ensure_ascii=False, indent=2), encoding="utf-8")
    print(
        f"\n  confusion matrix: {args.out / 'intent_confusion.png'}; reliability chart: "
        f"{args.out / 'intent_reliability.png'}; report: {args.out / 'report.json'}"
    )
    failed = [f"{name} {report[name]:.3f} < {limit}" for name, limit in THRESHOLDS.items() if report[name] < limit]
    if failed:
        print("FAILED: " + "; ".join(failed))
        return 1
    print("PASSED: " + ", ".join(f"{name} ≥ {limit}" for name, limit in THRESHOLDS.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
