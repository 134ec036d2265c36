"""What a risk decision is made on and what it says: plain frozen values, no database, no rules.

Reasons carry their own Chinese text so that the audit table, the back office and the customer all
read the same words; ``RiskDecision.customer_text`` turns a decision into the one sentence the
conversation shows (why, and what would make the transfer possible)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Dict, Iterable, Optional, Tuple

# Authentication strengths of a login (the token) or of one transfer, weakest first.
AUTH_STRENGTHS: Tuple[str, ...] = ("password", "sms", "device_key")
STRENGTH_LABELS: Dict[str, str] = {"password": "仅密码", "sms": "短信验证", "device_key": "设备密钥"}
ACTIONS: Tuple[str, ...] = ("allow", "step_up", "hold", "block")  # mildest first
KINDS: Tuple[str, ...] = ("transfer", "repayment")

# Reason codes of the limits: the customer_text of a decision with one of them is the reason itself.
LIMIT_CODES = frozenset({"over_limit_code", "over_limit", "over_max_limit"})


def strength_rank(strength: str) -> int:
    """Position in AUTH_STRENGTHS; an unknown strength counts as the weakest (never as stronger)."""
    return AUTH_STRENGTHS.index(strength) if strength in AUTH_STRENGTHS else 0


@dataclass(frozen=True)
class Reason:
    """One signal that fired: a stable code for programs, plain Simplified Chinese for people."""

    code: str
    text: str

    def to_json(self) -> Dict[str, str]:
        return {"code": self.code, "text": self.text}


@dataclass(frozen=True)
class Assurance:
    """What the customer proved for this one transfer: the login's strength (from the token), a
    verified SMS code (raises the strength to at least "sms" for this transfer only), and whether
    they acknowledged the anti-fraud warning in words."""

    strength: str = "password"
    code_verified: bool = False
    warning_acknowledged: bool = False

    @property
    def effective_strength(self) -> str:
        """The strength this transfer is judged at: the login's, raised to "sms" by a verified code."""
        rank = strength_rank(self.strength)
        if self.code_verified:
            rank = max(rank, AUTH_STRENGTHS.index("sms"))
        return AUTH_STRENGTHS[rank]


@dataclass(frozen=True)
class RiskContext:
    """Everything a decision needs about one money movement, read from the database beforehand
    (``context.build_context``) so that ``engine.decide`` stays pure. Counts and sums of earlier
    movements exclude this one; money in cents; hours in the bank's zone."""

    customer_id: str
    kind: str  # transfer | repayment
    amount_cents: int
    to_payee: bool = True  # to a third party, not between the customer's own accounts
    payee_new: bool = False  # never paid before
    days_since_last_paid: Optional[int] = None
    payee_added_minutes_ago: Optional[float] = None
    usual_amount_cents: Optional[int] = None  # median of outgoing transfers to others in 90 days
    transfers_90d: int = 0
    count_last_hour: int = 0
    sum_last_hour_cents: int = 0
    count_last_day: int = 0
    sum_last_day_cents: int = 0
    local_hour: int = 12  # 0-23 on the bank's wall clock
    minutes_since_password_reset: Optional[float] = None
    minutes_since_new_device: Optional[float] = None
    balance_cents: int = 0  # of the source account, before this movement
    scam_phrases: Tuple[str, ...] = ()  # canonical phrases the customer wrote in the last hours
    assurance: Assurance = Assurance()
    # Added beyond the agreed interface (defaults keep it compatible):
    sent_today_cents: int = 0  # sent to others on the bank's calendar day (the daily limit's measure)
    recipient: str = ""  # masked label for the audit trail, e.g. 张*（工商银行 尾号1234）


@dataclass(frozen=True)
class RiskDecision:
    """The outcome for one movement. ``needs_code`` / ``needs_warning`` are the steps still missing
    (a satisfied step is not repeated); ``warning`` is the anti-fraud text the customer must
    acknowledge when ``needs_warning``; the limits are those of the strength the transfer was judged at."""

    action: str  # allow | step_up | hold | block
    reasons: Tuple[Reason, ...] = ()
    needs_code: bool = False
    needs_warning: bool = False
    limit_cents: Optional[int] = None
    daily_limit_cents: Optional[int] = None
    rules_version: str = ""
    warning: str = ""

    @property
    def codes(self) -> Tuple[str, ...]:
        return tuple(r.code for r in self.reasons)

    def to_json(self) -> Dict[str, Any]:
        return {
            "action": self.action,
            "reasons": [r.to_json() for r in self.reasons],
            "needs_code": self.needs_code,
            "needs_warning": self.needs_warning,
            "warning": self.warning,
            "limit_cents": self.limit_cents,
            "daily_limit_cents": self.daily_limit_cents,
            "rules_version": self.rules_version,
            "customer_text": self.customer_text(),
        }

    def customer_text(self) -> str:
        """One plain sentence for the customer: why, and what would make the transfer possible."""
        limits = [r.text for r in self.reasons if r.code in LIMIT_CODES]
        others = [r.text for r in self.reasons if r.code not in LIMIT_CODES]
        why = "、".join(others[:3]) + ("等" if len(others) > 3 else "")
        if self.action == "block":
            if limits:
                return f"{limits[0]}。"
            return f"因{why or '风险较高'}，这笔转账已被拦截；如确需办理，请本人携带身份证到网点柜台办理。"
        if self.action == "hold":
            return (
                f"因{why or '存在风险'}，这笔转账已暂缓执行，资金已为您预留；"
                "银行工作人员核实后会在对话中通知您结果，您也可以联系客服取消。"
            )
        if self.action == "step_up":
            if self.needs_warning:
                steps = "回复“我已知晓风险，确认是本人自愿转账”" + ("并完成短信验证" if self.needs_code else "")
                return f"{self.warning or '这笔转账有诈骗风险。'}如确认收款人是您本人核实过的，请{steps}后继续。"
            if limits:  # the limit's own words already say that the SMS code lifts it
                return f"{limits[0]}。"
            return f"因{why}，需要先完成短信验证码验证才能办理。"
        return "这笔转账未发现异常，可以办理。"


def reasons_json(reasons: Iterable[Reason]) -> str:
    """Reasons as stored in the audit and held-transfer tables (JSON, Chinese kept readable)."""
    return json.dumps([r.to_json() for r in reasons], ensure_ascii=False)


def parse_reasons(text: str) -> Tuple[Reason, ...]:
    """The reasons of ``reasons_json``; anything unreadable gives none rather than an error."""
    try:
        items = json.loads(text or "[]")
    except ValueError:
        return ()
    if not isinstance(items, list):
        return ()
    return tuple(
        Reason(str(i.get("code", "")), str(i.get("text", ""))) for i in items if isinstance(i, dict) and i.get("code")
    )


__all__ = [
    "ACTIONS",
    "AUTH_STRENGTHS",
    "KINDS",
    "LIMIT_CODES",
    "STRENGTH_LABELS",
    "Assurance",
    "Reason",
    "RiskContext",
    "RiskDecision",
    "parse_reasons",
    "reasons_json",
    "strength_rank",
]
