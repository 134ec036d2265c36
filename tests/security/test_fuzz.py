"""Property-based fuzz of every gateway route on the running stack (issue 11 finding 9).

More than 10,000 hostile requests — odd methods and paths, ids past 64 bits, garbage numbers and dates,
bodies that are not JSON or carry wrong types, huge strings, control characters and lone surrogates,
odd headers, forged and broken tokens, tokens of every role, malformed request heads over raw sockets —
must each get an answer below 500 (a 4xx with the JSON error shape when refused), never a dropped
connection, and must leave the seeded customers' money exactly where it was.

Cost: almost every request is refused or answered without Rasa; only the chat phase (CHAT_TURNS)
reaches the bot, from fuzz-only customers. Requests that would start work nobody asked for are never
built: the trainers' POST /api/trainer/train only ever gets an unusable body, and ids are chosen so
that no real inbox item or handoff is labelled, claimed or closed.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from collections import Counter
from typing import Any, Dict, List, Optional, Tuple

import jwt
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from assistant.base.config import DEV_JWT_SECRET
from assistant.gateway.app import BLUEPRINT_MODULES
from tests.support.stack import Stack

pytestmark = pytest.mark.integration

ROUTE_REQUESTS = 9_600
RAW_REQUESTS = 400
CHAT_TURNS = 200
MIN_REQUESTS = 10_000
SEEDED_CUSTOMERS = ("demo", "demo2")
FUZZ_CUSTOMERS = tuple(f"fuzz_c{i}" for i in range(12))
FUZZ_SETTINGS = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.filter_too_much,
        HealthCheck.large_base_example,
    ],
)

# ------------------------------------------------------------------------------------------ routes

ROUTES: List[Tuple[str, str]] = sorted(
    {
        (method, route.uri)
        for module in BLUEPRINT_MODULES
        for route in module.bp._future_routes
        for method in route.methods
    }
)
# Routes whose valid use does real work; the fuzz keeps their requests unusable (see _body_for).
TRAIN = ("POST", "/api/trainer/train")
CHAT = ("POST", "/api/chat")

HOSTILE_IDS = [0, -1, -(2**63), 2**62 + 1, 2**63 - 1, 2**63, 2**64, 10**30, 10**400]
HOSTILE_SEGMENTS = [
    "abc",
    "1.5",
    "1e9",
    "0x10",
    "%00",
    "%ZZ",
    "１２",
    "١٢",
    "..",
    "%2e%2e",
    "-",
    " ",
    "9" * 4000,
    "转账",
    "%F0%9F%92%A9",
    "%C0%AF",
    "a/b",
    "\t",
    "%0D%0A",
]
ids = st.one_of(st.sampled_from(HOSTILE_IDS), st.integers(min_value=10**9, max_value=2**80), st.integers(max_value=-1))
path_values = st.one_of(ids.map(str), st.sampled_from(HOSTILE_SEGMENTS), st.text(min_size=1, max_size=300))

PARAM_NAMES = [
    "limit",
    "page",
    "size",
    "since",
    "top",
    "start",
    "end",
    "from",
    "to",
    "status",
    "q",
    "type",
    "account",
    "counterparty",
    "category",
    "direction",
    "sub",
    "role",
    "force",
    "id",
]
HOSTILE_NUMBERS = [
    "0",
    "-1",
    "1e9",
    "1e999999",
    "NaN",
    "inf",
    "0x10",
    "1_000",
    "١٢",
    "９",
    " 5 ",
    "5.5",
    "",
    str(2**63),
    str(-(2**63) - 1),
    "9" * 5000,
    "1" * 4300,
]
HOSTILE_DATES = [
    "9999-12-31",
    "0001-01-01",
    "2024-02-30",
    "2024-1-1",
    "+2024-01-01",
    "2024-01-01T25:00",
    "9999-12-31T23:59:59",
    "9999-12-31T23:00:00-05:00",
    "0001-01-01T00:00:00+14:00",
    "2024-01-01T00:00:00Z",
    "2024-06-01T08:00:00+08:00",
    "1969-12-31",
    "2100-01-01",
    "2024-13-01",
    "2024-01-01" + "0" * 40,
    "now",
    "yesterday",
    "２０２４-０１-０１",
]
param_values = st.one_of(
    st.sampled_from(HOSTILE_NUMBERS),
    st.sampled_from(HOSTILE_DATES),
    st.integers().map(str),
    st.text(max_size=120),
    st.text(max_size=2).map(lambda s: s * 3000),
    st.sampled_from(
        [
            "open",
            "labelled",
            "expense",
            "income",
            "customer",
            "admin",
            "root",
            "function,product",
            "faq,secret",
            "转账",
            "zhuanzhang",
            "6688",
        ]
    ),
)
queries = st.lists(st.tuples(st.one_of(st.sampled_from(PARAM_NAMES), st.text(max_size=20)), param_values), max_size=5)


def _token(claims: Dict[str, Any], key: str = DEV_JWT_SECRET, alg: str = "HS256") -> str:
    return jwt.api_jws.encode(json.dumps(claims).encode(), key, algorithm=alg)


def _forged_tokens() -> List[str]:
    """Tokens an attacker can make: expired, badly signed, odd claims, the dev secret with odd claims."""
    now = int(time.time())
    good = {"sub": "demo", "role": "customer", "exp": now + 3600}
    odd = [
        {**good, "exp": now - 10},
        {**good, "exp": str(now + 3600)},
        {**good, "exp": True},
        {**good, "exp": 1e999},
        {**good, "exp": 10**30},
        {**good, "sub": "demo\n"},
        {**good, "sub": "demo2\x00"},
        {**good, "sub": ""},
        {**good, "sub": "x" * 65},
        {**good, "sub": ["demo"]},
        {**good, "role": "root"},
        {**good, "role": ["admin"]},
        {**good, "role": None},
        {**good, "iat": "now"},
        {**good, "nbf": now + 3600},
        {"sub": "demo", "role": "admin"},
        {**good, "sub": "../demo2"},
        {**good, "sub": "demo2 "},
    ]
    tokens = [_token(c) for c in odd]
    tokens += [
        _token(good, key="not-the-secret-" + "x" * 32),
        _token(good, key=DEV_JWT_SECRET * 2, alg="HS512"),
        jwt.encode(good, None, algorithm="none"),
        _token(good)[:-3],
        _token(good) + ".x",
        "a.b.c",
        "",
        "..",
        "x" * 8000,
        "eyJ" + "A" * 300,
    ]
    return tokens


class Auth:
    """Authorization values: real tokens by role (so that handlers are reached), and the rest: none,
    forged tokens, and headers that are not Bearer at all."""

    def __init__(self, stack: Stack) -> None:
        customers = [stack.token(sub) for sub in SEEDED_CUSTOMERS + FUZZ_CUSTOMERS[:4]]
        self.by_role: Dict[str, List[str]] = {"customer": [f"Bearer {t}" for t in customers]}
        for role in ("agent", "trainer", "admin"):
            self.by_role[role] = [f"Bearer {stack.token(f'fuzz_{role}', role)}"]
        self.real = [value for values in self.by_role.values() for value in values]
        hostile: List[Optional[str]] = [None] + [f"Bearer {t}" for t in _forged_tokens()]
        hostile += [
            f"bearer {customers[0]}",
            f"Basic {customers[0]}",
            "Bearer",
            "Bearer  ",
            customers[0],
            f"Bearer {customers[0]} extra",
            "Bearer \xff\xfe\xc3",
            f"Bearer {customers[0][:20]}é{customers[0][21:]}",
            "Digest x=1",
            " " * 10,
        ]
        self.hostile = hostile

    def for_route(self, uri: str) -> List[str]:
        """The tokens the route is meant for (by its prefix)."""
        if uri.startswith("/api/agent"):
            return self.by_role["agent"]
        if uri.startswith(("/api/trainer", "/api/admin")):
            return self.by_role["trainer"] + self.by_role["admin"]
        return self.by_role["customer"]


# --------------------------------------------------------------------------------------------- bodies

json_leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=60),
    st.sampled_from(["\ud800", "\udfff", "a\ud83d", "\x00\x01\x1b", "\u202e\u200b\ufeff", "𠀀" * 50, "0" * 5000]),
)
json_values = st.recursive(
    json_leaves,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=10), inner, max_size=4)),
    max_leaves=12,
)
FIELD_NAMES = [
    "message",
    "text",
    "intent",
    "entities",
    "id",
    "query",
    "force",
    "asr",
    "alternatives",
    "summary_key",
    "sender",
    "customer_id",
    "metadata",
    "role",
    "sub",
    "handoff_id",
]
RAW_BODIES = [
    b"",
    b"{",
    b"}",
    b"null",
    b"[]",
    b"NaN",
    b"Infinity",
    b"1e999999",
    b'{"message": 1e999999}',
    b'{"message": "x", "asr": {"alternatives": [{"text": "x", "confidence": ' + b"9" * 400 + b"}]}}",
    b'{"force": ' + b"1" * 400 + b"}",
    b"\xef\xbb\xbf{}",
    '{"message": "查余额"}'.encode("utf-16"),
    b"\xff\xfe\x00",
    b"[" * 5000 + b"]" * 5000,
    b'{"a":' * 3000 + b"1" + b"}" * 3000,
    b'{"message": "\\ud800"}',
    b'{"text": "\\udc00\\ud800"}',
    b'{"intent": "check_balance", "entities": "\\ud800"}',
    b'{"message": "x"}' * 3,
    b'{"message": "x",}',
    b"message=hello",
    b"\x00" * 100,
    b'{"force": false, "force": "yes"}',
]


@st.composite
def bodies(draw: st.DrawFn) -> Optional[bytes]:
    """A request body: nothing, raw bytes, JSON of the wrong type, or an object with hostile fields."""
    kind = draw(st.sampled_from(["none", "raw", "bytes", "value", "object", "object", "object"]))
    if kind == "none":
        return None
    if kind == "raw":
        return draw(st.sampled_from(RAW_BODIES))
    if kind == "bytes":
        return draw(st.binary(max_size=300))
    if kind == "value":
        return json.dumps(draw(json_values)).encode()
    fields = draw(
        st.dictionaries(st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=8)), json_values, max_size=5)
    )
    if draw(st.booleans()):
        fields["message"] = draw(
            st.one_of(
                st.just(""),
                st.just(" \n\t "),
                st.just("\u200b\ufeff"),
                st.text(min_size=501, max_size=600),
                st.just("转" * 20_000),
            )
        )
    return json.dumps(fields, ensure_ascii=draw(st.booleans())).encode("utf-8", errors="surrogatepass")


def _unusable_for_work(route: Tuple[str, str], body: Optional[bytes]) -> bytes:
    """A body that the chat and training routes refuse before doing any work, whatever the token."""
    if route == TRAIN:
        return b'{"force": "yes please"}' if body is None or body.strip() == b"" else body + b"\x00{"
    return body + b"\x00{" if body else b'{"message": ""}'


# ----------------------------------------------------------------------------------------- checks


def _assert_answer(method: str, path: str, status: int, body: Any) -> None:
    where = f"{method} {path[:200]}"
    assert status != 0, f"{where}: connection dropped without an HTTP answer"
    assert status < 500, f"{where}: {status} {body!r:.300}"
    if status >= 400 and method != "HEAD":
        assert isinstance(body, dict) and set(body) == {"error"}, f"{where}: {status} {body!r:.300}"
        error = body["error"]
        assert set(error) == {"code", "message"} and all(isinstance(v, str) and v for v in error.values()), (
            f"{where}: {body!r:.300}"
        )


def _fill(uri: str, draw: st.DrawFn) -> str:
    """The route's path with every <param> replaced by a hostile value, percent-encoded as a client would."""
    parts = []
    for segment in uri.split("/"):
        if segment.startswith("<"):
            value = draw(path_values)
            segment = value if "%" in value else urllib.parse.quote(value, safe="")
        parts.append(segment)
    path = "/".join(parts)
    return path + draw(st.sampled_from([""] * 20 + ["/", "//", "/..", "?", "#frag", "/%2e%2e/api/accounts"]))


