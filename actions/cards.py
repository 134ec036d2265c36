"""Credit cards: statement and limit questions, repayment (a confirmed form), and card loss (freeze)."""

from __future__ import annotations

import re
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import account_from_entity, amount_cents, bank, customer_id, entities, last_entity, latest_text
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
from assistant.bank.types import AccountView, BankError, CreditBill, TransferQuote
from assistant.base.money import format_cny


def credit_card(tracker: Tracker, last4: Optional[str] = None) -> Optional[AccountView]:
    customer = customer_id(tracker)
    if last4:
        found = bank().find_account(customer, last4=last4)
        return found if found and found.kind == "credit" else None
    return bank().find_account(customer, kind="credit")


def bill_of(tracker: Tracker, last4: Optional[str] = None) -> Optional[CreditBill]:
    card = credit_card(tracker, last4)
    return bank().credit_bill(customer_id(tracker), card.id) if card else None


def _md(d: Any) -> str:
    return f"{d.month}月{d.day}日" if d else "—"


class ActionCreditCardBill(Action):
    def name(self) -> str:
        return "action_credit_card_bill"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        found = last_entity(tracker, "account")
        last4 = found["value"].get("last4") if found and isinstance(found.get("value"), dict) else None
        bill = bill_of(tracker, last4)
        if bill is None:
            dispatcher.utter_message(text="没有查到您名下的信用卡。")
            return []
        card = bill.account
        dispatcher.utter_message(
            text=(
                f"{card.label}本期账单（{_md(bill.statement_date)}出账）：\n应还金额：{format_cny(bill.statement_cents)}\n"
                f"最低还款：{format_cny(bill.min_payment_cents)}\n到期还款日：{_md(bill.due_date)}\n"
                f"当前总欠款{format_cny(bill.owed_cents)}，可用额度{format_cny(card.available_credit_cents)}。"
            ),
            buttons=[{"title": "立即还款", "payload": "/repay_credit_card"}],
            json_message={
                "type": "credit_bill",
                "card": card.to_json(),
                "statement_cents": bill.statement_cents,
                "min_payment_cents": bill.min_payment_cents,
                "statement_date": bill.statement_date.isoformat() if bill.statement_date else None,
                "due_date": bill.due_date.isoformat() if bill.due_date else None,
            },
        )
        return []


class ActionCreditLimit(Action):
    def name(self) -> str:
        return "action_credit_limit"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        card = credit_card(tracker)
        if card is None:
            dispatcher.utter_message(text="没有查到您名下的信用卡。")
            return []
        dispatcher.utter_message(
            text=(
                f"{card.label}总额度{format_cny(card.credit_limit_cents)}，已用{format_cny(card.balance_cents)}，"
                f"可用额度{format_cny(card.available_credit_cents)}。"
            ),
            json_message={"type": "credit_limit", "card": card.to_json()},
        )
        return []


# ---------------------------------------------------------------------------- repayment
FULL_WORDS = ("全额", "全部", "还清", "都还", "本期账单", "账单金额", "全还")
MIN_WORDS = ("最低", "最少")


class ValidateRepayForm(TaskFormValidation):
    prefix = "repay"
    kind = "repayment"
    warning_step = True

    def detail_slots(self, slots: Dict[str, Any]) -> List[str]:
        return ["repay_card", "repay_amount", "repay_from"]

    def extract_details(self, tracker: Tracker, slots: Dict[str, Any]) -> Dict[str, Any]:
        new: Dict[str, Any] = {}
        text = latest_text(tracker)
        for entity in entities(tracker, "account"):
            value = entity.get("value") if isinstance(entity.get("value"), dict) else {}
            account = account_from_entity(customer_id(tracker), tracker, entity)
            if value.get("type") == "credit" or (account and account.kind == "credit"):
                new["repay_card"] = entity
            else:
                new["repay_from"] = entity
        if any(w in text for w in FULL_WORDS):
            new["repay_amount"] = "full"
        elif any(w in text for w in MIN_WORDS):
            new["repay_amount"] = "min"
        else:
            amount = last_entity(tracker, "amount")
            if amount:
                new["repay_amount"] = amount.get("value")
        return new

    def validate_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slots: Dict[str, Any], new: Dict[str, Any]
    ) -> Dict[str, Any]:
        customer = customer_id(tracker)
        out: Dict[str, Any] = {}
        if "repay_card" in new:
            account = account_from_entity(customer, tracker, new["repay_card"])
            out["repay_card"] = account.last4 if account and account.kind == "credit" else None
        if "repay_from" in new:
            account = account_from_entity(customer, tracker, new["repay_from"])
            if account is None or account.kind != "debit":
                dispatcher.utter_message(text="请用储蓄卡还款，比如“用尾号6688还”。")
                out["repay_from"] = None
            else:
                out["repay_from"] = account.last4
        if "repay_amount" in new:
            card_last4 = (
                out.get("repay_card") or slots.get("repay_card") or self.defaults(tracker, slots).get("repay_card")
            )
            bill = bill_of(tracker, card_last4)
            value = new["repay_amount"]
            cents = (
                (
                    bill.statement_cents
                    if value == "full"
                    else bill.min_payment_cents
                    if value == "min"
                    else amount_cents(value)
                )
                if bill
                else None
            )
            if not cents:
                dispatcher.utter_message(text="还款金额需要大于零，请重新告诉我金额。")
                out["repay_amount"] = None
            elif bill and cents > bill.owed_cents:
                dispatcher.utter_message(text=f"还款金额超过当前欠款{format_cny(bill.owed_cents)}，请重新告诉我金额。")
                out["repay_amount"] = None
            else:
                out["repay_amount"] = round(cents / 100, 2)
        return out

    def defaults(self, tracker: Tracker, slots: Dict[str, Any]) -> Dict[str, Any]:
        card = credit_card(tracker)
        primary = bank().primary_account(customer_id(tracker))
        return {"repay_card": card.last4 if card else None, "repay_from": primary.last4 if primary else None}

    def needs_code(self, tracker: Tracker, slots: Dict[str, Any]) -> bool:
        return repay_quote(tracker, slots).needs_code

    def steps(self, tracker: Tracker, slots: Dict[str, Any]) -> Tuple[bool, bool]:
        q = repay_quote(tracker, slots)
        return q.needs_code, q.needs_warning


