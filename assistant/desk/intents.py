"""What each intent means in the customer's words: button titles of the staged fallback,
intent names agents and trainers read."""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence

# Intents a fallback may offer as "您是想…": tasks and questions, not small talk.
OFFERABLE = {
    "check_balance": "查询余额",
    "transfer_money": "办理转账",
    "record_expense": "记一笔支出",
    "record_income": "记一笔收入",
    "query_transactions": "查询交易明细",
    "spending_summary": "查看消费统计",
    "query_credit_card_bill": "查询信用卡账单",
    "repay_credit_card": "信用卡还款",
    "query_credit_limit": "查询信用卡额度",
    "report_card_loss": "挂失银行卡",
    "find_service": "查找功能或服务",
    "help": "了解我能做什么",
    "ask_question": "咨询业务问题",
    "report_problem": "反映遇到的问题",
}
INTENT_LABELS = {
    **OFFERABLE,
    "greet": "问候",
    "goodbye": "再见",
    "thank": "感谢",
    "affirm": "肯定",
    "deny": "否定",
    "cancel": "取消",
    "bot_challenge": "问是不是机器人",
    "inform": "补充信息",
    "human_agent": "转人工",
    "complaint": "投诉",
    "out_of_scope": "业务范围外",
    "other_institution": "其他机构的产品",
    "nlu_fallback": "未识别",
}


FALLBACK_INTENT = "nlu_fallback"


def best_guess(intent_ranking: Sequence[Dict[str, Any]]) -> Optional[Dict[str, Any]]:
    """The model's best real reading of a message it fell back on (the ranking without nlu_fallback)."""
    return next((r for r in intent_ranking if r.get("name") != FALLBACK_INTENT), None)


def label_of(intent: str) -> str:
    return INTENT_LABELS.get(intent, intent)


def best_readings(intent_ranking: Sequence[Dict[str, Any]], limit: int = 2) -> List[str]:
    """The most likely offerable intents of a message the bot was not sure about (ranking order)."""
    return [r["name"] for r in intent_ranking if r.get("name") in OFFERABLE][:limit]


def offer_question(readings: Sequence[str]) -> str:
    """ "您是想查询余额，还是办理转账？" """
    if not readings:
        return "抱歉，我没有理解您的意思。您可以换个说法，或从下面选择："
    if len(readings) == 1:
        return f"抱歉，我不太确定您的意思。您是想{OFFERABLE[readings[0]]}吗？"
    return f"抱歉，我不太确定您的意思。您是想{OFFERABLE[readings[0]]}，还是{OFFERABLE[readings[1]]}？"
