"""Benchmark: conversations through POST /api/chat (and GET /api/search) on the whole stack: throughput,
latency, errors, empty replies, money moved exactly once, and the stack's memory.

    PYTHONPATH=. .venv/bin/python -m bench.chat_load                      # the default suite (make bench-load)
    PYTHONPATH=. .venv/bin/python -m bench.chat_load --clients 1,20 --seconds 20
    PYTHONPATH=. .venv/bin/python -m bench.chat_load --mode open --rate 10 --seconds 30
    PYTHONPATH=. .venv/bin/python -m bench.chat_load --long-conversation 500
    PYTHONPATH=. .venv/bin/python -m bench.chat_load --conversations 100 --seconds 60   # the old run (1 s think)
    PYTHONPATH=. .venv/bin/python -m bench.chat_load --gateway http://127.0.0.1:8000 \\
        --database-url sqlite:///data/assistant.db --stack-pid PID                   # a running stack

The stack. Without --gateway the bench starts its own (tests/support/stack.py: free ports, a temporary data
folder, the trained model of the current data; when models/ has none, its setup trains one, ~3 minutes), with
the per-customer rate limits lifted: a closed-loop client with no think time probes throughput, it is not a
person (the limits are tested apart). The simulated customers (load000, load001, …) are written into the
database directly: two debit cards (工资卡 尾号6688 with ¥1,000,000, 尾号1024 with ¥50,000) and eight payees
(张三 李四 王芳 刘洋 陈晨 赵敏 妈妈/我妈 爸爸/我爸). With --gateway the stack must run with ASSISTANT_ENV=dev
(dev tokens, the SMS outbox) and with raised ASSISTANT_RATE_CHAT / ASSISTANT_RATE_SEARCH, else its 429s count
as errors; --database-url lets the bench seed its customers there.

Modes.
  closed (default)  --clients N[,N…]: N clients, each running episodes back to back with a pause uniform in
                    0..--think-ms between turns (default 0: a closed loop); the levels run one after another on
                    the same stack, --seconds each; a client finishes the episode it is in when time is up.
                    --conversations N is the old run: N clients with a pause of up to 1 s, 60 s by default.
  open              --rate R[,R…]: Poisson arrivals of R chat turns a second for --seconds; an arrival is the
                    next turn of a customer drawn from a pool of --pool, at most one turn in flight per customer
                    (a busy customer: another is drawn among the free ones); arrivals that find every customer
                    busy are counted as not placed. --seed makes the arrivals repeatable (default: a
                    new seed, printed). The lag from an arrival's due time to its request is reported.
                    --mode closed with no --clients runs 1, 20 and 100 clients.
  --long-conversation N   after the levels (alone when no mode is given): a new customer holds an N-turn
                    conversation (small talk and balance alternating), its last 10 turns alternating with the
                    first 10 of another new customer (so that both meet the same load on the machine): the
                    latency of turns 1-10, of the last 10 and of the fresh customer's 10 shows whether a long
                    conversation gets slower. N ≥ 20.
  No mode option at all runs the default suite: closed 1 client × 30 s, closed 20 × 30 s, closed 100 × 60 s,
  open 10/s × 30 s, then a long conversation of 500 turns: about 5 minutes after the stack's start (--seconds
  sets every level's time).
  A warm-up of --warmup turns (not counted) precedes the first level.

The mix: episodes of one customer's consecutive turns: small talk (你好, 谢谢, …), balance, FAQ questions,
history questions, a search handover (a chat message such as 我想买理财 that the bot answers with search
results, then GET /api/search), and whole transfers: 给张三转23 → the summary (its data carries summary_key,
sent back with every later message, as the web page does) → 确认 → when the bank wants an SMS code (the first
payment to a payee), the code read from the dev outbox GET /api/dev/outbox → the receipt. Amounts are ¥1-¥50.
Every customer's debit balance is read (GET /api/accounts) before and after each level: its fall must equal
the sum of the receipts the customer was shown, else money moved without a receipt or twice (an error).

Figures per level: turns, turns/s, chat-turn latency p50/p95/p99, 5xx, other HTTP errors, dropped connections
and timeouts, empty replies, 系统繁忙 replies, transfers completed (and with an SMS code), balance mismatches;
the stack's total memory (sum of the RSS of the launcher's process tree, peak and end, by program; pages
shared between processes count once per process; with --gateway "not measured" unless --stack-pid names the
launcher) and the RSS of each Rasa server (processes whose command line
holds assistant.ops.stack.rasa_server; with --gateway every such process on the machine). A table of all
levels and the total run time close the report.

Targets, for a 2-core machine (the bench itself runs on the same cores), each checked when its level ran;
--targets selects the enforced ones (default all; comma-separated names, or none):
  clean      every level: no 5xx, no other HTTP error, no dropped connection or timeout, no empty reply, no
             系统繁忙 reply, no balance mismatch or repeated receipt, and turns were made
  closed20   closed loop with 20 clients and no think time: ≥ 60 turns/s and p99 ≤ 1 s
  open10     open loop at 10 turns/s: p50 ≤ 60 ms and p99 ≤ 250 ms
  closed100  closed loop with 100 clients or more (60 s in the suite): no error and no empty reply
  memory     each Rasa server ≤ 1.2 GB RSS (the peak seen while the levels ran)
  long       long conversation: p50 of its last 10 turns ≤ 1.5 × p50 of a fresh customer's first 10 turns
A missed target is printed as MISSED with its figure and the command exits 1; an own stack's logs are then
kept (their folder is printed).
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
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
from typing import Any, Callable, Deque, Dict, List, Optional, Sequence, Set, Tuple

import aiohttp

from assistant.base import clock
from bench.common import percentile

BUSY_MARK = "系统繁忙"
CUSTOMER_PREFIX = "load"
RASA_SERVER_MARK = "assistant.ops.stack.rasa_server"
MAX_CLIENTS = 999  # load000..load999; load1000 and up are the long, fresh and warm-up customers
SALARY_CENTS = 100_000_000  # ¥1,000,000: ¥1-¥50 transfers never run it down
SAVINGS_CENTS = 5_000_000
LIFTED_RATE = "100000,10000"  # the own stack's per-customer chat and search limits (BURST,PER_SECOND)

# Seeded payees: name, bank, last four digits of the account, aliases, how the customer says it.
PAYEES: Sequence[Tuple[str, str, str, Tuple[str, ...], str]] = (
    ("张三", "工商银行", "1234", (), "张三"),
    ("李四", "建设银行", "5678", (), "李四"),
    ("王芳", "招商银行", "9012", (), "王芳"),
    ("刘洋", "农业银行", "3456", (), "刘洋"),
    ("陈晨", "中国银行", "7890", (), "陈晨"),
    ("赵敏", "交通银行", "2468", (), "赵敏"),
    ("妈妈", "工商银行", "1357", ("我妈", "老妈"), "我妈"),
    ("爸爸", "建设银行", "2460", ("我爸", "老爸"), "我爸"),
)

# What the customers say, by kind of episode; transfers and search handovers are built in Client.
SAYINGS: Dict[str, Sequence[str]] = {
    "smalltalk": ("你好", "谢谢", "你是机器人吗", "早上好"),
    "balance": ("查余额", "帮我看一下卡里还有多少钱", "工资卡还有多少钱", "尾号1024还有多少钱"),
    "faq": ("转账多久到账", "怎么交电费", "注销银行卡要去网点吗", "手机银行登录密码忘了怎么办", "跨行转账要手续费吗"),
    "history": ("这个月餐饮花了多少", "上个月的流水", "给张三转了哪几笔", "最近的交易记录"),
    "search": ("我想买理财", "我想办信用卡", "我想买大额存单", "我要交水电费"),
}
SEARCH_QUERY = {"我想买理财": "理财", "我想办信用卡": "信用卡", "我想买大额存单": "大额存单", "我要交水电费": "水电费"}
# Episode kinds and their weights: a transfer is 3-4 turns, the others 1-2.
EPISODE_WEIGHTS: Sequence[Tuple[str, int]] = (
    ("smalltalk", 2),
    ("balance", 3),
    ("faq", 3),
    ("history", 2),
    ("search", 2),
    ("transfer", 2),
)
LONG_SAYINGS = ("你好", "查余额", "谢谢", "工资卡还有多少钱")  # small talk and balance alternating

# What the stack's logs say when a turn fails somewhere behind the gateway (by file name pattern).
LOG_SIGNS = {
    "rasa*.log": (
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
    "actions*.log": ("Exception occurred", "database is locked", "Traceback", "Connection lost", "ERROR"),
    "gateway*.log": ("rasa unavailable", "could not read the tracker", "database is locked", "Traceback", "ERROR"),
}

# Target thresholds (see the module docstring).
CLOSED20_MIN_TPS, CLOSED20_MAX_P99_MS = 60.0, 1000.0
OPEN10_MAX_P50_MS, OPEN10_MAX_P99_MS = 60.0, 250.0
RASA_MAX_RSS = int(1.2 * 1024**3)
LONG_MAX_RATIO = 1.5
TARGET_NAMES = ("clean", "closed20", "open10", "closed100", "memory", "long")


@dataclass
class Tally:
    turns: int = 0
    searches: int = 0
    outbox_reads: int = 0
    status: collections.Counter = field(default_factory=collections.Counter)
    failures: collections.Counter = field(default_factory=collections.Counter)  # exception type → count
    empty: collections.Counter = field(default_factory=collections.Counter)  # message → empty 200 replies
    busy: collections.Counter = field(default_factory=collections.Counter)  # message → "系统繁忙" replies
    handoffs: int = 0
    chat_ms: List[float] = field(default_factory=list)
    search_ms: List[float] = field(default_factory=list)
    kind_ms: Dict[str, List[float]] = field(default_factory=lambda: collections.defaultdict(list))
    episodes: collections.Counter = field(default_factory=collections.Counter)
    handover_results: int = 0  # search handovers the bot answered with results
    transfers_started: int = 0
    transfers_completed: int = 0
    transfers_with_code: int = 0
    transfers_unknown: int = 0  # the confirming request failed: the money may or may not have moved
    transfer_failures: collections.Counter = field(default_factory=collections.Counter)  # reason → count
    repeated_receipts: int = 0
    balances_checked: int = 0
    mismatches: List[str] = field(default_factory=list)
    arrivals: int = 0  # open loop
    redrawn: int = 0
    unplaced: int = 0
    lag_ms: List[float] = field(default_factory=list)
    samples: Dict[str, str] = field(default_factory=dict)  # first reply text per message (--show-replies)

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.status.items() if s >= 500)

    @property
    def other_errors(self) -> int:
        return sum(n for s, n in self.status.items() if 300 <= s < 500)

    @property
    def dropped(self) -> int:
        return sum(self.failures.values())

    @property
    def errors(self) -> int:
        """Everything the 'clean' target forbids, summed."""
        return (
            self.server_errors
            + self.other_errors
            + self.dropped
            + sum(self.empty.values())
            + sum(self.busy.values())
            + len(self.mismatches)
            + self.repeated_receipts
        )

    def sample(self, key: str, text: str) -> None:
        if len(self.samples) < 300:
            self.samples.setdefault(key, text[:120].replace("\n", " "))


@dataclass
class Level:
    """One measured stretch of load: what ran and what was seen."""

    name: str
    mode: str  # closed | open
    clients: int = 0
    think_ms: float = 0.0
    rate: float = 0.0
    seconds: float = 0.0
    seed: int = 0  # open loop: of the arrivals and the draws
    tally: Tally = field(default_factory=Tally)
    elapsed: float = 0.0
    memory: Optional[MemoryWatch] = None
    log_counts: Dict[str, Dict[str, int]] = field(default_factory=dict)

    @property
    def tps(self) -> float:
        return self.tally.turns / self.elapsed if self.elapsed else 0.0

    def pct(self, p: float) -> float:
        return percentile(self.tally.chat_ms, p)


# ------------------------------------------------------------------ customers
def customer_ids(n: int) -> List[str]:
    return [f"{CUSTOMER_PREFIX}{i:03d}" for i in range(n)]


def spare_ids(count: int) -> List[str]:
    """Customers new to this run (load1000-load9999, chosen at random): the long, fresh and warm-up ones."""
    start = random.Random(time.time_ns()).randrange(1000, 10_000 - count)
    return [f"{CUSTOMER_PREFIX}{start + i}" for i in range(count)]


def _number(cid: str) -> int:
    digits = cid[len(CUSTOMER_PREFIX) :]
    if not cid.startswith(CUSTOMER_PREFIX) or not digits.isdigit() or int(digits) > 9999:
        raise ValueError(f"load customers are {CUSTOMER_PREFIX}0000..{CUSTOMER_PREFIX}9999, not {cid!r}")
    return int(digits)


def seed_customers(database_url: str, ids: Sequence[str]) -> int:
    """Give every simulated customer a salary card (尾号6688, ¥1,000,000), a savings card (尾号1024, ¥50,000)
    and the PAYEES, each account with an opening posting; customers already there only get missing payees."""
    from assistant.base.db.engine import session_scope
    from assistant.base.db.models import Account, Customer, Payee, PayeeAlias, Transaction

    opened = clock.to_utc(datetime.combine(clock.local_today() - timedelta(days=30), dtime(8)))
    made = 0
    with session_scope(database_url, write=True) as session:
        for cid in ids:
            n = _number(cid)
            customer = session.get(Customer, cid)
            if customer is None:
                customer = Customer(id=cid, name=f"压测客户{n}", phone=f"1370000{n:04d}")
                salary = Account(
                    customer=customer,
                    kind="debit",
                    name="储蓄卡",
                    nickname="工资卡",
                    number=f"62220290{n:04d}6688",
                    is_primary=True,
                    balance_cents=SALARY_CENTS,
                )
                savings = Account(
                    customer=customer,
                    kind="debit",
                    name="储蓄卡",
                    nickname="",
                    number=f"62220291{n:04d}1024",
                    balance_cents=SAVINGS_CENTS,
                )
                session.add_all([customer, salary, savings])
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
                have: Set[str] = set()
            else:
                have = {p.name for p in session.query(Payee).filter(Payee.customer_id == cid)}
            for i, (name, bank, last4, aliases, _) in enumerate(PAYEES):
                if name in have:
                    continue
                payee = Payee(
                    customer=customer,
                    name=name,
                    bank=bank,
                    account_number=f"6222{i:02d}00{n:04d}{last4}",
                    created_at=opened - timedelta(days=300),
                )
                payee.aliases = [PayeeAlias(alias=a) for a in aliases]
                session.add(payee)
    return made


# ------------------------------------------------------------------ memory (/proc)
def _proc_table() -> Dict[int, Tuple[int, int]]:
    """pid → (parent pid, process group) of every process now."""
    table: Dict[int, Tuple[int, int]] = {}
    for entry in os.scandir("/proc"):
        if not entry.name.isdigit():
            continue
        try:
            fields = Path(entry.path, "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        table[int(entry.name)] = (int(fields[1]), int(fields[2]))
    return table


def _rss(pid: int) -> int:
    try:
        return int(Path(f"/proc/{pid}/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, IndexError, ValueError):
        return 0


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def process_tree(root: int, table: Dict[int, Tuple[int, int]]) -> Set[int]:
    """``root`` and its descendants, plus every member of the process groups they lead (the launcher starts
    each service in a session of its own, so a grandchild whose parent died is still found by its group)."""
    children: Dict[int, List[int]] = collections.defaultdict(list)
    for pid, (ppid, _) in table.items():
        children[ppid].append(pid)
    tree: Set[int] = set()
    todo = [root] if root in table else []
    while todo:
        pid = todo.pop()
        if pid in tree:
            continue
        tree.add(pid)
        todo.extend(children.get(pid, ()))
        todo.extend(p for p, (_, pgid) in table.items() if pgid == pid and p not in tree)
    return tree


@dataclass
class MemoryWatch:
    """The stack's memory, sampled while a level runs: peak and last of the tree's total RSS and of each
    Rasa server's RSS (the server process and its children)."""

    root: Optional[int]  # the launcher's pid; None: the tree is not known
    total_peak: int = 0
    total_last: int = 0
    rasa_peak: Dict[int, int] = field(default_factory=dict)
    rasa_last: Dict[int, int] = field(default_factory=dict)
    rasa_label: Dict[int, str] = field(default_factory=dict)  # pid → "pid 123 :5005"
    by_process: Dict[str, int] = field(default_factory=dict)  # the last sample's RSS by program (module)
    samples: int = 0

    def sample(self) -> None:
        table = _proc_table()
        scope = process_tree(self.root, table) if self.root else set(table)
        commands = {p: _cmdline(p) for p in scope}
        if self.root:
            rss_of = {p: _rss(p) for p in scope}
            total = sum(rss_of.values())
            self.total_last, self.total_peak = total, max(self.total_peak, total)
            self.by_process = collections.Counter()
            for pid, rss in rss_of.items():
                self.by_process[program(commands[pid])] += rss
        servers = [p for p, cmd in commands.items() if RASA_SERVER_MARK in cmd]
        for pid in servers:
            if table.get(pid, (0, 0))[0] in servers:
                continue  # a child of a server is counted with it
            port = re.search(r" -p (\d+)", commands[pid])
            self.rasa_label[pid] = f"pid {pid}" + (f" :{port.group(1)}" if port else "")
            rss = sum(_rss(p) for p in process_tree(pid, table) if p in scope)
            self.rasa_last[pid], self.rasa_peak[pid] = rss, max(self.rasa_peak.get(pid, 0), rss)
        self.samples += 1

    async def run(self, every_s: float = 2.0) -> None:
        while True:
            self.sample()
            await asyncio.sleep(every_s)

    def describe(self) -> str:
        if self.root:
            parts = ", ".join(f"{name} {mb(rss)}" for name, rss in sorted(self.by_process.items(), key=lambda i: -i[1]))
            total = f"stack total RSS {mb(self.total_last)} (peak {mb(self.total_peak)}; now {parts})"
        else:
            total = "stack total RSS not measured (--gateway without --stack-pid)"
        where = "" if self.root else " (every one on this machine)"
        rasa = ", ".join(
            f"{self.rasa_label[pid]} {mb(self.rasa_last[pid])} (peak {mb(self.rasa_peak[pid])})"
            for pid in sorted(self.rasa_peak)
        )
        return f"{total}; Rasa servers{where}: {rasa or 'none found'}"


