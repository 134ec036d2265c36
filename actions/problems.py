"""Help with a problem: "转账没到账", "卡里少了钱", "ATM没出钞却扣款了", "卡被冻结了".

A report gets what usually causes it and what to do (the knowledge base's answer when one clearly
fits), the self-service that fits from the ledger — the customer's own recent transfers or postings
around the time mentioned, their cards' state — and a one-tap handover to a person. Nothing is
executed: a problem never starts a task.
"""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any, Dict, List, Optional, Tuple

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType
from rasa_sdk.executor import CollectingDispatcher

from actions.common import bank, customer_id, customer_words, last_entity, time_range
from actions.outcomes import latest_outcome_reply
from actions.services import HUMAN_BUTTON, knowledge
from assistant.base import clock
from search_index.service import SearchUnavailable

RECENT_DAYS = 7
SHOWN = 5

# topic → (words that name it, what usually causes it and what to do, the self-service page)
TOPICS: List[Tuple[str, str, str, Tuple[str, str]]] = [
    (
        "fraud",
        r"骗|诈骗|盗刷|被盗|陌生.{0,4}(电话|短信|链接)|安全账户|公检法|刷单",
        "如果怀疑被骗或被盗刷，请立即停止转账，不要向任何人提供验证码或密码；可以马上挂失冻结银行卡，并拨打110报警，我们会协助您向收款行发起查询。",
        ("立即挂失冻结", "/report_card_loss"),
    ),
    (
        "card_lost",
        r"(卡|存折).{0,6}(丢|掉了|掉在|落在|被偷|不见|找不到|找不着|遗失)|(丢|掉|落|偷).{0,4}(卡|存折)",
        "银行卡丢失或被盗，请立即挂失冻结，防止被盗用：点下面的按钮，确认并验证后马上冻结。之后可以到网点或在 App 申请补办新卡。",
        ("立即挂失冻结", "/report_card_loss"),
    ),
    (
        "card_swallowed",
        r"吞卡|吞了|卡被吞|卡.{0,3}(没|不)(退|吐)",
        "ATM吞卡一般是因为密码多次输错、超时未取卡或机具故障。请记下机具编号和时间，携带身份证到该机具所属网点领卡；跨行ATM请联系机具所属银行。",
        ("查找附近网点", "app://branches"),
    ),
    (
        "atm",
        r"ATM|atm|取款机|存款机|取钱|取款|出钞|吐钱|存钱没",
        "ATM取款未出钞但已扣款，多数会在1-3个工作日内由系统自动冲正退回原账户。请保留凭条，记下机具编号和时间；到期未退回请联系人工客服登记差错处理。",
        ("查看交易明细", "app://accounts/details"),
    ),
    (
        "transfer",
        r"转账|转的|转了|转钱|转款|汇款|汇的|打款|到账|没到|收款|转给|转错|退回",
        "转账未到账常见原因有：收款账户信息有误被退回、对方银行系统处理中，或触发了风险核查。本行转账一般实时到账，跨行最迟下一个工作日；被退回的款项会原路返还。",
        ("查看转账记录", "app://transfer/records"),
    ),
    (
        "card_locked",
        r"锁|冻结|冻住|冻上|止付|限制|不能用|用不了|被拒|刷不了|刷卡",
        "银行卡被锁定或限制交易，常见原因有：密码连续输错、长期未使用、身份证件过期、预留信息需更新，或因风险核查被临时冻结。您可以在 App“解除挂失/解冻”中按提示处理，需要核实身份的请携带身份证到网点。",
        ("解冻与解除挂失", "app://cards/unfreeze"),
    ),
    (
        "password",
        r"密码",
        "密码忘记或被锁定，可以在 App“重置密码”中通过身份证、银行卡信息和短信验证重置；连续输错5次会锁定至次日零点自动解锁。",
        ("重置密码", "app://security/password-reset"),
    ),
    (
        "sms",
        r"验证码|短信",
        "收不到验证码时，请确认预留手机号正确、信号良好、没有开启短信拦截，60秒后可重新获取；预留手机号已停用的请到网点变更。",
        ("短信通知设置", "app://settings/sms"),
    ),
    (
        "login",
        r"登录|登陆|登不上|进不去|闪退|打不开|app|App|APP|手机银行|人脸",
        "App 无法登录或打开时，请先升级到最新版本、检查网络后重试；换了新手机需要重新验证设备；密码被锁可以通过“忘记密码”重置。",
        ("登录设置", "app://settings/login"),
    ),
    (
        "debit",
        r"扣|少了|不见了|没了|不对|莫名|多了|重复|两次|陌生",
        "账户出现不明扣款，常见原因有：自动续费或代扣、快捷支付绑定的消费、信用卡或贷款自动还款、短信或账户管理费。可以先在交易明细里看对方名称和摘要。",
        ("查看交易明细", "app://accounts/details"),
    ),
]
GENERAL = (
    "很抱歉给您带来不便。请告诉我具体情况（比如什么业务、什么时间、提示了什么），我帮您查；也可以直接转人工客服处理。",
    ("查看交易明细", "app://accounts/details"),
)


