"""No card number, phone number or verification code is at rest in clear, in any format.

On the shared running stack a customer says numbers in every way they can be typed or spoken, is
handed to an agent who answers with one, and makes a transfer approved by an SMS code. Then every
store is searched: every text column of every table of every SQLite file in the data folder
(JSON decoded), the raw bytes of those files (WAL included) and every log file. The file name sorts
this test after tests/integration/ and tests/browser/, so it also checks what those tests left.
"""

from __future__ import annotations

import json
import re
import sqlite3
import unicodedata
from pathlib import Path
from typing import Dict, Iterable, Iterator, List, Tuple

import pytest

pytestmark = pytest.mark.integration

CARD = "6222021234567890123"
ID_NUMBER = "11010519491231002X"
PHONES = ("13800138000", "15912345678")
CODES = ("357246", "482913", "246810")  # said by customers here and in tests/integration
LONG_NUMBERS = (CARD, ID_NUMBER[:-1], *PHONES)

FULL_WIDTH = str.maketrans("0123456789X", "０１２３４５６７８９Ｘ")
CHINESE = str.maketrans("0123456789", "零一二三四五六七八九")
SPOKEN = str.maketrans("0123456789", "洞幺两三四五六拐八九")

NUMBER_HEAVY = [
    f"我的卡号是{CARD[:4]} {CARD[4:8]} {CARD[8:12]} {CARD[12:16]} {CARD[16:]}，帮我查一下",
    f"卡号{CARD.translate(FULL_WIDTH)}",
    f"{CARD.translate(CHINESE)} 这张卡",
    f"{CARD[:4]}-{CARD[4:8]}-{CARD[8:12]}-{CARD[12:16]}-{CARD[16:]}",
    "我的手机号是138-0013-8000",
    "手机１３８００１３８０００收不到短信",
    "电话幺三八零零幺三八零零零",
    "另一个手机 159 1234 5678",
    "1 5 9 1 2 3 4 5 6 7 8",
    f"身份证号{ID_NUMBER}",
    f"身份证 {ID_NUMBER.translate(FULL_WIDTH)}",
    "验证码是三五七二四六",
    "4 8 2 9 1 3",
    "验证码：四八二九一三",
    "482913",
    "验证码 ３５７２４６",
]

# ------------------------------------------------------------------ finding numbers, independently of the masker
_CHINESE_DIGITS = {c: str(i) for i, c in enumerate("零一二三四五六七八九")} | {
    "〇": "0",
    "○": "0",
    "洞": "0",
    "幺": "1",
    "两": "2",
    "拐": "7",
}
_SEPARATORS = " \t\u3000-－‐–—.．·_/,，"


def _digit(ch: str) -> str:
    if ch in _CHINESE_DIGITS:
        return _CHINESE_DIGITS[ch]
    value = unicodedata.digit(ch, None)
    return str(value) if value is not None else ("X" if ch in "XxＸｘ" else "")


def number_runs(text: str) -> Iterator[str]:
    """The digits of every number in the text, whatever the script and the separators between them."""
    run: List[str] = []
    separators = 0
    for ch in text:
        d = _digit(ch)
        if d and (d != "X" or run):
            run.append(d)
            separators = 0
        elif run and ch in _SEPARATORS and separators < 3:
            separators += 1
        else:
            if run:
                yield "".join(run)
            run, separators = [], 0
    if run:
        yield "".join(run)


def leaks_in(text: str, codes: Iterable[str]) -> List[str]:
    """The secrets the text gives away: a long number anywhere inside a number, a code as a whole
    number (of the text, or of one of its whitespace-separated pieces: "482913 2026")."""
    found = {n for digits in number_runs(text) for n in LONG_NUMBERS if n in digits}
    found |= {c for piece in [text, *text.split()] for digits in number_runs(piece) for c in codes if digits == c}
    return sorted(found)


def _unescape_json(text: str) -> str:
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), text)


def _strings(value) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from _strings(v)


