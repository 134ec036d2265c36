"""`make eval-realistic`: messages written like real customers', through POST /api/chat, judged by what
the bot did with each.

tests/realistic/messages.yml holds questions, problem reports, other institutions' products, bare
topics and a few requests, written apart from the training data, each with the intents that are an
acceptable reading and whether the honest fallback (or a handover) is acceptable too. Each message is
sent on a fresh conversation of one customer; what the bot made of it and what it started are read
from the conversation's tracker. A *harmful start* is a task (a transfer, repayment or card-loss form,
or a bookkeeping record written, changed or deleted) started on a message that did not ask for it. Fails below 0.90 acceptable or
on any harmful start.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import yaml

from assistant.base.config import REPO_ROOT
from assistant.ops.evaluation.calibration import calibration, format_calibration, save_reliability_chart

MESSAGES = REPO_ROOT / "tests" / "realistic" / "messages.yml"
# Written later by another hand and never used to tune the assistant: the unbiased figure.
FRESH = REPO_ROOT / "tests" / "realistic" / "messages_fresh.yml"
MIN_ACCEPTABLE = 0.90
FALLBACK = "nlu_fallback"
# What starts a task, and the intent that asks for it.
TASK_FORMS = {
    "transfer_form": "transfer_money",
    "repay_form": "repay_credit_card",
    "card_loss_form": "report_card_loss",
}
# Replies that report a bookkeeping write, and the intents that ask for one.
BOOK_WRITES = {"book_record": ("record_expense", "record_income", "inform"), "book_deleted": ("cancel",)}
HANDOFF_INTENTS = ("human_agent", "complaint")


@dataclass(frozen=True)
class Case:
    text: str
    expect: Tuple[str, ...]
    fallback_ok: bool = False


@dataclass
class Outcome:
    intent: str
    confidence: float
    started: List[str] = field(default_factory=list)  # task intents whose task began
    handoff: bool = False
    reply: str = ""


def load_cases(path: Path = MESSAGES) -> List[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    return [
        Case(str(m["text"]), tuple(m.get("expect") or ()), bool(m.get("fallback_ok", False)))
        for m in data.get("messages") or ()
    ]


def judge(case: Case, outcome: Outcome) -> Tuple[bool, List[str]]:
    """(acceptable, harmful starts): a task begun that the message did not ask for is harmful."""
    harmful = [task for task in outcome.started if task not in case.expect]
    if harmful:
        return False, harmful
    if outcome.intent in case.expect:
        return True, []
    fell_back = outcome.intent == FALLBACK or (outcome.handoff and outcome.intent not in HANDOFF_INTENTS)
    return (fell_back and case.fallback_ok), []


def score(cases: Sequence[Case], outcomes: Sequence[Outcome]) -> Dict[str, Any]:
    rows = []
    for case, outcome in zip(cases, outcomes):
        ok, harmful = judge(case, outcome)
        rows.append(
            {
                "text": case.text,
                "expect": list(case.expect),
                "fallback_ok": case.fallback_ok,
                "intent": outcome.intent,
                "confidence": round(outcome.confidence, 3),
                "started": outcome.started,
                "handoff": outcome.handoff,
                "acceptable": ok,
                "harmful": harmful,
                "reply": outcome.reply[:80],
            }
        )
    # Calibration of the reading the bot acted on (a fallback is not a reading: left out).
    pairs = [(r["confidence"], r["intent"] in r["expect"]) for r in rows if r["intent"] != FALLBACK]
    acceptable = sum(r["acceptable"] for r in rows)
    by_first = Counter(r["expect"][0] for r in rows if r["expect"])
    ok_by_first = Counter(r["expect"][0] for r in rows if r["expect"] and r["acceptable"])
    return {
        "messages": len(rows),
        "acceptable": acceptable,
        "acceptable_rate": acceptable / len(rows) if rows else 0.0,
        "harmful_starts": [r for r in rows if r["harmful"]],
        "fallbacks": sum(r["intent"] == FALLBACK for r in rows),
        "handoffs": sum(r["handoff"] for r in rows),
        "by_expected": {k: {"messages": n, "acceptable": ok_by_first[k]} for k, n in by_first.most_common()},
        "calibration": calibration(pairs),
        "misses": [r for r in rows if not r["acceptable"]],
        "rows": rows,
    }


def print_report(report: Dict[str, Any]) -> None:
    print(
        f"\nRealistic evaluation on {report['messages']} customer-style messages the model never saw "
        f"(through POST /api/chat)"
    )
    print(
        f"  acceptable handling  {report['acceptable_rate']:.3f}  ({report['acceptable']}/{report['messages']}; "
        f"threshold {MIN_ACCEPTABLE})"
    )
    print(f"  harmful starts       {len(report['harmful_starts'])}  (a task started that the message did not ask for)")
    print(f"  honest fallbacks     {report['fallbacks']};  handovers {report['handoffs']}")
    print("\n  expected (first)       messages  acceptable")
    for intent, m in report["by_expected"].items():
        print(f"  {intent:<22} {m['messages']:>8}  {m['acceptable'] / m['messages']:.3f}")
    print("\n  calibration of the reading acted on (right = an acceptable intent):")
    print(format_calibration(report["calibration"]))
    for r in report["harmful_starts"]:
        print(f"  HARMFUL: {r['text']!r} started {r['harmful']} (read as {r['intent']} {r['confidence']:.2f})")
    if report["misses"]:
        print("\n  misses:")
        for r in report["misses"]:
            print(
                f"    {r['text']!r}: expected {'/'.join(r['expect'])}{' or fallback' if r['fallback_ok'] else ''}, "
                f"got {r['intent']} {r['confidence']:.2f}{' +handoff' if r['handoff'] else ''}"
            )


def summary_line(report: Dict[str, Any]) -> str:
    """The figures of a saved report in one line (``make test`` prints it after pytest)."""
    line = (
        f"acceptable {report['acceptable_rate']:.3f} ({report['acceptable']}/{report['messages']} unseen messages), "
        f"harmful starts {len(report['harmful_starts'])}, fallbacks {report['fallbacks']}, "
        f"handovers {report['handoffs']}, ECE {report['calibration']['ece']:.3f}"
    )
    fresh = report.get("fresh")
    if fresh:
        line += (
            f"; fresh set {fresh['acceptable_rate']:.3f} ({fresh['acceptable']}/{fresh['messages']}), "
            f"ECE {fresh['calibration']['ece']:.3f}"
        )
    return line


def passed(report: Dict[str, Any]) -> bool:
    return report["acceptable_rate"] >= MIN_ACCEPTABLE and not report["harmful_starts"]


def save(report: Dict[str, Any], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    save_reliability_chart(report["calibration"], out / "realistic_reliability.png", "Realistic messages")
    public = {k: v for k, v in report.items() if k != "calibration"}
    public["calibration"] = report["calibration"].to_json()
    (out / "realistic_report.json").write_text(json.dumps(public, ensure_ascii=False, indent=2), encoding="utf-8")


# ----------------------------------------------------------------------------- talking to the stack
def _http(method: str, url: str, body: Any = None, token: Optional[str] = None, timeout: float = 60) -> Tuple[int, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    if data is not None:
        req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return resp.status, json.loads(resp.read().decode() or "null")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


class ChatDriver:
    """Sends each message on a fresh conversation of ``customer`` and reads what the bot did."""

    def __init__(self, gateway: str, rasa: str, customer: str, rasa_token: Optional[str] = None) -> None:
        self.gateway, self.rasa, self.customer = gateway.rstrip("/"), rasa.rstrip("/"), customer
        self.rasa_params = f"?token={urllib.parse.quote(rasa_token)}" if rasa_token else ""
        status, body = _http("GET", f"{self.gateway}/api/dev/token?sub={customer}&role=customer")
        if status != 200:
            raise RuntimeError(f"no dev token for {customer}: {status} {body}")
        self.token = body["token"]
        status, body = _http("GET", f"{self.gateway}/api/dev/token?sub=realistic_eval_agent&role=agent")
        self.agent_token = body["token"] if status == 200 else None
        self._tracker_url = f"{self.rasa}/conversations/{urllib.parse.quote(customer, safe='')}/tracker"

    def restart(self) -> None:
        _http("POST", f"{self._tracker_url}/events{self.rasa_params}", {"event": "restart"})

    def end_handoff(self, handoff: Dict[str, Any]) -> None:
        """Close the handover the message started, so the next message reaches the bot again."""
        if self.agent_token is None:
            raise RuntimeError("no agent token: cannot close the handover")
        base = f"{self.gateway}/api/agent/handoffs/{int(handoff['id'])}"
        _http("POST", f"{base}/claim", {}, token=self.agent_token)
        _http("POST", f"{base}/close", {}, token=self.agent_token)

    def __call__(self, text: str) -> Outcome:
        self.restart()
        status, answer = _http("POST", f"{self.gateway}/api/chat", {"message": text}, token=self.token)
        if status != 200:
            raise RuntimeError(f"/api/chat answered {status} for {text!r}: {answer}")
        status, tracker = _http(
            "GET",
            f"{self._tracker_url}{self.rasa_params}{'&' if self.rasa_params else '?'}include_events=AFTER_RESTART",
        )
        if status != 200:
            raise RuntimeError(f"tracker read answered {status}")
        outcome = outcome_of(tracker.get("events") or [])
        outcome.reply = " / ".join(m.get("text") or "" for m in answer.get("messages") or [])
        if answer.get("handoff"):
            outcome.handoff = True
            self.end_handoff(answer["handoff"])
        return outcome  # the next message restarts the conversation first


def outcome_of(events: Sequence[Dict[str, Any]]) -> Outcome:
    """What the bot read in the last customer message and which tasks it began after it."""
    last_user = max((i for i, e in enumerate(events) if e.get("event") == "user"), default=-1)
    parse = (events[last_user].get("parse_data") or {}) if last_user >= 0 else {}
    intent = parse.get("intent") or {}
    outcome = Outcome(str(intent.get("name") or ""), float(intent.get("confidence") or 0.0))
    for event in events[last_user + 1 :]:
        if event.get("event") == "active_loop" and event.get("name") in TASK_FORMS:
            outcome.started.append(TASK_FORMS[event["name"]])
        elif event.get("event") == "bot" and ((event.get("data") or {}).get("custom") or {}).get("type") in BOOK_WRITES:
            # A bookkeeping record written, changed or deleted: by whichever intent does that.
            kind = event["data"]["custom"]["type"]
            outcome.started.append(outcome.intent if outcome.intent in BOOK_WRITES[kind] else BOOK_WRITES[kind][0])
        elif event.get("event") == "action" and event.get("name") == "action_handoff":
            outcome.handoff = True
    return outcome


def evaluate(send: Callable[[str], Outcome], cases: Sequence[Case]) -> Dict[str, Any]:
    return score(cases, [send(case.text) for case in cases])


def leaked(cases: Sequence[Case]) -> List[str]:
    """Messages that are also training examples: the set must stay apart from the training data."""
    from assistant.base.config import Settings
    from assistant.ops.evaluation.nlu_eval import training_texts

    seen = training_texts(Settings.from_env().nlu_data_dir)
    return [c.text for c in cases if c.text in seen]


def evaluate_file(send: ChatDriver, path: Path) -> Dict[str, Any]:
    """Score the messages the model never saw (short ones such as "你好" or "转账" are bound to be training
    examples too: they are sent and reported, but the figures are on the unseen ones)."""
    cases = load_cases(path)
    seen = set(leaked(cases))
    report = evaluate(send, [c for c in cases if c.text not in seen])
    seen_report = evaluate(send, [c for c in cases if c.text in seen])
    report["seen_in_training"] = {
        "messages": seen_report["messages"],
        "acceptable": seen_report["acceptable"],
        "harmful_starts": seen_report["harmful_starts"],
    }
    report["harmful_starts"] = report["harmful_starts"] + seen_report["harmful_starts"]
    return report


def run(
    gateway: str, rasa: str, customer: str, out: Path, rasa_token: Optional[str] = None
) -> Tuple[int, Dict[str, Any]]:
    """The main set gates (≥ 0.90 acceptable); no set may start a task that was not asked for; the fresh
    set's figure is printed beside it."""
    send = ChatDriver(gateway, rasa, customer, rasa_token)
    report = evaluate_file(send, MESSAGES)
    fresh = evaluate_file(send, FRESH) if FRESH.exists() else None
    print_report(report)
    seen = report["seen_in_training"]
    print(f"  also sent: {seen['messages']} messages that are training examples too ({seen['acceptable']} acceptable)")
    if fresh is not None:
        report["fresh"] = {
            k: fresh[k] for k in ("messages", "acceptable", "acceptable_rate", "harmful_starts", "misses")
        }
        report["fresh"]["calibration"] = fresh["calibration"].to_json()
        report["harmful_starts"] = report["harmful_starts"] + fresh["harmful_starts"]
        print(
            f"\n  fresh set ({FRESH.name}, never used for tuning): acceptable {fresh['acceptable_rate']:.3f} "
            f"({fresh['acceptable']}/{fresh['messages']}), harmful starts {len(fresh['harmful_starts'])}, "
            f"ECE {fresh['calibration'].ece:.3f}"
        )
        for r in fresh["harmful_starts"]:
            print(f"  HARMFUL (fresh): {r['text']!r} started {r['harmful']}")
    save(report, out)
    print(f"\n  report: {out / 'realistic_report.json'}; reliability chart: {out / 'realistic_reliability.png'}")
    if not passed(report):
        print(
            f"FAILED: acceptable {report['acceptable_rate']:.3f} (needs ≥ {MIN_ACCEPTABLE}), "
            f"harmful starts {len(report['harmful_starts'])} (needs 0)"
        )
        return 1, report
    print(f"PASSED: acceptable ≥ {MIN_ACCEPTABLE}, no harmful start")
    return 0, report


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--gateway", help="a running gateway (default: start a stack of its own)")
    parser.add_argument("--rasa", help="its Rasa server (with --gateway)")
    parser.add_argument("--customer", default="demo2", help="the customer whose fresh conversations are used")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "test-output" / "realistic")
    parser.add_argument("--summary", type=Path, help="print the figures of a saved report and stop")
    args = parser.parse_args(argv)
    if args.summary:
        print(summary_line(json.loads(args.summary.read_text(encoding="utf-8"))))
        return 0
    import os

    token = os.environ.get("RASA_AUTH_TOKEN")
    if args.gateway:
        return run(args.gateway, args.rasa or "http://127.0.0.1:5005", args.customer, args.out, token)[0]
    sys.path.insert(0, str(REPO_ROOT))
    from tests.support.stack import Stack

    with tempfile.TemporaryDirectory(prefix="eval-realistic-") as root:
        stack = Stack(data_dir=Path(root) / "data").start()
        try:
            return run(stack.base_url, stack.rasa_url, args.customer, args.out, stack.rasa_token)[0]
        finally:
            stack.stop()


if __name__ == "__main__":
    sys.exit(main())
