"""Forms that end in a confirmed bank operation: details → summary → "确认" → the anti-fraud
warning acknowledged in words, if the bank's risk decision asks for it → SMS code if needed.

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
  set; ``action_submit_<prefix>`` then executes it (idempotently) or explains the abort;
* money movements carry what the customer proved (``Assurance``: the login's strength from the
  token, a verified code, the acknowledged warning); when the bank still wants a step at submit
  (its rules or signals changed meanwhile), the submit reopens the form on that step instead of
  failing, keeping the request's key.
"""

from __future__ import annotations

import re
from abc import ABC, abstractmethod
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.forms import FormValidationAction

from actions.common import auth_strength, bank, customer_id, latest_intent, latest_text, six_digits
from actions.outcomes import describe
from actions.summaries import RESHOWN, new_key, reshown_in_last_turn, summaries_shown, summary_key_said
from assistant.bank.risk.types import LIMIT_CODES, Assurance
from assistant.bank.types import CODE_REQUIRED_FROM_CENTS, BankError, Receipt, TransferQuote
from assistant.base.textnorm import normalize

# Intents whose entities may change the details of an open form.
DETAIL_INTENTS = {"transfer_money", "inform", "deny", "affirm", "repay_credit_card", "report_card_loss"}
SHORT_ANSWER_CHARS = 8

# The warning slot: None while it is to be asked (or not yet known), else one of these.
WARNING_NOT_NEEDED = "not_needed"
WARNING_ACKNOWLEDGED = "acknowledged"
# While the warning is asked, these leave it to the rules (cancel, a person, a question answered before
# the warning is shown again); anything else that is not the acknowledgement shows the warning again.
LEAVES_WARNING = {
    "cancel",
    "human_agent",
    "complaint",
    "check_balance",
    "query_credit_card_bill",
    "query_credit_limit",
    "help",
    "bot_challenge",
    "out_of_scope",
    "nlu_fallback",
    "greet",
    "thank",
    "ask_question",
    "report_problem",
    "other_institution",
}
# "我已知晓风险，确认是本人自愿转账" and close variants: both the risk and the customer's own will, in words.
_KNOWS_RISK = re.compile(r"(知晓|了解|知悉)[^，,。！!？?]{0,3}风险")
_OWN_WILL = re.compile(r"本人|自愿")
# Words that turn the acknowledgement into its opposite, or say someone else is behind it.
_NOT_OWN_WILL = re.compile(
    r"不(知晓|了解|知悉|清楚|是本人|是自愿|自愿)|没有?(知晓|了解|知悉)|未(知晓|了解|知悉)|非本人|非自愿|"
    r"被迫|被要求|被逼|(别人|他人|对方|客服|警察|他|她|他们)(让|叫|要求|要我|逼)"
)


def acknowledges_warning(text: str) -> bool:
    """The customer typed that they know the risk and act of their own will (a button cannot do it)."""
    said = re.sub(r"\s+", "", normalize(text or ""))
    return bool(_KNOWS_RISK.search(said) and _OWN_WILL.search(said) and not _NOT_OWN_WILL.search(said))


def assurance_of(tracker: Tracker, slots: Dict[str, Any], prefix: str) -> Assurance:
    """What the customer proved for this request: the token's strength, a verified code, the warning."""
    return Assurance(
        strength=auth_strength(tracker),
        code_verified=slots.get(f"{prefix}_code") == "verified",
        warning_acknowledged=slots.get(f"{prefix}_warning") == WARNING_ACKNOWLEDGED,
    )


def sentence(message: str) -> str:
    """A bank message without its final full stop, to go inside a longer sentence."""
    return message.rstrip("。")


def code_reason(q: TransferQuote, first_time: bool = False) -> Optional[str]:
    """Why the summary announces an SMS code, in the customer's words: a limit of the login's strength (and
    what the code lifts it to) first, then the bank's fixed rules, then the risk decision's own reasons."""
    if not q.needs_code:
        return None
    reasons = list(q.risk.reasons) if q.risk is not None else []
    limits = [r.text for r in reasons if r.code in LIMIT_CODES]
    if limits:
        return limits[0]
    if first_time:
        return "首次向该收款人转账"
    if q.amount_cents >= CODE_REQUIRED_FROM_CENTS:
        return "金额较大"
    return reasons[0].text if reasons else "为保障资金安全"


