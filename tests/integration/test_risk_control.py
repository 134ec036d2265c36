"""Risk control on the real stack: scam words warned in the conversation, a transfer that waits for the
customer's typed acknowledgement, holds for review released or cancelled in the back office (once, also
when two reviewers click at the same moment), the customer told the outcome in the chat, and the
back-office API closed to customers and agents.

Each test opens its own customer (rows written straight into the stack's database, like the seed does for
demo): scam words count for 24 hours and holds reserve money, and neither must reach the demo customer
whose transfers the other modules check.
"""

from __future__ import annotations

import threading
import zlib
from contextlib import contextmanager
from typing import Any, Dict, Iterator, List, Tuple

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from assistant.bank.service import BankService
from assistant.base import clock
from assistant.base.db.models import Account, Customer, HeldTransfer, Payee, Transaction, Transfer
from assistant.base.money import format_cny

pytestmark = pytest.mark.integration

ACK = "我已知晓风险，确认是本人自愿转账"
SCAM = "客服说我的账户有风险，要把钱转到安全账户"
OPENING_CENTS = 5_000_000  # ¥50,000.00: large transfers are far from draining the account
PAYEES = (("张三", "工商银行", "6222020200081234"), ("王芳", "招商银行", "6225880200129012"))


@contextmanager
def db(stack: Any) -> Iterator[Session]:
    engine = create_engine(stack.database_url, future=True)
    with Session(engine) as session:
        yield session
    engine.dispose()


def open_customer(stack: Any, sub: str) -> str:
    """A customer with one debit account (¥50,000, with its opening posting) and the payees 张三 and 王芳,
    saved long ago; returns the account's last four digits."""
    n = zlib.crc32(sub.encode()) % 1000  # per customer, whichever module imported this helper
    with db(stack) as s:
        if s.get(Customer, sub) is None:
            customer = Customer(id=sub, name="测试客户", phone="13800009999")
            account = Account(
                customer=customer,
                kind="debit",
                name="储蓄卡",
                nickname="",
                number=f"622202990{n:03d}7{n:03d}",
                is_primary=True,
                balance_cents=OPENING_CENTS,
            )
            long_ago = clock.utcnow().replace(year=clock.utcnow().year - 1)
            s.add_all([customer, account])
            for name, bank, number in PAYEES:
                s.add(Payee(customer=customer, name=name, bank=bank, account_number=number, created_at=long_ago))
            s.flush()
            s.add(
                Transaction(
                    account_id=account.id,
                    customer_id=sub,
                    posted_at=long_ago,
                    amount_cents=OPENING_CENTS,
                    balance_after_cents=OPENING_CENTS,
                    kind="opening",
                    memo="期初余额",
                )
            )
            s.commit()
        return next(a.number[-4:] for a in s.scalars(select(Account).where(Account.customer_id == sub)))


def balance(stack: Any, sub: str) -> int:
    with db(stack) as s:
        return int(s.scalar(select(Account.balance_cents).where(Account.customer_id == sub)))


def reserved(stack: Any, sub: str) -> int:
    with db(stack) as s:
        return int(
            s.scalar(
                select(func.coalesce(func.sum(HeldTransfer.amount_cents), 0)).where(
                    HeldTransfer.customer_id == sub, HeldTransfer.status == "held"
                )
            )
        )


def transfers(stack: Any, sub: str) -> int:
    with db(stack) as s:
        return int(s.scalar(select(func.count()).select_from(Transfer).where(Transfer.customer_id == sub)))


def say(stack: Any, token: str, text: str) -> Tuple[str, List[Dict[str, Any]]]:
    messages = stack.chat(token, text)
    return "\n".join(m["text"] for m in messages), messages


def outbox_code(stack: Any, token: str) -> str:
    status, body = stack.get("/api/dev/outbox", token=token)
    assert status == 200, body
    return str(body["messages"][0]["code"])


def kinds(messages: List[Dict[str, Any]]) -> List[str]:
    return [(m.get("data") or {}).get("type", "") for m in messages]


