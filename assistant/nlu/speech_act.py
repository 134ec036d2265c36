"""What a message does, apart from what it is about: a request to act now, a question, or a problem report.

DIET learns topics well and forms badly: "转账多久到账" and "给张三转500" share their topic, and its
softmax is confidently wrong on phrasings it never saw. The form of a Chinese message is carried by a
small, stable set of markers (怎么, 吗, 多久, 没到, 被锁, 帮我 …), so it is read here by rule, as a second,
independent signal that must agree before a task that moves money, freezes a card or writes a record
starts (see ``assistant.nlu.act_gate``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Dict, Optional, Sequence

from assistant.nlu import institutions

REQUEST, QUESTION, PROBLEM = "request", "question", "problem"
# The readings that move money, freeze a card or write a book record: they need a request to act.
TASK_INTENTS = frozenset({"transfer_money", "repay_credit_card", "report_card_loss", "record_expense", "record_income"})
BILL = "bill"  # a repayment reading that only asks what the bill is ("我这期要还多少")
SERVICE = "service"  # a bookkeeping reading that asks to pay something now ("帮我交下话费")

# How, whether, why, how long, how much, what does it mean, what are the rules.
_QUESTION = re.compile(
    r"怎么|怎样|怎麼|咋|如何|为什么|为啥|为何|干嘛|啥|什么|多久|多长时间|多少|几天|几个|几点|几号|几块|几元|几毛|几次|几年|几张|几位|哪里|哪儿|哪个|哪些|哪家|在哪"
    r"|能否|可否|是否|能不能|可不可以|可以不|会不会|是不是|有没有|要不要|需不需要|用不用|算不算|行不行|好不好|对不对|收不收"
    r"|吗|嘛|么[?？]?$|呢[?？]?$|[?？]|区别|意思|规定|规则|条件|流程|步骤|要求|标准|收费|手续费|费用|费率|利息|利率|限额|上限|期限"
    r"|有影响|影响吗|安全吗|靠谱|注意事项"
)
# "多少" asks about rules ("一天最多能转多少") but also names an amount in a read ("我还有多少钱").
_HOW_MUCH = re.compile(r"多少")
# Something went wrong (with or without asking what to do).
_PROBLEM = re.compile(
    r"没到(?!期)|未到(?!期)|没有到|还没到|不到账|没到账|没收到|收不到|没有收到|到不了|没进|失败|不成功|没成功|不了|用不了|不能用|无法|不行了|不好使"
    r"|被锁|锁了|锁住|锁定|被冻|冻结了|冻住|冻上|被扣|扣了|多扣|乱扣|扣两|重复扣|(?<!多)少了|不见了|没了|吞卡|吞了|没出钞|不出钞|没吐钱|不吐钱"
    r"|报错|出错|错误|异常|故障|怎么回事|咋回事|怎么了|老是|总是|一直|被盗|盗刷|被骗|骗了|诈骗|骗子|不对|有问题|出问题|莫名|陌生"
    r"|转错|汇错|打错|输错|退回|退了回来|被退|撤回|追回|卡住|闪退|进不去|登不上|登录不了|打不开|显示|提示|不认|拒绝|被拒|还没|至今|到现在"
    r"|丢了|掉了|掉在|丢在|落在|被偷|被转走|转走了|被划走|划走了|被刷|冒用|不明|没反应|黑屏|作废"
)
# Scam stories: whatever else the message reads as, it gets the fraud help (never a task).
_FRAUD = re.compile(
    r"安全账户|公检法|公安局|检察院|法院.{0,4}(电话|通知)|涉嫌|洗钱|刷单|被骗|诈骗|骗子|冒充|盗刷|屏幕共享|共享屏幕"
    r"|注销校园贷|验证码.{0,6}(告诉|给了|发给)|(告诉|给了|发给).{0,6}验证码"
)
# "这笔扣款是什么": an unknown debit to look into, not a question for the knowledge base.
_UNKNOWN_DEBIT = re.compile(
    r"(扣款|扣费|扣钱|扣了|这笔|那笔|有笔|一笔).{0,10}(是什么|哪来|哪里来|什么钱|干什么|干嘛|怎么回事)"
    r"|(是什么|什么)(扣款|扣费|钱)|不认识的?(扣款|交易|消费)|不明(扣款|交易|消费)"
)
# Explicit requests: the customer asks the bot to do it now.
_PLEASE = re.compile(r"帮我|帮忙|替我|给我办|我要|我想|我得|麻烦|请|现在就|马上|立即|立刻|赶紧|快点?帮|快给|一下")
_POLITE_ASK = re.compile(r"(能|可以|可不可以|能不能|能否|可否)(你)?(帮|替|给)我")
_LOSS = re.compile(
    r"丢|掉了|遗失|被偷|偷了|被盗(?!刷)|不见了|找不到|找不着|挂失|止付|锁卡"
    r"|(把|将).{0,8}冻结|冻结(一下|掉|它|卡|尾号|我|这张|那张|银行卡|储蓄卡|信用卡)|^冻结(?!了)|(先|帮我|马上|立即|立刻|赶紧|快)冻结"
)
_FROZEN_ALREADY = re.compile(r"被冻|冻结了|冻上了|冻住了|被锁|锁住了|锁定了")
# Key nouns a reading must be about: no 余额 without money, no bill without a card.
_OWN_BANK = re.compile(
    r"我行|你们|你行|贵行|本行|手机银行|银行卡|储蓄卡|借记卡|信用卡|快捷支付|绑卡|绑定|解绑|转账|转到|转入|转给|跨行|汇款|扣款|扣了|扣钱"
    r"|转过来|打过来|汇过来|实时到|对方"
)
# With another bank named, only a move of money through us makes it our business ("转到建行卡").
_OWN_MOVES = re.compile(
    r"我行|你们|你行|贵行|本行|手机银行|转账|转到|转入|转给|转过来|打过来|汇过来|跨行|汇款|实时到|对方|绑卡|绑定|解绑"
)
_OTHER_BALANCE = re.compile(
    r"(公积金|社保|医保|贷款|房贷|车贷|借款|理财|基金|积分|话费|电费|水费|燃气|公交卡|一卡通|饭卡|校园卡|etc|ETC|存单|定期|养老金|黄金|积存金|保险|外币|美元)"
    r".{0,6}(余额|额度|多少钱|还有多少|剩多少)|(余额|额度).{0,4}(公积金|社保|医保|贷款|理财|基金|积分|话费)"
)
_NON_CARD_LIMIT = re.compile(
    r"大额存单|存单|贷款|转账|取现额|取款|购汇|换汇|二类户|三类户|电子账户|理财|基金|养老金|快捷支付|支付|提现|非柜面|网银|手机银行|etc|ETC"
)
_TRANSFER_VERB = re.compile(r"转|汇|打钱|打给|打款|付给")
_ARRIVAL = re.compile(r"到了吗|到账了吗|到没到|收到了吗|到没|成功了吗|成功没|进度|状态|到哪了|到账没")
_PAY_NOW = re.compile(r"(帮我|给我|替我|我要|我想)(交|缴|充|付|买)|(交|缴|充|付)(一下|下)(?!了)|(交|缴|充)个")
_INCOME = re.compile(
    r"收入|收益|工资|薪|发了|收到|收了|到账|到了|进账|赚|挣|奖|年终|报销|红包|利息|分红|提成|兼职|外快|稿费|退款|租金|卖"
)
# Nouns that make a message about fees or interest a question, but only stand for the topic in a record.
_TOPIC_NOUNS = re.compile(r"利息|利率|手续费|费用|收费|费率")
_REPAY_DETAIL = re.compile(r"这期|本期|上期|全额|全部|最低|账单|还清|还了|还上|还掉|还款")
_REPAY_VERB = re.compile(
    r"还(款|钱|了|清|上|掉|卡|信用卡|一下|下|全额|最低|这期|本期|上期|账单|[0-9零一二两三四五六七八九十百千万])"
)
_HOW_MUCH_OWED = re.compile(r"(要|得|该|应)?还多少|欠(了)?多少|应还|账单(是)?多少|多少账单")
_BILL_WORDS = re.compile(r"账单|欠款|应还|出账")


# What a reading of these intents must be able to point at in the words (DIET reads "你们app在哪下载"
# as a complaint and "银行早上几点上班" as another institution's product, both at ≥ 0.9).
_COMPLAINT = re.compile(
    r"投诉|举报|差评|垃圾|破|太差|很差|真差|态度|烦|不懂|没用|笨|气坏|气人|气死|生气|恼火|火大|不满|失望|无语|坑人|坑我|骗人|忽悠|欺负|恶心"
    r"|离谱|过分|忍不了|受不了|什么玩意|破银行|破app|破系统|说法|赔偿|白跑|曝光|监管|媒体|难用|太慢|慢死|等了"
)
_PERSON = re.compile(r"人工|客服|真人|人类|工作人员|转接|找人|有人吗|活人|柜员|经理|专员|坐席")
_HELP = re.compile(
    r"你(?!们|好)|助手|本领|哪些业务|支持哪些|能办什么|能办哪些|帮我办什么|能帮我办|教我|干什么的|能做什么|能干什么|能干嘛|会什么|会做什么|什么功能|哪些功能|啥功能|功能介绍|帮助|怎么用你|你能|你会|你可以|你都|使用说明|help|菜单"
    r"|能帮我什么|可以帮我做什么|怎么用"
)
_BOT = re.compile(r"机器|真人|真的人|人工智能|AI|ai|智能|程序|自动|你是|你到底|是不是人|人吗|活人|客服吗|你叫什么|bot")
# Questions that ask for information, not the way to a page ("怎么交电费", "在哪买理财" are find_service).
_INFO_QUESTION = re.compile(
    r"为什么|为啥|为何|是什么|什么意思|什么时候|什么条件|什么区别|多久|多长时间|多少|几天|几个|几点|能否|可否"
    r"|是否|能不能|可不可以|会不会|是不是|要不要|需不需要|区别|意思|规定|规则|条件|要求"
)
# How, why, whether: a rule question about one's own data ("临时额度到期了怎么办", "余额不够还能扣款吗").
_RULE_QUESTION = re.compile(
    r"怎么办|为什么|为啥|为何|怎么回事|会不会|能不能|可不可以|是否|要不要|能否|可以.{0,10}吗|能.{0,10}吗|会.{0,6}吗"
)
_STRONG_QUESTION = re.compile(r"怎么|怎样|如何|为什么|为啥|什么|哪|多久|能不能|可不可以|是不是|是真的|真的吗")


@dataclass(frozen=True)
class Act:
    """The form of a message. ``kind`` is request, question or problem; ``unclear`` when it could be
    either a request or a question about the same task (the bot then asks instead of guessing)."""

    kind: str
    reason: str
    unclear: bool = False

    def to_json(self) -> Dict[str, Any]:
        return {"kind": self.kind, "reason": self.reason, "unclear": self.unclear}


def is_question(text: str) -> bool:
    return bool(_QUESTION.search(text))


def is_problem(text: str) -> bool:
    return bool(_PROBLEM.search(text))


def reads_as(text: str) -> Act:
    """The form of a message on its own: a problem report, a question, or (by default) a request."""
    problem, question = _PROBLEM.search(text), _QUESTION.search(text)
    if problem:
        return Act(PROBLEM, f"problem word {problem.group(0)}")
    if question:
        return Act(QUESTION, f"question word {question.group(0)}")
    return Act(REQUEST, "no question or problem word")


def _details(entities: Sequence[Dict[str, Any]], *kinds: str) -> bool:
    return any(e.get("entity") in kinds for e in entities)


def task_act(intent: str, text: str, entities: Sequence[Dict[str, Any]]) -> Act:
    """Whether a message the model reads as the task ``intent`` really asks for it now.

    A polite request with concrete details ("能帮我给张三转500吗") is a request although it ends in 吗;
    a question about the task ("能帮家里人还信用卡吗") or a report about an earlier one ("转的钱没到")
    is not. A bare topic ("转账", "信用卡还款") is a request; the form only asks for what is missing.
    """
    polite = bool(_POLITE_ASK.search(text)) or bool(_PLEASE.search(text))
    if intent == "report_card_loss":
        if _FROZEN_ALREADY.search(text):  # "卡被冻结了": a state to explain, not a request to freeze
            return Act(PROBLEM, "the card is already frozen or locked")
        loss = _LOSS.search(text)
        if loss and not is_question(text.replace("吗", "")) and "盗刷" not in text:
            return Act(REQUEST, f"loss word {loss.group(0)}")
        if loss and polite and not re.search(r"怎么|如何|为什么|多久|哪里|流程|步骤|要不要|需要什么", text):
            return Act(REQUEST, f"asked to act on a loss ({loss.group(0)})")
        form = reads_as(text)
        if form.kind == REQUEST:  # "激活信用卡", "注销银行卡": about the card, not a loss
            return Act(QUESTION, "no loss or freeze word: not a loss report")
        return form
    if intent == "transfer_money":
        details = _details(entities, "amount") and _details(entities, "payee", "account")
        if _ARRIVAL.search(text) or is_problem(text):
            return Act(PROBLEM, "about an earlier transfer")
        if details and polite:
            return Act(REQUEST, "asked with payee and amount")
        if is_question(text) or (_HOW_MUCH.search(text) and not details):
            return reads_as(text) if reads_as(text).kind != REQUEST else Act(QUESTION, "asks how much")
        if not _TRANSFER_VERB.search(text) and not details:
            return Act(QUESTION, "no transfer verb and no details", unclear=True)
        return Act(REQUEST, "transfer verb, no question word")
    if intent == "repay_credit_card":
        details = _details(entities, "amount") or bool(_REPAY_DETAIL.search(text))
        if is_problem(text):
            return Act(PROBLEM, "about an earlier repayment")
        if _HOW_MUCH_OWED.search(text):
            return Act(BILL, "asks how much is owed")
        if polite and details and _POLITE_ASK.search(text):
            return Act(REQUEST, "asked to repay with details")
        if is_question(text):
            return reads_as(text)
        if not _REPAY_VERB.search(text):
            if _BILL_WORDS.search(text):
                return Act(BILL, "names the bill, not a repayment")
            return Act(QUESTION, "no repayment verb", unclear=True)
        return Act(REQUEST, "repayment verb, no question word")
    if intent in ("record_expense", "record_income"):
        form = reads_as(_TOPIC_NOUNS.sub("", text))  # "利息到账三十" records interest; it asks nothing
        if form.kind != REQUEST:
            return form
        if _PAY_NOW.search(text):  # "帮我交下话费 交100": a payment to make, not a record of one
            return Act(SERVICE, "asks to pay now, not to record a payment")
        if intent == "record_income" and not _INCOME.search(text):
            return Act(QUESTION, "no income word to record", unclear=True)
        if not _details(entities, "amount"):
            return Act(QUESTION, "nothing to record without an amount", unclear=True)
        return form
    return reads_as(text)


def read_mismatch(intent: str, text: str) -> Optional[str]:
    """Why a reading of the customer's OWN account data does not fit the words, or None when it fits.

    Any 余额 showed the customer's balance whoever's 余额 it was; any 额度 the card's limit."""
    if intent == "check_balance" and _OTHER_BALANCE.search(text):
        return "balance of something else"
    if intent == "query_credit_limit" and "信用卡" not in text and _NON_CARD_LIMIT.search(text):
        return "limit of something other than the credit card"
    if intent == "check_balance" and "余额" not in text and re.search(r"费|每月|每年|一个月|一年|利率|利息", text):
        return "a fee or a rate, not a balance"
    if intent == "spending_summary" and not re.search(r"花|消费|支出|开销|用了|开支|收支|买|挣|赚|收入|进账", text):
        return "no spending word"
    if intent == "query_credit_card_bill" and not re.search(
        r"账单|信用卡|欠|应还|还多少|还款|本期|这期|上期|出账|消费", text
    ):
        return "no bill or card word"
    return None