def program(cmdline: str) -> str:
    """What a process runs, shortly: the module of ``python -m x.y.z`` (z), else the executable's name."""
    words = cmdline.split()
    if "-m" in words[:-1]:
        return words[words.index("-m") + 1].rsplit(".", 1)[-1]
    return Path(words[0]).name if words else "?"


def mb(n: int) -> str:
    return f"{n / 1024**2:,.0f} MB"


# ------------------------------------------------------------------ traffic
Step = Tuple[str, str, int]  # (action, text or payee, amount in cents for transfers): one chat turn each


class Client:
    """One customer on one phone: one keep-alive connection, the summary key its screen last showed, and the
    episode it is in. ``step`` sends the next turn; at most one step runs at a time."""

    def __init__(self, sub: str, gateway: str, timeout_s: float, seed: int) -> None:
        self.sub, self.gateway, self.timeout_s = sub, gateway, timeout_s
        self.rng = random.Random(seed)
        self.http: Optional[aiohttp.ClientSession] = None
        self.headers: Dict[str, str] = {}
        self.summary_key: Optional[str] = None
        self.plan: Deque[Step] = collections.deque()
        self.kind = ""
        self.busy = False
        self.paid: Set[str] = set()  # payees this client has paid in this run (their next payment needs no code)
        self.receipts: Set[int] = set()
        self.paid_cents = 0  # receipts since base_cents was read
        self.base_cents: Optional[int] = None

    async def open(self) -> None:
        if self.http is not None:
            return
        # One keep-alive connection per customer, like one app on one phone.
        connector = aiohttp.TCPConnector(limit=1, force_close=False)
        self.http = aiohttp.ClientSession(connector=connector, timeout=aiohttp.ClientTimeout(total=self.timeout_s))
        async with self.http.get(f"{self.gateway}/api/dev/token", params={"sub": self.sub, "role": "customer"}) as r:
            body = await r.json(content_type=None)
            if r.status != 200:
                raise RuntimeError(f"no dev token for {self.sub}: HTTP {r.status} {body} (is ASSISTANT_ENV=dev?)")
        self.headers = {"Authorization": f"Bearer {body['token']}"}

    async def close(self) -> None:
        if self.http is not None:
            await self.http.close()
            self.http = None

    # -------------------------------------------------------- requests
    async def request(self, tally: Tally, method: str, path: str, label: str, **kwargs: Any) -> Optional[Any]:
        """One request; records status or failure; returns the JSON body of a 200, else None."""
        assert self.http is not None
        try:
            async with self.http.request(method, self.gateway + path, headers=self.headers, **kwargs) as resp:
                raw = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, asyncio.TimeoutError, OSError) as exc:
            tally.failures[type(exc).__name__] += 1
            return None
        tally.status[status] += 1
        if status != 200:
            tally.sample(f"HTTP {status} {label}", raw[:200].decode(errors="replace"))
            return None
        try:
            return json.loads(raw)
        except ValueError:
            tally.failures["BadJSON"] += 1
            return None

    async def chat(self, tally: Tally, text: str, kind: str) -> Tuple[Optional[Dict[str, Any]], float]:
        """One chat turn, sent like the web page sends it; returns the answer (None when failed) and its ms."""
        body: Dict[str, Any] = {"message": text}
        if self.summary_key:
            body["summary_key"] = self.summary_key
        tally.turns += 1
        t0 = time.perf_counter()
        answer = await self.request(tally, "POST", "/api/chat", text, json=body)
        ms = (time.perf_counter() - t0) * 1000
        tally.chat_ms.append(ms)
        tally.kind_ms[kind].append(ms)
        if answer is None:
            return None, ms
        messages = answer.get("messages")
        if not isinstance(messages, list) or not messages:
            tally.empty[text] += 1
            return None, ms
        joined = " ".join(str(m.get("text") or "") for m in messages if isinstance(m, dict))
        if BUSY_MARK in joined:
            tally.busy[text] += 1
        if answer.get("handoff"):
            tally.handoffs += 1
        tally.sample(text, joined)
        for message in messages:
            data = (message.get("data") if isinstance(message, dict) else None) or {}
            if data.get("summary_key"):
                self.summary_key = str(data["summary_key"])
            if data.get("type") == "transfer_receipt":
                self._receipt(tally, data)
        return answer, ms

    def _receipt(self, tally: Tally, data: Dict[str, Any]) -> None:
        transfer_id = data.get("transfer_id")
        if data.get("replayed") or transfer_id in self.receipts:
            tally.repeated_receipts += 1
            tally.sample(f"repeated receipt {self.sub}", json.dumps(data, ensure_ascii=False))
            return
        self.receipts.add(transfer_id)
        self.paid_cents += int(data.get("amount_cents") or 0)
        tally.transfers_completed += 1

    async def balance_cents(self, tally: Tally) -> Optional[int]:
        """The sum of the customer's debit balances (GET /api/accounts); None without debit accounts."""
        body = await self.request(tally, "GET", "/api/accounts", "accounts")
        debit = [a for a in (body or {}).get("accounts", []) if a.get("kind") == "debit"]
        return sum(int(a["balance_cents"]) for a in debit) if debit else None

    # -------------------------------------------------------- episodes
    def _new_episode(self, tally: Tally) -> None:
        kinds, weights = zip(*EPISODE_WEIGHTS)
        self.kind = self.rng.choices(kinds, weights)[0]
        tally.episodes[self.kind] += 1
        if self.kind == "transfer":
            fresh = [p for p in PAYEES if p[0] not in self.paid]
            name, _, _, _, spoken = self.rng.choice(fresh or PAYEES)  # unpaid payees first: they need a code
            amount = self.rng.randint(1, 50)
            text = self.rng.choice((f"给{spoken}转{amount}", f"给{spoken}转{amount}块", f"转{amount}元给{spoken}"))
            self.plan.append(("transfer", text, amount * 100))
            self.plan.append(("confirm", name, amount * 100))
        elif self.kind == "search":
            self.plan.append(("handover", self.rng.choice(SAYINGS["search"]), 0))
        else:
            self.plan.append(("chat", self.rng.choice(SAYINGS[self.kind]), 0))

    async def step(self, tally: Tally) -> None:
        """The next chat turn of this customer's episode (a new episode when the last one is done), with the
        GET requests that go with it: the search page after a handover, the SMS outbox before a code."""
        self.busy = True
        try:
            if not self.plan:
                self._new_episode(tally)
            action, text, cents = self.plan.popleft()
            if action == "handover":  # the chat turn, then the search page it leads to (GET /api/search)
                answer, _ = await self.chat(tally, text, "search")
                if any(((m.get("data") or {}).get("results")) for m in (answer or {}).get("messages", [])):
                    tally.handover_results += 1
                query = SEARCH_QUERY[text]
                tally.searches += 1
                t0 = time.perf_counter()
                await self.request(tally, "GET", "/api/search", query, params={"q": query, "limit": "10"})
                tally.search_ms.append((time.perf_counter() - t0) * 1000)
            elif action == "transfer":
                await self._transfer(tally, text, cents)
            elif action == "confirm":
                await self._confirm(tally, text, cents)
            elif action == "code":
                await self._code(tally, text, cents)
            else:
                await self.chat(tally, text, self.kind)
        finally:
            self.busy = False

    def _give_up(self, tally: Tally, reason: str, answer: Optional[Dict[str, Any]]) -> None:
        """The transfer did not go as a customer expects: count why and cancel it (next turn)."""
        tally.transfer_failures[reason] += 1
        texts = " ".join(m.get("text") or "" for m in (answer or {}).get("messages", []))
        tally.sample(f"transfer {reason}", texts)
        self.plan.clear()
        self.plan.append(("chat", "取消", 0))

    async def _transfer(self, tally: Tally, text: str, cents: int) -> None:
        tally.transfers_started += 1
        answer, _ = await self.chat(tally, text, "transfer")
        summaries = [
            m["data"]
            for m in (answer or {}).get("messages", [])
            if (m.get("data") or {}).get("type") == "transfer_summary"
        ]
        if answer is None:
            self._give_up(tally, "request failed", None)
        elif not summaries:
            self._give_up(tally, "no summary", answer)
        elif summaries[-1].get("amount_cents") != cents:
            self._give_up(tally, "wrong amount in summary", answer)
        elif not summaries[-1].get("summary_key"):
            self._give_up(tally, "summary without summary_key", answer)

    async def _confirm(self, tally: Tally, payee: str, cents: int) -> None:
        before = self.paid_cents
        answer, _ = await self.chat(tally, "确认", "transfer")
        if self.paid_cents > before:
            self.paid.add(payee)
        elif answer is None:
            tally.transfers_unknown += 1
            self._give_up(tally, "confirm failed", None)
        elif any("验证码" in (m.get("text") or "") for m in answer.get("messages", [])):
            self.plan.appendleft(("code", payee, cents))
        else:
            self._give_up(tally, "no receipt and no code asked", answer)

    async def _code(self, tally: Tally, payee: str, cents: int) -> None:
        tally.outbox_reads += 1
        body = await self.request(tally, "GET", "/api/dev/outbox", "outbox")
        sent = [m for m in (body or {}).get("messages", []) if str(m.get("purpose", "")).startswith("transfer:")]
        mine = [m for m in sent if m.get("purpose") == f"transfer:{self.summary_key}"] or sent  # newest first
        if not mine or not mine[0].get("code"):
            self._give_up(tally, "no code in the outbox", None)
            return
        before = self.paid_cents
        answer, _ = await self.chat(tally, str(mine[0]["code"]), "transfer")
        if self.paid_cents > before:
            self.paid.add(payee)
            tally.transfers_with_code += 1
        elif answer is None:
            tally.transfers_unknown += 1
            self._give_up(tally, "code turn failed", None)
        else:
            self._give_up(tally, "code not accepted", answer)