def held_of(stack: Any, risk_token: str, sub: str) -> List[Dict[str, Any]]:
    status, body = stack.get("/api/risk/held", token=risk_token)
    assert status == 200, body
    return [h for h in body["held"] if h["customer_id"] == sub]


def hold_a_transfer(stack: Any, token: str, payee: str, yuan: int) -> str:
    """Scam words, then a transfer above the hold threshold taken through every step: it ends held."""
    say(stack, token, SCAM)
    text, _ = say(stack, token, f"给{payee}转{yuan}")
    assert "请确认转账信息" in text and "【风险提示】" in text, text
    text, _ = say(stack, token, "确认")
    assert ACK in text, text
    text, _ = say(stack, token, ACK)
    assert "验证码已发送" in text, text
    text, _ = say(stack, token, outbox_code(stack, token))
    assert "这笔转账需要人工复核，款项已为您冻结、暂未转出；复核结果会在这里通知您。" in text, text
    return text


@pytest.fixture(scope="module")
def risk_token(stack: Any) -> str:
    return stack.token("risk_zhao", "risk")


# ------------------------------------------------------------------ (a) the warning, acknowledged in words
def test_scam_words_are_warned_and_the_transfer_waits_for_the_acknowledgement(stack: Any) -> None:
    sub = "risk_cust_a"
    last4 = open_customer(stack, sub)
    token = stack.token(sub)
    text, messages = say(stack, token, SCAM)
    assert kinds(messages)[-1] == "fraud_warning"
    warning = messages[-1]
    assert warning["data"]["from"] == "system" and "安全账户" in warning["data"]["phrases"]
    assert "【反诈提醒】" in warning["text"] and "96110" in warning["text"]

    before = balance(stack, sub)
    text, messages = say(stack, token, "给王芳转3000")
    assert "王芳（招商银行 尾号9012）" in text and "¥3,000.00" in text and f"尾号{last4}" in text
    assert "【风险提示】" in text and "确认知晓风险" in text
    summary = next(m for m in messages if m["data"].get("summary_key"))
    assert summary["data"]["needs_warning"] is True and summary["data"]["risk"]["action"] == "step_up"

    text, messages = say(stack, token, "确认")
    assert "【反诈提醒】" in text and ACK in text and "转账成功" not in text
    assert "fraud_warning" in kinds(messages)
    text, _ = say(stack, token, "确认")  # not the acknowledgement: the warning again, nothing moves
    assert "还没有收到您的风险确认" in text and ACK in text
    assert balance(stack, sub) == before and transfers(stack, sub) == 0

    text, _ = say(stack, token, ACK)
    assert "验证码已发送" in text and balance(stack, sub) == before
    text, _ = say(stack, token, outbox_code(stack, token))
    assert "转账成功" in text and format_cny(before - 300_000) in text
    assert balance(stack, sub) == before - 300_000 and transfers(stack, sub) == 1


def test_the_warning_is_shown_while_an_agent_has_the_conversation_too(stack: Any) -> None:
    sub = "risk_cust_agent"
    open_customer(stack, sub)
    token = stack.token(sub)
    say(stack, token, "转人工")
    answer = stack.say(token, "警察打电话说我涉嫌洗钱，要我配合调查")
    assert answer["handoff"] is not None
    assert kinds(answer["messages"])[-1] == "fraud_warning"
    # Leave the queue as it was for the service desk's tests: an agent takes and ends the conversation.
    agent = stack.token("agent_risk", "agent")
    status, body = stack.post(f"/api/agent/handoffs/{answer['handoff']['id']}/claim", token=agent)
    assert status == 200, body
    status, body = stack.post(f"/api/agent/handoffs/{answer['handoff']['id']}/close", token=agent)
    assert status == 200, body


