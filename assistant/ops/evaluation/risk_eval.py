"""``make eval-risk``: the risk engine on tests/risk/scenarios.yml — normal customers' transfers and
risky ones (scam scripts, account takeovers, limits) — through the real path: a temporary SQLite
database holding the customer's profile, the scam phrases of their messages recorded as the
conversation would (``record_conversation_signal``), ``build_context`` and ``decide``.

Each scenario is decided twice: as first asked (with the scenario's assurance), and once the customer
has done every step asked (SMS code verified, warning acknowledged) — what finally happens.

- caught: a risky transfer warned (first decision asks for the warning), held or blocked;
- a scam script must be warned (or blocked outright): every one of them, required;
- false alarm: a normal transfer warned, held or blocked (a plain SMS code step is not one): ≤ 5 %;
- latency of ``decide`` alone (≤ 5 ms at p99) and of ``build_context + decide`` (after one warm-up
  call per scenario's database, as a long-running process has its statements compiled), both reported.
Exits 1 when a target is missed; the last line is the summary for the README.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time as timer
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path
from statistics import quantiles
from typing import Any, Dict, List, Mapping, Optional, Sequence, Tuple

import yaml
from sqlalchemy.orm import Session

from assistant.bank.risk.context import build_context
from assistant.bank.risk.engine import decide
from assistant.bank.risk.rules import Rules, current_rules
from assistant.bank.risk.scam import scam_phrases
from assistant.bank.risk.store import record_conversation_signal, record_security_event
from assistant.bank.risk.types import Assurance, RiskContext, RiskDecision
from assistant.base import clock
from assistant.base.config import REPO_ROOT
from assistant.base.db.engine import make_engine
from assistant.base.db.migrate import upgrade_database
from assistant.base.db.models import Account, Customer, Payee, Transaction, Transfer
from assistant.base.money import to_cents

SCENARIOS = REPO_ROOT / "tests" / "risk" / "scenarios.yml"
DAY = date(2026, 12, 10)  # the bank's day every scenario happens on (a Thursday)
MINUTE = 20  # transfers happen at hh:20 on the bank's clock
MAX_FALSE_ALARM_RATE = 0.05
MIN_CATCH_RATE = 0.95
MIN_EXPECTED_MET = 0.90  # risky scenarios reaching at least their expected outcome
MAX_DECIDE_P99_MS = 5.0
BUILD_REPEATS, DECIDE_REPEATS = 5, 50
LEVELS = {"warn": 1, "hold": 2, "block": 3}


@dataclass
class Result:
    id: str
    title: str
    cls: str
    scam: bool
    expect: str
    first: RiskDecision
    final: RiskDecision
    build_ms: List[float] = field(default_factory=list)
    decide_ms: List[float] = field(default_factory=list)

    @property
    def warned(self) -> bool:
        return self.first.needs_warning or self.first.action == "block"

    @property
    def level(self) -> int:
        """0 allowed (perhaps after a code), 1 warned, 2 held, 3 blocked — what finally happens."""
        if self.final.action == "block" or self.first.action == "block":
            return 3
        if self.final.action == "hold":
            return 2
        return 1 if self.warned else 0

    @property
    def alarm(self) -> bool:
        return self.level > 0

    def to_json(self) -> Dict[str, Any]:
        return {
            "id": self.id,
            "class": self.cls,
            "scam": self.scam,
            "expect": self.expect,
            "first": self.first.to_json(),
            "final": self.final.to_json(),
        }


# ------------------------------------------------------------------ one scenario in a database
def _now(hour: int) -> datetime:
    return clock.to_utc(datetime.combine(DAY, time(hour, MINUTE)))


def _history(scenario: Mapping[str, Any], histories: Mapping[str, Any]) -> List[Tuple[float, str, int]]:
    raw = scenario.get("history") or []
    if isinstance(raw, str):
        raw = histories[raw]
    return [(float(days), str(payee), to_cents(amount)) for days, payee, amount in raw]


def _seed(
    session: Session, customer_id: str, scenario: Mapping[str, Any], histories: Mapping[str, Any], now: datetime
) -> Dict[str, int]:
    """The customer's accounts, payees and past transfers (as the ledger writes them); returns ids."""
    history = _history(scenario, histories)
    balance = to_cents(scenario.get("balance", 50000))
    customer = Customer(id=customer_id, name="测试客户", phone="13800000000", created_at=now - timedelta(days=800))
    source = Account(
        customer=customer,
        kind="debit",
        name="储蓄卡",
        nickname="工资卡",
        number="6222021001116688",
        is_primary=True,
        balance_cents=balance,
    )
    savings = Account(customer=customer, kind="debit", name="储蓄卡", number="6222021001121024", balance_cents=100_000)
    card = Account(
        customer=customer,
        kind="credit",
        name="信用卡",
        number="6258091002343321",
        credit_limit_cents=5_000_000,
        balance_cents=3_000_000,
    )
    session.add_all([customer, source, savings, card])
    transfer = scenario["transfer"]
    payees: Dict[str, Payee] = {}
    names = [name for _, name, _ in history] + ([str(transfer["payee"])] if "payee" in transfer else [])
    for i, name in enumerate(dict.fromkeys(names)):
        oldest = max([d for d, n, _ in history if n == name], default=0.0)
        created = now - timedelta(days=max(400.0, oldest + 1))
        if name == transfer.get("payee") and ("added_minutes_ago" in transfer or transfer.get("new")):
            created = now - timedelta(minutes=float(transfer.get("added_minutes_ago", 3)))
        payees[name] = Payee(
            customer=customer, name=name, bank="工商银行", account_number=f"62220202{i:08d}", created_at=created
        )
        session.add(payees[name])
    session.flush()
    for i, (days, name, cents) in enumerate(sorted(history, reverse=True)):
        at = now - timedelta(days=days)
        record = Transfer(
            customer_id=customer_id,
            idempotency_key=f"history-{i}",
            from_account_id=source.id,
            to_payee_id=payees[name].id,
            kind="transfer",
            amount_cents=cents,
            status="completed",
            created_at=at,
        )
        session.add(record)
        session.flush()
        session.add(
            Transaction(
                account_id=source.id,
                customer_id=customer_id,
                posted_at=at,
                amount_cents=-cents,
                balance_after_cents=balance,
                kind="transfer_out",
                counterparty=name,
                category="人情",
                memo="转账",
                transfer_id=record.id,
            )
        )
    for kind, minutes in scenario.get("events") or []:
        record_security_event(session, customer_id, str(kind), at=now - timedelta(minutes=float(minutes)))
    messages = [str(m) for m in scenario.get("messages") or []]
    back = timedelta(hours=float(scenario.get("conversation_hours_ago", 0)))
    for i, message in enumerate(messages):
        found = scam_phrases(message)
        if found:
            record_conversation_signal(
                session, customer_id, found, at=now - back - timedelta(minutes=len(messages) - i)
            )
    session.flush()
    return {
        "source": source.id,
        "savings": savings.id,
        "card": card.id,
        **({"payee": payees[str(transfer["payee"])].id} if "payee" in transfer else {}),
    }


