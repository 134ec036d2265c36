"""Handover to smart search: "我想买大额存单", "怎么交电费", "转账手续费多少"."""
from __future__ import annotations

from functools import lru_cache
from typing import Any, Dict, List, Text

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import entities, latest_text, settings
from search_index.service import Hit, SearchService, SearchUnavailable

@lru_cache(maxsize=1)
def search() -> SearchService:
    return SearchService(settings().search_index_dir)


def link_button(hit: Hit) -> Dict[str, str]:
    return {"title": hit.title, "payload": hit.deeplink, "url": hit.deeplink}


def reply_with_hits(dispatcher: CollectingDispatcher, hits: List[Hit], query: str) -> None:
    """One clear winner: open it (or answer the FAQ); several: offer them as buttons."""
    data = {"type": "search_results", "query": query, "results": [h.to_json() for h in hits]}
    top = hits[0]
    # A clear winner matched better than the runner-up (its name stands in the question, or a
    # better kind of match), not merely more popular.
    clear = len(hits) == 1 or top.beats(hits[1])
    if clear and top.type == "faq":
        dispatcher.utter_message(text=top.answer, buttons=[link_button(top)], json_message=data)
    elif clear:
        dispatcher.utter_message(text=f"为您打开：{top.title}" + (f"（{top.subtitle}）" if top.subtitle else ""),
                                 buttons=[link_button(top)], json_message={**data, "open": top.deeplink})
    else:
        dispatcher.utter_message(text="为您找到以下相关服务，点击即可进入：", buttons=[link_button(h) for h in hits[:4]],
                                 json_message=data)


class ActionFindService(Action):
    def name(self) -> Text:
        return "action_find_service"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[Text, Any]) -> List[EventType]:
        products = [str(e.get("value")) for e in entities(tracker, "product")]
        text = latest_text(tracker)
        try:
            # The whole sentence first (it carries "手续费" in "转账手续费多少"), the product words as a fallback.
            hits = search().search(text, limit=5) or (search().search(" ".join(products), limit=5) if products else [])
        except SearchUnavailable:
            dispatcher.utter_message(text="搜索服务暂时不可用，请稍后再试，或在 App 首页查找。")
            return []
        if not hits:
            dispatcher.utter_message(text="抱歉，没有找到相关的功能或产品。您可以换个说法，或说“转人工”咨询客服。")
            return []
        reply_with_hits(dispatcher, hits, text)
        return []
