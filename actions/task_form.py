"""Forms that end in a confirmed bank operation: details → summary → "确认" → SMS code if needed.

Each form (transfer, card repayment, card loss) subclasses ``TaskFormValidation`` and
names its details. The base class runs the whole turn itself, so that at every step:

* corrections ("不对，是六百", "换成李四") update the details, drop the confirmation and
  start a new request (new idempotency key, so an old SMS code cannot approve new details);
* every summary carries its key (``summary_key``); a 确认 confirms that key only: when the client
  says it saw another summary, or says nothing after the details changed, the current summary is
  shown again instead of executing (two clients of one customer never cross details);
* a key that already executed answers with the stored outcome before any re-quote (a retried
  confirmation after a lost reply must not read "余额不足" for money that did move);
* a message that is not about the form (a question in between, "算了") extracts nothing,
  so Rasa rejects the form and the rules answer or cancel, then the form resumes;
* the form ends with ``requested_slot = None`` either completed or with ``<prefix>_abort``
  set; ``action_submit_<prefix>`` then executes it (idempotently) or explains the abort.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.common import bank, customer_id, latest_intent, latest_text, six_digits
from actions.outcomes import outcome_text
from actions.summaries import RESHOWN, new_key, reshown_in_last_turn, summaries_shown, summary_key_said
from assistant.bank.types import BankError

# Intents whose entities may change the details of an open form.
DETAIL_INTENTS = {"transfer_money", "inform", "deny", "affirm", "repay_credit_card", "report_card_loss"}
SHORT_ANSWER_CHARS = 8


def confirmation_text(what: str, rows: List[str], code_reason: Optional[str]) -> str:
    """The summary a customer confirms: what will happen, line by line, and whether a code follows."""
    lines = [f"请确认{what}信息：", *rows]
    if code_reason:
        lines.append(f"（{code_reason}，确认后需要短信验证码）")
    lines.append("确认请回复“确认”，放弃请回复“取消”。")
    return "\n".join(lines)


CONFIRM_BUTTONS = [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/cancel"}]


class TaskFormValidation(FormValidationAction):
    prefix: str = ""  # slot prefix: "transfer" → transfer_amount, transfer_confirmed …
    form: str = ""  # form name when it is not "<prefix>_form"
    kind: str = ""  # what SMS codes are for: "transfer" | "repayment" | "freeze"

    # ------------------------------------------------------------------ hooks for subclasses
    @abstractmethod
    def detail_slots(self, slots: Dict[str, Any]) -> List[str]:
        """The details this request needs, in the order they are asked for."""

    @abstractmethod
    def extract_details(self, tracker: Tracker, slots: Dict[str, Any]) -> Dict[str, Any]:
        """New detail values said in the latest message (raw; validated next)."""

    @abstractmethod
    def validate_details(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slots: Dict[str, Any], new: Dict[str, Any]
    ) -> Dict[str, Any]:
        """Resolve and check new values; refuse with a message by setting a detail to None."""

    def defaults(self, tracker: Tracker, slots: Dict[str, Any]) -> Dict[str, Any]:
        """Details that have a sensible default (the primary account …)."""
        return {}

    @abstractmethod
    def needs_code(self, tracker: Tracker, slots: Dict[str, Any]) -> bool:
        """Final check before asking for a code; raises BankError when the request cannot go ahead."""

    # ------------------------------------------------------------------ names
    def name(self) -> str:
        return f"validate_{self.form or self.prefix + '_form'}"

    def slot(self, part: str) -> str:
        return f"{self.prefix}_{part}"

    @property
    def control_slots(self) -> List[str]:
        return [self.slot(p) for p in ("confirmed", "code", "key", "needs_code", "abort")]

    def all_slots(self) -> List[str]:
        return [*self.detail_slots({}), *self.extra_detail_slots(), *self.control_slots]

    def extra_detail_slots(self) -> List[str]:
        """Detail slots that are not always required (alternatives such as own-account targets)."""
        return []

    def required(self, slots: Dict[str, Any]) -> List[str]:
        if slots.get(self.slot("abort")):
            return []
        needed = [*self.detail_slots(slots), self.slot("confirmed")]
        if slots.get(self.slot("needs_code")):
            needed.append(self.slot("code"))
        return needed

    # ------------------------------------------------------------------ the turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        activating = (tracker.active_loop or {}).get("name") != self.form_name()
        slots = {s: (None if activating else tracker.get_slot(s)) for s in self.all_slots()}
        before = dict(slots)
        updates: Dict[str, Any] = {s: None for s in slots} if activating else {}
        if activating:
            updates[self.slot("key")] = new_key()
        elif slots.get(self.slot("key")):
            done = outcome_text(customer_id(tracker), slots[self.slot("key")], freeze=self.kind == "freeze")
            if done is not None:  # a retry of a request that already went through: say so, move nothing
                dispatcher.utter_message(text=done)
                return [SlotSet(self.slot("abort"), "done"), SlotSet("requested_slot", None)]
        intent = latest_intent(tracker)
        requested = None if activating else tracker.get_slot("requested_slot")

        new = self.extract_details(tracker, slots)
        if not activating and intent not in DETAIL_INTENTS:
            # A question in between is not an answer, but a short reply to what was asked is
            # ("信用卡" when asked which card, even if it reads like a bill question).
            short_answer = len(latest_text(tracker)) <= SHORT_ANSWER_CHARS
            new = {k: v for k, v in new.items() if short_answer and k == requested}
        if new:
            # Refusals are None: the form asks again instead of rejecting.
            updates.update(self.validate_details(dispatcher, tracker, {**slots, **new}, new))
        slots.update(updates)
        for k, v in self.defaults(tracker, slots).items():
            if slots.get(k) is None and v is not None:
                updates[k] = slots[k] = v
        details = [*self.detail_slots(slots), *self.extra_detail_slots()]
        if not activating and any(slots.get(s) != before.get(s) for s in details):
            # Different details (a correction, or a refused one replaced by its default): the old summary,
            # confirmation and code no longer apply; a new key means a new summary to confirm.
            rotation = {
                self.slot("confirmed"): None,
                self.slot("code"): None,
                self.slot("needs_code"): None,
                self.slot("key"): new_key(),
            }
            updates.update(rotation)
            slots.update(rotation)

        if not new and requested == self.slot("confirmed"):
            updates.update(self._confirm_step(dispatcher, tracker, slots, intent))
        elif not new and requested == self.slot("code"):
            updates.update(self._code_step(dispatcher, tracker, slots))
        slots.update(updates)

        next_slot = next((s for s in self.required(slots) if slots.get(s) is None), None)
        return [SlotSet(k, v) for k, v in updates.items()] + [SlotSet("requested_slot", next_slot)]

    def _confirm_step(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, slots: Dict[str, Any], intent: str
    ) -> Dict[str, Any]:
        if intent == "affirm":
            key = slots[self.slot("key")]
            if not self.confirms_current(tracker, key):
                dispatcher.utter_message(
                    text="办理信息已有变动，为保障资金安全，请核对下面的最新信息后再确认。", json_message={RESHOWN: key}
                )
                return {self.slot("confirmed"): None}  # the form asks again: the current summary is shown
            try:
                needs_code = self.needs_code(tracker, slots)
            except BankError as err:
                dispatcher.utter_message(text=f"抱歉，{err.message}，本次业务无法办理。")
                return {self.slot("abort"): err.code}
            return {self.slot("confirmed"): True, self.slot("needs_code"): needs_code}
        if intent == "deny":
            dispatcher.utter_message(text="好的。请告诉我需要修改的内容，比如“改成六百”；不办了请说“取消”。")
            return {self.slot("confirmed"): None}
        return {}

    def confirms_current(self, tracker: Tracker, key: str) -> bool:
        """A 确认 applies to the current details only if the customer saw them: the client names the
        summary it showed, or — saying nothing — only summaries of these very details were shown, or
        the current summary was shown again in answer to the message just before this one."""
        said = summary_key_said(tracker)
        if said is not None:
            return said == key
        shown = summaries_shown(tracker, self.prefix)
        return (bool(shown) and set(shown) == {key}) or reshown_in_last_turn(tracker, key)

    def _code_step(self, dispatcher: CollectingDispatcher, tracker: Tracker, slots: Dict[str, Any]) -> Dict[str, Any]:
        entered = six_digits(latest_text(tracker))
        if entered is None:
            return {}
        customer = customer_id(tracker)
        purpose = f"{self.kind}:{slots[self.slot('key')]}"
        result = bank().check_code(customer, purpose, entered)
        if result.ok:
            return {self.slot("code"): "verified"}
        if result.reason == "wrong":
            dispatcher.utter_message(text=f"验证码不正确，您还可以再试{result.attempts_left}次。")
            return {self.slot("code"): None}
        if result.reason == "expired":
            bank().send_code(customer, purpose, self.code_purpose_text(slots))
            dispatcher.utter_message(text="验证码已过期，已为您重新发送，请输入新的6位验证码。")
            return {self.slot("code"): None}
        return {self.slot("abort"): "code_locked"}

    def code_purpose_text(self, slots: Dict[str, Any]) -> str:
        return "办理业务"


class AskCode(Action, ABC):
    """Sends the SMS code for the pending request (once) and asks for it."""

    prefix = ""
    kind = ""

    def name(self) -> str:
        return f"action_ask_{self.prefix}_code"

    @abstractmethod
    def what(self, tracker: Tracker) -> str:
        """What the customer is approving, for the SMS text."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        customer = customer_id(tracker)
        purpose = f"{self.kind}:{tracker.get_slot(f'{self.prefix}_key')}"
        if not bank().has_pending_code(customer, purpose):
            bank().send_code(customer, purpose, self.what(tracker))
            dispatcher.utter_message(
                text="为保障资金安全，验证码已发送至您的手机，请输入6位短信验证码（5分钟内有效）。"
            )
        else:
            dispatcher.utter_message(text="请输入6位短信验证码。")
        return []