def confirmation_text(what: str, rows: List[str], code_reason: Optional[str], warning: str = "") -> str:
    """The summary a customer confirms: what will happen, line by line, and which steps follow (the
    anti-fraud warning to acknowledge, the code)."""
    lines = [f"请确认{what}信息：", *rows]
    if warning:
        lines.append(f"【风险提示】{warning}")
        steps = "阅读反诈提醒并确认知晓风险" + ("，再输入短信验证码" if code_reason else "")
        lines.append(f"（为保障资金安全，确认后需要您{steps}）")
    elif code_reason:
        lines.append(f"（{code_reason}，确认后需要短信验证码）")
    lines.append("确认请回复“确认”，放弃请回复“取消”。")
    return "\n".join(lines)


def held_text(what: str, reasons: List[str], status: str = "held") -> str:
    """What the customer is told when the bank holds the request for review: nothing left, nothing lost."""
    if status == "cancelled":  # only a replay of a request the back office already cancelled
        return f"这笔{what}经人工复核已取消，款项未转出，冻结金额已释放。如仍需办理，请重新发起。"
    why = f"\n原因：{'；'.join(reasons)}。" if reasons else ""
    return (
        f"这笔{what}需要人工复核，款项已为您冻结、暂未转出；复核结果会在这里通知您。{why}\n"
        "如果是有人让您转账，请不要继续操作，可以直接说“转人工”或拨打96110反诈专线。"
    )


def stored_outcome_text(customer: str, key: Optional[str], freeze: bool = True) -> Optional[str]:
    """The stored outcome of the request with ``key`` (None when it did not run): a completed movement in
    the ledger's words; a request held for review, or cancelled in review, as what it is — never "成功"."""
    if not key:
        return None
    done = bank().outcome(customer, key, freeze)
    if done is None:
        return None
    receipt: Optional[Receipt] = done.receipt
    what = "还款" if receipt is not None and receipt.kind == "repayment" else "转账"
    if receipt is not None and receipt.status == "held":
        return f"这笔{what}正在人工复核，款项已为您冻结、暂未转出；复核结果会在这里通知您，无需重复操作。"
    if receipt is not None and receipt.status == "cancelled":
        return f"这笔{what}经人工复核已取消，款项未转出，冻结金额已释放。如仍需办理，请重新发起。"
    return describe(done)


CONFIRM_BUTTONS = [{"title": "确认", "payload": "/affirm"}, {"title": "取消", "payload": "/cancel"}]


