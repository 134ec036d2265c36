"""One small pure function per risk signal: the context and the signal's own rule in, a reason (in
plain Chinese) out when the signal fires. Whether a signal asks for a code, a warning or more, and
how much it weighs, is the engine's business (from the rules), so each function can be tested alone.

Payee signals apply only to money leaving for a third party (``ctx.to_payee``); between a
customer's own accounts nobody else can receive the money."""

from __future__ import annotations

from dataclasses import dataclass
from typing import List, Optional, Tuple

from assistant.bank.risk.limits import weakest_allowing
from assistant.bank.risk.rules import (
    DormantPayeeRule,
    DrainedAccountRule,
    LargeAmountRule,
    NewPayeeRule,
    NightRule,
    Rules,
    ScamWordsRule,
    SecurityChangeRule,
    UnusualAmountRule,
    VelocityRule,
)
from assistant.bank.risk.types import AUTH_STRENGTHS, STRENGTH_LABELS, Reason, RiskContext, strength_rank
from assistant.base.money import format_cny


def new_payee(ctx: RiskContext, rule: NewPayeeRule) -> Optional[Reason]:
    """A payee never paid before: where most fraud lands."""
    if rule.enabled and ctx.to_payee and ctx.payee_new and ctx.amount_cents >= rule.floor_cents:
        return Reason("new_payee", "首次向该收款人转账")
    return None


def dormant_payee(ctx: RiskContext, rule: DormantPayeeRule) -> Optional[Reason]:
    """A payee paid before, but not for ``rule.days`` days: an old account may have changed hands."""
    days = ctx.days_since_last_paid
    if rule.enabled and ctx.to_payee and not ctx.payee_new and days is not None and days >= rule.days:
        return Reason("dormant_payee", f"已有{days}天未向该收款人转账")
    return None


def large_amount(ctx: RiskContext, rule: LargeAmountRule) -> Optional[Reason]:
    """A large amount (also a large card repayment): the ledger always asked a code for these."""
    if rule.enabled and (ctx.to_payee or ctx.kind == "repayment") and ctx.amount_cents >= rule.from_cents:
        return Reason("large_amount", f"单笔金额达到{format_cny(rule.from_cents)}及以上")
    return None


def unusual_amount(ctx: RiskContext, rule: UnusualAmountRule) -> Optional[Reason]:
    """Far above the customer's own usual transfer (median of 90 days), once there is a history."""
    usual = ctx.usual_amount_cents
    if not (rule.enabled and ctx.to_payee and usual and ctx.transfers_90d >= rule.min_history):
        return None
    if ctx.amount_cents >= rule.floor_cents and ctx.amount_cents > rule.multiple * usual:
        return Reason("unusual_amount", f"金额远高于您平时的转账（近90天通常约{format_cny(usual)}）")
    return None


def velocity(ctx: RiskContext, rule: VelocityRule) -> Optional[Reason]:
    """Many transfers or much money in an hour or a day, this one included; sums count only with an
    earlier transfer in the window (one large transfer is the amount signals' business). A transfer
    below ``floor_cents`` is no sign however busy the day (the sixth ¥20 of a shared dinner)."""
    if not (rule.enabled and ctx.to_payee and ctx.amount_cents >= rule.floor_cents):
        return None
    hour_count, day_count = ctx.count_last_hour + 1, ctx.count_last_day + 1
    hour_sum = ctx.sum_last_hour_cents + ctx.amount_cents
    day_sum = ctx.sum_last_day_cents + ctx.amount_cents
    if hour_count > rule.max_count_hour:
        return Reason("velocity", f"1小时内已转账{ctx.count_last_hour}笔")
    if ctx.sum_last_hour_cents and hour_sum > rule.max_sum_hour_cents:
        return Reason("velocity", f"1小时内累计转出{format_cny(hour_sum)}")
    if day_count > rule.max_count_day:
        return Reason("velocity", f"24小时内已转账{ctx.count_last_day}笔")
    if ctx.sum_last_day_cents and day_sum > rule.max_sum_day_cents:
        return Reason("velocity", f"24小时内累计转出{format_cny(day_sum)}")
    return None


def night(ctx: RiskContext, rule: NightRule) -> Optional[Reason]:
    """Late at night on the bank's clock (``from_hour``-``to_hour`` inclusive, may wrap midnight)."""
    if not (rule.enabled and ctx.to_payee and ctx.amount_cents >= rule.floor_cents):
        return None
    hour = ctx.local_hour
    inside = (
        rule.from_hour <= hour <= rule.to_hour
        if rule.from_hour <= rule.to_hour
        else hour >= rule.from_hour or hour <= rule.to_hour
    )
    if inside:
        return Reason("night", f"深夜时段（{rule.from_hour}点至{rule.to_hour}点59分）转账")
    return None