class Clients:
    """Every simulated customer of the run, kept across levels (their conversations go on)."""

    def __init__(self, gateway: str, timeout_s: float) -> None:
        self.gateway, self.timeout_s = gateway, timeout_s
        self.by_sub: Dict[str, Client] = {}

    async def get(self, subs: Sequence[str]) -> List[Client]:
        new = [Client(s, self.gateway, self.timeout_s, seed=len(self.by_sub) + i) for i, s in enumerate(subs)]
        new = [c for c in new if c.sub not in self.by_sub]
        for client in new:
            self.by_sub[client.sub] = client
        await asyncio.gather(*(c.open() for c in new))
        return [self.by_sub[s] for s in subs]

    async def close(self) -> None:
        await asyncio.gather(*(c.close() for c in self.by_sub.values()))


async def read_bases(clients: Sequence[Client], tally: Tally) -> None:
    for client, cents in zip(clients, await asyncio.gather(*(c.balance_cents(tally) for c in clients))):
        client.base_cents, client.paid_cents = cents, 0


async def check_balances(clients: Sequence[Client], tally: Tally) -> None:
    """Each customer's debit balances fell by exactly the receipts it was shown since the last reading."""
    for client, now in zip(clients, await asyncio.gather(*(c.balance_cents(tally) for c in clients))):
        if client.base_cents is None or now is None:
            continue
        tally.balances_checked += 1
        fell = client.base_cents - now
        if fell != client.paid_cents:
            tally.mismatches.append(
                f"{client.sub}: balances fell ¥{fell / 100:.2f}, receipts ¥{client.paid_cents / 100:.2f}"
            )
        client.base_cents, client.paid_cents = now, 0  # a mismatch is reported once, not in every later level


