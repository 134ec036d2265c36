"""Normalized entity values: amounts, time ranges, accounts, categories, products, payees."""

from datetime import date

import pytest

from assistant.nlu.amounts import find_amounts
from assistant.nlu.entities import extract
from assistant.nlu.normalize import filler_spans, normalize_same_length
from assistant.nlu.timeexpr import find_times

TODAY = date(2026, 11, 21)  # a Saturday


@pytest.mark.parametrize(
    "text,value",
    [
        ("两千五", 2500),
        ("一万二", 12000),
        ("二十八块五", 28.5),
        ("七块五", 7.5),
        ("一百零五", 105),
        ("1.5万", 15000),
        ("八百八十八", 888),
        ("五毛", 0.5),
        ("三块五毛", 3.5),
        ("2,500元", 2500),
        ("12.5元", 12.5),
        ("三千五", 3500),
        ("六万", 60000),
        ("九百九", 990),
    ],
)
def test_amount_values(text, value):
    found = find_amounts(text)
    assert len(found) == 1 and found[0].value == value
    assert (found[0].start, found[0].end) == (0, len(text))


def entities(text, intent):
    return {(e.entity, text[e.start : e.end]): e.value for e in extract(normalize_same_length(text), intent, TODAY)}


@pytest.mark.parametrize(
    "text,intent,expected",
    [
        ("给我老婆转两千五", "transfer_money", {("payee", "老婆"): "老婆", ("amount", "两千五"): 2500}),
        ("给张三转五百", "transfer_money", {("payee", "张三"): "张三", ("amount", "五百"): 500}),
        ("转给李四八千", "transfer_money", {("payee", "李四"): "李四", ("amount", "八千"): 8000}),
        ("给我妈转一万二", "transfer_money", {("payee", "我妈"): "我妈", ("amount", "一万二"): 12000}),
        ("转1.5万给欧阳娜娜", "transfer_money", {("amount", "1.5万"): 15000, ("payee", "欧阳娜娜"): "欧阳娜娜"}),
        (
            "昨天打车花了二十八块五",
            "record_expense",
            {
                ("time", "昨天"): {"start": "2026-11-20", "end": "2026-11-20"},
                ("category", "打车"): "交通",
                ("amount", "二十八块五"): 28.5,
            },
        ),
        (
            "今天午饭花了三十五",
            "record_expense",
            {
                ("time", "今天"): {"start": "2026-11-21", "end": "2026-11-21"},
                ("category", "午饭"): "餐饮",
                ("amount", "三十五"): 35,
            },
        ),
        ("随份子花了五百", "record_expense", {("category", "随份子"): "人情", ("amount", "五百"): 500}),
        ("房租三千五", "record_expense", {("category", "房租"): "居住", ("amount", "三千五"): 3500}),
        ("充话费一百", "record_expense", {("category", "充话费"): "通讯", ("amount", "一百"): 100}),
        (
            "今天发工资八千",
            "record_income",
            {
                ("time", "今天"): {"start": "2026-11-21", "end": "2026-11-21"},
                ("category", "工资"): "工资",
                ("amount", "八千"): 8000,
            },
        ),
        ("尾号六六八八的余额", "check_balance", {("account", "尾号六六八八"): {"last4": "6688"}}),
        ("工资卡还有多少钱", "check_balance", {("account", "工资卡"): {"type": "debit"}}),
        ("信用卡还能刷多少", "check_balance", {("account", "信用卡"): {"type": "credit"}}),
        ("我想买大额存单", "find_service", {("product", "大额存单"): "大额存单"}),
        ("怎么交电费", "find_service", {("product", "电费"): "电费"}),
        ("不对，是六百", "inform", {("amount", "六百"): 600}),
        ("换成李四", "inform", {("payee", "李四"): "李四"}),
        ("验证码是382917", "inform", {}),
        ("382917", "inform", {}),
        ("谢谢啦", "thank", {}),
        ("帮我看一下余额", "check_balance", {}),
    ],
)
def test_entities_with_values(text, intent, expected):
    assert entities(text, intent) == expected


@pytest.mark.parametrize(
    "text,start,end",
    [
        ("今天", "2026-11-21", "2026-11-21"),
        ("昨天", "2026-11-20", "2026-11-20"),
        ("上周", "2026-11-09", "2026-11-15"),
        ("这个月", "2026-11-01", "2026-11-21"),
        ("上个月", "2026-10-01", "2026-10-31"),
        ("三月份", "2026-03-01", "2026-03-31"),
        ("最近三个月", "2026-08-22", "2026-11-21"),
        ("今年", "2026-01-01", "2026-11-21"),
        ("十二月份", "2025-12-01", "2025-12-31"),
    ],
)
def test_time_ranges(text, start, end):
    found = find_times(text, TODAY)
    assert [(m.start, m.end, m.value) for m in found] == [(0, len(text), {"start": start, "end": end})]


def test_normalization_keeps_length_and_folds_variants():
    for raw, want in [("轉帳５００元", "转账500元"), ("ＡＢＣ", "abc"), ("給張三", "给张三")]:
        assert normalize_same_length(raw) == want and len(want) == len(raw)


def test_fillers_are_found_at_the_start_and_anywhere():
    text = "呃那个帮我看一下卡里还有多少钱"
    assert [text[s:e] for s, e in filler_spans(text)] == ["呃", "那个"]
    assert filler_spans("那个账户还有钱吗") == []
    assert [("嗯嗯给张三转嗯五百")[s:e] for s, e in filler_spans("嗯嗯给张三转嗯五百")] == ["嗯嗯", "嗯"]
