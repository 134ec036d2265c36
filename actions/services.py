"""Answers from the knowledge base and handover to smart search: "转账多久到账", "我想买大额存单", "怎么交电费".

One answer (or one page opened) only for a clear winner (``search_index.knowledge``); otherwise the top
three entries as buttons and a 转人工客服 button. Questions about a task the model first read as the task
itself ("能帮家人还信用卡吗") get the answer and a button to do the task now; when it is truly unclear
whether the customer wants to act or to ask, the bot asks.
"""

from __future__ import annotations

import contextlib
from functools import lru_cache
from typing import Any, Dict, List, Optional

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import customer_words, settings
from actions.outcomes import latest_outcome_reply
from assistant.nlu.institutions import institutions, mentioned
from search_index.knowledge import KnowledgeBase, Lookup
from search_index.semantic import SemanticIndex
from search_index.service import Hit, SearchService, SearchUnavailable

HUMAN_BUTTON = {"title": "转人工客服", "payload": "/human_agent"}
SHOWN_CHOICES = 3
SERVICE_TYPES = ("function", "product", "life")
# What a task reading that turned out to be a question can still offer: a button to do it now, and
# the clarifying question when the message could be either.
TASK_OFFERS: Dict[str, Dict[str, str]] = {
    "transfer_money": {
        "button": "现在办理转账",
        "ask": "您是想现在办理转账，还是查询之前转账的进度？",
        "other": "查询之前转账的进度",
        "other_payload": '/report_problem{"topic": "transfer"}',
    },
    "repay_credit_card": {
        "button": "现在还信用卡",
        "ask": "您是想现在还信用卡，还是了解还款的规则？",
        "other": "了解信用卡还款规则",
        "other_payload": "信用卡还款日是哪天",
    },
    "report_card_loss": {
        "button": "立即挂失冻结银行卡",
        "ask": "您是想现在挂失冻结银行卡，还是咨询银行卡的其他问题？",
        "other": "银行卡被冻结了怎么办",
        "other_payload": "账户被冻结了怎么办",
    },
    "record_expense": {
        "button": "记一笔账",
        "ask": "您是想现在记一笔账，还是了解记账功能？请告诉我金额和用途，比如“午饭花了35”。",
        "other": "了解记账功能",
        "other_payload": "记账功能怎么用",
    },
    "record_income": {
        "button": "记一笔收入",
        "ask": "您是想现在记一笔收入吗？请告诉我金额和来源，比如“今天发工资8000”。",
        "other": "了解记账功能",
        "other_payload": "记账功能怎么用",
    },
}


@lru_cache(maxsize=1)
def search() -> SearchService:
    return SearchService(settings().search_index_dir)


@lru_cache(maxsize=1)
def knowledge() -> KnowledgeBase:
    return KnowledgeBase(search(), SemanticIndex(settings().search_index_dir))


def warm_up() -> None:
    """Load what the first question would otherwise wait for (jieba's dictionary, the sentence model,
    the index): each action worker does it before it listens, so its first answer is as fast as the
    rest (it was the 330 ms tail of FAQ turns). No index yet: the worker starts anyway, and answers
    questions with the honest fallback until one is built, as before."""
    with contextlib.suppress(SearchUnavailable):
        knowledge().lookup("转账多久到账")


def link_button(hit: Hit) -> Dict[str, str]:
    return {"title": hit.title, "payload": hit.deeplink, "url": hit.deeplink}


def choice_button(hit: Hit) -> Dict[str, str]:
    """An FAQ choice asks the question itself (its title is an exact name: a sure answer next time);
    a function or product opens its page."""
    if hit.type == "faq":
        return {"title": hit.title, "payload": hit.title}
    return link_button(hit)


def act_of(tracker: Tracker) -> Dict[str, Any]:
    """What the NLU's ActGate said of the latest message (form, reason, the model's own reading);
    nothing for a button's payload ("/ask_question"), whose intent the customer chose."""
    latest = tracker.latest_message or {}
    act = latest.get("act")
    return act if isinstance(act, dict) and not str(latest.get("text") or "").startswith("/") else {}