REPAY_SLOTS = ("repay_card", "repay_amount", "repay_from", "repay_code", "repay_warning")


def repay_quote(tracker: Tracker, slots: Dict[str, Any]) -> TransferQuote:
    """The repayment's quote, with its risk decision for what the customer proved so far."""
    customer = customer_id(tracker)
    source = bank().find_account(customer, last4=slots.get("repay_from"))
    card = credit_card(tracker, slots.get("repay_card"))
    cents = amount_cents(slots.get("repay_amount"))
    if source is None or card is None or cents is None:
        raise BankError("incomplete", "还款信息不完整")
    return bank().quote_transfer(
        customer,
        source.id,
        cents,
        to_account_id=card.id,
        kind="repayment",
        assurance=assurance_of(tracker, slots, "repay"),
    )


class ActionAskRepayAmount(Action):
    def name(self) -> str:
        return "action_ask_repay_amount"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        bill = bill_of(tracker, tracker.get_slot("repay_card"))
        if bill is None:
            dispatcher.utter_message(text="没有查到您名下的信用卡。说“取消”可以结束。")
            return []
        dispatcher.utter_message(
            text=(
                f"{bill.account.label}本期应还{format_cny(bill.statement_cents)}，最低还款{format_cny(bill.min_payment_cents)}。"
                "请问还多少？可以说“全额”“最低”或具体金额。"
            ),
            buttons=[
                {"title": f"全额 {format_cny(bill.statement_cents)}", "payload": "全额还款"},
                {"title": f"最低 {format_cny(bill.min_payment_cents)}", "payload": "还最低"},
            ],
        )
        return []


class ActionAskRepayConfirmed(Action):
    def name(self) -> str:
        return "action_ask_repay_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        slots = {s: tracker.get_slot(s) for s in REPAY_SLOTS}
        try:
            q = repay_quote(tracker, slots)
        except BankError as err:
            dispatcher.utter_message(text=f"抱歉，{sentence(err.message)}。请修改后再确认，或说“取消”。")
            return []
        text = confirmation_text(
            "还款",
            [
                f"还款信用卡：{q.to_account.label}",
                f"还款金额：{format_cny(q.amount_cents)}",
                f"扣款账户：{q.from_account.label}",
                f"手续费：{format_cny(q.fee_cents)}",
            ],
            code_reason(q),
            q.risk.warning if q.needs_warning and q.risk is not None else "",
        )
        dispatcher.utter_message(
            text=text,
            buttons=CONFIRM_BUTTONS,
            json_message={
                **q.to_json(),
                "type": "repay_summary",
                **summary_data("repay", tracker.get_slot("repay_key")),
            },
        )
        return []


class ActionAskRepayCode(AskCode):
    prefix = "repay"
    kind = "repayment"

    def what(self, tracker: Tracker) -> str:
        return f"信用卡还款{format_cny(amount_cents(tracker.get_slot('repay_amount')) or 0)}"


class ActionAskRepayWarning(AskWarning):
    prefix = "repay"
    what = "还款"

    def quote(self, tracker: Tracker) -> TransferQuote:
        return repay_quote(tracker, {s: tracker.get_slot(s) for s in REPAY_SLOTS})