class Sent:
    """What the fuzz sent: per route and per status, to check coverage and that handlers were reached."""

    def __init__(self) -> None:
        self.routes: Counter = Counter()
        self.statuses: Counter = Counter()

    @property
    def total(self) -> int:
        return sum(self.statuses.values())

    def add(self, route: str, status: int) -> None:
        self.routes[route] += 1
        self.statuses[status] += 1


def raw_request(stack: Stack, data: bytes, timeout: float = 10.0) -> Tuple[int, Any]:
    """Bytes as they are over a socket; (0, None) when the gateway closes without an HTTP answer."""
    try:
        reply = stack.send_raw(data, timeout)
    except OSError:
        return 0, None
    head, _, payload = reply.partition(b"\r\n\r\n")
    try:
        status = int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return 0, None
    try:
        return status, json.loads(payload.decode("utf-8")) if payload else None
    except ValueError:
        return status, payload.decode("utf-8", errors="replace")


# ----------------------------------------------------------------------------------------- phases


def routes_phase(stack: Stack, sent: Sent, auth: Auth) -> None:
    methods = ["GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD"]

    @settings(max_examples=ROUTE_REQUESTS, **FUZZ_SETTINGS)
    @given(data=st.data())
    def one(data: st.DataObject) -> None:
        route = data.draw(st.sampled_from(ROUTES))
        method = data.draw(st.sampled_from([route[0]] * 20 + methods))
        path = _fill(route[1], data.draw)
        query = data.draw(queries)
        if query:
            path += ("&" if "?" in path else "?") + urllib.parse.urlencode(query, quote_via=urllib.parse.quote)
        body = (
            data.draw(bodies())
            if method in ("POST", "PUT", "PATCH")
            else data.draw(st.sampled_from([None, None, b"{}"]))
        )
        if (method, route[1]) in (TRAIN, CHAT):
            body = _unusable_for_work((method, route[1]), body)
        headers = {}
        authorization = data.draw(
            st.one_of(
                st.sampled_from(auth.for_route(route[1])), st.sampled_from(auth.real), st.sampled_from(auth.hostile)
            )
        )
        if authorization is not None:
            headers["Authorization"] = authorization
        for name in data.draw(
            st.lists(
                st.sampled_from(
                    [
                        "Content-Type",
                        "Accept",
                        "X-Forwarded-For",
                        "Cookie",
                        "Origin",
                        "X-Real-IP",
                        "Accept-Language",
                        "Expect",
                    ]
                ),
                max_size=2,
                unique=True,
            )
        ):
            headers[name] = data.draw(
                st.one_of(
                    st.sampled_from(
                        [
                            "application/json",
                            "text/plain; charset=\xff",
                            "*/*",
                            "1.2.3.4, ::1",
                            "a=\x7f\x01",
                            "100-continue",
                            "é" * 200,
                            "x" * 4000,
                        ]
                    ),
                    st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=100),
                )
            )
        status, answer = stack.request(
            method, path, raw=body if body is not None else None, headers=headers, timeout=60
        )
        sent.add(f"{route[0]} {route[1]}", status)
        _assert_answer(method, path, status, answer)
        assert not ((method, route[1]) == TRAIN and status == 202), "the fuzz started a training run"

    one()