def _assurance(scenario: Mapping[str, Any]) -> Assurance:
    raw = scenario.get("assurance") or {}
    return Assurance(
        strength=str(raw.get("strength", "password")),
        code_verified=bool(raw.get("code", False)),
        warning_acknowledged=bool(raw.get("ack", False)),
    )


def run_scenario(
    template: Path, scratch: Path, scenario: Mapping[str, Any], histories: Mapping[str, Any], rules: Rules
) -> Result:
    """Seed a copy of the migrated template, then decide the scenario's transfer and time it."""
    path = scratch / f"{scenario['id']}.db"
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    transfer = scenario["transfer"]
    now = _now(int(transfer["hour"]))
    customer_id = f"c-{scenario['id']}"
    try:
        with Session(engine, future=True) as session:
            ids = _seed(session, customer_id, scenario, histories, now)
            session.commit()
            kind = str(transfer.get("kind", "transfer"))
            payee_id = ids.get("payee")
            to_account = None if payee_id else ids["card" if kind == "repayment" else "savings"]
            assurance = _assurance(scenario)

            def context(given: Assurance) -> RiskContext:
                return build_context(
                    session,
                    customer_id,
                    ids["source"],
                    to_cents(transfer["amount"]),
                    payee_id,
                    to_account,
                    kind,
                    given,
                    now=now,
                    rules=rules,
                )

            decide(context(assurance), rules)  # warm-up: the statements compiled once per engine, as in service
            build_ms = []
            for _ in range(BUILD_REPEATS):
                started = timer.perf_counter()
                ctx = context(assurance)
                first = decide(ctx, rules)
                build_ms.append((timer.perf_counter() - started) * 1000)
            decide_ms = []
            for _ in range(DECIDE_REPEATS):
                started = timer.perf_counter()
                decide(ctx, rules)
                decide_ms.append((timer.perf_counter() - started) * 1000)
            done = replace(assurance, code_verified=True, warning_acknowledged=True)
            final = decide(replace(ctx, assurance=done), rules)
    finally:
        engine.dispose()
        path.unlink(missing_ok=True)
    return Result(
        id=str(scenario["id"]),
        title=str(scenario.get("title", "")),
        cls=str(scenario["class"]),
        scam=bool(scenario.get("scam", False)),
        expect=str(scenario.get("expect", "")),
        first=first,
        final=final,
        build_ms=build_ms,
        decide_ms=decide_ms,
    )


