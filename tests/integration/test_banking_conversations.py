"""Banking conversations over POST /api/chat on the real stack, checked against the database.

This module runs before the other integration modules (file order), so demo's
balances are the seeded ones when its first test starts; later tests compare
against balances they read themselves.
"""

from contextlib import contextmanager

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from assistant.base.db.models import Account, BookRecord, Transaction, Transfer
from assistant.base.money import format_cny

pytestmark = pytest.mark.integration


@contextmanager
def db(stack):
    engine = create_engine(stack.database_url, future=True)
    with Session(engine) as session:
        yield session
    engine.dispose()


def balance(stack, last4):
    with db(stack) as s:
        return next(a.balance_cents for a in s.scalars(select(Account)) if a.number.endswith(last4))


def counts(stack, customer="demo"):
    """demo's transfers and postings (other tests' customers may move money on the same stack)."""
    with db(stack) as s:
        return (
            s.scalar(select(func.count()).select_from(Transfer).where(Transfer.customer_id == customer)),
            s.scalar(select(func.count()).select_from(Transaction).where(Transaction.customer_id == customer)),
        )


def say(stack, token, text):
    messages = stack.chat(token, text)
    return "\n".join(m["text"] for m in messages), messages


def outbox_code(stack, token):
    status, body = stack.get("/api/dev/outbox", token=token)
    assert status == 200
    return body["messages"][0]["code"]


def test_transfer_to_a_saved_payee_moves_money_exactly_once(stack, demo_token):
    before = balance(stack, "6688")
    assert before == 5_238_050
    text, messages = say(stack, demo_token, "给张三转五百")
    assert "张三（工商银行 尾号1234）" in text and "¥500.00" in text and "尾号6688" in text and "手续费" in text
    assert {b["title"] for b in messages[-1]["buttons"]} == {"确认", "取消"}
    assert counts(stack)[0] == 0  # nothing moves before the customer confirms
    text, messages = say(stack, demo_token, "确认")
    assert "转账成功" in text and "¥51,880.50" in text
    assert balance(stack, "6688") == before - 50_000
    with db(stack) as s:
        debits = [
            (t.amount_cents, t.account.number[-4:])
            for t in s.scalars(
                select(Transaction).where(
                    Transaction.customer_id == "demo",
                    Transaction.counterparty == "张三",
                    Transaction.transfer_id.isnot(None),
                )
            )
        ]
    assert debits == [(-50_000, "6688")]
    moved = counts(stack)
    text, _ = say(stack, demo_token, "确认")  # the same confirmation again
    assert "转账成功" not in text
    assert counts(stack) == moved and balance(stack, "6688") == before - 50_000


def test_large_first_transfer_needs_the_sms_code(stack, demo_token):
    before = balance(stack, "6688")
    text, _ = say(stack, demo_token, "给李四转八千")
    assert "李四（建设银行 尾号5678）" in text and "¥8,000.00" in text and "验证码" in text
    text, _ = say(stack, demo_token, "确认")
    assert "验证码已发送" in text
    code = outbox_code(stack, demo_token)
    wrong = "000000" if code != "000000" else "111111"
    assert "还可以再试2次" in say(stack, demo_token, wrong)[0]
    assert "还可以再试1次" in say(stack, demo_token, wrong)[0]
    assert "已取消" in say(stack, demo_token, wrong)[0]
    assert balance(stack, "6688") == before
    say(stack, demo_token, "给李四转八千")
    say(stack, demo_token, "确认")
    text, _ = say(stack, demo_token, outbox_code(stack, demo_token))
    assert "转账成功" in text and format_cny(before - 800_000) in text
    assert balance(stack, "6688") == before - 800_000


def test_single_transfer_limit_refuses_and_changes_nothing(stack, demo_token):
    before, moved = balance(stack, "6688"), counts(stack)
    text, _ = say(stack, demo_token, "转六万给王芳")
    assert "单笔转账限额" in text and "¥50,000.00" in text
    assert "已取消" in say(stack, demo_token, "算了")[0]
    assert balance(stack, "6688") == before and counts(stack) == moved


def test_corrections_a_question_in_between_and_cancel(stack, demo_token):
    before, moved = balance(stack, "6688"), counts(stack)
    assert "¥300.00" in say(stack, demo_token, "给王芳转三百")[0]
    text, _ = say(stack, demo_token, "不对，是六百")
    assert "¥600.00" in text and "王芳" in text
    text, _ = say(stack, demo_token, "换成刘洋")
    assert "刘洋（农业银行 尾号3456）" in text and "¥600.00" in text
    text, _ = say(stack, demo_token, "我还有多少钱")
    assert format_cny(before) in text and "请确认转账信息" in text  # answered, then the transfer resumes
    assert "已取消" in say(stack, demo_token, "算了")[0]
    assert balance(stack, "6688") == before and counts(stack) == moved


def test_missing_details_are_asked_for_and_unknown_payees_are_not_guessed(stack, demo_token):
    text, messages = say(stack, demo_token, "我要转账")
    assert "转给谁" in text and "张三" in [b["title"] for b in messages[-1]["buttons"]]
    text, _ = say(stack, demo_token, "给小明转五百")
    assert "没有“小明”" in text
    text, _ = say(stack, demo_token, "陈晨")  # the amount said with the unknown name is kept
    assert "陈晨（中国银行 尾号7890）" in text and "¥500.00" in text
    say(stack, demo_token, "取消")