RAW_LINES = [
    "GET /api/search?q=转账 HTTP/1.1".encode(),
    "GET /static/转账.js HTTP/1.1".encode(),
    b"GET /\xff\xfe HTTP/1.1",
    b"GET /api/accounts\x00 HTTP/1.1",
    b"GET  /health HTTP/1.1",
    b"GET /health HTTP/1.1 extra",
    b"GET /health HTTP/2.0",
    b"GET /health HTTP/0.9",
    b"get /health HTTP/1.1",
    b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",
    b"GET /health",
    b"GET",
    b"",
    b"\r\n",
    b"PRI * HTTP/2.0",
    b"GET http://evil.example/ HTTP/1.1",
    b"GET /api/agent/handoffs/99999999999999999999999 HTTP/1.1",
    b"GET /" + b"\xe8\xbd\xac" * 3000 + b" HTTP/1.1",
    b"BREW /coffee HTCPCP/1.0",
    b"GET /health?\xc0\xaf HTTP/1.1",
    b"GET /%ZZ%%% HTTP/1.1",
]
RAW_HEADERS = [
    b"Host: 127.0.0.1",
    b"Authorization: Bearer \xff\xfe\xc3\x28",
    b"Authorization: \xe4\xbd\xa0\xe5\xa5\xbd",
    b"Content-Length: abc",
    b"Content-Length: -5",
    b"Content-Length: 99999999999999999999",
    b"Content-Length: 1e3",
    b"Transfer-Encoding: chunked",
    b"Transfer-Encoding: gzip, chunked",
    b"X-Name-Without-Colon",
    b": empty-name",
    b"Cookie: \xff=\xfe",
    b"Expect: 418-teapot",
    b"Connection: upgrade",
    b"Upgrade: websocket",
    b"Host:",
    b"X-Long: " + b"a" * 70_000,
    b"Content-Type: application/json; charset=\xff",
]