def after_security_change(ctx: RiskContext, rule: SecurityChangeRule) -> Tuple[Reason, ...]:
    """Recent password reset, new device, or payee added: one reason per change within the window.
    A payee added recently counts only once it was already paid since (a small test, then the big
    one); for a payee never paid, ``new_payee`` already says it."""
    if not (rule.enabled and ctx.to_payee and ctx.amount_cents >= rule.floor_cents):
        return ()
    within = rule.within_minutes
    hours = max(1, round(within / 60))
    found: List[Reason] = []
    if ctx.minutes_since_password_reset is not None and ctx.minutes_since_password_reset <= within:
        found.append(Reason("after_password_reset", f"{hours}小时内刚重置过登录密码"))
    if ctx.minutes_since_new_device is not None and ctx.minutes_since_new_device <= within:
        found.append(Reason("after_new_device", f"{hours}小时内刚在新设备上登录"))
    added = ctx.payee_added_minutes_ago
    if added is not None and added <= within and not ctx.payee_new:
        found.append(Reason("after_payee_added", f"收款人是{hours}小时内刚添加的"))
    return tuple(found)


def security_weight(reason: Reason, rule: SecurityChangeRule) -> int:
    """The weight of one ``after_security_change`` reason, by the kind of change."""
    return {
        "after_password_reset": rule.weight_password_reset,
        "after_new_device": rule.weight_new_device,
        "after_payee_added": rule.weight_payee_added,
    }.get(reason.code, 0)


def drained_account(ctx: RiskContext, rule: DrainedAccountRule) -> Optional[Reason]:
    """Most of the source account's balance in one go: what a scammer asks for."""
    if not (rule.enabled and ctx.to_payee and ctx.balance_cents > 0 and ctx.amount_cents >= rule.floor_cents):
        return None
    if ctx.amount_cents >= rule.share * ctx.balance_cents:
        share = min(100, round(100 * ctx.amount_cents / ctx.balance_cents))
        return Reason("drained_account", f"一次转出账户余额的{share}%")
    return None


def scam_words(ctx: RiskContext, rule: ScamWordsRule) -> Optional[Reason]:
    """Scam phrases the customer wrote in the conversation lately (read by ``build_context``)."""
    if rule.enabled and ctx.to_payee and ctx.scam_phrases:
        said = "、".join(f"“{p}”" for p in ctx.scam_phrases[:4])
        return Reason("scam_words", f"近{rule.within_hours}小时的对话中出现{said}等诈骗常见说法")
    return None


@dataclass(frozen=True)
class LimitCheck:
    """A transfer over the limits of the strength it is judged at: ``outcome`` "code" when a verified
    SMS code would lift this one transfer within the limits, else "block"."""

    reason: Reason
    outcome: str


def over_limit(ctx: RiskContext, rules: Rules) -> Optional[LimitCheck]:
    """The adaptive limits (to third parties only): per transfer, then per bank day."""
    if not ctx.to_payee:
        return None
    strength = AUTH_STRENGTHS[strength_rank(ctx.assurance.effective_strength)]
    limit = rules.limits.of(strength)
    sent = ctx.sent_today_cents
    single = ctx.amount_cents > limit.per_transfer_cents
    if not single and sent + ctx.amount_cents <= limit.daily_cents:
        return None
    label = STRENGTH_LABELS[strength]
    needed = weakest_allowing(ctx.amount_cents, sent, rules)
    if needed is None:
        top = rules.limits.of(AUTH_STRENGTHS[-1])
        if ctx.amount_cents > top.per_transfer_cents:
            text = f"手机银行单笔最多可转{format_cny(top.per_transfer_cents)}，更大金额请本人携带身份证到网点柜台办理"
        else:
            text = (
                f"今日已转{format_cny(sent)}，再转将超过手机银行每日最高限额{format_cny(top.daily_cents)}，"
                "请明天再转或到网点柜台办理"
            )
        return LimitCheck(Reason("over_max_limit", text), "block")
    current = (
        f"当前登录方式（{label}）单笔最多可转{format_cny(limit.per_transfer_cents)}"
        if single
        else f"当前登录方式（{label}）每日最多可转{format_cny(limit.daily_cents)}（今日已转{format_cny(sent)}）"
    )
    if needed == "sms":
        sms = rules.limits.of("sms")
        lifted = (
            f"本笔最多可转{format_cny(sms.per_transfer_cents)}"
            if single
            else f"每日最多可转{format_cny(sms.daily_cents)}"
        )
        return LimitCheck(Reason("over_limit_code", f"{current}，完成短信验证后{lifted}"), "code")
    return LimitCheck(Reason("over_limit", f"{current}；使用{STRENGTH_LABELS[needed]}登录后可提高限额"), "block")


__all__ = [
    "LimitCheck",
    "after_security_change",
    "dormant_payee",
    "drained_account",
    "large_amount",
    "new_payee",
    "night",
    "over_limit",
    "scam_words",
    "security_weight",
    "unusual_amount",
    "velocity",
]
