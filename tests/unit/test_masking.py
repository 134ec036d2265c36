import pytest

from assistant.masking import mask_sensitive


@pytest.mark.parametrize("text, expected", [
    ("我的卡号是6222 0212 3456 7890 123", "我的卡号是***************0123"),
    ("账号6217000012345678尾号5678", "账号************5678尾号5678"),
    ("身份证11010519491231002X", "身份证**************002X"),
    ("验证码是123456", "验证码是******"),
    ("验证码：三五七二四六", "验证码：******"),
    ("密码8866", "密码****"),
    ("我的手机13812345678", "我的手机138****5678"),
    ("654321", "******"),
])
def test_numbers_and_codes_are_masked(text, expected):
    assert mask_sensitive(text) == expected


@pytest.mark.parametrize("text", ["给张三转五百", "转123456元给张三", "¥200000", "尾号1234", "今天午饭花了35"])
def test_amounts_and_card_tails_stay_readable(text):
    assert mask_sensitive(text) == text