def is_complaint(text: str) -> bool:
    return bool(_COMPLAINT.search(text))


def is_fraud(text: str) -> bool:
    return bool(_FRAUD.search(text))


def is_unknown_debit(text: str) -> bool:
    return bool(_UNKNOWN_DEBIT.search(text))


def unsupported(intent: str, text: str) -> Optional[str]:
    """Why the words do not support a reading of a conversational intent, or None when they do."""
    if intent == "report_problem" and not is_problem(text) and (is_question(text) or is_complaint(text)):
        return "no problem word"
    if intent == "other_institution" and foreign(text) is None:
        return "names no other institution, or asks about our side of it"
    if intent == "complaint" and not _COMPLAINT.search(text):
        return "no complaint word"
    if intent == "human_agent" and not _PERSON.search(text):
        return "does not ask for a person"
    if intent == "bot_challenge" and not _BOT.search(text):
        return "does not ask who or what the assistant is"
    if intent == "help" and not _HELP.search(text):
        return "asks about a banking topic, not the assistant"
    if intent in ("inform", "cancel", "affirm", "deny") and _STRONG_QUESTION.search(text):
        return "a question, not a detail, a yes or a no"
    if intent == "find_service" and _INFO_QUESTION.search(text):
        return "asks for information, not for a page"
    if intent in ("check_balance", "query_credit_limit", "query_credit_card_bill") and _RULE_QUESTION.search(text):
        return "asks how or whether, not for the figure"
    return None


def foreign(text: str) -> Optional[institutions.Institution]:
    """Another institution the message is about, unless it is about our side of it ("花呗能用信用卡还吗"
    asks about our card; "转到建行卡要手续费吗" about our transfer)."""
    found = institutions.mentioned(text)
    if found is None:
        return None
    rest = text.replace(found.key, "")  # "微信转账" names WeChat; its 转账 is not ours
    own = _OWN_MOVES if found.key in institutions.other_banks() else _OWN_BANK  # "工行信用卡" is theirs
    return None if own.search(rest) else found
