"""Rule-based entities with normalized values: amount, account, time, category, product, payee.

Works on the normalized (same-length) text, so spans are spans of the original.
Overlaps are resolved in a fixed order: account and time first (尾号六六八八 and
三月份 are not amounts), then payees (张三 is not the amount 3), then amounts.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, FrozenSet, List, Optional, Sequence, Tuple

from assistant.base.spans import longest_first, longest_matches
from assistant.nlu import vocabulary as vocab
from assistant.nlu.amounts import find_amounts, parse_number
from assistant.nlu.timeexpr import find_times

EXPENSE_INTENTS = {"record_expense", "spending_summary", "query_transactions"}
INCOME_INTENTS = {"record_income"}
PRODUCT_INTENTS = {"find_service"}
# Intents in which a person's name means a payee (elsewhere "谢谢" is not Mr. Xie).
PAYEE_INTENTS = {"transfer_money", "inform", "query_transactions", "deny"}


@dataclass(frozen=True)
class Entity:
    start: int
    end: int
    entity: str
    value: Any
    extractor: str = "BankingEntityExtractor"

    def overlaps(self, other: Entity) -> bool:
        return self.start < other.end and other.start < self.end

    def to_rasa(self, text: str) -> dict:
        return {
            "entity": self.entity,
            "start": self.start,
            "end": self.end,
            "value": self.value,
            "confidence_entity": 1.0,
            "extractor": self.extractor,
            "text": text[self.start : self.end],
        }


# ----------------------------------------------------------------------------- accounts
_DIGIT4 = r"[0-9零〇一二三四五六七八九幺]{4}"
_LAST4_RES = (
    re.compile(rf"(?:尾号|尾数|卡号?后四位|后四位|末四位|尾号是)(?:是|为)?(?P<d>{_DIGIT4})"),
    re.compile(rf"(?P<d>{_DIGIT4})(?:那张|这张|的那张|的卡|那个卡|结尾|那张卡)"),
)
_CARD_TYPES = (
    ("信用卡", "credit"),
    ("储蓄卡", "debit"),
    ("借记卡", "debit"),
    ("工资卡", "debit"),
    ("储蓄账户", "debit"),
    ("存折", "debit"),
)


def find_accounts(text: str) -> List[Entity]:
    out: List[Entity] = []
    for regex in _LAST4_RES:
        for m in regex.finditer(text):
            digits = "".join(_digit(ch) for ch in m.group("d"))
            # The span covers the whole mention ("尾号六六八八") so no digit of it reads as an amount.
            start, end = (m.start(), m.end("d")) if regex is _LAST4_RES[0] else (m.start("d"), m.end("d"))
            out.append(Entity(start, end, "account", {"last4": digits}))
    for word, kind in _CARD_TYPES:
        for m in re.finditer(word, text):
            out.append(Entity(m.start(), m.end(), "account", {"type": kind}))
    return longest_first(out)


def _digit(ch: str) -> str:
    if ch.isdigit():
        return ch
    return "1" if ch == "幺" else str(int(parse_number(ch) or 0))


# ----------------------------------------------------------------------------- payees
_BEFORE_NAME = (
    "转账给",
    "汇款给",
    "转钱给",
    "打钱给",
    "转给",
    "汇给",
    "打给",
    "付给",
    "还给",
    "借给",
    "转到",
    "换成",
    "改成",
    "改为",
    "换给",
    "是给",
    "帮我给",
    "给",
    "向",
    "跟",
    "和",
    "对",
    "是",
)
_AFTER_NAME = ("转账", "转钱", "转", "汇款", "汇", "打钱", "打", "的卡", "的账户", "那里", "那边", "吧", "的")
_NAME_STOP = set(
    "转汇打的钱元块万千百亿了吧吗呢啊给和跟还付账卡号笔个再一下我你他她它们是在有这那去来把被让说想要也都就还么呀哦嗯,，。.!！?？ "
)
_NUMERALS = set("零〇一二两三四五六七八九十百千万亿0123456789")


def _name_lengths(text: str, pos: int) -> List[int]:
    """Possible lengths of a person's name starting at ``pos`` (surname + 1 or 2 characters)."""
    s = vocab.surname_at(text, pos)
    if not s:
        return []
    lengths = []
    for given in (1, 2):
        end = pos + s + given
        if end > len(text):
            break
        chunk = text[pos + s : end]
        if any(ch in _NAME_STOP or not ("\u4e00" <= ch <= "\u9fff") for ch in chunk):
            break
        lengths.append(s + given)
    return lengths


