"""The intent-aware reading (``extract``) and the tokenizer's boundaries (``boundary_entities``) come
from one assembly of rule finders, so an entity the reading finds is never cut by a token edge."""

from datetime import date
from typing import Optional, Set, Tuple

import pytest

from assistant.nlu.entities import (
    EXPENSE_INTENTS,
    INCOME_INTENTS,
    PAYEE_INTENTS,
    PRODUCT_INTENTS,
    boundary_entities,
    extract,
)

TODAY = date(2026, 11, 21)
INTENTS = [None, "check_balance", *sorted(EXPENSE_INTENTS | INCOME_INTENTS | PAYEE_INTENTS | PRODUCT_INTENTS)]

# Sentence → the intent it is said with. Names next to amounts, amounts next to accounts and
# categories, time words, product words that contain an account word.
TRICKY = {
    "给张三那转五百": "transfer_money",
    "张三转200块": "transfer_money",
    "明天还信用卡3000": "transfer_money",
    "记一笔午饭35元": "record_expense",
    "给我老婆转两千五": "transfer_money",
    "转1.5万给欧阳娜娜": "transfer_money",
    "张丽两百": "transfer_money",
    "昨天打车花了二十八块五": "record_expense",
    "上个月工资到账8000": "record_income",
    "我想买大额存单": "find_service",
    "6688那张卡三月份花了多少": "spending_summary",
    "尾号六六八八还有多少钱": "check_balance",
}

Found = Set[Tuple[int, int, str]]


def _extracted(text: str, intent: Optional[str]) -> Found:
    return {(e.start, e.end, e.entity) for e in extract(text, intent, TODAY)}


def _boundaries(text: str) -> Found:
    return {(e.start, e.end, e.entity) for e in boundary_entities(text)}


@pytest.mark.parametrize("text,intent", TRICKY.items())
def test_what_extract_finds_is_among_the_boundaries(text, intent):
    found = _extracted(text, intent)
    assert found, text
    assert found <= _boundaries(text), (text, found - _boundaries(text))


def _spans(found: Found) -> Set[Tuple[int, int]]:
    return {(start, end) for start, end, _ in found}


# 尾号六六八八 is left out: read as a product question it has no account, so 六六八八 alone is an amount.
@pytest.mark.parametrize("text", [t for t in TRICKY if not t.startswith("尾号")])
def test_the_boundaries_are_exactly_the_spans_extract_finds_for_some_intent(text):
    every_reading: Found = set().union(*(_extracted(text, intent) for intent in INTENTS))
    assert _spans(_boundaries(text)) == _spans(every_reading)


def test_a_payee_the_intent_does_not_want_still_keeps_its_characters_from_the_amount():
    # In 张三转200块 read as an expense, 张三 is not reported, yet 三 must not become an amount.
    assert _extracted("张三转200块", "record_expense") == {(3, 7, "amount")}
    assert _extracted("张三转200块", "transfer_money") == {(0, 2, "payee"), (3, 7, "amount")}


def test_one_category_per_value_in_a_reading_but_every_span_as_a_boundary():
    text = "超市买东西花了200"
    categories = [e for e in extract(text, "record_expense", TODAY) if e.entity == "category"]
    assert len(categories) == 1
    assert len([e for e in boundary_entities(text) if e.entity == "category"]) > 1
