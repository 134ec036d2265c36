"""Scam phrases in customer messages: the scripts' variants and paraphrases map to canonical phrases,
and ordinary banking questions do not fire (a false warning teaches customers to ignore warnings)."""

from __future__ import annotations

import pytest

from assistant.bank.risk.scam import CANONICAL, scam_phrases, warning_for


@pytest.mark.parametrize(
    ("text", "phrase"),
    [
        ("客服说我的账户有风险，要把钱转到安全账户", "安全账户"),
        ("把钱转到国家安全账户", "安全账户"),
        ("要把存款转移到保护账户里", "安全账户"),
        ("警察说我涉嫌洗钱", "涉嫌洗钱"),
        ("警察说我涉嫌洗钱", "公检法"),
        ("接到公安局电话", "公检法"),
        ("检察院的人打电话说我涉案", "公检法"),
        ("法院发来传票说要配合调查", "公检法"),
        ("对方要对我的存款做资金核查", "资金核查"),
        ("刷单返佣金", "刷单返利"),
        ("做任务返利，先垫付一千", "刷单返利"),
        ("快递丢了客服说给我退款", "客服退款"),
        ("淘宝客服打电话说衣服有质量问题要双倍赔偿", "客服退款"),
        ("退款要先开通备用金", "客服退款"),
        ("客服说我开通了百万保障", "关闭百万保障"),
        ("帮学生注销校园贷", "注销校园贷"),
        ("他说我的校园贷不注销会影响征信", "注销校园贷"),
        ("有人能帮我修复征信", "征信修复"),
        ("验证码告诉对方了", "验证码告诉对方"),
        ("把验证码发给他", "验证码告诉对方"),
        ("他问我要验证码", "验证码告诉对方"),
        ("對方讓我把驗證碼念給他", "验证码告诉对方"),
        ("对方让我开屏幕共享", "屏幕共享"),
        ("共享屏幕", "屏幕共享"),
        ("让我下载腾讯会议", "屏幕共享"),
        ("他要远程协助我操作", "屏幕共享"),
        ("老板让我先给供应商打款", "冒充领导"),
        ("领导加我新微信", "冒充领导"),
        ("表哥说他换了新号码，急用钱借我两万", "熟人借钱"),
        ("同学QQ上找我借钱", "熟人借钱"),
        ("有人打电话说我儿子出车祸了要手术费", "熟人借钱"),
        ("导师带单稳赚不赔", "投资高回报"),
        ("网恋对象带我在平台投资", "投资高回报"),
        ("提现要先交20%的税", "投资高回报"),
        ("贷款要先交保证金才放款", "贷款先交费"),
        ("卡号填错了要交解冻费", "贷款先交费"),
        ("中了大奖，领奖要先交手续费", "中奖交费"),
        ("医保卡异常被冻结", "医保卡异常"),
        ("对方说游戏账号被冻结要交保证金", "游戏交易"),
        ("航班取消了说可以理赔", "机票改签理赔"),
        ("对方说不要告诉家人", "要求保密"),
        ("让我保持通话去银行", "要求保密"),
        ("班主任在家长群里让我们交资料费", "家长群收费"),
        ("ＱＱ上同學找我借錢", "熟人借钱"),  # full-width and traditional
    ],
)
def test_script_variants_map_to_their_canonical_phrase(text: str, phrase: str) -> None:
    assert phrase in scam_phrases(text)


@pytest.mark.parametrize(
    "text",
    [
        "怎么设置安全锁",
        "屏幕坏了",
        "客服电话多少",
        "退款多久到账",
        "淘宝退款什么时候到",
        "逾期会影响征信吗",
        "征信不良记录多久能消除",
        "我转账时卡号填错了怎么办",
        "验证码收不到",
        "你们的验证码发给哪个手机",
        "不要把验证码告诉别人",
        "我的卡被冻结了怎么办",
        "反洗钱调查要多久",
        "怎么取消自动续费",
        "账号安全怎么保证",
        "信用卡积分翻倍活动",
        "你们有高收益的理财吗",
        "买房首付要转到资金监管账户",
        "我妈住院了，给她转五千",
        "给我朋友转两千块",
        "听说有人冒充客服诈骗，你们官方客服电话多少",
        "转给张三五百",
        "",
    ],
)
def test_ordinary_banking_text_does_not_fire(text: str) -> None:
    assert scam_phrases(text) == ()


def test_phrases_are_canonical_ordered_and_unique() -> None:
    found = scam_phrases("警察说我涉嫌洗钱，要转到安全账户。警察还说不要告诉家人，安全账户是国家的")
    assert found == ("安全账户", "公检法", "涉嫌洗钱", "要求保密")
    assert len(CANONICAL) >= 15 and len(set(CANONICAL)) == len(CANONICAL)


def test_warning_names_what_was_said_and_answers_it() -> None:
    text = warning_for(["安全账户", "公检法", "不是短语"])
    assert text.startswith("您在对话中提到了“安全账户”、“公检法”")
    assert "从来没有“安全账户”" in text and "不会通过电话" in text
    assert warning_for([]) == "" and warning_for(["不是短语"]) == ""