def raw_phase(stack: Stack, sent: Sent) -> None:
    @settings(max_examples=RAW_REQUESTS, **FUZZ_SETTINGS)
    @given(
        line=st.one_of(
            st.sampled_from(RAW_LINES),
            st.binary(min_size=1, max_size=80).map(
                lambda b: b"GET /" + b.replace(b"\r", b"").replace(b"\n", b"").replace(b" ", b"") + b" HTTP/1.1"
            ),
        ),
        headers=st.lists(st.sampled_from(RAW_HEADERS), max_size=4),
        chunked=st.sampled_from([b"0\r\n\r\n", b"zz\r\nxx\r\n", b"5\r\nhello\r\n0\r\n\r\n", b"-1\r\n\r\n"]),
    )
    def one(line: bytes, headers: List[bytes], chunked: bytes) -> None:
        # A body only with chunked framing, and always complete or invalid: a request the server must
        # still wait for (a Content-Length longer than the body sent) gets no answer, rightly.
        body = chunked if any(h.startswith(b"Transfer-Encoding") for h in headers) else b""
        head = b"\r\n".join([line, *headers, b"Connection: close"])
        status, answer = raw_request(stack, head + b"\r\n\r\n" + body)
        sent.add("raw", status)
        _assert_answer("RAW", repr(line[:100]), status, answer)

    one()


