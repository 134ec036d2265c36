"""The risk decision: signals combined into allow, step up, hold or block. Pure — no database, no
clock — so it takes microseconds and is tested on plain contexts.

How signals combine (the values are in rules.yml):

1. every signal that fires asks for its own outcome (none, code, warn, hold, block) and adds its
   weight to a score; scam words with an amount from ``hold_from_cents`` on ask for a hold;
2. the score escalates: from ``warn_from_score`` a warning, from ``hold_from_score`` a hold; listed
   combinations of reasons hold or block whatever the score;
3. the limits of the strength the transfer is judged at ask for a code (when a verified SMS code
   would lift this transfer within them) or block (when only a stronger login, or the counter, can);
4. the strongest outcome wins, with one order of steps: a block is final; otherwise the missing
   steps come first (a code for "code" and stronger, the acknowledged warning for "warn" and
   stronger) as a step up; once the assurance satisfies them, "hold" holds and the rest is allowed.
"""

from __future__ import annotations

from typing import List, Optional, Tuple

from assistant.bank.risk import signals
from assistant.bank.risk.limits import limits_for
from assistant.bank.risk.rules import Rules, current_rules, outcome_rank
from assistant.bank.risk.scam import warning_for
from assistant.bank.risk.types import Reason, RiskContext, RiskDecision

CODE, WARN, HOLD, BLOCK = (outcome_rank(o) for o in ("code", "warn", "hold", "block"))

Hit = Tuple[Reason, int, int]  # reason, outcome rank, weight


def _hits(ctx: RiskContext, rules: Rules) -> List[Hit]:
    """Every signal that fires, with the outcome and weight its rule gives it."""
    s = rules.signals
    found: List[Hit] = []

    def add(reason: Optional[Reason], outcome: str, weight: int) -> None:
        if reason is not None:
            found.append((reason, outcome_rank(outcome), weight))

    scam = signals.scam_words(ctx, s.scam_words)
    if scam is not None:
        held = ctx.amount_cents >= s.scam_words.hold_from_cents
        add(
            scam,
            "hold" if held and outcome_rank(s.scam_words.outcome) < HOLD else s.scam_words.outcome,
            s.scam_words.weight,
        )
    add(signals.new_payee(ctx, s.new_payee), s.new_payee.outcome, s.new_payee.weight)
    add(signals.dormant_payee(ctx, s.dormant_payee), s.dormant_payee.outcome, s.dormant_payee.weight)
    add(signals.unusual_amount(ctx, s.unusual_amount), s.unusual_amount.outcome, s.unusual_amount.weight)
    add(signals.drained_account(ctx, s.drained_account), s.drained_account.outcome, s.drained_account.weight)
    add(signals.velocity(ctx, s.velocity), s.velocity.outcome, s.velocity.weight)
    for reason in signals.after_security_change(ctx, s.after_security_change):
        rule = s.after_security_change
        add(reason, rule.outcome, signals.security_weight(reason, rule))
    add(signals.night(ctx, s.night), s.night.outcome, s.night.weight)
    add(signals.large_amount(ctx, s.large_amount), s.large_amount.outcome, s.large_amount.weight)
    return found


def _escalated(hits: List[Hit], rules: Rules) -> int:
    """The outcome rank the combination of signals asks for (score and listed combinations)."""
    esc = rules.escalation
    level = max((outcome for _, outcome, _ in hits), default=0)
    score = sum(weight for _, _, weight in hits)
    if score >= esc.hold_from_score:
        level = max(level, HOLD)
    elif score >= esc.warn_from_score:
        level = max(level, WARN)
    codes = {reason.code for reason, _, _ in hits}
    if any(codes.issuperset(group) for group in esc.hold_when):
        level = max(level, HOLD)
    if any(codes.issuperset(group) for group in esc.block_when):
        level = BLOCK
    return level


def _warning(ctx: RiskContext, reasons: List[Reason]) -> str:
    """The anti-fraud warning: the scam phrases' own advice, else the reasons and general advice."""
    if ctx.scam_phrases:
        return warning_for(ctx.scam_phrases)
    why = "、".join(r.text for r in reasons[:4])
    return (
        f"这笔转账有多项风险特征（{why}）。骗子常以借钱、投资、退款、办案等理由诱导转账，"
        "请先通过电话或当面核实收款人的身份。"
    )


def decide(ctx: RiskContext, rules: Optional[Rules] = None) -> RiskDecision:
    """The decision for one money movement under ``rules`` (default: the rules in force)."""
    rules = rules or current_rules()
    assurance = ctx.assurance
    per_transfer, daily = limits_for(assurance.strength, assurance, rules)
    hits = _hits(ctx, rules)
    level = _escalated(hits, rules)
    reasons = [reason for reason, _, _ in hits]
    limit = signals.over_limit(ctx, rules)
    if limit is not None:
        reasons.insert(0, limit.reason)
        level = max(level, outcome_rank(limit.outcome))

    needs_code = level >= CODE and not assurance.code_verified
    needs_warning = level >= WARN and not assurance.warning_acknowledged
    if level >= BLOCK:
        action, needs_code, needs_warning = "block", False, False
    elif needs_code or needs_warning:
        action = "step_up"
    elif level >= HOLD:
        action = "hold"
    else:
        action = "allow"
    return RiskDecision(
        action=action,
        reasons=tuple(reasons),
        needs_code=needs_code,
        needs_warning=needs_warning,
        limit_cents=per_transfer if ctx.to_payee else None,
        daily_limit_cents=daily if ctx.to_payee else None,
        rules_version=rules.version,
        warning=_warning(ctx, [reason for reason, _, weight in hits if weight])
        if level >= WARN and action != "block"
        else "",
    )


__all__ = ["decide"]