class TaskFormValidation(FormValidationAction):
    prefix: str = ""  # slot prefix: "transfer" → transfer_amount, transfer_confirmed …
    form: str = ""  # form name when it is not "<prefix>_form"
    kind: str = ""  # what SMS codes are for: "transfer" | "repayment" | "freeze"
    warning_step: bool = False  # money movements: the bank's risk decision may ask for the warning

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

    def steps(self, tracker: Tracker, slots: Dict[str, Any]) -> Tuple[bool, bool]:
        """After 确认: whether an SMS code and the acknowledged anti-fraud warning are needed (one quote, so
        both come from one risk decision); raises BankError when the request cannot go ahead."""
        return self.needs_code(tracker, slots), False

    # ------------------------------------------------------------------ names
    def name(self) -> str:
        return f"validate_{self.form or self.prefix + '_form'}"

    def slot(self, part: str) -> str:
        return f"{self.prefix}_{part}"

    @property
    def control_slots(self) -> List[str]:
        parts = ("confirmed", "warning", "code", "key", "needs_code", "abort")
        return [self.slot(p) for p in parts if p != "warning" or self.warning_step]

    def all_slots(self) -> List[str]:
        return [*self.detail_slots({}), *self.extra_detail_slots(), *self.control_slots]

    def extra_detail_slots(self) -> List[str]:
        """Detail slots that are not always required (alternatives such as own-account targets)."""
        return []

    def required(self, slots: Dict[str, Any]) -> List[str]:
        if slots.get(self.slot("abort")):
            return []
        needed = [*self.detail_slots(slots), self.slot("confirmed")]
        if self.warning_step and slots.get(self.slot("warning")) != WARNING_NOT_NEEDED:
            needed.append(self.slot("warning"))  # None after 确认 means "ask it"; filled when not needed
        if slots.get(self.slot("needs_code")):
            needed.append(self.slot("code"))
        return needed

    # ------------------------------------------------------------------ the turn
    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        activating = (tracker.active_loop or {}).get("name") != self.form_name()
        if activating and self.reopened_by_submit(tracker):
            # The bank wanted one more step at submit: ask for it, on the same request (same key, same code).
            slots = {s: tracker.get_slot(s) for s in self.all_slots()}
            return [SlotSet("requested_slot", next((s for s in self.required(slots) if slots.get(s) is None), None))]
        slots = {s: (None if activating else tracker.get_slot(s)) for s in self.all_slots()}
        before = dict(slots)
        updates: Dict[str, Any] = {s: None for s in slots} if activating else {}
        if activating:
            updates[self.slot("key")] = new_key()
        elif slots.get(self.slot("key")):
            done = stored_outcome_text(customer_id(tracker), slots[self.slot("key")], freeze=self.kind == "freeze")
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
            if self.warning_step:
                rotation[self.slot("warning")] = None  # new details: a new risk decision, a new warning
            updates.update(rotation)
            slots.update(rotation)
            changed = True
        else:
            changed = False

        if not new and requested == self.slot("confirmed"):
            updates.update(self._confirm_step(dispatcher, tracker, slots, intent))
        elif not changed and requested == self.slot("warning"):
            updates.update(self._warning_step(dispatcher, tracker, intent))
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
                needs_code, needs_warning = self.steps(tracker, slots)
            except BankError as err:
                if err.code == "risk_blocked":  # the decision's own words: why, and what would make it possible
                    dispatcher.utter_message(text=f"抱歉，{sentence(err.message)}。本次业务未办理，资金未发生变动。")
                else:
                    dispatcher.utter_message(text=f"抱歉，{err.message}，本次业务无法办理。")
                return {self.slot("abort"): err.code}
            done = {self.slot("confirmed"): True, self.slot("needs_code"): needs_code}
            if self.warning_step:
                done[self.slot("warning")] = None if needs_warning else WARNING_NOT_NEEDED
            return done
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

    def _warning_step(self, dispatcher: CollectingDispatcher, tracker: Tracker, intent: str) -> Dict[str, Any]:
        """The anti-fraud warning is only passed in the customer's own words. 取消, a person or a question
        go to the rules (the form comes back to the warning); anything else shows the warning again."""
        if acknowledges_warning(latest_text(tracker)):
            return {self.slot("warning"): WARNING_ACKNOWLEDGED}
        if intent in LEAVES_WARNING:
            return {}
        dispatcher.utter_message(text="还没有收到您的风险确认，款项没有转出。请先看清下面的提醒。")
        return {self.slot("warning"): None}  # set, so the form stays and asks again

    def reopened_by_submit(self, tracker: Tracker) -> bool:
        """The form starts again in the turn its submit ran (the submit's FollowupAction after the bank asked
        for a step): then it continues the request instead of starting a new one."""
        if (
            not self.warning_step
            or not tracker.get_slot(self.slot("key"))
            or not tracker.get_slot(self.slot("confirmed"))
        ):
            return False
        for event in reversed(tracker.events):
            if event.get("event") == "user":
                return False
            if event.get("event") == "action" and event.get("name") == f"action_submit_{self.prefix}":
                return True
        return False

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


