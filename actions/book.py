"""Voice bookkeeping: record expenses and income, edit or delete the last record, summarize by category."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    amount_cents,
    bank,
    customer_id,
    entity_text,
    last_entity,
    latest_intent,
    latest_text,
    time_range,
)
from actions.history import period_label
from actions.task_form import optional_int
from assistant.bank.book import by_category
from assistant.bank.types import BankError, BookEntry
from assistant.base import clock
from assistant.base.money import format_cny

REFERS_TO_RECORD = re.compile(r"那笔|刚才|刚刚|上一笔|记的|这笔|上笔")
INCOME_WORDS = re.compile(r"收入|赚|挣|进账|到账")


def describe(e: BookEntry) -> str:
    what = "收入" if e.direction == "income" else "支出"
    note = f"（{e.note}）" if e.note and e.note != e.category else ""
    return f"{e.occurred_on.month}月{e.occurred_on.day}日 {e.category}{note}{what}{format_cny(e.amount_cents)}"


class ActionRecordBook(Action):
    def name(self) -> str:
        return "action_record_book"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        income = latest_intent(tracker) == "record_income"
        amount = last_entity(tracker, "amount")
        cents = amount_cents(amount.get("value")) if amount else None
        if cents is None:
            example = "今天发工资八千" if income else "午饭花了三十五"
            dispatcher.utter_message(text=f"请告诉我金额，比如“{example}”。")
            return []
        category = last_entity(tracker, "category")
        span = time_range(tracker)
        try:
            entry = bank().book_add(
                customer_id(tracker),
                "income" if income else "expense",
                cents,
                category.get("value") if category else ("其他收入" if income else "其他"),
                span[0] if span else clock.local_today(),
                entity_text(tracker, category) if category else "",
            )
        except BankError as err:
            dispatcher.utter_message(text=err.message)
            return []
        dispatcher.utter_message(
            text=f"已记账：{describe(entry)}。\n说“刚才那笔改成四十五”可以修改，说“删掉刚才那笔”可以删除。",
            json_message={"type": "book_record", "record": entry.to_json()},
        )
        return [SlotSet("last_book_record", float(entry.id))]


class ActionHandleInform(Action):
    """A bare detail outside any form: most often a correction of the last bookkeeping record."""

    def name(self) -> str:
        return "action_handle_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        amount = last_entity(tracker, "amount")
        category = last_entity(tracker, "category")
        if REFERS_TO_RECORD.search(latest_text(tracker)) and (amount or category):
            try:
                entry = bank().book_edit_last(
                    customer_id(tracker),
                    amount_cents=amount_cents(amount.get("value")) if amount else None,
                    category=category.get("value") if category else None,
                    record_id=optional_int(tracker.get_slot("last_book_record")),
                )
            except BankError as err:
                dispatcher.utter_message(text=err.message)
                return []
            dispatcher.utter_message(
                text=f"已修改：{describe(entry)}。", json_message={"type": "book_record", "record": entry.to_json()}
            )
            return []
        dispatcher.utter_message(response="utter_what_task")
        return []


class ActionHandleCancel(Action):
    """ "算了" with nothing open, or "删掉刚才那笔": delete the last record when that is what was asked."""

    def name(self) -> str:
        return "action_handle_cancel"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        text = latest_text(tracker)
        if re.search(r"删|撤销|撤回", text) and (REFERS_TO_RECORD.search(text) or "记录" in text):
            try:
                entry = bank().book_delete_last(
                    customer_id(tracker), optional_int(tracker.get_slot("last_book_record"))
                )
            except BankError as err:
                dispatcher.utter_message(text=err.message)
                return []
            dispatcher.utter_message(
                text=f"已删除：{describe(entry)}。", json_message={"type": "book_deleted", "record": entry.to_json()}
            )
            return [SlotSet("last_book_record", None)]
        dispatcher.utter_message(text="好的。当前没有正在办理的业务，还有什么可以帮您？")
        return []


class ActionSpendingSummary(Action):
    def name(self) -> str:
        return "action_spending_summary"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        customer = customer_id(tracker)
        today = clock.local_today()
        start, end = time_range(tracker) or (today.replace(day=1), today)
        income = bool(INCOME_WORDS.search(latest_text(tracker)))
        category = last_entity(tracker, "category")
        wanted: Optional[str] = category.get("value") if category else None
        book = by_category(bank().book_records(customer, start, end, direction="income" if income else "expense"))
        accounts = {} if income else bank().spending_by_category(customer, start, end)
        if income:
            page = bank().history(customer, start=start, end=end, size=1)
            accounts = {"账户入账": page.received_cents} if page.received_cents else {}
        totals: Dict[str, int] = {}
        for source in (accounts, book):
            for cat, cents in source.items():
                totals[cat] = totals.get(cat, 0) + cents
        if wanted:
            totals = {wanted: totals.get(wanted, 0)}
        total = sum(totals.values())
        what = "收入" if income else "支出"
        rows = sorted(totals.items(), key=lambda kv: -kv[1])
        data = {
            "type": "spending_summary",
            "direction": "income" if income else "expense",
            "chart": "pie",
            "start": start.isoformat(),
            "end": end.isoformat(),
            "total_cents": total,
            "categories": [
                {
                    "category": c,
                    "amount_cents": v,
                    "amount": format_cny(v),
                    "book_cents": book.get(c, 0),
                    "account_cents": accounts.get(c, 0),
                    "share": round(v / total, 4) if total else 0.0,
                }
                for c, v in rows
            ],
        }
        period = period_label(start, end)
        if wanted:
            text = (
                f"{period}{wanted}{what}{format_cny(total)}"
                f"（银行卡{format_cny(accounts.get(wanted, 0))}，记账本{format_cny(book.get(wanted, 0))}）。"
            )
        elif not total:
            text = f"{period}没有{what}记录。"
        else:
            lines = [
                f"{c} {format_cny(v)}" + (f"（含记账本{format_cny(book[c])}）" if book.get(c) else "") for c, v in rows
            ]
            text = f"{period}共{what}{format_cny(total)}，按类别：\n" + "\n".join(lines)
        dispatcher.utter_message(text=text, json_message=data)
        return []