async def closed_loop(clients: Sequence[Client], level: Level) -> None:
    deadline = time.monotonic() + level.seconds
    think_s = level.think_ms / 1000

    async def run(client: Client) -> None:
        if think_s:
            await asyncio.sleep(client.rng.uniform(0, think_s))  # spread the starts
        while time.monotonic() < deadline or client.plan:  # an episode begun is finished
            await client.step(level.tally)
            if think_s:
                await asyncio.sleep(client.rng.uniform(0, think_s))

    results = await asyncio.gather(*(run(c) for c in clients), return_exceptions=True)
    for res in results:
        if isinstance(res, BaseException):
            level.tally.failures[f"conversation aborted: {type(res).__name__}: {res}"[:120]] += 1


async def open_loop(pool: Sequence[Client], level: Level, seed: int) -> None:
    arrivals, draws = random.Random(seed), random.Random(seed + 1)
    tally = level.tally
    started = time.monotonic()
    due = started
    running: Set[asyncio.Task] = set()

    async def arrive(client: Client, at: float) -> None:
        tally.lag_ms.append((time.monotonic() - at) * 1000)
        await client.step(tally)

    while True:
        due += arrivals.expovariate(level.rate)
        if due >= started + level.seconds:
            break
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tally.arrivals += 1
        first = draws.choice(pool)
        if first.busy:
            tally.redrawn += 1
            free = [c for c in pool if not c.busy]
            if not free:
                tally.unplaced += 1
                continue
            first = draws.choice(free)
        first.busy = True  # taken now, before the task starts
        task = asyncio.ensure_future(arrive(first, due))
        running.add(task)
        task.add_done_callback(running.discard)
    results = await asyncio.gather(*running, return_exceptions=True)
    for res in results:
        if isinstance(res, BaseException):
            tally.failures[f"turn aborted: {type(res).__name__}: {res}"[:120]] += 1