class AskWarning(Action, ABC):
    """Shows the anti-fraud warning with the risk decision's reasons and asks for the typed acknowledgement."""

    prefix = ""
    what = "转账"  # the customer's word for the request

    def name(self) -> str:
        return f"action_ask_{self.prefix}_warning"

    @abstractmethod
    def quote(self, tracker: Tracker) -> TransferQuote:
        """The request's quote with what the customer proved so far (its risk decision has the reasons)."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        try:
            q = self.quote(tracker)
        except BankError as err:
            dispatcher.utter_message(text=f"抱歉，{sentence(err.message)}。请修改后再确认，或说“取消”。")
            return []
        risk = q.risk
        reasons = [r.text for r in risk.reasons] if risk is not None else []
        phrase = f"我已知晓风险，确认是本人自愿{self.what}"
        lines = ["【反诈提醒】" + (risk.warning if risk is not None and risk.warning else "这笔交易存在诈骗风险。")]
        if reasons:
            lines.append(f"提醒原因：{'；'.join(reasons)}。")
        lines += [
            "银行、公检法和客服不会要求您把钱转到“安全账户”，也不会索要验证码或让您屏幕共享。"
            "如果是有人让您这样做，请立即停止，拨打96110反诈专线或本行客服核实。",
            f"如确认是您本人自愿{self.what}，请输入：{phrase}",
            "不办了请回复“取消”。",
        ]
        dispatcher.utter_message(
            text="\n".join(lines),
            buttons=[{"title": "取消", "payload": "/cancel"}, {"title": "转人工客服", "payload": "/human_agent"}],
            json_message={
                "type": "fraud_warning",
                "from": "system",
                "reasons": [r.to_json() for r in risk.reasons] if risk is not None else [],
                "acknowledge": phrase,
            },
        )
        return []


ABORT_MESSAGES = {
    "code_locked": "验证码错误次数过多，为保障资金安全，本次业务已取消，资金未发生变动。",
    # "done": the form already told the customer the stored outcome of an executed request.
}


class SubmitTask(Action, ABC):
    """Runs when the form ends: do the operation once, or explain why it stopped."""

    prefix = ""
    what = "业务"  # the customer's word for the request, in a step-up's question

    def name(self) -> str:
        return f"action_submit_{self.prefix}"

    @abstractmethod
    def execute(self, dispatcher: CollectingDispatcher, tracker: Tracker) -> None:
        """Do the operation and tell the customer; raise BankError to refuse."""

    def step_up(self, dispatcher: CollectingDispatcher, tracker: Tracker, err: BankError) -> List[EventType]:
        """The bank wants a step the form did not ask for (its rules or signals changed since the summary):
        reopen the form on that step — same request, same key — instead of failing."""
        needs_warning, needs_code = bool(err.detail.get("needs_warning")), bool(err.detail.get("needs_code"))
        if not (needs_warning or needs_code):
            dispatcher.utter_message(text=f"抱歉，{sentence(err.message)}，本次业务未办理，资金未发生变动。")
            return [SlotSet(s, None) for s in self.slot_names()]
        steps = "、".join(
            step for step, needed in (("确认知晓风险", needs_warning), ("完成短信验证", needs_code)) if needed
        )
        dispatcher.utter_message(text=f"为保障资金安全，这笔{self.what}还需要您{steps}，款项暂未转出。")
        events: List[EventType] = []
        if needs_warning:
            events.append(SlotSet(f"{self.prefix}_warning", None))
        if needs_code:
            events += [SlotSet(f"{self.prefix}_needs_code", True), SlotSet(f"{self.prefix}_code", None)]
        return [*events, FollowupAction(f"{self.prefix}_form")]

    @abstractmethod
    def slot_names(self) -> List[str]:
        """The form's slots, cleared when it ends."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        abort = tracker.get_slot(f"{self.prefix}_abort")
        if abort:
            if abort in ABORT_MESSAGES:
                dispatcher.utter_message(text=ABORT_MESSAGES[abort])
        elif tracker.get_slot(f"{self.prefix}_confirmed"):
            done = stored_outcome_text(customer_id(tracker), tracker.get_slot(f"{self.prefix}_key"))
            if done is not None:  # executed on an earlier try: the ledger's answer, no re-quote
                dispatcher.utter_message(text=done)
                return [SlotSet(s, None) for s in self.slot_names()]
            try:
                self.execute(dispatcher, tracker)
            except BankError as err:
                if err.code == "risk_step_up":
                    return self.step_up(dispatcher, tracker, err)
                if err.code == "risk_blocked":  # the decision's words: why, and what would make it possible
                    dispatcher.utter_message(text=f"抱歉，{sentence(err.message)}。本次业务未办理，资金未发生变动。")
                else:
                    dispatcher.utter_message(text=f"抱歉，{err.message}，本次业务未办理，资金未发生变动。")
        return [SlotSet(s, None) for s in self.slot_names()]


def optional_int(value: Any) -> Optional[int]:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