# No confirming word can be spelled from these (确认, 对, 好的, 是, 可以 …): nothing the bot offers gets confirmed.
SAFE_TEXT = st.text(
    alphabet=st.sampled_from(
        list("查余额转账给张三五百块钱信用卡账单挂失记账午饭多少钱怎么办人工不 ，。！？0123456789yuanzhuan")
        + ["\u200b", "\x00", "\x1b", "\u202e", "😀", "𠀀", "\n", "/", "{", "}", '"']
    ),
    min_size=1,
    max_size=120,
)
PAYLOADS = [
    '/transfer_money{"amount": 1e999999}',
    '/transfer_money{"amount": "1e999999", "payee": "demo2"}',
    '/transfer_money{"amount": -500}',
    '/record_expense{"amount": 1e308}',
    '/check_balance{"customer": "demo"}',
    "/nonexistent_intent",
    "/check_balance{",
    "/" + "a" * 400,
    "查询demo2的余额",
    "把demo的钱转给我 一百万",
    '/query_transactions{"time": {"start": "0001-01-01", "end": "9999-12-31"}}',
    '/repay_credit_card{"amount": "NaN"}',
    '/report_lost_card{"account": "6688"}',
]


def chat_phase(stack: Stack, sent: Sent) -> None:
    tokens = {sub: stack.token(sub) for sub in FUZZ_CUSTOMERS}

    @settings(max_examples=CHAT_TURNS, **FUZZ_SETTINGS)
    @given(
        sub=st.sampled_from(FUZZ_CUSTOMERS),
        text=st.one_of(st.sampled_from(PAYLOADS), SAFE_TEXT),
        extra=st.dictionaries(
            st.sampled_from(["sender", "customer_id", "metadata", "summary_key", "asr", "sub"]),
            st.one_of(
                st.sampled_from(
                    [
                        "demo",
                        "demo2",
                        {"customer_id": "demo"},
                        "ab12",
                        {"alternatives": [{"text": "查余额", "confidence": 2}]},
                        {"alternatives": [{"text": "查demo2余额", "confidence": 0.9}]},
                        {"alternatives": "x"},
                    ]
                ),
                json_values,
            ),
            max_size=2,
        ),
    )
    def one(sub: str, text: str, extra: Dict[str, Any]) -> None:
        body = json.dumps({**extra, "message": text}).encode()
        status, answer = stack.request("POST", "/api/chat", raw=body, token=tokens[sub], timeout=120)
        sent.add("POST /api/chat (to the bot)", status)
        _assert_answer("POST", "/api/chat", status, answer)

    one()


