import jieba
import pytest

from assistant.nlu.homophones import correct, correct_payees

jieba.initialize()


@pytest.mark.parametrize(
    "heard,meant",
    [
        ("理材产品有哪些", "理财产品有哪些"),
        ("想买鸡金", "想买基金"),
        ("大额村单", "大额存单"),
        ("里财", "理财"),
        ("查一下于额", "查一下余额"),
    ],
)
def test_domain_homophones_are_corrected(heard, meant):
    assert correct(heard)[0] == meant


@pytest.mark.parametrize("text", ["这个月信用卡账单是多少", "帮我把两千转到尾号1024", "我想买几斤苹果", "给张三转五百"])
def test_ordinary_words_are_left_alone(text):
    assert correct(text) == (text, [])


def test_payee_book_corrects_names_that_sound_alike():
    assert correct_payees("给张珊转五百", ["张三", "李四"]) == ("给张三转五百", [("张珊", "张三")])
    assert correct_payees("给张珊转五百", ["张珊", "张三"])[0] == "给张珊转五百"  # a real 张珊 is kept
    assert correct_payees("信用卡账单多少", ["张三"])[0] == "信用卡账单多少"