ABORT_MESSAGES = {
    "code_locked": "验证码错误次数过多，为保障资金安全，本次业务已取消，资金未发生变动。",
    # "done": the form already told the customer the stored outcome of an executed request.
}


class SubmitTask(Action, ABC):
    """Runs when the form ends: do the operation once, or explain why it stopped."""

    prefix = ""

    def name(self) -> str:
        return f"action_submit_{self.prefix}"

    @abstractmethod
    def execute(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Do the operation and tell the customer; raise BankError to refuse."""

    @abstractmethod
    def slot_names(self) -> List[str]:
        """The form's slots, cleared when it ends."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        abort = tracker.get_slot(f"{self.prefix}_abort")
        if abort:
            if abort in ABORT_MESSAGES:
                dispatcher.utter_message(text=ABORT_MESSAGES[abort])
        elif tracker.get_slot(f"{self.prefix}_confirmed"):
            done = outcome_text(customer_id(tracker), tracker.get_slot(f"{self.prefix}_key"))
            if done is not None:  # executed on an earlier try: the ledger's answer, no re-quote
                dispatcher.utter_message(text=done)
                return [SlotSet(s, None) for s in self.slot_names()]
            try:
                self.execute(dispatcher, tracker)
            except BankError as err:
                dispatcher.utter_message(text=f"抱歉，{err.message}，本次业务未办理，资金未发生变动。")
        return [SlotSet(s, None) for s in self.slot_names()]


def optional_int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
