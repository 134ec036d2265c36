"""Masks what must never be stored in clear in transcripts, the NLU inbox or logs:
card and account numbers, phone numbers and verification codes, typed in digits or
spoken as Chinese digits ("验证码是三五七二四六")."""
from __future__ import annotations

import re

_DIGIT = "0-9０-９零〇一二三四五六七八九幺两"
# 12-19 digits, optionally grouped by spaces or dashes: bank cards, accounts, ID numbers.
_LONG_NUMBER = re.compile(rf"(?<![{_DIGIT}])[{_DIGIT}](?:[ \-]?[{_DIGIT}]){{11,18}}[xX]?(?![{_DIGIT}])")
_PHONE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")
# A code: any 4-8 digit run shortly after a word that announces one.
_CODE_AFTER_WORD = re.compile(rf"(验证码|校验码|动态码|短信码|密码|code)([^{_DIGIT}]{{0,4}})([{_DIGIT}]{{4,8}})",
                              re.IGNORECASE)
# A bare six-digit number is a code unless it is money (¥123456, 123456元).
_BARE_SIX = re.compile(rf"(?<![{_DIGIT}¥￥.])[{_DIGIT}]{{6}}(?![{_DIGIT}.]|\s*(?:元|块|圆|万|千|百|rmb|RMB))")


def _keep_last4(match: re.Match) -> str:
    digits = re.sub(r"[ \-]", "", match.group(0))
    return "*" * (len(digits) - 4) + digits[-4:]


def mask_sensitive(text: str) -> str:
    """The text with long numbers reduced to their last four digits and codes starred out."""
    text = _LONG_NUMBER.sub(_keep_last4, text)
    text = _PHONE.sub(lambda m: m.group(0)[:3] + "****" + m.group(0)[-4:], text)
    text = _CODE_AFTER_WORD.sub(lambda m: m.group(1) + m.group(2) + "*" * len(m.group(3)), text)
    return _BARE_SIX.sub(lambda m: "*" * 6, text)