def _good_follow(text: str, end: int) -> int:
    """How naturally a name can end at ``end``: 2 boundary/verb, 1 an amount follows, 0 not at all."""
    rest = text[end:]
    if not rest or rest[0] in _NAME_STOP or rest.startswith(_AFTER_NAME):
        return 2
    if rest[0] in _NUMERALS and rest[0] not in "百千万亿":
        amounts = find_amounts(rest[:12])
        if amounts and amounts[0].start == 0:
            return 1
    return 0


def _person_at(text: str, pos: int) -> Optional[Tuple[int, int]]:
    """A payee (relation word or surname + given name) starting at ``pos``."""
    rel = _relation_at(text, pos)
    if rel:
        return rel
    best: Optional[Tuple[Tuple[int, bool, int], int]] = None
    for length in _name_lengths(text, pos):
        end = pos + length
        if text[end - 1] in _NUMERALS and text[end : end + 1] in tuple("十百千万亿块元毛角"):
            continue  # "张丽两百": the 两 starts the amount, it is not part of the name
        follow = _good_follow(text, end)
        if not follow:
            continue
        # Better follow first; then a name that does not end in a numeral (王芳|十五块); then the longer.
        rank = (follow, text[end - 1] not in _NUMERALS, length)
        if best is None or rank > best[0]:
            best = (rank, end)
    return (pos, best[1]) if best else None


def _relation_at(text: str, pos: int) -> Optional[Tuple[int, int]]:
    for word in vocab.RELATIONS:
        if text.startswith(word, pos):
            if word in ("妈", "爸") and text.startswith(("妈妈", "爸爸"), pos):
                continue
            return pos, pos + len(word)
    if text.startswith("我", pos):  # 我老婆 → 老婆 (我妈 is matched whole above)
        return _relation_at(text, pos + 1) if not text.startswith("我们", pos) else None
    return None


def find_payees(text: str, taken: Sequence[Entity] = ()) -> List[Entity]:
    out: List[Entity] = []

    def add(span: Optional[Tuple[int, int]]) -> None:
        if span is None:
            return
        e = Entity(span[0], span[1], "payee", text[span[0] : span[1]])
        if not any(e.overlaps(t) for t in [*taken, *out]):
            out.append(e)

    for trigger in sorted(_BEFORE_NAME, key=len, reverse=True):
        for m in re.finditer(re.escape(trigger), text):
            pos = m.end()
            if (
                trigger in ("给", "向", "跟", "和", "对", "是")
                and m.start() > 0
                and text[m.start() - 1] in "转汇打付还借换改不"
            ):
                continue
            add(_person_at(text, pos))
    # A name at the start, followed by a transfer verb or an amount: "张三转五百", "李四 八千".
    add(_person_at(text, 0) if _starts_with_name_then_verb(text) else None)
    # The whole message is a name: an answer to "转给谁？".
    bare = re.sub(r"[吧呀啊呢。.!！]+$", "", text.strip())
    if 2 <= len(bare) <= 4 and not out:
        span = _person_at(bare, 0)
        if span and span[1] == len(bare):
            add(span)
    return out


def _starts_with_name_then_verb(text: str) -> bool:
    span = _relation_at(text, 0)
    lengths = [span[1]] if span else _name_lengths(text, 0)
    return any(text[n:].startswith(("转", "汇", "打钱")) for n in lengths)


# ----------------------------------------------------------------------------- amounts
_NOT_MONEY_AFTER = (
    "笔",
    "个",
    "次",
    "张",
    "位",
    "天",
    "月",
    "年",
    "周",
    "号",
    "日",
    "岁",
    "件",
    "分钟",
    "小时",
    "期",
    "倍",
    "折",
    "点",
    "星期",
    "礼拜",
    "遍",
    "下",
    "份",
    "种",
    "家",
    "条",
    "项",
    "楼",
    "层",
    "斤",
    "公里",
)
_CODE_WORDS = ("验证码", "动态码", "短信码", "校验码", "密码")


