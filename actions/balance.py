"""Balance lookup: all accounts, or the one asked for (工资卡, 尾号1024, 信用卡还能刷多少)."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import bank, customer_id, entity_text, last_entity
from assistant.bank.types import AccountView
from assistant.base.money import format_cny


def balance_line(account: AccountView) -> str:
    if account.kind == "credit":
        return (
            f"{account.label}：可用额度{format_cny(account.available_credit_cents)}"
            f"（总额度{format_cny(account.credit_limit_cents)}）"
        )
    frozen = "（已冻结）" if account.status == "frozen" else ""
    return f"{account.label}{frozen}：余额{format_cny(account.balance_cents)}"


def asked_accounts(tracker: Tracker, accounts: List[AccountView]) -> List[AccountView]:
    found = last_entity(tracker, "account")
    if not found or not isinstance(found.get("value"), dict):
        return accounts
    value, said = found["value"], entity_text(tracker, found)
    if value.get("last4"):
        return [a for a in accounts if a.last4 == value["last4"]]
    named = [a for a in accounts if a.nickname and a.nickname == said]
    return named or [a for a in accounts if a.kind == value.get("type")]


class ActionCheckBalance(Action):
    def name(self) -> str:
        return "action_check_balance"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        accounts = bank().accounts(customer_id(tracker))
        if not accounts:
            dispatcher.utter_message(text="没有查到您名下的账户，如有疑问请联系人工客服。")
            return []
        chosen = asked_accounts(tracker, accounts)
        if not chosen:
            dispatcher.utter_message(
                text="没有找到您说的这张卡。您名下的账户有：" + "、".join(a.label for a in accounts) + "。"
            )
            return []
        head = "您的账户情况如下：\n" if len(chosen) > 1 else ""
        dispatcher.utter_message(
            text=head + "\n".join(balance_line(a) for a in chosen),
            json_message={"type": "balance", "accounts": [a.to_json() for a in chosen]},
        )
        return []