async def run_level(level: Level, clients: Sequence[Client], memory_root: Optional[int], logs: Optional[Path]) -> None:
    print(f"\n== {level.name} ==", flush=True)
    before_logs = log_signs(logs) if logs else {}
    await read_bases(clients, level.tally)
    level.memory = MemoryWatch(memory_root)
    watcher = asyncio.ensure_future(level.memory.run())
    started = time.monotonic()
    try:
        if level.mode == "closed":
            await closed_loop(clients, level)
        else:
            await open_loop(clients, level, level.seed)
    finally:
        level.elapsed = time.monotonic() - started
        watcher.cancel()
    level.memory.sample()
    await check_balances(clients, level.tally)
    if logs:
        after = log_signs(logs)
        level.log_counts = {
            name: {k: v - before_logs.get(name, {}).get(k, 0) for k, v in counts.items()}
            for name, counts in after.items()
        }


async def warm_up(clients: Clients, sub: str, turns: int) -> None:
    """Turns of every kind, not counted: Rasa's first turns pay for loading and compiling."""
    if turns <= 0:
        return
    (client,) = await clients.get([sub])
    tally = Tally()
    t0 = time.monotonic()
    while tally.turns < turns or client.plan:
        await client.step(tally)
    print(
        f"warm-up: {tally.turns} turns in {time.monotonic() - t0:.1f} s as {sub} "
        f"({tally.errors} errors, {tally.transfers_completed} transfers)",
        flush=True,
    )