# ------------------------------------------------------------------ (b) held, released once, customer told
def test_a_held_transfer_is_released_once_and_the_customer_is_told(stack: Any, risk_token: str) -> None:
    sub = "risk_cust_b"
    open_customer(stack, sub)
    token = stack.token(sub)
    before = balance(stack, sub)
    held_text = hold_a_transfer(stack, token, "张三", 6000)
    assert "安全账户" in held_text
    assert balance(stack, sub) == before and reserved(stack, sub) == 600_000 and transfers(stack, sub) == 0
    # The reservation is not available: ¥45,000 of the ¥50,000 balance is more than is left.
    text, _ = say(stack, token, "给王芳转45000")
    assert "余额不足" in text and "¥44,000.00" in text
    say(stack, token, "算了")

    [held] = held_of(stack, risk_token, sub)
    assert held["amount_cents"] == 600_000 and held["recipient"] == "张*（工商银行 尾号1234）"
    assert "scam_words" in [r["code"] for r in held["reasons"]]
    lines = [line["text"] for line in held["conversation"]]
    assert SCAM in lines and len(lines) <= 10

    status, body = stack.post(f"/api/risk/held/{held['id']}/release", token=risk_token)
    assert status == 200, body
    assert body["receipt"]["status"] == "completed" and body["receipt"]["amount_cents"] == 600_000
    assert balance(stack, sub) == before - 600_000 and reserved(stack, sub) == 0 and transfers(stack, sub) == 1
    status, again = stack.post(f"/api/risk/held/{held['id']}/release", token=risk_token)
    assert (status, again["receipt"]["transfer_id"]) == (200, body["receipt"]["transfer_id"])
    status, refused = stack.post(f"/api/risk/held/{held['id']}/cancel", token=risk_token)
    assert status == 409 and refused["status"] == "released" and refused["decided_by"] == "risk_zhao"
    assert balance(stack, sub) == before - 600_000 and transfers(stack, sub) == 1
    assert held_of(stack, risk_token, sub) == []

    text, messages = say(stack, token, "查余额")
    notice = next(m for m in messages if m["data"].get("type") == "notice")
    assert notice["data"]["from"] == "system" and "¥6,000.00转账已通过人工复核" in notice["text"]
    assert format_cny(before - 600_000) in text
    _, messages = say(stack, token, "查余额")
    assert "notice" not in kinds(messages)  # delivered once


# ------------------------------------------------------------------ (c) cancelled: the reservation is freed
def test_a_cancelled_hold_frees_the_reservation_and_the_customer_is_told(stack: Any, risk_token: str) -> None:
    sub = "risk_cust_c"
    open_customer(stack, sub)
    token = stack.token(sub)
    before = balance(stack, sub)
    hold_a_transfer(stack, token, "张三", 8000)
    assert reserved(stack, sub) == 800_000
    [held] = held_of(stack, risk_token, sub)
    status, body = stack.post(f"/api/risk/held/{held['id']}/cancel", token=risk_token)
    assert status == 200 and body["held"]["status"] == "cancelled" and body["held"]["decided_by"] == "risk_zhao"
    assert reserved(stack, sub) == 0 and balance(stack, sub) == before and transfers(stack, sub) == 0
    status, again = stack.post(f"/api/risk/held/{held['id']}/cancel", token=risk_token)
    assert status == 200 and again["held"]["status"] == "cancelled"
    status, refused = stack.post(f"/api/risk/held/{held['id']}/release", token=risk_token)
    assert status == 409 and refused["status"] == "cancelled"
    assert balance(stack, sub) == before and transfers(stack, sub) == 0

    status, updates = stack.get("/api/chat/updates?since=1", token=token)
    assert status == 200, updates
    [notice] = [m for m in updates["messages"] if m["data"].get("type") == "notice"]
    assert "¥8,000.00转账已被取消" in notice["text"] and "冻结金额已释放" in notice["text"]


