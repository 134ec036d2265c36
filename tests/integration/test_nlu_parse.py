"""The issue's examples through the real model (/model/parse), with normalized values."""

from datetime import date, timedelta

import pytest

pytestmark = pytest.mark.integration


def values(parse):
    return {(e["entity"], parse["text"][e["start"] : e["end"]]): e["value"] for e in parse["entities"]}


def test_filler_words_balance(stack):
    p = stack.parse("呃那个帮我看一下卡里还有多少钱")
    assert p["intent"]["name"] == "check_balance"
    assert p["text"] == "呃那个帮我看一下卡里还有多少钱"


def test_transfer_to_a_relation_with_spoken_amount(stack):
    p = stack.parse("给我老婆转两千五")
    assert p["intent"]["name"] == "transfer_money"
    assert values(p) == {("payee", "老婆"): "老婆", ("amount", "两千五"): 2500}


def test_spoken_expense_with_category_and_date(stack):
    p = stack.parse("昨天打车花了二十八块五")
    assert p["intent"]["name"] == "record_expense"
    yesterday = (date.today() - timedelta(days=1)).isoformat()
    assert values(p) == {
        ("time", "昨天"): {"start": yesterday, "end": yesterday},
        ("category", "打车"): "交通",
        ("amount", "二十八块五"): 28.5,
    }


def test_homophone_of_a_product_is_understood(stack):
    p = stack.parse("理材产品有哪些")
    assert p["intent"]["name"] == "find_service"
    assert p["text"] == "理材产品有哪些"  # spans refer to what was said
    assert values(p) == {("product", "理材"): "理财"}
    assert p["normalized_text"].startswith("理财")


@pytest.mark.parametrize(
    "text,intent,expected",
    [
        ("给张三转一万二", "transfer_money", {("payee", "张三"): "张三", ("amount", "一万二"): 12000}),
        ("转1.5万给王芳", "transfer_money", {("amount", "1.5万"): 15000, ("payee", "王芳"): "王芳"}),
        ("给我妈转八百八十八", "transfer_money", {("payee", "我妈"): "我妈", ("amount", "八百八十八"): 888}),
        ("早饭七块五", "record_expense", {("category", "早饭"): "餐饮", ("amount", "七块五"): 7.5}),
        ("随份子花了一百零五", "record_expense", {("category", "随份子"): "人情", ("amount", "一百零五"): 105}),
        ("尾号六六八八还有多少钱", "check_balance", {("account", "尾号六六八八"): {"last4": "6688"}}),
        ("信用卡还能刷多少", "check_balance", {("account", "信用卡"): {"type": "credit"}}),
        ("我想买大额存单", "find_service", {("product", "大额存单"): "大额存单"}),
    ],
)
def test_normalized_values(stack, text, intent, expected):
    p = stack.parse(text)
    assert p["intent"]["name"] == intent
    assert values(p) == expected


def test_month_and_recent_ranges(stack):
    p = stack.parse("最近三个月的流水")
    assert p["intent"]["name"] == "query_transactions"
    (time_value,) = [e["value"] for e in p["entities"] if e["entity"] == "time"]
    assert time_value["end"] == date.today().isoformat()
