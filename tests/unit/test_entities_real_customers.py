"""Entities that do not invent money: dates, times and reference numbers are never amounts; a
pronoun is never a payee (real customers write "5/12 09:30", "订单号…", "转给对方")."""

from __future__ import annotations

from typing import List, Tuple

import pytest

from assistant.nlu.entities import extract


def found(text: str, intent: str = "transfer_money") -> List[Tuple[str, object, str]]:
    return [(e.entity, e.value, text[e.start : e.end]) for e in extract(text, intent)]


@pytest.mark.parametrize(
    "text, expected",
    [
        ("5/12 09:30转了2000元没到", [("amount", 2000, "2000元")]),
        ("下午3:15转的", []),
        ("2024-03-05那笔", []),
        ("2024.3.5转的钱", []),
        ("订单号20231105889扣了两次", []),
        ("工单号A12345", []),
        ("交易参考号 884213 的那笔", []),
        ("手机号13800138000", []),
        ("卡号6222021234567890123被锁了", []),
        ("流水号998877665544", []),
        ("给张三转1.5万", [("payee", "张三", "张三"), ("amount", 15000, "1.5万")]),
        ("转2,500给李四", [("amount", 2500, "2,500"), ("payee", "李四", "李四")]),
        ("12/25转的300", [("amount", 300, "300")]),
    ],
)
def test_dates_times_and_references_are_not_amounts(text: str, expected: list) -> None:
    assert found(text) == expected


@pytest.mark.parametrize(
    "text", ["能转给对方吗", "我给他转了500", "人家说没收到", "转给家里人要手续费吗", "给别人转账多久到"]
)
def test_pronouns_are_never_payees(text: str) -> None:
    assert not [e for e in found(text) if e[0] == "payee"]