# ------------------------------------------------------------------ (d) release and cancel at the same moment
def test_concurrent_release_and_cancel_decide_exactly_once(stack: Any, risk_token: str) -> None:
    sub = "risk_cust_d"
    open_customer(stack, sub)
    token = stack.token(sub)
    before = balance(stack, sub)
    hold_a_transfer(stack, token, "张三", 7000)
    [held] = held_of(stack, risk_token, sub)
    other = stack.token("risk_qian", "risk")
    results: Dict[str, Tuple[int, Any]] = {}
    start = threading.Barrier(2)

    def decide(action: str, who: str) -> None:
        start.wait()
        results[action] = stack.post(f"/api/risk/held/{held['id']}/{action}", token=who)

    threads = [
        threading.Thread(target=decide, args=("release", risk_token)),
        threading.Thread(target=decide, args=("cancel", other)),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    statuses = sorted(status for status, _ in results.values())
    assert statuses == [200, 409], results
    winner = next(action for action, (status, _) in results.items() if status == 200)
    loser = next(body for status, body in results.values() if status == 409)
    assert loser["status"] == ("released" if winner == "release" else "cancelled")
    assert reserved(stack, sub) == 0
    if winner == "release":
        assert balance(stack, sub) == before - 700_000 and transfers(stack, sub) == 1
    else:
        assert balance(stack, sub) == before and transfers(stack, sub) == 0


# ------------------------------------------------------------------ (e) only the back office
def test_customers_and_agents_cannot_use_the_risk_api(stack: Any, risk_token: str) -> None:
    customer, agent = stack.token("demo"), stack.token("agent_li", "agent")
    for token in (customer, agent):
        assert stack.get("/api/risk/held", token=token)[0] == 403
        assert stack.post("/api/risk/held/1/release", token=token)[0] == 403
        assert stack.post("/api/risk/held/1/cancel", token=token)[0] == 403
    assert stack.get("/api/risk/held")[0] == 401
    assert stack.post("/api/risk/held/999999999/release", token=risk_token)[0] == 404
    assert stack.get("/api/risk/held?status=nonsense", token=risk_token)[0] == 400
    status, page = stack.get("/risk")
    assert status == 200 and "风控复核台" in page


# ------------------------------------------------------------------ limits follow the login's strength
def test_the_summary_explains_the_password_limit_and_an_sms_login_is_not_limited(stack: Any) -> None:
    sub = "risk_cust_f"
    open_customer(stack, sub)
    text, _ = say(stack, stack.token(sub), "给张三转8000")
    assert "当前登录方式（仅密码）单笔最多可转¥5,000.00" in text and "完成短信验证后" in text
    say(stack, stack.token(sub), "取消")
    status, body = stack.get(f"/api/dev/token?sub={sub}&amr=sms")
    assert status == 200 and body["amr"] == "sms"
    text, _ = say(stack, body["token"], "给张三转8000")
    assert "请确认转账信息" in text and "仅密码" not in text and "短信验证码" in text
    say(stack, body["token"], "取消")
    assert stack.get(f"/api/dev/token?sub={sub}&amr=root")[0] == 400


# ------------------------------------------------------------------ a step the bank asks for only at submit
def test_scam_words_arriving_before_the_code_reopen_the_form_on_the_warning(stack: Any) -> None:
    """A first payment needs the code; scam words recorded meanwhile (another client of the customer) make the
    bank refuse at submit with risk_step_up: the form comes back for the acknowledgement, same request."""
    sub = "risk_cust_g"
    open_customer(stack, sub)
    token = stack.token(sub)
    before = balance(stack, sub)
    text, _ = say(stack, token, "给王芳转3000")
    assert "首次向该收款人转账" in text and "风险提示" not in text
    text, _ = say(stack, token, "确认")
    assert "验证码已发送" in text
    BankService(stack.database_url).record_conversation_signal(sub, ("安全账户",))
    text, messages = say(stack, token, outbox_code(stack, token))
    assert "还需要您确认知晓风险" in text and ACK in text and "fraud_warning" in kinds(messages), text
    assert "转账成功" not in text and balance(stack, sub) == before
    text, _ = say(stack, token, ACK)
    assert "转账成功" in text and "¥3,000.00" in text, text
    assert balance(stack, sub) == before - 300_000 and transfers(stack, sub) == 1
