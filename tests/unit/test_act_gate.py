"""ActGate and the speech-act rules: only a request starts a task; questions, problems and other
institutions' products are re-routed, whatever the model read (the Why section of the issue)."""

from __future__ import annotations

from typing import List, Tuple

import pytest

from assistant.nlu import speech_act
from assistant.nlu.act_gate import ActGate, decide, swap_ranking
from assistant.nlu.entities import extract

CONFIG = ActGate.get_default_config()


def route(text: str, model_intent: str) -> Tuple[str, dict]:
    entities = [e.to_rasa(text) for e in extract(text, model_intent)]
    return decide(model_intent, text, entities, CONFIG)


@pytest.mark.parametrize(
    "text, model_intent, expected",
    [
        # Problem reports read as commands.
        ("我昨天给我妈转的钱怎么还没到", "transfer_money", "report_problem"),
        ("卡被锁了是怎么回事", "report_card_loss", "report_problem"),
        ("新卡要怎么开通", "report_card_loss", "ask_question"),
        ("刷卡老是失败", "check_balance", "report_problem"),
        ("卡被冻结了", "report_card_loss", "report_problem"),
        ("转账没到账", "transfer_money", "report_problem"),
        ("我给张三的转账到了吗", "transfer_money", "report_problem"),
        ("余额不对", "check_balance", "report_problem"),
        # How-to, rule and policy questions read as commands.
        ("能帮家里人还信用卡吗", "repay_credit_card", "ask_question"),
        ("一天最多能转多少", "query_credit_card_bill", "ask_question"),
        ("一天最多能转多少", "transfer_money", "ask_question"),
        ("没带卡能转账吗", "transfer_money", "ask_question"),
        ("转账多久到账", "transfer_money", "ask_question"),
        ("注销银行卡要去网点吗", "report_card_loss", "ask_question"),
        ("转5万要手续费吗", "transfer_money", "ask_question"),
        ("卡丢了怎么办", "report_card_loss", "report_problem"),  # help, with a button to freeze it now
        # Keyword hijacking and other institutions.
        ("公积金余额多少", "check_balance", "other_institution"),
        ("借呗额度多少", "query_credit_limit", "other_institution"),
        ("大额存单额度", "query_credit_limit", "ask_question"),
        ("贷款余额在哪看", "check_balance", "ask_question"),
        ("花呗怎么还", "repay_credit_card", "other_institution"),
        ("帮我还一下花呗", "repay_credit_card", "other_institution"),
        ("查一下我建行卡的余额", "check_balance", "other_institution"),
        ("微粒贷逾期了怎么办", "report_problem", "other_institution"),
        # Requests stay requests.
        ("给张三转500", "transfer_money", "transfer_money"),
        ("能帮我给张三转500吗", "transfer_money", "transfer_money"),
        ("麻烦转两千给我妈", "transfer_money", "transfer_money"),
        ("转账", "transfer_money", "transfer_money"),
        ("帮我把信用卡还了", "repay_credit_card", "repay_credit_card"),
        ("我的卡丢了", "report_card_loss", "report_card_loss"),
        ("卡被偷了快帮我冻结", "report_card_loss", "report_card_loss"),
        ("挂失", "report_card_loss", "report_card_loss"),
        ("今天午饭花了35", "record_expense", "record_expense"),
        ("今天发工资8000", "record_income", "record_income"),
        ("帮我交下手机话费 交100", "record_income", "find_service"),  # a payment to make, not a record
        ("帮我充100话费", "record_expense", "find_service"),
        ("昨天交了100话费", "record_expense", "record_expense"),
        ("我还有多少钱", "check_balance", "check_balance"),
        ("信用卡额度多少", "query_credit_limit", "query_credit_limit"),
        ("信用卡还款用支付宝可以吗", "ask_question", "ask_question"),
    ],
)
def test_routes_by_form_and_words(text: str, model_intent: str, expected: str) -> None:
    assert route(text, model_intent)[0] == expected


def test_unclear_task_reading_is_asked_not_guessed() -> None:
    intent, act = route("给我妈的钱", "transfer_money")
    assert intent == "ask_question" and act["unclear"] is True and act["model_intent"] == "transfer_money"
    intent, act = route("激活信用卡", "report_card_loss")  # clearly not a loss report: answered, not asked
    assert intent == "ask_question" and act["unclear"] is False
    intent, act = route("记账", "record_expense")
    assert intent == "ask_question" and act["unclear"] is True