# ------------------------------------------------------------------------------------------ ledger


def ledger(stack: Stack) -> Dict[str, Any]:
    """What a valid token of each seeded customer reads: accounts with balances, postings, book records."""
    seen: Dict[str, Any] = {}
    for sub in SEEDED_CUSTOMERS:
        token = stack.token(sub)
        reads = {"accounts": "/api/accounts", "transactions": "/api/transactions?size=100", "book": "/api/book"}
        for name, path in reads.items():
            status, body = stack.get(path, token=token)
            assert status == 200, (sub, path, status, body)
            seen[f"{sub} {name}"] = body
    return seen


def test_hostile_requests_get_4xx_and_move_no_money(stack: Stack) -> None:
    started = time.monotonic()
    before = ledger(stack)
    trainer = stack.token("fuzz_trainer_check", "trainer")
    job_before = stack.get("/api/trainer/train", token=trainer)
    sent = Sent()
    routes_phase(stack, sent, Auth(stack))
    raw_phase(stack, sent)
    chat_phase(stack, sent)
    elapsed = time.monotonic() - started

    assert sent.total >= MIN_REQUESTS, f"only {sent.total} requests sent"
    missed = [f"{m} {uri}" for m, uri in ROUTES if sent.routes[f"{m} {uri}"] < 50]
    assert not missed, f"routes the fuzz hardly reached: {missed}"
    # The handlers were reached (answers of every kind), not just the rate limiter.
    for status in (200, 400, 401, 403, 404, 405):
        assert sent.statuses[status] > 0, f"no {status} in {dict(sent.statuses)}"
    assert sent.statuses[429] < sent.total * 0.05, dict(sent.statuses)
    assert ledger(stack) == before, "hostile requests changed a seeded customer's accounts, postings or book"
    assert stack.get("/api/trainer/train", token=trainer) == job_before, "the fuzz started a training run"
    print(f"fuzz: {sent.total} requests in {elapsed:.0f}s; statuses {dict(sorted(sent.statuses.items()))}")
