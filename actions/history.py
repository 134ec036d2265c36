"""Transaction queries: "上个月的流水", "上周在超市的消费", "给张三转了哪几笔"."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import account_from_entity, bank, customer_id, last_entity, time_range
from assistant.base import clock
from assistant.base.money import format_cny

SHOWN = 10


def period_label(start: date, end: date) -> str:
    return (
        f"{start.month}月{start.day}日至{end.month}月{end.day}日" if start != end else f"{start.month}月{start.day}日"
    )


class ActionQueryTransactions(Action):
    def name(self) -> str:
        return "action_query_transactions"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        customer = customer_id(tracker)
        payee = last_entity(tracker, "payee")
        # Without a period: the last 30 days, or the whole history when asking about one person.
        today = clock.local_today()
        default_start = None if payee else today - timedelta(days=29)
        start, end = time_range(tracker) or (default_start, today)
        filters: Dict[str, Any] = {"start": start, "end": end, "size": SHOWN}
        described = [period_label(start, end) if start else "全部记录中"]
        if payee:
            resolved = bank().resolve_payee(customer, str(payee.get("value")))
            filters["counterparty"] = resolved.name if resolved else str(payee.get("value"))
            described.append(f"与{filters['counterparty']}相关")
        category = last_entity(tracker, "category")
        if category:
            filters["category"] = category.get("value")
            described.append(f"{category.get('value')}类")
        account = last_entity(tracker, "account")
        if account:
            found = account_from_entity(customer, tracker, account)
            if found:
                filters["account_id"] = found.id
                described.append(found.label)
        page = bank().history(customer, **filters)
        what = "，".join(described)
        if page.total == 0:
            dispatcher.utter_message(text=f"{what}没有查到交易记录。")
            return []
        lines = [
            f"{what}共{page.total}笔交易，支出{format_cny(page.spent_cents)}，收入{format_cny(page.received_cents)}。"
            + (f"最近{SHOWN}笔：" if page.total > SHOWN else "")
        ]
        for item in page.items:
            when = item["posted_at"][5:10].replace("-", "月", 1) + "日"
            lines.append(
                f"{when} {item['counterparty'] or item['memo']} {item['amount']}（尾号{item['account_last4']}）"
            )
        dispatcher.utter_message(
            text="\n".join(lines),
            json_message={
                "type": "transactions",
                "start": start.isoformat() if start else None,
                "end": end.isoformat(),
                "total": page.total,
                "spent_cents": page.spent_cents,
                "received_cents": page.received_cents,
                "items": page.items,
            },
        )
        return []
