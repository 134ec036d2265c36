"""Balance lookup."""
from __future__ import annotations

from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions.common import customer_id, db
from assistant.bank.accounts import account_json, accounts_of, balance_line


class ActionCheckBalance(Action):
    def name(self) -> Text:
        return "action_check_balance"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[Dict[Text, Any]]:
        with db() as session:
            accounts = accounts_of(session, customer_id(tracker))
            lines = [balance_line(a) for a in accounts]
            data = {"type": "balance", "accounts": [account_json(a) for a in accounts]}
        if not accounts:
            dispatcher.utter_message(text="没有查到您名下的账户，如有疑问请联系人工客服。")
            return []
        dispatcher.utter_message(text="您的账户情况如下：\n" + "\n".join(lines), json_message=data)
        return []
