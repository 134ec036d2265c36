"""Benchmark: many concurrent conversations through POST /api/chat (and GET /api/search) for a while,
counting errors, dropped connections and empty replies, with the latency of a chat turn.

    PYTHONPATH=. .venv/bin/python -m bench.chat_load                      # 100 conversations × 60 s, own stack
    PYTHONPATH=. .venv/bin/python -m bench.chat_load --conversations 20 --seconds 20
    PYTHONPATH=. .venv/bin/python -m bench.chat_load --gateway http://127.0.0.1:8000   # a running stack

Without --gateway it starts its own stack (tests/support/stack.py: free ports, a temporary data folder,
the trained model of the current data) and gives every simulated customer (load000, load001, …) two debit
cards and three payees, so balance and transfer turns reach the ledger. Each conversation loops over
realistic episodes — balance questions, FAQ questions, a transfer started and then cancelled with 取消,
searches, small talk — with a short think time between turns. No transfer is ever confirmed.

Targets (any machine): no 5xx, no other HTTP error, no dropped connection or timeout, no 200 reply with an
empty message list and no "系统繁忙" reply (the gateway's stand-in for an empty Rasa reply). The command
exits 1 when a target is missed and keeps the stack's logs (their folder is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import random
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence, Tuple

import aiohttp

from assistant.base import clock
from bench.common import percentile

BUSY_MARK = "系统繁忙"
CUSTOMER_PREFIX = "load"

# One episode is a few turns of one customer; ("search", q) is a GET /api/search, anything else a chat message.
Step = Tuple[str, str]
EPISODES: Sequence[Tuple[str, Sequence[Step]]] = (
    ("balance", (("chat", "查余额"),)),
    ("balance", (("chat", "帮我看一下卡里还有多少钱"),)),
    ("balance", (("chat", "工资卡还有多少钱"),)),
    ("balance", (("chat", "尾号1024还有多少钱"),)),
    ("history", (("chat", "这个月餐饮花了多少"),)),
    ("history", (("chat", "上个月的流水"),)),
    ("faq", (("chat", "转账多久到账"),)),
    ("faq", (("chat", "怎么交电费"),)),
    ("faq", (("chat", "注销银行卡要去网点吗"),)),
    ("faq", (("chat", "手机银行登录密码忘了怎么办"),)),
    ("faq", (("chat", "跨行转账要手续费吗"),)),
    ("transfer_cancel", (("chat", "给张三转五百"), ("chat", "取消"))),
    ("transfer_cancel", (("chat", "给我妈转两千"), ("chat", "取消"))),
    ("transfer_cancel", (("chat", "我要转账"), ("chat", "李四"), ("chat", "取消"))),
    ("search", (("search", "理财"), ("search", "信用卡还款"))),
    ("search", (("search", "zhuanzhang"), ("search", "大额存单"))),
    ("search", (("search", "水电费"),)),
    ("smalltalk", (("chat", "你好"),)),
    ("smalltalk", (("chat", "谢谢"),)),
    ("smalltalk", (("chat", "你是机器人吗"),)),
)

# What the stack's logs say when a turn fails somewhere behind the gateway.
LOG_SIGNS = {
    "rasa.log": (
        "Failed to run custom action",
        "Couldn't connect",
        "Encountered an exception while running action",
        "rest.message.received.failure",
        "rest.message.received.timeout",
        "ServerDisconnected",
        "TimeoutError",
        "database is locked",
        "LockError",
        "Traceback",
    ),
    "actions.log": ("Exception occurred", "database is locked", "Traceback", "Connection lost", "ERROR"),
    "gateway.log": ("rasa unavailable", "could not read the tracker", "database is locked", "Traceback", "ERROR"),
}


@dataclass
class Tally:
    turns: int = 0
    searches: int = 0
    status: collections.Counter = field(default_factory=collections.Counter)
    failures: collections.Counter = field(default_factory=collections.Counter)  # exception type → count
    empty: collections.Counter = field(default_factory=collections.Counter)  # message → empty 200 replies
    busy: collections.Counter = field(default_factory=collections.Counter)  # message → "系统繁忙" replies
    handoffs: int = 0
    chat_ms: List[float] = field(default_factory=list)
    search_ms: List[float] = field(default_factory=list)
    episodes: collections.Counter = field(default_factory=collections.Counter)
    samples: Dict[str, str] = field(default_factory=dict)  # first reply text per message (--show-replies)

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.status.items() if s >= 500)

    @property
    def other_errors(self) -> int:
        return sum(n for s, n in self.status.items() if 300 <= s < 500)


# ------------------------------------------------------------------ customers
def customer_ids(n: int) -> List[str]:
    return [f"{CUSTOMER_PREFIX}{i:03d}" for i in range(n)]


def seed_customers(database_url: str, ids: Sequence[str]) -> int:
    """Give every simulated customer a salary card (尾号6688), a savings card (尾号1024) and the payees
    张三, 李四, 妈妈 (我妈), each account with an opening posting; customers already there are skipped."""
    from assistant.base.db.engine import session_scope
    from assistant.base.db.models import Account, Customer, Payee, PayeeAlias, Transaction

    opened = clock.to_utc(datetime.combine(clock.local_today() - timedelta(days=30), dtime(8)))
    made = 0
    with session_scope(database_url, write=True) as session:
        for n, cid in enumerate(ids):
            if session.get(Customer, cid) is not None:
                continue
            customer = Customer(id=cid, name=f"压测客户{n}", phone=f"1370000{n:04d}")
            salary = Account(
                customer=customer,
                kind="debit",
                name="储蓄卡",
                nickname="工资卡",
                number=f"62220290{n:04d}6688",
                is_primary=True,
                balance_cents=2_000_000 + n * 100,
            )
            savings = Account(
                customer=customer,
                kind="debit",
                name="储蓄卡",
                nickname="",
                number=f"62220291{n:04d}1024",
                balance_cents=500_000,
            )
            session.add_all([customer, salary, savings])
            for name, bank, number, aliases in (
                ("张三", "工商银行", f"62220202{n:04d}1234", ()),
                ("李四", "建设银行", f"62170000{n:04d}5678", ()),
                ("妈妈", "工商银行", f"62220203{n:04d}1357", ("我妈", "老妈")),
            ):
                payee = Payee(
                    customer=customer,
                    name=name,
                    bank=bank,
                    account_number=number,
                    created_at=opened - timedelta(days=300),
                )
                payee.aliases = [PayeeAlias(alias=a) for a in aliases]
                session.add(payee)
            for account in (salary, savings):
                session.add(
                    Transaction(
                        account=account,
                        customer_id=cid,
                        posted_at=opened,
                        amount_cents=account.balance_cents,
                        balance_after_cents=account.balance_cents,
                        kind="opening",
                        counterparty="",
                        category="",
                        memo="期初余额",
                    )
                )
            made += 1
    return made


# ------------------------------------------------------------------ traffic
async def fetch_token(session: aiohttp.ClientSession, gateway: str, sub: str) -> str:
    async with session.get(f"{gateway}/api/dev/token", params={"sub": sub, "role": "customer"}) as resp:
        body = await resp.json(content_type=None)
        if resp.status != 200:
            raise RuntimeError(f"no dev token for {sub}: HTTP {resp.status} {body} (is ASSISTANT_ENV=dev?)")
        return body["token"]


async def one_request(
    client: aiohttp.ClientSession, tally: Tally, method: str, url: str, text: str, **kwargs: Any
) -> Optional[Any]:
    """One request; records status or failure; returns the JSON body of a 200, else None."""
    t0 = time.perf_counter()
    try:
        async with client.request(method, url, **kwargs) as resp:
            raw = await resp.read()
            status = resp.status
    except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
        tally.failures[type(exc).__name__] += 1
        return None
    elapsed_ms = (time.perf_counter() - t0) * 1000
    tally.status[status] += 1
    (tally.chat_ms if method == "POST" else tally.search_ms).append(elapsed_ms)
    if status != 200:
        if len(tally.samples) < 200:
            tally.samples.setdefault(f"HTTP {status} {text}", raw[:200].decode(errors="replace"))
        return None
    try:
        return json.loads(raw)
    except ValueError:
        tally.failures["BadJSON"] += 1
        return None


async def conversation(
    gateway: str, sub: str, deadline: float, think_s: float, timeout_s: float, tally: Tally, seed: int
) -> None:
    rng = random.Random(seed)
    # One keep-alive connection per customer, like one app on one phone.
    connector = aiohttp.TCPConnector(limit=1, force_close=False)
    async with aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=timeout_s)) as client:
        token = await fetch_token(client, gateway, sub)
        headers = {"Authorization": f"Bearer {token}"}
        await asyncio.sleep(rng.uniform(0, think_s))  # spread the starts
        while time.monotonic() < deadline:
            kind, steps = rng.choice(EPISODES)
            tally.episodes[kind] += 1
            for step, text in steps:
                if step == "search":
                    tally.searches += 1
                    await one_request(
                        client,
                        tally,
                        "GET",
                        f"{gateway}/api/search",
                        text,
                        params={"q": text, "limit": "10"},
                        headers=headers,
                    )
                else:
                    tally.turns += 1
                    body = await one_request(
                        client, tally, "POST", f"{gateway}/api/chat", text, json={"message": text}, headers=headers
                    )
                    if body is not None:
                        check_reply(tally, text, body)
                await asyncio.sleep(rng.uniform(0, think_s))
            # An unfinished transfer episode cut by the deadline is harmless: nothing is ever confirmed.


def check_reply(tally: Tally, text: str, body: Dict[str, Any]) -> None:
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        tally.empty[text] += 1
        return
    joined = " ".join(str(m.get("text") or "") for m in messages if isinstance(m, dict))
    if BUSY_MARK in joined:
        tally.busy[text] += 1
    if body.get("handoff"):
        tally.handoffs += 1
    tally.samples.setdefault(text, joined[:80].replace("\n", " "))


async def run_load(
    gateway: str, subs: Sequence[str], seconds: float, think_s: float, timeout_s: float
) -> Tuple[Tally, float]:
    tally = Tally()
    started = time.monotonic()
    deadline = started + seconds
    results = await asyncio.gather(
        *(conversation(gateway, sub, deadline, think_s, timeout_s, tally, i) for i, sub in enumerate(subs)),
        return_exceptions=True,
    )
    for res in results:
        if isinstance(res, BaseException):
            tally.failures[f"conversation aborted: {type(res).__name__}: {res}"[:120]] += 1
    return tally, time.monotonic() - started


# ------------------------------------------------------------------ report
def log_signs(logs: Path) -> Dict[str, collections.Counter]:
    out: Dict[str, collections.Counter] = {}
    for name, signs in LOG_SIGNS.items():
        path = logs / name
        if not path.exists():
            continue
        text = path.read_text(errors="replace")
        out[name] = collections.Counter({s: len(re.findall(re.escape(s), text)) for s in signs})
    return out


def report(tally: Tally, elapsed: float, conversations: int, show_replies: bool, logs: Optional[Path]) -> bool:
    ms = tally.chat_ms
    print(
        f"\n{conversations} conversations for {elapsed:.0f} s (until {time.strftime('%H:%M:%S')}): {tally.turns} chat turns "
        f"({tally.turns / elapsed:.1f}/s), {tally.searches} searches; episodes {dict(tally.episodes)}"
    )
    print(f"HTTP status: {dict(sorted(tally.status.items()))}")
    if ms:
        print(
            f"chat turn latency: p50={percentile(ms, 50):.0f} ms  p95={percentile(ms, 95):.0f} ms  "
            f"p99={percentile(ms, 99):.0f} ms  max={max(ms):.0f} ms"
        )
    if tally.search_ms:
        s = tally.search_ms
        print(
            f"search latency:    p50={percentile(s, 50):.0f} ms  p95={percentile(s, 95):.0f} ms  "
            f"p99={percentile(s, 99):.0f} ms"
        )
    dropped = sum(tally.failures.values())
    empty, busy = sum(tally.empty.values()), sum(tally.busy.values())
    print(
        f"5xx: {tally.server_errors}   other HTTP errors: {tally.other_errors}   "
        f"dropped connections/timeouts: {dropped} {dict(tally.failures) if dropped else ''}"
    )
    print(
        f"200 with empty messages: {empty} ({100 * empty / max(tally.turns, 1):.2f} % of turns) "
        f"{dict(tally.empty.most_common(8)) if empty else ''}"
    )
    print(
        f"'{BUSY_MARK}' replies: {busy} {dict(tally.busy.most_common(8)) if busy else ''}   "
        f"handoff in answer: {tally.handoffs}"
    )
    if logs is not None:
        for name, counts in log_signs(logs).items():
            found = {k: v for k, v in counts.items() if v}
            print(f"{name}: {found or 'no error signs'}")
    if show_replies:
        for text, reply in tally.samples.items():
            print(f"  {text} → {reply}")
    targets = (
        ("no 5xx", tally.server_errors == 0),
        ("no other HTTP error", tally.other_errors == 0),
        ("no dropped connection or timeout", dropped == 0),
        ("no empty reply", empty == 0),
        (f"no '{BUSY_MARK}' reply", busy == 0),
        ("turns were made", tally.turns > 0),
    )
    print("targets: " + ", ".join(f"{label} {'OK' if ok else 'MISSED'}" for label, ok in targets))
    return all(ok for _, ok in targets)


# ------------------------------------------------------------------ main
def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument(
        "--gateway", default=None, help="base URL of a running gateway in dev mode; default: start an own stack"
    )
    parser.add_argument("--think", type=float, default=1.0, help="longest pause between two turns (uniform 0..think s)")
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout of one request, s")
    parser.add_argument(
        "--database-url",
        default=None,
        help="with --gateway: the stack's database, to give the load customers accounts and payees",
    )
    parser.add_argument("--keep", action="store_true", help="keep the own stack's data folder and logs")
    parser.add_argument("--show-replies", action="store_true", help="print one reply per message sent")
    args = parser.parse_args()
    subs = customer_ids(args.conversations)

    if args.gateway:
        if args.database_url:
            print(f"seeded {seed_customers(args.database_url, subs)} load customers")
        else:
            print("note: without --database-url the load customers have no accounts (balance turns say so)")
        tally, elapsed = asyncio.run(run_load(args.gateway.rstrip("/"), subs, args.seconds, args.think, args.timeout))
        return 0 if report(tally, elapsed, args.conversations, args.show_replies, None) else 1

    from tests.support.stack import Stack, isolated_training

    tmp = Path(tempfile.mkdtemp(prefix="bench-chat-load-"))
    stack = Stack(data_dir=tmp, extra_env=isolated_training(tmp))
    try:
        t0 = time.monotonic()
        stack.start()
        print(f"stack up in {time.monotonic() - t0:.0f} s at {stack.base_url} (data {tmp})")
        print(f"seeded {seed_customers(stack.database_url, subs)} load customers")
        tally, elapsed = asyncio.run(run_load(stack.base_url, subs, args.seconds, args.think, args.timeout))
    finally:
        stack.stop()
    ok = report(tally, elapsed, args.conversations, args.show_replies, tmp / "logs")
    if ok and not args.keep:
        shutil.rmtree(tmp, ignore_errors=True)
    else:
        print(f"logs kept in {tmp / 'logs'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
