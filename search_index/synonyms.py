"""Customers' everyday words for banking terms, mapped to the terms the catalog uses.

"往老家的卡打钱扣不扣费" and "异地转账手续费" ask the same; a small sentence model misses that 打钱 is
转账 and 扣费 is 手续费. The same canonical form is used for the catalog's names and for queries, so
both retrieval signals (words and sentence vectors) compare like with like. Longest match first.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Dict, Tuple

from assistant.base.spans import longest_matches

# canonical term → everyday words for it
_GROUPS: Tuple[Tuple[str, Tuple[str, ...]], ...] = (
    ("转账", ("打钱", "打款", "汇钱", "转钱", "转款", "打过去", "汇过去", "转过去", "打到", "汇款")),
    (
        "手续费",
        ("扣费", "扣不扣费", "扣不扣钱", "收不收费", "收不收钱", "要钱吗", "扣多少", "收多少钱", "收钱吗", "费用"),
    ),
    ("到账", ("进账", "入账", "收到钱", "能收到", "到没到", "到不到", "没进", "进卡")),
    ("注销", ("关掉", "关了", "关闭", "销掉", "销户", "注销掉", "停掉", "不想用了", "不要了")),
    ("ATM", ("取款机", "自助机", "柜员机", "存款机", "atm", "机器")),
    ("网点", ("营业厅", "营业网点", "柜台", "柜面", "银行大厅")),
    ("验证码", ("六位数字", "短信码", "动态码", "校验码", "短信数字")),
    ("没出钞", ("没出现金", "没出钱", "不吐钱", "没吐钱", "没给钱")),
    ("链接", ("网址", "网页", "链接地址")),
    ("诈骗", ("骗子", "被骗", "骗钱", "忽悠")),
    ("撤销", ("反悔", "撤回", "要回来", "追回来", "拿回来")),
    ("异地", ("老家", "外地", "外省")),
    ("跨行", ("他行", "别的银行", "其他银行", "别家银行", "外行")),
    ("限额", ("上限", "封顶", "最多能", "额度上限")),
    ("提高", ("调高", "放开", "调大", "提升")),
    ("密码", ("口令",)),
    ("信用卡", ("贷记卡", "信用咔")),
    ("储蓄卡", ("借记卡", "银行卡")),
    ("挂失", ("冻结卡",)),
    ("流水", ("交易明细", "收支明细", "账单明细")),
    ("利息", ("利钱",)),
)


@lru_cache(maxsize=1)
def _table() -> Dict[str, str]:
    return {word: canonical for canonical, words in _GROUPS for word in words}


def canonical(text: str) -> str:
    """``text`` with every everyday word replaced by its catalog term (longest match first)."""
    table = _table()
    out, last = [], 0
    for start, end, word in longest_matches(text, set(table), 6, 1):
        out.append(text[last:start])
        out.append(table[word])
        last = end
    out.append(text[last:])
    return "".join(out)