def test_transfer_between_own_accounts_needs_no_code(stack, demo_token):
    a, b = balance(stack, "6688"), balance(stack, "1024")
    text, _ = say(stack, demo_token, "从工资卡转两千到尾号1024")
    assert "本人储蓄卡尾号1024" in text and "验证码" not in text
    text, _ = say(stack, demo_token, "确认")
    assert "转账成功" in text
    assert balance(stack, "6688") == a - 200_000 and balance(stack, "1024") == b + 200_000


def test_voice_bookkeeping_record_summarize_edit_delete(stack, demo_token):
    text, _ = say(stack, demo_token, "今天午饭花了三十五")
    assert "餐饮" in text and "¥35.00" in text
    with db(stack) as s:
        record = s.scalar(select(BookRecord).order_by(BookRecord.id.desc()))
        assert (record.amount_cents, record.category, record.direction, record.deleted) == (
            3_500,
            "餐饮",
            "expense",
            False,
        )
    text, messages = say(stack, demo_token, "这个月餐饮花了多少")
    data = next(m["data"] for m in messages if m["data"].get("type") == "spending_summary")
    dining = next(c for c in data["categories"] if c["category"] == "餐饮")
    assert dining["book_cents"] == 3_500 and dining["amount_cents"] >= 3_500 and "记账本¥35.00" in text
    assert "¥45.00" in say(stack, demo_token, "刚才那笔改成四十五")[0]
    assert "已删除" in say(stack, demo_token, "删掉刚才那笔")[0]
    with db(stack) as s:
        assert s.get(BookRecord, record.id).deleted is True
    text, _ = say(stack, demo_token, "今天发工资八千")
    assert "工资" in text and "收入¥8,000.00" in text


def test_bills_limits_and_transaction_queries(stack, demo_token):
    text, _ = say(stack, demo_token, "信用卡这期账单多少")
    assert "¥6,842.17" in text and "¥684.22" in text and "月25日" in text
    assert "¥50,000.00" in say(stack, demo_token, "信用卡额度多少")[0]
    text, messages = say(stack, demo_token, "上个月的流水")
    data = next(m["data"] for m in messages if m["data"].get("type") == "transactions")
    assert data["total"] > 10 and len(data["items"]) == 10
    text, messages = say(stack, demo_token, "给张三转了哪几笔")
    data = next(m["data"] for m in messages if m["data"].get("type") == "transactions")
    assert data["total"] >= 4 and {i["counterparty"] for i in data["items"]} == {"张三"}


def test_card_repayment_minimum(stack, demo_token):
    owed, debit = balance(stack, "3321"), balance(stack, "6688")
    assert "¥684.22" in say(stack, demo_token, "还信用卡")[0]
    text, _ = say(stack, demo_token, "还最低")
    assert "还款金额：¥684.22" in text
    assert "还款成功" in say(stack, demo_token, "确认")[0]
    assert balance(stack, "3321") == owed - 68_422 and balance(stack, "6688") == debit - 68_422


def test_card_loss_freezes_after_confirmation_and_code(stack):
    token = stack.token("demo2")
    text, _ = say(stack, token, "我的卡丢了")
    assert "哪张卡" in text or "尾号0001" in text
    if "哪张卡" in text:
        say(stack, token, "尾号0001")
    assert "验证码" in say(stack, token, "确认")[0]
    text, _ = say(stack, token, outbox_code(stack, token))
    assert "已为您冻结" in text and "补办" in text
    with db(stack) as s:
        assert next(a.status for a in s.scalars(select(Account)) if a.number.endswith("0001")) == "frozen"


def test_demo2_sees_only_its_own_money_and_cannot_pay_demos_payees(stack):
    token = stack.token("demo2")
    text, _ = say(stack, token, "查余额")
    assert "¥1,000.00" in text and "6688" not in text
    moved = counts(stack)
    text, _ = say(stack, token, "给张三转五百")
    assert "没有“张三”" in text
    say(stack, token, "算了")
    assert counts(stack) == moved


def test_read_apis_show_only_the_callers_data(stack, demo_token):
    status, body = stack.get("/api/accounts", token=demo_token)
    assert status == 200 and {a["last4"] for a in body["accounts"]} == {"6688", "1024", "3321"}
    assert all(a["masked_number"].startswith("****") for a in body["accounts"])
    status, body = stack.get("/api/transactions?counterparty=张三&size=2", token=demo_token)
    assert status == 200 and body["size"] == 2 and len(body["items"]) == 2 and body["total"] >= 4
    status, body = stack.get("/api/transactions?account=1024&start=2000-01-01", token=demo_token)
    assert status == 200 and {i["account_last4"] for i in body["items"]} == {"1024"}
    status, body = stack.get("/api/book", token=demo_token)
    assert status == 200 and any(r["category"] == "工资" for r in body["records"])
    status, body = stack.get("/api/accounts", token=stack.token("demo2"))
    assert [a["last4"] for a in body["accounts"]] == ["0001"]
    status, body = stack.get("/api/transactions?account=6688", token=stack.token("demo2"))
    assert status == 404
    for bad in ("start=yesterday", "size=0", "page=x", "start=2026-02-01&end=2026-01-01", "direction=sideways"):
        path = "/api/book?" + bad if "direction" in bad else "/api/transactions?" + bad
        assert stack.get(path, token=demo_token)[0] == 400, bad
    assert stack.get("/api/accounts")[0] == 401
    assert stack.get("/api/dev/outbox")[0] == 401