# ------------------------------------------------------------------ the stores
def sqlite_values(path: Path) -> Iterator[Tuple[str, str]]:
    """(where, text) for every text value of every table, JSON values decoded."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = [t for (t,) in db.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        for table in tables:
            columns = [c[1] for c in db.execute(f'PRAGMA table_info("{table}")')]
            for row in db.execute(f'SELECT rowid, * FROM "{table}"'):
                for column, value in zip(columns, row[1:]):
                    if isinstance(value, bytes):
                        value = value.decode("utf-8", "replace")
                    if not isinstance(value, str):
                        continue
                    where = f"{path.name}:{table}.{column} rowid {row[0]}"
                    yield where, value
                    try:
                        decoded = json.loads(value)
                    except ValueError:
                        continue
                    for text in _strings(decoded):
                        yield where + " (JSON)", text
    finally:
        db.close()


def everything_at_rest(data_dir: Path) -> Iterator[Tuple[str, str]]:
    databases = sorted(p for p in data_dir.glob("*.db") if p.is_file())
    assert {p.name for p in databases} >= {"assistant.db", "trackers.db"}, databases
    for path in databases:
        yield from sqlite_values(path)
    for path in sorted(p for p in data_dir.glob("*.db*") if p.is_file()):  # raw pages, -wal and -shm too
        yield f"{path.name} (raw bytes)", _unescape_json(path.read_bytes().decode("utf-8", "replace"))
    logs = sorted((data_dir / "logs").glob("*.log")) + [data_dir / "launcher.log"]
    assert len(logs) >= 4 and all(p.exists() for p in logs), logs
    for path in logs:
        for number, line in enumerate(path.read_text(encoding="utf-8", errors="replace").splitlines(), 1):
            yield f"{path.relative_to(data_dir)}:{number}", line


# ------------------------------------------------------------------ the conversation
def agent_does(stack, token: str, handoff_id: int, what: str, body=None) -> None:
    status, answer = stack.post(f"/api/agent/handoffs/{handoff_id}/{what}", body or {}, token=token)
    assert status in (200, 201), (what, status, answer)


def say_to_bot(stack, token: str, agent_token: str, text: str) -> Dict:
    """Say it; when it lands with a person, let the agent answer with a phone number and hand back."""
    answer = stack.say(token, text)
    if answer["handoff"]:
        handoff_id = answer["handoff"]["id"]
        if answer["handoff"]["status"] == "queued":
            agent_does(stack, agent_token, handoff_id, "claim")
        agent_does(stack, agent_token, handoff_id, "messages", {"text": f"好的，已登记您的手机{PHONES[0]}"})
        agent_does(stack, agent_token, handoff_id, "return")
    return answer


def outbox_codes(stack, token: str) -> List[str]:
    status, body = stack.get("/api/dev/outbox", token=token)
    assert status == 200, body
    return [m["code"] for m in body["messages"]]


def test_no_number_or_code_is_at_rest_in_clear(stack, agent_token):
    probe = stack.token("pii_probe")
    for text in NUMBER_HEAVY[:8]:
        say_to_bot(stack, probe, agent_token, text)
    started = stack.say(probe, "转人工")
    if started["handoff"]:  # with a person: the customer's and the agent's lines are kept too
        handoff_id = started["handoff"]["id"]
        stack.say(probe, f"我的卡号是{CARD}，验证码357246")
        agent_does(stack, agent_token, handoff_id, "claim")
        agent_does(stack, agent_token, handoff_id, "messages", {"text": f"请核对手机{PHONES[1]}和卡号{CARD}"})
        agent_does(stack, agent_token, handoff_id, "return")
    for text in NUMBER_HEAVY[8:]:
        say_to_bot(stack, probe, agent_token, text)

    demo = stack.token("demo")
    say_to_bot(stack, demo, agent_token, "算了")
    text = "".join(m["text"] for m in say_to_bot(stack, demo, agent_token, "给李四转六千")["messages"])
    assert "¥6,000.00" in text and "验证码" in text, text
    assert "验证码已发送" in "".join(m["text"] for m in stack.chat(demo, "确认"))
    code = outbox_codes(stack, demo)[0]
    assert re.fullmatch(r"\d{6}", code)
    assert "转账成功" in "".join(m["text"] for m in stack.chat(demo, f"验证码是{code}"))
    for said in (f"刚才的验证码是{code.translate(CHINESE)}", code.translate(FULL_WIDTH), " ".join(code)):
        say_to_bot(stack, probe, agent_token, said)  # the used code, said again in other ways

    shown = {c for token in (demo, stack.token("demo2")) for c in outbox_codes(stack, token) if c}
    assert code in shown
    codes = set(CODES) | shown
    found = [
        (where, leaks_in(text, codes), text[:160])
        for where, text in everything_at_rest(stack.data_dir)
        if leaks_in(text, codes)
    ]
    assert not found, "in clear at rest:\n" + "\n".join(f"{w}: {s} in {t!r}" for w, s, t in found[:40])
