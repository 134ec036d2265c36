"""The customer-facing words for what already happened: a retried 确认, a 确认 with nothing
pending, "刚才那笔成功了吗". Always the ledger's answer, never a re-quote."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import bank, customer_id, customer_words
from actions.summaries import last_summary_key, summary_key_said
from assistant.bank.outcomes import Outcome
from assistant.base import clock
from assistant.base.money import format_cny

WHAT = {"transfer": "转账", "repayment": "还款"}
# "刚才那笔成功了吗", "我刚转的钱到了吗": a question about the customer's own latest money movement
# (a money word is required: "刚办的挂失办好了吗" or "刚才问的你明白了吗" are other questions).
ASKS_LATEST = re.compile(
    r"(刚才|刚刚|方才|上一笔|最近一笔|刚转|刚还|刚办|刚付)[^，,。？?！!]{0,8}"
    r"(成功|到账|到了|到没|好了|完成|办好|转过去|转出去|了吗|了没)"
)
MONEY_WORD = re.compile(r"笔|钱|转|还款|还的|汇|付款|款")
LATEST_BUTTONS = [
    {"title": "查看交易明细", "payload": "/query_transactions"},
    {"title": "转人工客服", "payload": "/human_agent"},
]


def describe(outcome: Outcome, retry: bool = True) -> str:
    """ "这笔转账已于 10:32 成功，¥100.00 转给张三（…）。" — from the stored record only, on the bank's
    wall clock (the record is UTC; "today" is the customer's)."""
    if outcome.card is not None:
        return f"这笔挂失已办理成功：{outcome.card.label}已冻结，资金未发生其他变动。"
    receipt = outcome.receipt
    assert receipt is not None
    at = clock.to_local(receipt.created_at) if receipt.created_at else None
    when = (
        (f"已于 {at:%H:%M} " if at.date() == clock.local_today() else f"已于 {at.month}月{at.day}日 {at:%H:%M} ")
        if at
        else "已"
    )
    verb = "还款到" if receipt.kind == "repayment" else "转给"
    what = WHAT.get(receipt.kind, "转账")
    amount = format_cny(receipt.amount_cents)
    if receipt.status == "held":  # reserved for the back office's review: nothing moved yet
        return (
            f"这笔{what}{amount}{verb}{receipt.recipient_label}正在人工复核中，款项已冻结、暂未转出；"
            "复核结果会在这里通知您。" + ("无需重复操作。" if retry else "")
        )
    if receipt.status == "cancelled":
        return f"这笔{what}{amount}{verb}{receipt.recipient_label}已在复核后取消，款项未转出，冻结金额已释放。"
    return (
        f"这笔{WHAT.get(receipt.kind, '转账')}{when}成功，{format_cny(receipt.amount_cents)}{verb}"
        f"{receipt.recipient_label}，从{receipt.from_account.label}付款。" + ("无需重复操作。" if retry else "")
    )


def outcome_text(customer: str, key: Optional[str], freeze: bool = True) -> Optional[str]:
    """The stored outcome of the request with ``key``; None when it did not run. ``freeze=False``
    looks at money movements only (the transfer and repayment forms ask on every turn)."""
    if not key:
        return None
    done = bank().outcome(customer, key, freeze)
    return describe(done) if done is not None else None


class ActionAffirmNothingPending(Action):
    """确认 with no form open: usually a retry whose reply was lost. Say what became of it."""

    def name(self) -> str:
        return "action_affirm_nothing_pending"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = outcome_text(customer_id(tracker), summary_key_said(tracker) or last_summary_key(tracker))
        dispatcher.utter_message(text=text or "好的。还有什么可以帮您？")
        return []


def latest_outcome_reply(dispatcher: CollectingDispatcher, tracker: Tracker) -> bool:
    """Answer "刚才那笔成功了吗" from the ledger; False when the message asks something else."""
    words = customer_words(tracker)
    if not ASKS_LATEST.search(words) or not MONEY_WORD.search(words) or "挂失" in words:
        return False
    done = bank().latest_outcome(customer_id(tracker))
    text = (
        describe(done, retry=False) if done is not None else "没有查到您最近通过助手办理的转账或还款，资金未发生变动。"
    )
    dispatcher.utter_message(
        text=text,
        buttons=LATEST_BUTTONS,
        json_message={"type": "latest_outcome", "receipt": done.receipt.to_json() if done and done.receipt else None},
    )
    return True
