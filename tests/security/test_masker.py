"""The one masker (assistant/base/masking.py): every way a customer types or speaks a card number, phone
number or code is masked; money, dates, times and last-four references stay readable."""

import pytest

from assistant.base.masking import DIGIT_VALUES, find_sensitive, mask_sensitive, mask_value, normalise

CARD = "6222021234567890123"
PHONE = "13800138000"
ID_NUMBER = "11010519491231002X"
CODE = "482913"


def digits_of(text: str) -> str:
    """The digits a reader gets from the text, whatever their script (X of an ID number included)."""
    return "".join(DIGIT_VALUES.get(ch) or ("X" if ch in "XxＸｘ" else "") for ch in text)


FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
CHINESE = str.maketrans("0123456789", "零一二三四五六七八九")
SPOKEN = str.maketrans("0123456789", "洞幺两三四五六拐八九")


def spellings(number: str, group: int = 4):
    """The number as customers write or say it: plain, grouped by space/dash/dot, one digit at a time,
    full-width, Chinese and spoken digits (幺 for 1, 洞 for 0 …), grouped again."""
    groups = [number[i : i + group] for i in range(0, len(number), group)]
    forms = [number, " ".join(groups), "-".join(groups), ".".join(groups), " ".join(number), " - ".join(groups)]
    if number[:1] == "1" and len(number) == 11:
        forms += [f"{number[:3]} {number[3:7]} {number[7:]}", f"{number[:3]}-{number[3:7]}-{number[7:]}"]
    converted = [number.translate(t) for t in (FULL_WIDTH, CHINESE, SPOKEN)]
    forms += converted + [" ".join(c[i : i + group] for i in range(0, len(c), group)) for c in converted]
    forms.append(number.translate(CHINESE).replace("一", "幺").replace("零", "〇"))
    return forms


SENSITIVE = (
    [(CARD, form) for form in spellings(CARD)]
    + [(PHONE, form) for form in spellings(PHONE)]
    + [(ID_NUMBER.rstrip("X"), form) for form in spellings(ID_NUMBER, 6)]
    + [("6217000012345678", form) for form in spellings("6217000012345678")]
    + [("123456789012", "账号123456789012")]
)


@pytest.mark.parametrize("number, form", SENSITIVE)
@pytest.mark.parametrize("frame", ["{}", "我的卡号是{}，请查一下", "手机：{}。", "{}\n谢谢"])
def test_every_spelling_of_a_card_phone_or_id_number_is_masked(number, form, frame):
    text = frame.format(form)
    masked = mask_sensitive(text)
    assert number not in digits_of(masked), (text, masked)
    prefix, suffix = frame.split("{}")
    assert masked.startswith(prefix) and masked.endswith(suffix)  # the words around it are kept as written
    assert mask_sensitive(masked) == masked  # masking twice changes nothing


@pytest.mark.parametrize(
    "text, expected",
    [
        ("13800138000", "138****8000"),
        ("138-0013-8000", "138****8000"),
        ("138 0013 8000", "138****8000"),
        ("１３８００１３８０００", "１３８****８０００"),
        ("幺三八零零幺三八零零零", "幺三八****八零零零"),
        ("手机+86 138 0013 8000", "手机+*********8000"),
        ("6222 0212 3456 7890 123", "***************0123"),
        ("6222-0212-3456-7890", "************7890"),
        ("卡号 6222.0212.3456.7890 的余额", "卡号 ************7890 的余额"),
        ("六二二二零二一二三四五六七八九零", "************七八九零"),
        ("11010519491231002X", "**************002X"),
        ("身份证 110105 19491231 002x 办卡", "身份证 **************002x 办卡"),
        ("账号123456789012", "账号********9012"),
        ("账号 123.456.789.012", "账号 ********9012"),  # dotted like an IP address, but not one
    ],
)
def test_canonical_masked_forms_keep_only_what_identifies_the_card_for_the_customer(text, expected):
    assert mask_sensitive(text) == expected


CODES = [
    "验证码是482913",
    "验证码：四八二九一三",
    "验证码是三五七二四六",
    "验证码 4 8 2 9 1 3",
    "验证码是 ４８２９１３",
    "动态码为 482913",
    "短信码：幺二三四五六",
    "校验码4829",
    "验证码 四八二九",
    "密码8866",
    "我的密码是 8 8 6 6",
    "code: 48291370",
    "OTP 4829",
    "482913是验证码",
    "八八六六是密码",
    "收到的验证码是 48-29-13 对吧",
    "482913",
    "4 8 2 9 1 3",
    "四八二九一三",
    "４８２９１３",
    "幺二三四五六",
    "好的 482913",
    "48.29.13",
]


@pytest.mark.parametrize("text", CODES)
def test_codes_are_starred_out_completely(text):
    masked = mask_sensitive(text)
    code_digits = [f for f in find_sensitive(text) if f.kind == "code"]
    assert code_digits, text
    assert len(digits_of(masked)) <= len(digits_of(text)) - 4, (text, masked)
    assert "*" * 4 in masked and mask_sensitive(masked) == masked