@dataclass
class LongResult:
    turns: int
    sub: str
    fresh_sub: str
    ms: List[float]
    fresh_ms: List[float]
    tally: Tally
    memory: Optional[MemoryWatch] = None

    @property
    def ratio(self) -> float:
        return percentile(self.ms[-10:], 50) / percentile(self.fresh_ms, 50)


async def long_conversation(
    clients: Clients, sub: str, fresh_sub: str, turns: int, memory_root: Optional[int]
) -> LongResult:
    """One customer's ``turns`` turns back to back; its last 10 alternate with a new customer's first 10, so
    that both meet the same load on the machine."""
    print(
        f"\n== long conversation: {turns} turns as {sub}; its last 10 alternate with the first 10 of the new "
        f"customer {fresh_sub} ==",
        flush=True,
    )
    long_client, fresh_client = await clients.get([sub, fresh_sub])
    result = LongResult(turns, sub, fresh_sub, [], [], Tally(), MemoryWatch(memory_root))
    assert result.memory is not None
    watcher = asyncio.ensure_future(result.memory.run())
    try:
        for i in range(turns):
            text = LONG_SAYINGS[i % len(LONG_SAYINGS)]
            result.ms.append((await long_client.chat(result.tally, text, "long"))[1])
            j = i - (turns - 10)
            if j >= 0:
                text = LONG_SAYINGS[j % len(LONG_SAYINGS)]
                result.fresh_ms.append((await fresh_client.chat(result.tally, text, "fresh"))[1])
    finally:
        watcher.cancel()
    result.memory.sample()
    return result


# ------------------------------------------------------------------ report
def log_signs(logs: Path) -> Dict[str, Dict[str, int]]:
    out: Dict[str, Dict[str, int]] = {}
    for pattern, signs in LOG_SIGNS.items():
        for path in sorted(logs.glob(pattern)):
            text = path.read_text(errors="replace")
            out[path.name] = {s: len(re.findall(re.escape(s), text)) for s in signs}
    return out


def latency_line(ms: Sequence[float]) -> str:
    if not ms:
        return "no samples"
    return (
        f"p50={percentile(ms, 50):.0f} ms  p95={percentile(ms, 95):.0f} ms  "
        f"p99={percentile(ms, 99):.0f} ms  max={max(ms):.0f} ms"
    )


def report_level(level: Level, show_replies: bool) -> None:
    t = level.tally
    print(
        f"{t.turns} chat turns in {level.elapsed:.1f} s = {level.tps:.1f} turns/s; {t.searches} searches, "
        f"{t.outbox_reads} SMS outbox reads; episodes {dict(t.episodes)}"
    )
    if level.mode == "open":
        lag = f"; arrival lag p99 {percentile(t.lag_ms, 99):.0f} ms" if t.lag_ms else ""
        print(
            f"arrivals {t.arrivals} in {level.seconds:g} s ({t.arrivals / level.seconds:.1f}/s, offered "
            f"{level.rate:g}/s) over {level.clients} customers: drawn customer busy {t.redrawn}, not placed "
            f"(every customer busy) {t.unplaced}{lag}"
        )
    print(f"chat turn latency: {latency_line(t.chat_ms)}")
    by_kind = "  ".join(
        f"{k} n={len(v)} p50={percentile(v, 50):.0f}/p95={percentile(v, 95):.0f}" for k, v in sorted(t.kind_ms.items())
    )
    print(f"  by kind (ms): {by_kind}")
    if t.search_ms:
        print(f"GET /api/search latency: {latency_line(t.search_ms)}")
    print(f"HTTP status: {dict(sorted(t.status.items()))}")
    empty, busy = sum(t.empty.values()), sum(t.busy.values())
    print(
        f"5xx: {t.server_errors}   other HTTP errors: {t.other_errors}   dropped connections/timeouts: {t.dropped}"
        f" {dict(t.failures) if t.dropped else ''}"
    )
    print(
        f"empty replies: {empty} {dict(t.empty.most_common(5)) if empty else ''}  "
        f"'{BUSY_MARK}' replies: {busy} {dict(t.busy.most_common(5)) if busy else ''}  "
        f"handoff in answer: {t.handoffs}  search handovers with results: {t.handover_results}"
    )
    not_done = sum(t.transfer_failures.values())
    print(
        f"transfers: started {t.transfers_started}, completed {t.transfers_completed} "
        f"({t.transfers_with_code} with an SMS code), not completed {not_done} "
        f"{dict(t.transfer_failures) if not_done else ''}"
        f"{f', outcome unknown {t.transfers_unknown}' if t.transfers_unknown else ''}"
    )
    print(
        f"exactly once: {t.balances_checked} customers' balances checked, {len(t.mismatches)} mismatches, "
        f"{t.repeated_receipts} repeated receipts {t.mismatches[:5] if t.mismatches else ''}"
    )
    if level.memory is not None:
        print(f"memory: {level.memory.describe()}")
    for name, counts in level.log_counts.items():
        found = {k: v for k, v in counts.items() if v}
        print(f"{name}: {found or 'no error signs'}")
    shown = {k: v for k, v in t.samples.items() if show_replies or k.startswith(("transfer ", "HTTP ", "repeated"))}
    for text, reply in list(shown.items())[:40]:
        print(f"  {text} → {reply}")


