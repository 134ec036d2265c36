"""Transfers: to a saved payee (by name or alias) or between the customer's own accounts."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import (
    account_from_entity,
    amount_cents,
    bank,
    customer_id,
    entities,
    entity_text,
    is_destination,
    last_entity,
    latest_text,
)
from actions.summaries import summary_data
from actions.task_form import (
    CONFIRM_BUTTONS,
    AskCode,
    AskWarning,
    SubmitTask,
    TaskFormValidation,
    assurance_of,
    code_reason,
    confirmation_text,
    held_text,
    sentence,
)
from assistant.bank.protocol import request_parties
from assistant.bank.types import BankError, TransferQuote
from assistant.base.money import format_cny

NAMED_RECIPIENT = re.compile(r"(?:转给|汇给|打给|转账给|给|向)([\u4e00-\u9fff]{1,4}?)(?:转|汇|打钱|打)")
NOT_NAMES = {"我", "你", "他", "她", "自己", "本人", "我自己", "别人", "人", "谁"}
AMOUNT_REFUSALS = {"single_limit", "daily_limit", "insufficient_funds", "invalid_amount", "over_repayment"}
TRANSFER_SLOTS = ("transfer_payee", "transfer_to_account", "transfer_amount", "transfer_from")
TRANSFER_STEPS = ("transfer_code", "transfer_warning")


def _amount_yuan(cents: int) -> float:
    return round(cents / 100, 2)


def transfer_cents(slots: Dict[str, Any]) -> int:
    """The amount of the details in ``slots`` in cents (BankError when there is none to send)."""
    cents = amount_cents(slots.get("transfer_amount"))
    if cents is None:
        raise BankError("invalid_amount", "转账金额必须大于零")
    return cents


def transfer_quote(tracker: Tracker, slots: Dict[str, Any]) -> TransferQuote:
    """The quote for the details in ``slots`` (raises BankError when they cannot go ahead), with its risk
    decision for what the customer proved so far (the token's strength, the code and warning slots)."""
    return bank().quote_request(
        customer_id(tracker),
        transfer_cents(slots),
        slots.get("transfer_from"),
        payee=slots.get("transfer_payee"),
        to_last4=slots.get("transfer_to_account"),
        assurance=assurance_of(tracker, slots, "transfer"),
    )


class ValidateTransferForm(TaskFormValidation):
    prefix = "transfer"
    kind = "transfer"
    warning_step = True

    def detail_slots(self, slots: Dict[str, Any]) -> List[str]:
        recipient = "transfer_to_account" if slots.get("transfer_to_account") else "transfer_payee"
        return [recipient, "transfer_amount", "transfer_from"]

    def extra_detail_slots(self) -> List[str]:
        return ["transfer_to_account"]

    def extract_details(self, tracker: Tracker, slots: Dict[str, Any]) -> Dict[str, Any]:
        new: Dict[str, Any] = {}
        payee = last_entity(tracker, "payee")
        said = NAMED_RECIPIENT.search(latest_text(tracker))
        if payee:
            new["transfer_payee"] = str(payee.get("value") or entity_text(tracker, payee))
        elif said and said.group(1) not in NOT_NAMES:
            new["transfer_payee"] = said.group(1)  # "给小明转": a name the NLU did not tag is still an answer
        elif tracker.get_slot("requested_slot") == "transfer_payee":
            reply = latest_text(tracker).strip(" 。.!！吧呀啊")
            if reply and bank().resolve_payee(customer_id(tracker), reply):
                new["transfer_payee"] = reply
        amount = last_entity(tracker, "amount")
        if amount:
            new["transfer_amount"] = amount.get("value")
        for entity in entities(tracker, "account"):
            new["transfer_to_account" if is_destination(tracker, entity) else "transfer_from"] = entity
        return new

    def validate_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slots: Dict[str, Any], new: Dict[str, Any]
    ) -> Dict[str, Any]:
        customer = customer_id(tracker)
        out: Dict[str, Any] = {}
        if "transfer_payee" in new:
            payee = bank().resolve_payee(customer, new["transfer_payee"])
            if payee is None:
                saved = "、".join(p.name for p in bank().payees(customer))
                more = f"已保存的收款人：{saved}。请说出其中一位，或先在 App 中添加收款人。" if saved else ""
                dispatcher.utter_message(text=f"您的收款人中没有“{new['transfer_payee']}”。{more}")
                out["transfer_payee"] = None
            else:
                out["transfer_payee"], out["transfer_to_account"] = payee.name, None
        for key in ("transfer_from", "transfer_to_account"):
            if key in new:
                account = account_from_entity(customer, tracker, new[key])
                if account is None or account.kind != "debit":
                    what = "付款" if key == "transfer_from" else "收款"
                    dispatcher.utter_message(text=f"没有找到可以{what}的储蓄卡账户，请说出卡号后四位，比如“尾号6688”。")
                    out[key] = None
                else:
                    out[key] = account.last4
                    if key == "transfer_to_account":
                        out["transfer_payee"] = None
        if "transfer_amount" in new:
            out["transfer_amount"] = self._checked_amount(dispatcher, tracker, {**slots, **out}, new["transfer_amount"])
        return out

    def _checked_amount(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slots: Dict[str, Any], value: Any
    ) -> Optional[float]:
        cents = amount_cents(value)
        if cents is None:
            dispatcher.utter_message(text="这个金额无法转账（需大于零且在限额以内），请重新告诉我金额。")
            return None
        slots = {**slots, "transfer_amount": _amount_yuan(cents)}
        if not slots.get("transfer_from"):
            slots.update(self.defaults(tracker, slots))
        if slots.get("transfer_payee") or slots.get("transfer_to_account"):
            try:
                transfer_quote(tracker, slots)
            except BankError as err:
                if err.code == "risk_blocked":  # e.g. over what any login may send: the decision says why
                    dispatcher.utter_message(text=f"抱歉，{sentence(err.message)}。您可以换一个金额，或说“取消”。")
                    return None
                if err.code in AMOUNT_REFUSALS:
                    dispatcher.utter_message(
                        text=f"抱歉，{err.message}，无法转账{format_cny(cents)}。您可以换一个金额，或说“取消”。"
                    )
                    return None
        return _amount_yuan(cents)

    def defaults(self, tracker: Tracker, slots: Dict[str, Any]) -> Dict[str, Any]:
        primary = bank().primary_account(customer_id(tracker))
        return {"transfer_from": primary.last4 if primary else None}

    def needs_code(self, tracker: Tracker, slots: Dict[str, Any]) -> bool:
        return transfer_quote(tracker, slots).needs_code

    def steps(self, tracker: Tracker, slots: Dict[str, Any]) -> Tuple[bool, bool]:
        q = transfer_quote(tracker, slots)
        return q.needs_code, q.needs_warning