@pytest.mark.parametrize(
    "text",
    [
        # money
        "¥123456",
        "￥123456",
        "¥ 123456",
        "123456元",
        "123456 元",
        "123456块",
        "转123456",
        "转账 123456",
        "还款123456",
        "给张三转五百",
        "转五百",
        "三千块",
        "转1000元给李四",
        "¥1,234,567.89",
        "123456.78",
        "余额 52,380.50",
        "转 500 块",
        "1万2千",
        "我要转一万",
        "2000美元",
        "12万",
        "利率3.5%",
        "账单6842.17元",
        "$123456",
        # dates and times
        "2026-11-30",
        "2026/11/30",
        "2026.11.30",
        "2026-11-30 10:32",
        "2026-11-30 10:32:15",
        "10:32",
        "18:00前到账",
        "2026-11账单",
        "2026年11月30日",
        "十一月三十日",
        "二〇二六年",
        # last-four references: they must stay usable
        "尾号6688",
        "尾号为6688",
        "尾号是六六八八",
        "卡号后四位1024",
        "末四位3321",
        "尾号 6688 的卡",
        "从尾号6688转到尾号1024",
        "验证码已发送至尾号8000的手机，5分钟内有效",
        # everyday words and short numbers
        "今天午饭花了35",
        "我有两张卡",
        "一二三",
        "密码错了3次",
        "验证码5分钟内有效",
        "查一下余额",
        "第12期",
        "一五一十",
        "七七八八",
        "QQ号码",
        "a123456b",
        "3f2a9b8c123456ab",
        "",
        # log lines
        "Starting Rasa server on http://127.0.0.1:54659",
        "connect 10.20.30.40:5432",
        "rasa 3.6.21",
    ],
)
def test_money_dates_times_and_last_four_stay_as_written(text):
    assert mask_sensitive(text) == text


def test_many_numbers_in_one_message_are_all_masked_and_the_rest_kept():
    text = f"卡号{CARD}，手机１３８００１３８０００，验证码是三五七二四六，转500元，尾号6688，2026-11-30 10:32"
    masked = mask_sensitive(text)
    assert masked == (
        "卡号***************0123，手机１３８****８０００，验证码是******，转500元，尾号6688，2026-11-30 10:32"
    )
    assert [f.kind for f in find_sensitive(text)] == ["card", "phone", "code"]


def test_findings_point_at_the_original_characters():
    text = "请给 幺三八-零零幺三-八零零零 回电"
    (finding,) = find_sensitive(text)
    assert text[finding.start : finding.end] == "幺三八-零零幺三-八零零零" and finding.kind == "phone"


def test_normalisation_keeps_every_position():
    text = "幺三八 １３８ 洞拐两 x"
    assert len(normalise(text)) == len(text) and normalise(text) == "138 138 072 X"


def test_mask_value_masks_every_string_of_nested_data_but_keeps_numbers_and_generated_ids():
    data = {
        "text": f"卡号{CARD}",
        "items": [PHONE, {"code": "验证码482913"}],
        "amount": 123456,
        "cents": 12345678901234,
        "key": "3f2a9b8c4d5e6f708192a3b4c5d6e7f8",
        "ok": True,
        "none": None,
        "uuid": "123e4567-e89b-12d3-a456-426614174000",
    }
    masked = mask_value(data)
    assert masked["text"] == "卡号***************0123" and masked["items"] == ["138****8000", {"code": "验证码******"}]
    assert masked["amount"] == 123456 and masked["cents"] == 12345678901234 and masked["ok"] is True
    assert masked["key"] == data["key"] and masked["uuid"] == data["uuid"] and masked["none"] is None


@pytest.mark.parametrize(
    "text, expected",
    [
        (
            "幺三八零零幺三八零零零 3 5 7 2 4 6",
            "幺三八****八零零零 ******",
        ),  # a phone, then a code read out digit by digit
        (f"{CARD} {PHONE}", "***************0123 138****8000"),
        (f"{PHONE} {CODE}", "138****8000 ******"),
        ("4829 1 3", "******"),
        ("138 0 0138000", "138****8000"),
    ],
)
def test_numbers_only_a_space_apart_are_masked_each_on_its_own(text, expected):
    assert mask_sensitive(text) == expected


@pytest.mark.parametrize(
    "said,secret",
    [
        ("卡号6222/0212/3456/7890", "6222021234567890"),
        ("手机号码是一三八，零零一三，八零零零", "13800138000"),
        ("电话(138)0013-8000", "13800138000"),
        ("验证码是 3 5 7，2 4 6", "357246"),
        ("号码 138、0013、8000", "13800138000"),
    ],
)
def test_slashes_commas_and_brackets_between_digit_groups_are_separators(said: str, secret: str) -> None:
    """Speech recognizers put commas between spoken digit groups; people type slashes and brackets."""
    masked = normalise(mask_sensitive(said))
    assert secret not in "".join(ch for ch in masked if ch.isdigit())