def report_long(result: LongResult) -> None:
    first, last, fresh = result.ms[:10], result.ms[-10:], result.fresh_ms

    def line(ms: Sequence[float]) -> str:
        return f"p50 {percentile(ms, 50):.0f} ms, mean {sum(ms) / len(ms):.0f} ms, max {max(ms):.0f} ms"

    for label, ms in (
        ("turns 1-10", first),
        (f"turns {result.turns - 9}-{result.turns}", last),
        ("a fresh customer's 1-10", fresh),
    ):
        print(f"{label:<24} {line(ms)}")
    block = max(10, result.turns // 10)
    trend = ", ".join(
        f"{i + 1}-{min(i + block, result.turns)}: {percentile(result.ms[i : i + block], 50):.0f}"
        for i in range(0, result.turns, block)
    )
    print(f"p50 by stretch of the long conversation (ms): {trend}")
    if result.memory is not None:
        print(f"memory: {result.memory.describe()}")
    t = result.tally
    print(
        f"errors: 5xx {t.server_errors}, other HTTP {t.other_errors}, dropped {t.dropped}, "
        f"empty {sum(t.empty.values())}, '{BUSY_MARK}' {sum(t.busy.values())}"
    )


def summary_table(levels: Sequence[Level]) -> None:
    head = (
        f"{'level':<32}{'turns':>7}{'turns/s':>9}{'p50':>7}{'p95':>7}{'p99':>7}{'5xx':>5}{'othr':>5}{'drop':>6}"
        f"{'empty':>6}{'busy':>6}{'xfer':>6}{'bad$':>5}{'stack MB':>10}  rasa MB (each)"
    )
    print("\n" + head)
    for lv in levels:
        t, mem = lv.tally, lv.memory
        stack = f"{mem.total_peak / 1024**2:.0f}" if mem and mem.root else "n/m"
        rasa = "/".join(f"{v / 1024**2:.0f}" for v in (mem.rasa_peak.values() if mem else ())) or "-"
        print(
            f"{lv.name[:31]:<32}{t.turns:>7}{lv.tps:>9.1f}{lv.pct(50):>7.0f}{lv.pct(95):>7.0f}{lv.pct(99):>7.0f}"
            f"{t.server_errors:>5}{t.other_errors:>5}{t.dropped:>6}{sum(t.empty.values()):>6}"
            f"{sum(t.busy.values()):>6}{t.transfers_completed:>6}{len(t.mismatches) + t.repeated_receipts:>5}"
            f"{stack:>10}  {rasa}"
        )
    print("(latency in ms; memory: peak while the level ran; bad$: balance mismatches and repeated receipts)")


Check = Tuple[str, Optional[bool], str]  # target, passed (None: did not run), figure


def check_targets(levels: Sequence[Level], long: Optional[LongResult]) -> List[Check]:
    checks: List[Check] = []
    for lv in levels:
        t = lv.tally
        errors = (
            f"5xx {t.server_errors}, other HTTP {t.other_errors}, dropped {t.dropped}, "
            f"empty {sum(t.empty.values())}, '{BUSY_MARK}' {sum(t.busy.values())}, balance mismatches "
            f"{len(t.mismatches)}, repeated receipts {t.repeated_receipts}, turns {t.turns}"
        )
        checks.append(("clean", t.errors == 0 and t.turns > 0, f"{lv.name}: {errors}"))
        if lv.mode == "closed" and lv.clients == 20 and lv.think_ms == 0:
            ok = lv.tps >= CLOSED20_MIN_TPS and lv.pct(99) <= CLOSED20_MAX_P99_MS
            figure = (
                f"{lv.name}: {lv.tps:.1f} turns/s (≥ {CLOSED20_MIN_TPS:g}), "
                f"p99 {lv.pct(99):.0f} ms (≤ {CLOSED20_MAX_P99_MS:.0f})"
            )
            checks.append(("closed20", ok, figure))
        if lv.mode == "open" and lv.rate == 10:
            ok = lv.pct(50) <= OPEN10_MAX_P50_MS and lv.pct(99) <= OPEN10_MAX_P99_MS
            figure = (
                f"{lv.name}: p50 {lv.pct(50):.0f} ms (≤ {OPEN10_MAX_P50_MS:.0f}), "
                f"p99 {lv.pct(99):.0f} ms (≤ {OPEN10_MAX_P99_MS:.0f})"
            )
            checks.append(("open10", ok, figure))
        if lv.mode == "closed" and lv.clients >= 100:
            ok = t.errors == 0 and t.turns > 0
            checks.append(("closed100", ok, f"{lv.name} for {lv.elapsed:.0f} s: {errors}"))
    if long is not None:
        t = long.tally
        figure = (
            f"long conversation: 5xx {t.server_errors}, other HTTP {t.other_errors}, dropped {t.dropped}, "
            f"empty {sum(t.empty.values())}, '{BUSY_MARK}' {sum(t.busy.values())}"
        )
        checks.append(("clean", t.errors == 0, figure))
    peaks: Dict[int, int] = {}
    labels: Dict[int, str] = {}
    watches = [lv.memory for lv in levels] + [long.memory if long else None]
    for watch in watches:
        if watch is not None:
            labels.update(watch.rasa_label)
            for pid, rss in watch.rasa_peak.items():
                peaks[pid] = max(peaks.get(pid, 0), rss)
    if peaks:
        figure = ", ".join(f"{labels[p]} peak {mb(r)}" for p, r in sorted(peaks.items())) + f" (≤ {mb(RASA_MAX_RSS)})"
        checks.append(("memory", all(r <= RASA_MAX_RSS for r in peaks.values()), figure))
    elif any(watches):
        checks.append(("memory", None, "no Rasa server process found"))
    if long is not None:
        last, fresh = percentile(long.ms[-10:], 50), percentile(long.fresh_ms, 50)
        figure = (
            f"last 10 of {long.turns} turns p50 {last:.0f} ms vs a fresh customer's first 10 p50 {fresh:.0f} ms "
            f"= {long.ratio:.2f}× (≤ {LONG_MAX_RATIO:g}×)"
        )
        checks.append(("long", long.ratio <= LONG_MAX_RATIO, figure))
    ran = {name for name, _, _ in checks}
    checks.extend((name, None, "its level did not run") for name in TARGET_NAMES if name not in ran)
    return checks


def report_targets(checks: Sequence[Check], enforced: Set[str]) -> bool:
    print("\ntargets (2 cores):")
    ok = True
    for name, passed, figure in checks:
        if passed is None:
            verdict = "not run"
        elif name not in enforced:
            verdict = f"{'ok' if passed else 'missed'} (not enforced)"
        else:
            verdict = "OK" if passed else "MISSED"
            ok = ok and passed
        print(f"  {name:<10} {verdict:<22} {figure}")
    return ok


# ------------------------------------------------------------------ main
def numbers(text: str, kind: Callable[[str], Any]) -> List[Any]:
    try:
        values = [kind(v) for v in text.split(",") if v.strip()]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"a comma-separated list of numbers, not {text!r}") from exc
    if not values or any(v <= 0 for v in values):
        raise argparse.ArgumentTypeError(f"positive numbers, not {text!r}")
    return values


def plan_levels(args: argparse.Namespace) -> Tuple[List[Level], int]:
    """The levels to run and the long conversation's length (0: none), from the arguments."""
    think = args.think_ms if args.think_ms is not None else (args.think * 1000 if args.think is not None else None)
    suite = not (args.mode or args.clients or args.conversations or args.rate or args.long_conversation)
    if suite:
        s = args.seconds
        levels = [
            Level("closed 1 client", "closed", clients=1, seconds=s or 30),
            Level("closed 20 clients", "closed", clients=20, seconds=s or 30),
            Level("closed 100 clients", "closed", clients=100, seconds=s or 60),
            Level("open 10 turns/s", "open", rate=10, seconds=s or 30),
        ]
        for lv in levels:
            lv.think_ms = think or 0.0
        return levels, 500
    levels: List[Level] = []
    mode = args.mode or ("open" if args.rate else "closed" if (args.clients or args.conversations) else None)
    if mode == "closed":
        if args.conversations and not args.clients:  # the old run
            counts, default_s, default_think = [args.conversations], 60.0, 1000.0
        else:
            counts, default_s, default_think = args.clients or [1, 20, 100], 30.0, 0.0
        th = think if think is not None else default_think
        for n in counts:
            name = f"closed {n} client{'s' if n > 1 else ''}" + (f", think ≤{th:.0f} ms" if th else "")
            levels.append(Level(name, "closed", clients=n, think_ms=th, seconds=args.seconds or default_s))
    elif mode == "open":
        for r in args.rate or [10.0]:
            levels.append(Level(f"open {r:g} turns/s", "open", rate=r, seconds=args.seconds or 30.0))
    if any(lv.clients > MAX_CLIENTS for lv in levels) or args.pool > MAX_CLIENTS:
        raise SystemExit(f"at most {MAX_CLIENTS} clients")
    if args.long_conversation is not None and args.long_conversation < 20:
        raise SystemExit("--long-conversation needs 20 turns or more (its first 10 and last 10 are compared)")
    return levels, args.long_conversation or 0