def test_act_says_why_and_names_the_institution() -> None:
    intent, act = route("借呗额度多少", "query_credit_limit")
    assert act == {
        "kind": "question",
        "reason": "about 借呗",
        "unclear": False,
        "model_intent": "query_credit_limit",
        "institution": "借呗",
    }


def test_supported_conversational_readings_pass_untouched() -> None:
    for intent in ("greet", "affirm", "deny", "inform", "cancel"):
        assert route("不对，是六百", intent)[0] == intent
    assert route("我要投诉你们", "complaint")[0] == "complaint"
    assert route("转人工", "human_agent")[0] == "human_agent"
    assert route("你能做什么", "help")[0] == "help"
    assert route("你是机器人吗", "bot_challenge")[0] == "bot_challenge"
    assert route("社保在哪查", "find_service")[0] == "find_service"


@pytest.mark.parametrize(
    "text, model_intent, expected",
    [
        ("银行早上几点上班", "other_institution", "ask_question"),  # no institution named
        ("新信用卡怎么都激活不了", "other_institution", "report_problem"),
        ("你们app在哪下载", "complaint", "ask_question"),  # no complaint word
        ("余额怎么跟我算的不对", "human_agent", "report_problem"),  # does not ask for a person
        ("你好，转账怎么操作", "help", "ask_question"),  # about banking, not the assistant
        ("昨天那笔1280是什么", "inform", "report_problem"),  # never an edit of the last record
        ("刚才有人说是公安局的让我转到安全账户", "transfer_money", "report_problem"),  # a scam story starts nothing
        ("个人征信报告在哪里能查", "spending_summary", "ask_question"),
        ("短信通知每月多少钱", "check_balance", "ask_question"),
        ("天天打电话推销信用卡烦死了", "ask_question", "complaint"),
        ("微信转账转错了能退吗", "report_problem", "other_institution"),
        ("别的银行转过来的钱没到", "other_institution", "report_problem"),
        ("基金定投不想投了怎么停", "cancel", "ask_question"),
        ("95开头的电话说是你们行的 是真的吗", "affirm", "ask_question"),
        ("账单分期手续费多少", "find_service", "ask_question"),
        ("临时额度到期了怎么办", "query_credit_limit", "ask_question"),
        ("余额不够的时候还能扣款吗", "check_balance", "ask_question"),
        ("一堆零钱换整钱可以吗", "ask_question", "ask_question"),  # 零钱 alone is not 微信零钱
        ("那个东西怎么弄", "bot_challenge", "ask_question"),  # nothing about who the bot is
    ],
)
def test_readings_the_words_do_not_support_are_answered(text: str, model_intent: str, expected: str) -> None:
    assert route(text, model_intent)[0] == expected


def test_longest_institution_name_wins() -> None:
    assert speech_act.foreign("微信零钱怎么提现").key == "微信零钱"
    assert speech_act.foreign("转到建行卡要手续费吗") is None  # our transfer to another bank: a question for us


def test_swap_ranking_gives_the_new_reading_both_readings_confidence() -> None:
    ranking = [
        {"name": "transfer_money", "confidence": 0.63},
        {"name": "ask_question", "confidence": 0.3},
        {"name": "check_balance", "confidence": 0.07},
    ]
    swapped = swap_ranking(ranking, "transfer_money", "ask_question", 0.63)
    assert swapped == [
        {"name": "ask_question", "confidence": pytest.approx(0.93)},
        {"name": "check_balance", "confidence": 0.07},
        {"name": "transfer_money", "confidence": 0.0},
    ]
    assert swap_ranking([], "transfer_money", "ask_question", 0.5) == [
        {"name": "ask_question", "confidence": 0.5},
        {"name": "transfer_money", "confidence": 0.0},
    ]


def _texts(pairs: List[Tuple[str, str]]) -> List[str]:
    return [t for t, _ in pairs]


@pytest.mark.parametrize(
    "text", ["转账多久到账", "能帮家人还信用卡吗", "一天最多能转多少？", "信用卡年费怎么收", "为啥扣了我10块钱"]
)
def test_questions_read_as_questions_or_problems(text: str) -> None:
    assert speech_act.reads_as(text).kind in (speech_act.QUESTION, speech_act.PROBLEM)


@pytest.mark.parametrize("text", ["给张三转500", "查余额", "今天打车花了28", "挂失尾号6688"])
def test_plain_requests_read_as_requests(text: str) -> None:
    assert speech_act.reads_as(text).kind == speech_act.REQUEST