def reply_with_lookup(
    dispatcher: CollectingDispatcher,
    found: Lookup,
    extra_buttons: Optional[List[Dict[str, str]]] = None,
    open_services: bool = True,
) -> None:
    """A clear winner: answer it (FAQ) or open it; otherwise the choices and a person."""
    extra = list(extra_buttons or [])
    data: Dict[str, Any] = {
        "type": "search_results",
        "query": found.query,
        "clear": found.clear,
        "results": [h.to_json() for h in found.hits],
    }
    top = found.top
    if top is None:
        dispatcher.utter_message(
            text="抱歉，这个问题我暂时没有找到答案。您可以换个说法，或转人工客服咨询。",
            buttons=[*extra, HUMAN_BUTTON],
            json_message={**data, "type": "no_answer"},
        )
        return
    if found.clear and top.type == "faq":
        dispatcher.utter_message(
            text=top.answer,
            buttons=[*extra, link_button(top), HUMAN_BUTTON],
            json_message={**data, "type": "faq_answer", "answer_id": top.id},
        )
    elif found.clear and open_services:
        title = f"为您打开：{top.title}" + (f"（{top.subtitle}）" if top.subtitle else "")
        dispatcher.utter_message(
            text=title, buttons=[*extra, link_button(top)], json_message={**data, "open": top.deeplink}
        )
    else:
        dispatcher.utter_message(
            text="我不太确定您具体想了解哪一项，请选择最接近的问题，或转人工客服：",
            buttons=[*extra, *[choice_button(h) for h in found.hits[:SHOWN_CHOICES]], HUMAN_BUTTON],
            json_message=data,
        )


def search_down(dispatcher: CollectingDispatcher) -> None:
    dispatcher.utter_message(text="搜索服务暂时不可用，请稍后再试，或在 App 首页查找。", buttons=[HUMAN_BUTTON])


class ActionFindService(Action):
    """ "我想买大额存单", "交电费": open the service when it is clear which one is meant."""

    def name(self) -> str:
        return "action_find_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        try:
            found = knowledge().lookup(customer_words(tracker), prefer=SERVICE_TYPES)
        except SearchUnavailable:
            search_down(dispatcher)
            return []
        reply_with_lookup(dispatcher, found)
        return []


class ActionAnswerQuestion(Action):
    """How, whether, why, how long, how much: an answer from the knowledge base, never a task."""

    def name(self) -> str:
        return "action_answer_question"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if latest_outcome_reply(dispatcher, tracker):
            return []
        act = act_of(tracker)
        offer = TASK_OFFERS.get(str(act.get("model_intent") or ""))
        task_button = {"title": offer["button"], "payload": f"/{act['model_intent']}"} if offer else None
        if offer and act.get("unclear"):
            dispatcher.utter_message(
                text=offer["ask"],
                buttons=[task_button, {"title": offer["other"], "payload": offer["other_payload"]}, HUMAN_BUTTON],
                json_message={"type": "clarify", "task": act["model_intent"]},
            )
            return []
        try:
            found = knowledge().lookup(customer_words(tracker), prefer=("faq",))
        except SearchUnavailable:
            search_down(dispatcher)
            return []
        reply_with_lookup(dispatcher, found, [task_button] if task_button else None, open_services=False)
        return []


class ActionOtherInstitution(Action):
    """花呗, 借呗, 公积金, another bank's card: say honestly that it is not ours, and where to go."""

    def name(self) -> str:
        return "action_other_institution"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        key = act_of(tracker).get("institution")
        found = institutions().get(str(key)) if key else mentioned(customer_words(tracker))
        if found is None:
            dispatcher.utter_message(
                text="您问的似乎是其他机构的产品或账户，我行无法查询或办理，请通过该机构的官方渠道咨询。如果是我行的业务，请再具体说一下。",
                buttons=[HUMAN_BUTTON],
                json_message={"type": "other_institution", "institution": None},
            )
            return []
        text = f"“{found.key}”属于{found.owner}，我行无法查询或代为办理，请通过{found.where}处理。"
        buttons = []
        if found.nearest:
            text += f"另外，{found.nearest}。"
            buttons.append({"title": "查看我行相关服务", "payload": found.nearest_link, "url": found.nearest_link})
        dispatcher.utter_message(
            text=text,
            buttons=[*buttons, HUMAN_BUTTON],
            json_message={"type": "other_institution", "institution": found.key},
        )
        return []