# Numbers that are not money: dates (5/12, 2024-03-05), times of day (09:30), and reference, order,
# phone or card numbers named as such ("订单号20231105889", "工单号A12345", "参考号 884213").
_NOT_MONEY_RES = (
    re.compile(r"(?<![\d.])\d{1,4}[/\-]\d{1,2}(?:[/\-]\d{1,4})?(?![\d.])"),
    re.compile(r"(?<![\d.])\d{4}\.\d{1,2}\.\d{1,2}(?![\d.])"),
    re.compile(r"(?<!\d)\d{1,2}[:：]\d{2}(?:[:：]\d{2})?(?!\d)"),
    re.compile(
        r"(?:单号|订单|工单|流水号|编号|凭证号|交易号|参考号|批次号|卡号|账号|手机号?|电话|号码|身份证号?|尾号|合同号|保单号|快递)"
        r"[是为:：#\s]*[A-Za-z]*\d[A-Za-z0-9\-]{2,}"
    ),
    re.compile(r"(?<![\d.])\d{9,}(?![\d.])"),
)


def not_money_spans(text: str) -> List[Tuple[int, int]]:
    """Spans of numbers that must never be read as an amount."""
    return [m.span() for regex in _NOT_MONEY_RES for m in regex.finditer(text)]


def find_money(text: str, taken: Sequence[Entity]) -> List[Entity]:
    out: List[Entity] = []
    code_context = any(w in text for w in _CODE_WORDS)
    # Blank out what other entities took, so "李四八千" yields 八千 rather than nothing; and every
    # number that is a date, a time or a reference.
    masked = list(text)
    for t in taken:
        masked[t.start : t.end] = "□" * (t.end - t.start)
    for start, end in not_money_spans(text):
        masked[start:end] = "□" * (end - start)
    for m in find_amounts("".join(masked)):
        span = Entity(m.start, m.end, "amount", m.value)
        if any(span.overlaps(t) for t in taken) or "□" in "".join(masked[m.start : m.end]):
            continue
        raw = text[m.start : m.end]
        after = text[m.end :]
        if not m.has_unit:
            if after.startswith(_NOT_MONEY_AFTER):
                continue
            if raw in ("一", "两", "二") and not after.startswith(("万", "千", "百")):
                continue
            if m.start > 0 and text[m.start - 1] in "第":
                continue
            if raw.isdigit() and (len(raw) == 11 and raw.startswith("1") or len(raw) >= 13):
                continue
            if raw.isdigit() and code_context and 4 <= len(raw) <= 6:
                continue
            if raw.isdigit() and len(raw) == 6 and text.strip() == raw:  # a bare six-digit reply is an SMS code
                continue
        if isinstance(m.value, (int, float)) and m.value <= 0:
            continue
        out.append(span)
    return out


# ----------------------------------------------------------------------------- words
def find_categories(text: str, direction: str) -> List[Entity]:
    keywords = vocab.category_keywords()
    wanted = {k: v for k, v in keywords.items() if v[1] == direction}
    out = []
    for start, end, word in longest_matches(text, set(wanted)):
        if len(word) == 1 and direction == "expense" and word not in ("饭", "药"):
            continue
        out.append(Entity(start, end, "category", wanted[word][0]))
    return out


_GENERIC_SUFFIXES = ("产品", "业务", "服务", "功能")


def find_products(text: str) -> List[Entity]:
    terms = vocab.product_terms()
    out = []
    for start, end, word in longest_matches(text, terms, 12):
        if len(word) < 2:
            continue
        for suffix in _GENERIC_SUFFIXES:
            stem = word[: -len(suffix)]
            if word.endswith(suffix) and stem in terms:
                end, word = end - len(suffix), stem
                break
        out.append(Entity(start, end, "product", word))
    return out


# ----------------------------------------------------------------------------- all together
# Every rule finder, in the order that resolves overlaps (see the module docstring). Each is given the
# entities found before it (``taken``); the finders that need them leave those spans alone.
Finder = Callable[[str, Optional[date], Sequence[Entity]], List[Entity]]

FINDERS: Tuple[Tuple[str, Finder], ...] = (
    ("account", lambda text, today, taken: find_accounts(text)),
    ("time", lambda text, today, taken: [Entity(t.start, t.end, "time", t.value) for t in find_times(text, today)]),
    ("payee", lambda text, today, taken: [p for p in find_payees(text, taken) if _plausible_name(p.value)]),
    ("amount", lambda text, today, taken: find_money(text, taken)),
    ("expense_category", lambda text, today, taken: find_categories(text, "expense")),
    ("income_category", lambda text, today, taken: find_categories(text, "income")),
    ("product", lambda text, today, taken: find_products(text)),
)