def summary_text(q: TransferQuote) -> str:
    return confirmation_text(
        "转账",
        [
            f"收款方：{q.recipient_label}",
            f"金额：{format_cny(q.amount_cents)}",
            f"付款账户：{q.from_account.label}",
            f"手续费：{format_cny(q.fee_cents)}",
        ],
        code_reason(q, q.first_time),
        q.risk.warning if q.needs_warning and q.risk is not None else "",
    )


def form_slots(tracker: Tracker) -> Dict[str, Any]:
    """The request's details and the steps passed so far, as the tracker holds them."""
    return {s: tracker.get_slot(s) for s in (*TRANSFER_SLOTS, *TRANSFER_STEPS)}


class ActionAskTransferConfirmed(Action):
    def name(self) -> str:
        return "action_ask_transfer_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        try:
            q = transfer_quote(tracker, form_slots(tracker))
        except BankError as err:
            dispatcher.utter_message(text=f"抱歉，{sentence(err.message)}。请修改后再确认，或说“取消”。")
            return []
        dispatcher.utter_message(
            text=summary_text(q),
            buttons=CONFIRM_BUTTONS,
            json_message={**q.to_json(), **summary_data("transfer", tracker.get_slot("transfer_key"))},
        )
        return []


class ActionAskTransferPayee(Action):
    def name(self) -> str:
        return "action_ask_transfer_payee"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        payees = bank().payees(customer_id(tracker))
        if not payees:
            dispatcher.utter_message(
                text="您还没有保存的收款人，请先在 App“转账-收款人管理”中添加。想转到本人其他账户请说“转到尾号xxxx”。"
            )
            return []
        buttons = [{"title": p.name, "payload": p.name} for p in payees[:9]]
        dispatcher.utter_message(text="请问要转给谁？", buttons=buttons)
        return []


class ActionAskTransferCode(AskCode):
    prefix = "transfer"
    kind = "transfer"

    def what(self, tracker: Tracker) -> str:
        to = tracker.get_slot("transfer_payee") or f"本人尾号{tracker.get_slot('transfer_to_account')}"
        cents = amount_cents(tracker.get_slot("transfer_amount")) or 0
        return f"向{to}转账{format_cny(cents)}"


class ActionAskTransferWarning(AskWarning):
    prefix = "transfer"
    what = "转账"

    def quote(self, tracker: Tracker) -> TransferQuote:
        return transfer_quote(tracker, form_slots(tracker))


class ActionSubmitTransfer(SubmitTask):
    prefix = "transfer"
    what = "转账"

    def slot_names(self) -> List[str]:
        return ValidateTransferForm().all_slots()

    def execute(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """The bank checks everything again when it executes (the fixed rules, then a risk decision that
        is recorded), so no quote goes first: its refusals are the execution's own."""
        slots = {s: tracker.get_slot(s) for s in self.slot_names()}
        customer = customer_id(tracker)
        cents = transfer_cents(slots)
        source, target, payee = request_parties(
            bank().accounts(customer),
            slots.get("transfer_from"),
            slots.get("transfer_to_account"),
            slots.get("transfer_payee"),
            lambda said: bank().resolve_payee(customer, said),
        )
        receipt = bank().execute_transfer(
            customer,
            slots["transfer_key"],
            source.id,
            cents,
            payee_id=payee.id if payee else None,
            to_account_id=target.id if target else None,
            assurance=assurance_of(tracker, slots, "transfer"),
        )
        if not receipt.completed:  # held for review: reserved, not sent; the back office decides
            dispatcher.utter_message(
                text=held_text("转账", list(receipt.reasons), receipt.status), json_message=receipt.to_json()
            )
            return
        balance = format_cny(receipt.from_account.balance_cents)
        dispatcher.utter_message(
            text=f"转账成功！已向{receipt.recipient_label}转账{format_cny(receipt.amount_cents)}。\n"
            f"{receipt.from_account.label}当前余额：{balance}。",
            json_message=receipt.to_json(),
        )