class ActionSubmitRepay(SubmitTask):
    prefix = "repay"
    what = "还款"

    def slot_names(self) -> List[str]:
        return ValidateRepayForm().all_slots()

    def execute(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        slots = {s: tracker.get_slot(s) for s in self.slot_names()}
        q = repay_quote(tracker, slots)
        assert q.to_account is not None  # a repayment always goes to the customer's card
        receipt = bank().execute_transfer(
            customer_id(tracker),
            slots["repay_key"],
            q.from_account.id,
            q.amount_cents,
            to_account_id=q.to_account.id,
            kind="repayment",
            assurance=assurance_of(tracker, slots, "repay"),
        )
        if not receipt.completed:  # held for review: reserved, not paid; the back office decides
            reasons = [r.text for r in q.risk.reasons] if q.risk is not None else []
            dispatcher.utter_message(text=held_text("还款", reasons, receipt.status), json_message=receipt.to_json())
            return
        card = credit_card(tracker, q.to_account.last4)
        dispatcher.utter_message(
            text=(
                f"还款成功！已从{receipt.from_account.label}向{q.to_account.label}还款{format_cny(receipt.amount_cents)}。\n"
                f"{receipt.from_account.label}余额：{format_cny(receipt.from_account.balance_cents)}；"
                f"信用卡可用额度：{format_cny(card.available_credit_cents if card else 0)}。"
            ),
            json_message=receipt.to_json(),
        )


# ---------------------------------------------------------------------------- card loss
class ValidateCardLossForm(TaskFormValidation):
    prefix = "loss"
    form = "card_loss_form"
    kind = "freeze"

    def detail_slots(self, slots: Dict[str, Any]) -> List[str]:
        return ["loss_card"]

    def extract_details(self, tracker: Tracker, slots: Dict[str, Any]) -> Dict[str, Any]:
        found = last_entity(tracker, "account")
        if found:
            return {"loss_card": found}
        digits = re.search(r"(?<!\d)(\d{4})(?!\d)", latest_text(tracker))
        if digits and tracker.get_slot("requested_slot") == "loss_card":
            return {"loss_card": {"value": {"last4": digits.group(1)}, "start": 0, "end": 0}}
        return {}

    def validate_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slots: Dict[str, Any], new: Dict[str, Any]
    ) -> Dict[str, Any]:
        account = account_from_entity(customer_id(tracker), tracker, new["loss_card"])
        if account is None:
            dispatcher.utter_message(text="没有找到这张卡，请说出卡号后四位。")
            return {"loss_card": None}
        if account.status == "frozen":
            dispatcher.utter_message(text=f"{account.label}已经是冻结状态，无需再次挂失。")
            return {"loss_card": None, "loss_abort": "already_frozen"}
        return {"loss_card": account.last4}

    def needs_code(self, tracker: Tracker, slots: Dict[str, Any]) -> bool:
        return True  # freezing a card always needs the SMS code


class ActionAskLossCard(Action):
    def name(self) -> str:
        return "action_ask_loss_card"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        cards = [a for a in bank().accounts(customer_id(tracker)) if a.status == "active"]
        dispatcher.utter_message(
            text="请问是哪张卡丢失了？", buttons=[{"title": a.label, "payload": f"挂失尾号{a.last4}"} for a in cards]
        )
        return []


class ActionAskLossConfirmed(Action):
    def name(self) -> str:
        return "action_ask_loss_confirmed"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        card = bank().find_account(customer_id(tracker), last4=tracker.get_slot("loss_card"))
        label = card.label if card else f"尾号{tracker.get_slot('loss_card')}"
        dispatcher.utter_message(
            text=f"将立即冻结{label}，冻结后该卡无法消费、取现和转账。确认挂失请回复“确认”（需要短信验证），放弃请回复“取消”。",
            buttons=CONFIRM_BUTTONS,
            json_message={
                "type": "loss_summary",
                "card": card.to_json() if card else None,
                **summary_data("loss", tracker.get_slot("loss_key")),
            },
        )
        return []


class ActionAskLossCode(AskCode):
    prefix = "loss"
    kind = "freeze"

    def what(self, tracker: Tracker) -> str:
        return f"挂失尾号{tracker.get_slot('loss_card')}的卡"


class ActionSubmitCardLoss(SubmitTask):
    prefix = "loss"

    def name(self) -> str:
        return "action_submit_card_loss"

    def slot_names(self) -> List[str]:
        return ValidateCardLossForm().all_slots()

    def execute(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        customer = customer_id(tracker)
        card = bank().find_account(customer, last4=tracker.get_slot("loss_card"))
        if card is None:
            raise BankError("account_not_found", "没有找到这张卡")
        frozen = bank().freeze_card(customer, card.id, tracker.get_slot("loss_key"))
        dispatcher.utter_message(
            text=(
                f"已为您冻结{frozen.label}，该卡已无法使用。\n接下来：如卡片被盗刷，请尽快报警并联系客服；"
                "您可以携带身份证到任意网点补办新卡，或在 App“我的-挂失补办”申请邮寄新卡。找回卡片后可到网点解冻。"
            ),
            json_message={"type": "card_frozen", "card": frozen.to_json()},
        )