def topic_of(text: str, hinted: Optional[str] = None) -> Tuple[str, str, Tuple[str, str]]:
    """The problem's topic, what usually causes it, and the self-service page; ``hinted`` wins (a button)."""
    for name, pattern, advice, page in TOPICS:
        if name == hinted or (hinted is None and re.search(pattern, text)):
            return name, advice, page
    return "general", *GENERAL


def _window(tracker: Tracker, days: int) -> Tuple[date, date]:
    today = clock.local_today()
    found = time_range(tracker)
    if found:
        start, end = found
        return start - timedelta(days=1), min(end + timedelta(days=1), today)
    return today - timedelta(days=days - 1), today


def _posting_line(item: Dict[str, Any]) -> str:
    when = item["posted_at"][5:16].replace("-", "月", 1).replace("T", "日 ")
    who = item.get("counterparty") or item.get("memo") or ""
    return f"{when} {who} {item['amount']}（尾号{item['account_last4']}）"


def recent_transfers(tracker: Tracker) -> Tuple[str, Dict[str, Any]]:
    """The customer's own outgoing transfers around the time mentioned (to the payee named, if any)."""
    customer = customer_id(tracker)
    payee = last_entity(tracker, "payee")
    filters: Dict[str, Any] = {"kinds": ("transfer_out",), "size": SHOWN}
    who = ""
    if payee:
        resolved = bank().resolve_payee(customer, str(payee.get("value")))
        who = resolved.name if resolved else str(payee.get("value"))
        filters["counterparty"] = who
    start, end = _window(tracker, 30 if payee else RECENT_DAYS)
    page = bank().history(customer, start=start, end=end, **filters)
    scope = f"{start.month}月{start.day}日以来" + (f"您转给{who}的" if who else "您的")
    data = {
        "type": "transfer_status",
        "start": start.isoformat(),
        "end": end.isoformat(),
        "payee": who or None,
        "items": page.items,
    }
    if not page.items:
        return f"我查了{scope}转账，没有找到记录。如果是通过其他银行或 App 转出的，请向转出方查询。", data
    lines = [f"我查了{scope}转账记录（共{page.total}笔），以下款项均已从您的账户成功转出："]
    lines += [_posting_line(item) for item in page.items]
    lines.append(
        "本行账户实时入账；跨行一般实时到账，遇对方银行处理最迟下一个工作日。如超过时间仍未到账，可转人工客服为您发起查询。"
    )
    return "\n".join(lines), data


def recent_debits(tracker: Tracker) -> Tuple[str, Dict[str, Any]]:
    """Money that left the customer's accounts around the time mentioned."""
    start, end = _window(tracker, RECENT_DAYS)
    page = bank().history(customer_id(tracker), start=start, end=end, size=20)
    debits = [item for item in page.items if int(item["amount_cents"]) < 0][:SHOWN]
    data = {"type": "recent_debits", "start": start.isoformat(), "end": end.isoformat(), "items": debits}
    if not debits:
        return f"{start.month}月{start.day}日以来您的账户没有支出记录。", data
    return "\n".join(
        [f"{start.month}月{start.day}日以来您账户的支出记录（最近{len(debits)}笔）："]
        + [_posting_line(item) for item in debits]
    ), data


def card_states(tracker: Tracker) -> Tuple[str, Dict[str, Any]]:
    cards = bank().accounts(customer_id(tracker))
    frozen = [c for c in cards if c.status != "active"]
    data = {"type": "card_states", "cards": [{"last4": c.last4, "kind": c.kind, "status": c.status} for c in cards]}
    if not frozen:
        return "我查了您在我行的卡片，目前都处于正常状态，没有被我行冻结或挂失。", data
    return "您的" + "、".join(c.label for c in frozen) + "目前处于冻结（挂失）状态。", data


SELF_SERVICE = {"transfer": recent_transfers, "debit": recent_debits, "atm": recent_debits, "card_locked": card_states}


class ActionHelpProblem(Action):
    def name(self) -> str:
        return "action_help_problem"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: Dict[str, Any]) -> List[EventType]:
        if latest_outcome_reply(dispatcher, tracker):
            return []
        text = customer_words(tracker)
        hinted = last_entity(tracker, "topic")
        topic, advice, (page_title, page_link) = topic_of(text, str(hinted["value"]) if hinted else None)
        try:
            found = knowledge().lookup(text, prefer=("faq",), types=("faq",))
        except SearchUnavailable:
            found = None
        if found is not None and found.clear and found.top is not None:
            advice = found.top.answer
        parts = ["很抱歉遇到这个问题。" + advice]
        data: Dict[str, Any] = {
            "type": "problem_help",
            "topic": topic,
            "answer_id": found.top.id if found is not None and found.clear and found.top else None,
        }
        lookup = SELF_SERVICE.get(topic)
        if lookup is not None:
            own, own_data = lookup(tracker)
            parts.append(own)
            data["self_service"] = own_data
        buttons = [
            {"title": page_title, "payload": page_link, "url": page_link}
            if page_link.startswith("app://")
            else {"title": page_title, "payload": page_link},
            HUMAN_BUTTON,
        ]
        dispatcher.utter_message(text="\n\n".join(parts), buttons=buttons, json_message=data)
        return []