# ------------------------------------------------------------------ the set
def check_scenarios(data: Mapping[str, Any]) -> List[str]:
    """Problems with the scenario file itself (so a typo cannot pass as a result)."""
    problems = []
    histories = data.get("histories") or {}
    seen = set()
    for s in data.get("scenarios") or []:
        sid = s.get("id")
        if sid in seen:
            problems.append(f"{sid}: duplicate id")
        seen.add(sid)
        if s.get("class") not in ("normal", "risky"):
            problems.append(f"{sid}: class must be normal or risky")
        if s.get("class") == "risky" and s.get("expect") not in LEVELS:
            problems.append(f"{sid}: a risky scenario must expect warn, hold or block")
        if isinstance(s.get("history"), str) and s["history"] not in histories:
            problems.append(f"{sid}: unknown history {s['history']!r}")
        transfer = s.get("transfer") or {}
        if "amount" not in transfer or "hour" not in transfer:
            problems.append(f"{sid}: the transfer needs an amount and an hour")
    return problems


def percentile(values: Sequence[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return quantiles(values, n=100, method="inclusive")[q - 1]


def summarize(results: List[Result]) -> Dict[str, Any]:
    normal = [r for r in results if r.cls == "normal"]
    risky = [r for r in results if r.cls == "risky"]
    scams = [r for r in risky if r.scam]
    build = [ms for r in results for ms in r.build_ms]
    decided = [ms for r in results for ms in r.decide_ms]
    return {
        "scenarios": len(results),
        "normal": len(normal),
        "risky": len(risky),
        "scam_scripts": len(scams),
        "caught": sum(r.alarm for r in risky),
        "catch_rate": sum(r.alarm for r in risky) / max(1, len(risky)),
        "expected_met": sum(r.level >= LEVELS[r.expect] for r in risky),
        "expected_met_rate": sum(r.level >= LEVELS[r.expect] for r in risky) / max(1, len(risky)),
        "scam_warned": sum(r.warned for r in scams),
        "false_alarms": sum(r.alarm for r in normal),
        "false_alarm_rate": sum(r.alarm for r in normal) / max(1, len(normal)),
        "normal_with_code": sum(r.first.needs_code for r in normal),
        "outcomes": {name: sum(r.level == level for r in risky) for name, level in (("allowed", 0), *LEVELS.items())},
        "decide_ms": {"p50": percentile(decided, 50), "p99": percentile(decided, 99)},
        "build_and_decide_ms": {"p50": percentile(build, 50), "p99": percentile(build, 99)},
    }


def summary_line(s: Mapping[str, Any], rules: Rules) -> str:
    return (
        f"risk eval (rules {rules.version}): {s['scenarios']} scenarios ({s['normal']} normal, {s['risky']} risky, "
        f"{s['scam_scripts']} scam scripts): caught {s['catch_rate']:.1%} ({s['caught']}/{s['risky']}), "
        f"scam scripts warned {s['scam_warned']}/{s['scam_scripts']}, false alarms {s['false_alarm_rate']:.1%} "
        f"({s['false_alarms']}/{s['normal']}); decide p50 {s['decide_ms']['p50']:.3f} ms p99 "
        f"{s['decide_ms']['p99']:.3f} ms; build_context+decide p50 {s['build_and_decide_ms']['p50']:.2f} ms "
        f"p99 {s['build_and_decide_ms']['p99']:.2f} ms"
    )


def _outcome(r: Result) -> str:
    first = r.first.action + ("+warning" if r.first.needs_warning else "") + ("+code" if r.first.needs_code else "")
    return f"first {first}, then {r.final.action} [{', '.join(r.final.codes) or '-'}]"


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=Path, default=SCENARIOS)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "test-output" / "risk")
    parser.add_argument("--verbose", action="store_true", help="print every scenario's outcome")
    args = parser.parse_args(argv)
    data = yaml.safe_load(args.scenarios.read_text(encoding="utf-8"))
    problems = check_scenarios(data)
    if problems:
        print("\n".join(problems), file=sys.stderr)
        return 2
    rules = current_rules()
    with tempfile.TemporaryDirectory(prefix="risk-eval-") as scratch:
        template = Path(scratch) / "template.db"
        upgrade_database(f"sqlite:///{template}")  # the schema at head, made once and copied per scenario
        results = [
            run_scenario(template, Path(scratch), s, data.get("histories") or {}, rules) for s in data["scenarios"]
        ]
    s = summarize(results)
    print(
        f"\nRisk evaluation on {s['scenarios']} scenarios ({s['normal']} normal, {s['risky']} risky of which "
        f"{s['scam_scripts']} scam scripts), rules {rules.version} from {rules.source}"
    )
    print(f"  caught (warned, held or blocked)   {s['catch_rate']:.1%}  ({s['caught']}/{s['risky']})")
    o = s["outcomes"]
    print(f"    risky outcomes: allowed {o['allowed']}, warned {o['warn']}, held {o['hold']}, blocked {o['block']}")
    print(f"  at least the expected outcome      {s['expected_met_rate']:.1%}  ({s['expected_met']}/{s['risky']})")
    print(f"  scam scripts warned                {s['scam_warned']}/{s['scam_scripts']}  (required: all)")
    print(
        f"  false alarms on normal transfers   {s['false_alarm_rate']:.1%}  ({s['false_alarms']}/{s['normal']}; "
        f"{s['normal_with_code']} asked only for an SMS code)"
    )
    print(
        f"  decide                p50 {s['decide_ms']['p50']:.3f} ms  p99 {s['decide_ms']['p99']:.3f} ms"
        f"  (target p99 <= {MAX_DECIDE_P99_MS:.0f} ms)"
    )
    print(
        f"  build_context+decide  p50 {s['build_and_decide_ms']['p50']:.2f} ms  "
        f"p99 {s['build_and_decide_ms']['p99']:.2f} ms  (SQLite)"
    )
    failures = [
        r
        for r in results
        if (r.cls == "normal" and r.alarm)
        or (r.cls == "risky" and (r.level < LEVELS[r.expect] or (r.scam and not r.warned)))
    ]
    if failures:
        print("\n  scenarios not as expected:")
        for r in failures:
            want = "allowed" if r.cls == "normal" else f"at least {r.expect}" + (", warned" if r.scam else "")
            print(f"    {r.id} {r.title}: want {want}; got {_outcome(r)}")
    if args.verbose:
        print("\n  every scenario:")
        for r in results:
            print(f"    {r.id:<34} {_outcome(r)}")
    args.out.mkdir(parents=True, exist_ok=True)
    report = {"summary": s, "rules_version": rules.version, "results": [r.to_json() for r in results]}
    (args.out / "report.json").write_text(json.dumps(report, ensure_ascii=False, indent=2), encoding="utf-8")
    missed = [
        text
        for text, bad in (
            (f"scam scripts warned {s['scam_warned']}/{s['scam_scripts']}", s["scam_warned"] < s["scam_scripts"]),
            (
                f"false alarms {s['false_alarm_rate']:.1%} > {MAX_FALSE_ALARM_RATE:.0%}",
                s["false_alarm_rate"] > MAX_FALSE_ALARM_RATE,
            ),
            (f"caught {s['catch_rate']:.1%} < {MIN_CATCH_RATE:.0%}", s["catch_rate"] < MIN_CATCH_RATE),
            (
                f"expected outcome met {s['expected_met_rate']:.1%} < {MIN_EXPECTED_MET:.0%}",
                s["expected_met_rate"] < MIN_EXPECTED_MET,
            ),
            (
                f"decide p99 {s['decide_ms']['p99']:.3f} ms > {MAX_DECIDE_P99_MS} ms",
                s["decide_ms"]["p99"] > MAX_DECIDE_P99_MS,
            ),
        )
        if bad
    ]
    print()
    if missed:
        print("FAILED: " + "; ".join(missed))
    print(summary_line(s, rules))
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
