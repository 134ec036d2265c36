"""Every example of the "real customers" issue through POST /api/chat on the real stack: questions get
answers, problems get help, other institutions an honest reply, and no task starts that was not asked for."""

from __future__ import annotations

import pytest

from assistant.ops.evaluation.realistic_eval import ChatDriver
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

HUMAN_BUTTON = {"title": "转人工客服", "payload": "/human_agent"}


@pytest.fixture(scope="module")
def driver(stack: Stack) -> ChatDriver:
    return ChatDriver(stack.base_url, stack.rasa_url, "demo", stack.rasa_token)


WHY_EXAMPLES = [
    # Problem reports read as commands.
    ("我昨天给我妈转的钱怎么还没到", {"report_problem"}),
    ("卡被锁了是怎么回事", {"report_problem", "ask_question"}),
    ("新卡要怎么开通", {"ask_question"}),
    ("刷卡老是失败", {"report_problem"}),
    ("钱转了没到", {"report_problem"}),
    ("卡被锁了", {"report_problem"}),
    ("转账没到账", {"report_problem"}),
    ("卡里少了钱", {"report_problem"}),
    ("ATM没出钞却扣款了", {"report_problem"}),
    ("卡被冻结了", {"report_problem"}),
    # How-to, rule and policy questions read as commands.
    ("转账多久到账", {"ask_question"}),
    ("能帮家里人还信用卡吗", {"ask_question"}),
    ("能给别人还信用卡吗", {"ask_question"}),
    ("一天最多能转多少", {"ask_question"}),
    ("没带卡能转账吗", {"ask_question"}),
    ("注销银行卡要去网点吗", {"ask_question"}),
    # Keyword hijacking.
    ("公积金余额多少", {"other_institution"}),
    ("我的货币基金余额怎么看", {"ask_question", "find_service"}),
    ("大额存单额度是多少", {"ask_question", "find_service"}),
    ("借呗额度多少", {"other_institution"}),
    ("信用卡怎么激活", {"ask_question"}),
    ("银行卡怎么注销", {"ask_question"}),
    ("卡怎么解冻", {"ask_question", "report_problem"}),
    # Other institutions' products.
    ("花呗怎么还", {"other_institution"}),
    ("微粒贷逾期了怎么办", {"other_institution"}),
    ("支付宝余额怎么提现", {"other_institution"}),
    ("微信支付被扣了好几笔", {"other_institution", "report_problem"}),
    ("社保卡余额怎么查", {"other_institution"}),
    ("帮我查下建行卡余额", {"other_institution"}),
]


@pytest.mark.parametrize("text, acceptable", WHY_EXAMPLES)
def test_why_examples_get_the_right_handling_and_start_no_task(driver: ChatDriver, text: str, acceptable: set) -> None:
    outcome = driver(text)
    assert outcome.started == [], f"{text!r} started {outcome.started}"
    assert outcome.intent in acceptable, f"{text!r} read as {outcome.intent} {outcome.confidence:.2f}: {outcome.reply}"


def test_a_request_still_starts_its_task(driver: ChatDriver) -> None:
    assert driver("给张三转500").started == ["transfer_money"]
    assert driver("能帮我给张三转500吗").started == ["transfer_money"]
    assert driver("我的卡丢了").started == ["report_card_loss"]


def test_transfer_status_from_the_ledger(stack: Stack, demo_token: str, driver: ChatDriver) -> None:
    driver.restart()
    replies = stack.chat(demo_token, "我给张三的转账到了吗")
    data = next(r["data"] for r in replies if r["data"].get("type") == "problem_help")
    own = data["self_service"]
    assert own["type"] == "transfer_status" and own["payee"] == "张三"
    assert own["items"] and all(item["counterparty"] == "张三" for item in own["items"])
    text = replies[-1]["text"]
    assert "张三" in text and "成功转出" in text and "¥300.00" in text  # the seeded transfer 9 days ago
    assert HUMAN_BUTTON in replies[-1]["buttons"]
    driver.restart()


def test_problem_report_offers_a_person_as_a_button(stack: Stack, demo_token: str, driver: ChatDriver) -> None:
    driver.restart()
    replies = stack.chat(demo_token, "卡被冻结了")
    assert HUMAN_BUTTON in replies[-1]["buttons"]
    assert replies[-1]["data"]["type"] == "problem_help" and replies[-1]["data"]["topic"] == "card_locked"
    assert "没有被我行冻结" in replies[-1]["text"]  # the customer's own cards, checked in the ledger
    driver.restart()


def test_other_institution_is_told_honestly_without_our_balance(
    stack: Stack, demo_token: str, driver: ChatDriver
) -> None:
    driver.restart()
    balance = stack.balance_text(demo_token, "6688")
    replies = stack.chat(demo_token, "公积金余额多少")
    text = " ".join(r["text"] for r in replies)
    assert "无法查询" in text and "公积金" in text and balance not in text
    driver.restart()


def test_unsure_answers_offer_choices_and_a_person(stack: Stack, demo_token: str, driver: ChatDriver) -> None:
    driver.restart()
    replies = stack.chat(demo_token, "那个东西怎么弄")
    last = replies[-1]
    assert "为您打开" not in last["text"]
    assert HUMAN_BUTTON in last["buttons"]
    driver.restart()


def test_dates_times_and_reference_numbers_are_not_amounts(stack: Stack) -> None:
    parse = stack.parse("5/12 09:30 订单号20231105889 扣了两次")
    assert [e for e in parse["entities"] if e["entity"] == "amount"] == []
    parse = stack.parse("没带卡能转给对方吗")
    assert [e for e in parse["entities"] if e["entity"] == "payee"] == []