async def run_all(
    args: argparse.Namespace,
    gateway: str,
    levels: List[Level],
    long_turns: int,
    spare: Sequence[str],
    memory_root: Optional[int],
    logs: Optional[Path],
) -> Optional[LongResult]:
    clients = Clients(gateway, args.timeout)
    try:
        await warm_up(clients, spare[2], args.warmup)
        for index, level in enumerate(levels):
            if level.mode == "open":
                level.clients, level.seed = args.pool, args.seed + 2 * index
            subs = customer_ids(level.clients)
            await run_level(level, await clients.get(subs), memory_root, logs)
            report_level(level, args.show_replies)
        if long_turns:
            result = await long_conversation(clients, spare[0], spare[1], long_turns, memory_root)
            report_long(result)
            return result
        return None
    finally:
        await clients.close()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=" ".join(__doc__.split("\n\n")[0].split()),
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--mode", choices=("closed", "open"), default=None, help="closed (default) or open loop")
    parser.add_argument(
        "--clients", type=lambda v: numbers(v, int), default=None, help="closed loop: clients per level, e.g. 1,20,100"
    )
    parser.add_argument("--conversations", type=int, default=None, help="the old run: N clients, think ≤1 s, 60 s")
    parser.add_argument("--rate", type=lambda v: numbers(v, float), default=None, help="open loop: turns/s per level")
    parser.add_argument("--pool", type=int, default=20, help="open loop: customers to draw arrivals from")
    parser.add_argument("--seconds", type=float, default=None, help="time of each level (default: 30; suite: 30/60)")
    parser.add_argument("--seed", type=int, default=None, help="open loop: seed of the arrivals (default: new)")
    parser.add_argument("--think-ms", type=float, default=None, help="closed loop: pause uniform in 0..T ms (0)")
    parser.add_argument("--think", type=float, default=None, help="the same in seconds (old flag)")
    parser.add_argument("--long-conversation", type=int, default=None, metavar="N", help="an N-turn conversation")
    parser.add_argument("--warmup", type=int, default=30, help="turns before the first level, not counted")
    parser.add_argument(
        "--targets", default="all", help=f"enforced targets: all, none, or some of {','.join(TARGET_NAMES)}"
    )
    parser.add_argument(
        "--gateway", default=None, help="base URL of a running gateway in dev mode; default: start an own stack"
    )
    parser.add_argument("--timeout", type=float, default=60.0, help="client timeout of one request, s")
    parser.add_argument(
        "--database-url",
        default=None,
        help="with --gateway: the stack's database, to give the load customers accounts and payees",
    )
    parser.add_argument("--stack-pid", type=int, default=None, help="with --gateway: the launcher's pid (memory)")
    parser.add_argument("--keep", action="store_true", help="keep the own stack's data folder and logs")
    parser.add_argument("--show-replies", action="store_true", help="print one reply per message sent")
    args = parser.parse_args()
    enforced = (
        set(TARGET_NAMES)
        if args.targets == "all"
        else set()
        if args.targets == "none"
        else {t.strip() for t in args.targets.split(",")}
    )
    if enforced - set(TARGET_NAMES):
        parser.error(f"unknown targets {sorted(enforced - set(TARGET_NAMES))}; known: {', '.join(TARGET_NAMES)}")
    levels, long_turns = plan_levels(args)
    if args.seed is None:
        args.seed = random.SystemRandom().randrange(1_000_000)
    run_started = time.monotonic()
    load = os.getloadavg()
    print(
        f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} "
        f"(targets are for 2 cores; the bench runs on the same cores)"
    )
    planned = [f"{lv.name} × {lv.seconds:g} s" for lv in levels]
    planned += [f"a long conversation of {long_turns} turns"] if long_turns else []
    seed = f" (open-loop seed {args.seed})" if any(lv.mode == "open" for lv in levels) else ""
    print(f"plan: {'; '.join(planned)}{seed}")
    pool = max(
        [lv.clients for lv in levels if lv.mode == "closed"]
        + [args.pool if any(lv.mode == "open" for lv in levels) else 0]
    )
    spare = spare_ids(3)  # long, fresh, warm-up
    subs = customer_ids(pool) + spare

    tmp: Optional[Path] = None
    if args.gateway:
        if args.database_url:
            print(f"seeded {seed_customers(args.database_url, subs)} load customers")
        else:
            print("note: without --database-url the load customers have no accounts (balance turns say so)")
        try:
            long_result = asyncio.run(
                run_all(args, args.gateway.rstrip("/"), levels, long_turns, spare, args.stack_pid, None)
            )
        except (aiohttp.ClientError, OSError, RuntimeError) as exc:
            print(f"cannot run against {args.gateway}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return 2
    else:
        from tests.support.stack import Stack, isolated_training

        tmp = Path(tempfile.mkdtemp(prefix="bench-chat-load-"))
        env = isolated_training(tmp)
        env.update({"ASSISTANT_RATE_CHAT": LIFTED_RATE, "ASSISTANT_RATE_SEARCH": LIFTED_RATE})
        stack = Stack(data_dir=tmp, extra_env=env)
        try:
            t0 = time.monotonic()
            stack.start(timeout_s=900)
            print(f"stack up in {time.monotonic() - t0:.0f} s at {stack.base_url} (data {tmp})")
            print(f"seeded {seed_customers(stack.database_url, subs)} load customers")
            assert stack.process is not None
            long_result = asyncio.run(
                run_all(args, stack.base_url, levels, long_turns, spare, stack.process.pid, tmp / "logs")
            )
        finally:
            stack.stop()
    if levels:
        summary_table(levels)
    ok = report_targets(check_targets(levels, long_result), enforced)
    print(f"total run time {time.monotonic() - run_started:.0f} s")
    if tmp is not None:
        if ok and not args.keep:
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            print(f"logs kept in {tmp / 'logs'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