@dataclass(frozen=True)
class Reading:
    """Which finders run and how their results combine.

    ``held`` finders run only so that later ones leave their spans alone (张三 is no amount even when
    the intent wants no payee); an ``exclusive`` reading keeps no overlapping entities and one
    category per value, while the tokenizer's boundaries keep every span.
    """

    reported: FrozenSet[str]
    held: FrozenSet[str] = frozenset()
    exclusive: bool = True


EVERY_SPAN = Reading(frozenset(name for name, _ in FINDERS), exclusive=False)


def reading_for(intent: Optional[str]) -> Reading:
    """The finders that make sense for ``intent`` (in a product question 信用卡 is a product, not an account)."""
    reported = {"time", "amount"}
    if intent not in PRODUCT_INTENTS:
        reported.add("account")
    if intent in PAYEE_INTENTS:
        reported.add("payee")
    if intent in EXPENSE_INTENTS:
        reported.add("expense_category")
    if intent in INCOME_INTENTS:
        reported.add("income_category")
    if intent in PRODUCT_INTENTS:
        reported.add("product")
    return Reading(frozenset(reported), held=frozenset({"payee"} - reported))


def find_all(text: str, reading: Reading, today: Optional[date] = None) -> List[Entity]:
    """What the finders of ``reading`` find, finder by finder in ``FINDERS`` order."""
    reported: List[Entity] = []
    held: List[Entity] = []
    for name, finder in FINDERS:
        if name not in reading.reported and name not in reading.held:
            continue
        found = finder(text, today, [*reported, *held])
        if reading.exclusive:
            found = _unclaimed(found, reported)
        (reported if name in reading.reported else held).extend(found)
    return reported


def _unclaimed(found: Sequence[Entity], reported: Sequence[Entity]) -> List[Entity]:
    """``found`` minus what overlaps a reported entity or repeats a reported category
    ("超市买东西" is one 购物, not two)."""
    out: List[Entity] = []
    for e in found:
        earlier = [*reported, *out]
        if any(e.overlaps(r) for r in earlier):
            continue
        if e.entity == "category" and any(r.entity == "category" and r.value == e.value for r in earlier):
            continue
        out.append(e)
    return out


def extract(
    text: str, intent: Optional[str] = None, today: Optional[date] = None, learned: Sequence[Entity] = ()
) -> List[Entity]:
    """All entities of ``text`` for the predicted ``intent``; ``learned`` are DIET's payee/product guesses."""
    entities = find_all(text, reading_for(intent), today)
    for guess in learned:
        if any(guess.overlaps(e) for e in entities):
            continue
        if (
            guess.entity == "payee"
            and intent in PAYEE_INTENTS
            and _plausible_name(guess.value)
            or guess.entity == "product"
            and intent in PRODUCT_INTENTS
        ):
            entities.append(guess)
    return sorted(entities, key=lambda e: (e.start, e.end))


# Words that point at a person without naming one: never a payee ("能转给对方吗").
PRONOUNS = frozenset(
    {
        "对方",
        "他",
        "她",
        "它",
        "他们",
        "她们",
        "人家",
        "别人",
        "家人",
        "家里人",
        "某人",
        "收款人",
        "对面",
        "那人",
        "这人",
        "那个人",
        "这个人",
        "谁",
        "本人",
        "自己",
        "我自己",
        # words that start with a surname but are not names ("麻烦转两千给我妈")
        "麻烦",
        "谢谢",
        "方便",
        "马上",
        "高兴",
        "安全",
        "金额",
        "余额",
        "包括",
        "江湖",
    }
)


def _plausible_name(value: Any) -> bool:
    """A relation word, or a surname and one or two characters that are not a domain word or a pronoun."""
    if not isinstance(value, str) or not 1 <= len(value) <= 4 or value in PRONOUNS:
        return False
    if value in vocab.RELATIONS:
        return True
    if len(value) < 2 or value in vocab.category_keywords() or value in vocab.product_terms():
        return False
    return bool(vocab.surname_at(value, 0)) and all(
        "\u4e00" <= ch <= "\u9fff" and ch not in _NAME_STOP for ch in value[1:]
    )


def boundary_entities(text: str) -> List[Entity]:
    """Every span a rule recognizes, whatever the intent: the tokenizer must not cut through them."""
    return find_all(text, EVERY_SPAN)
