""" "算了" while a task is open: stop the form, forget its details, say that nothing moved."""

from __future__ import annotations

from typing import Any, Dict, List

from rasa_sdk import Action, Tracker
from rasa_sdk.events import ActiveLoop, EventType, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.cards import ValidateCardLossForm, ValidateRepayForm
from actions.transfer import ValidateTransferForm

FORMS = {
    "transfer_form": ("转账", ValidateTransferForm),
    "repay_form": ("还款", ValidateRepayForm),
    "card_loss_form": ("挂失", ValidateCardLossForm),
}


def open_task(tracker: Tracker) -> str:
    """The customer's words for the open task (转账/还款/挂失), or 操作 when none is open."""
    return FORMS.get((tracker.active_loop or {}).get("name") or "", ("操作", None))[0]


def forget_task(tracker: Tracker) -> List[EventType]:
    """Events that close the open form and forget its details; nothing when no form is open."""
    form = (tracker.active_loop or {}).get("name") or ""
    if not form:
        return []
    _, validation = FORMS.get(form, ("", None))
    slots = validation().all_slots() if validation else []
    return [ActiveLoop(None), *[SlotSet(s, None) for s in slots], SlotSet("requested_slot", None)]


class ActionCancelTask(Action):
    def name(self) -> str:
        return "action_cancel_task"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        dispatcher.utter_message(text=f"好的，已取消本次{open_task(tracker)}，资金未发生变动。还有什么可以帮您？")
        return forget_task(tracker) or [ActiveLoop(None), SlotSet("requested_slot", None)]
