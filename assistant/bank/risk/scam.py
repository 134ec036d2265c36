"""Scam words in a customer message, as canonical phrases (安全账户, 公检法, 刷单返利 …).

Telecom fraud in China follows a few scripts, and victims repeat the script's words to the bank:
"警察说我涉嫌洗钱，要把钱转到安全账户". Each canonical phrase has a few patterns for its variants and
paraphrases, matched on the normalized text (full-width, traditional and 帐/账 folded; spaces
dropped). Patterns ask for the script's context, not a lone word, so ordinary banking questions
("怎么设置安全锁", "客服电话多少", "退款多久到账", "逾期会影响征信吗") do not fire. The gap between two
parts of a pattern never crosses the end of a sentence.

``warning_for`` gives the short advice shown with the anti-fraud warning for each phrase."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Dict, Iterable, Pattern, Tuple

from assistant.base.textnorm import normalize


def _gap(most: int) -> str:
    """Up to ``most`` characters inside one sentence."""
    return f"[^。!?;\\n]{{0,{most}}}"


G4, G8, G12, G16 = _gap(4), _gap(8), _gap(12), _gap(16)
# Someone (the caller) telling the customer what to do: the script's voice.
ASKED = "(?:说|让|叫|要我|要求|打电话|来电|电话里|通知|联系我|加我|发短信|短信说|自称|冒充|告诉我)"
# An authority "calling": any telephone or message from them is already the script.
CALLED = "(?:" + ASKED[3:-1] + "|电话|接到|视频)"
AUTHORITY = "(?:公检法|公安局?|派出所|检察院|检察官|法院|法官|警察|警官|民警|刑警|网警|经侦|专案组|办案人员)"
OTHER = "(?:他|她|对方|客服|警察|警官|他们|那人|那个人|陌生人|老师|领导|工作人员|别人|他人)"
SELLER = "(?:客服|快递员?|商家|卖家|店家|物流|电商平台|平台)"


@dataclass(frozen=True)
class ScamPhrase:
    """One canonical phrase: the patterns that find it and the advice that answers it."""

    phrase: str
    patterns: Tuple[Pattern[str], ...]
    warning: str
    negatable: bool = False  # "不要把验证码告诉别人" repeats the bank's advice, it is not the script

    def found_in(self, prepared: str) -> bool:
        for pattern in self.patterns:
            for match in pattern.finditer(prepared):
                if not (self.negatable and _NEGATED.search(prepared, max(0, match.start() - 6), match.start())):
                    return True
        return False


def _phrase(phrase: str, warning: str, *patterns: str, negatable: bool = False) -> ScamPhrase:
    return ScamPhrase(phrase, tuple(re.compile(p) for p in patterns), warning, negatable)


# A negation just before a match (searched on the few characters before it).
_NEGATED = re.compile(r"(?:不要|别|不能|不会|没有|没|千万|切勿|不可以|不得|从不|绝不)[^。!?;]{0,3}$")


PHRASES: Tuple[ScamPhrase, ...] = (
    _phrase(
        "安全账户",
        "公检法机关和银行从来没有“安全账户”，任何要求您把钱转走“保护”起来的都是诈骗。",
        r"(?:安全|保护|清查|核查|验资|避险)(?:账户|账号|卡)",
        rf"(?:资金|钱|存款|积蓄){G4}(?:转移|转到|转入|转进|挪到){G12}(?:保护|安全|核查|清查|监管|验证)",
    ),
    _phrase(
        "公检法",
        "公检法机关不会通过电话、微信办案，也不会要求转账或提供验证码。",
        rf"{AUTHORITY}{G16}{CALLED}",
        rf"{CALLED}{G12}{AUTHORITY}",
        r"(?:通缉令|逮捕令|拘捕令|冻结令|传票|立案调查|配合调查|配合办案|案件编号|警号)",
    ),
    _phrase(
        "涉嫌洗钱",
        "真正的涉案调查不会要求您转账自证清白，说您“涉嫌洗钱”的电话都是诈骗。",
        r"涉嫌(?:洗钱|犯罪|违法|诈骗|贩毒|走私|非法)",
        r"洗钱(?:案|罪|团伙)",
        r"涉案(?:资金|账户|银行卡)?",
        rf"(?:账户|卡|身份证){G8}(?:涉案|被犯罪分子|被人冒用|被冒用)",
    ),
    _phrase(
        "资金核查",
        "任何“资金核查”“清查资金”都不需要您转账，这是冒充公检法的诈骗话术。",
        rf"(?:资金|存款|财产){G4}(?:核查|清查|审查|比对|公证)",
        rf"(?:证明|自证){G4}(?:清白|资金来源)",
    ),
    _phrase(
        "刷单返利",
        "刷单、做任务返佣金都是诈骗，先给小甜头再让您垫付大额资金后就无法提现。",
        r"刷(?:单|信誉|好评|流水|销量)",
        rf"(?:做任务|点赞|关注|兼职|垫付){G8}(?:返利|返佣|返现|佣金|提成|赚钱)",
        rf"(?:返利|返佣|佣金){G8}(?:任务|垫付|充值|连单|卡单)",
        r"(?:连单|卡单|任务单)",
    ),
    _phrase(
        "客服退款",
        "真正的退款会原路退回，不需要您转账、开通借款或提供验证码；自称客服要给您退款理赔的多是诈骗。",
        rf"{SELLER}{G4}{ASKED}{G12}(?:理赔|赔偿|赔付|补偿|双倍赔|三倍赔)",
        rf"{SELLER}{G4}{ASKED}{G8}(?:给我|帮我|要给|为我|给您)(?:办理?)?(?:退款|退钱|退费)",
        rf"(?:退款|理赔|赔偿|赔付){G12}(?:备用金|借呗|微粒贷|金条|贷款额度|开通借款|开通贷款|验证码|屏幕|扫码|二维码|保证金|转回)",
        rf"(?:快递|包裹|商品|货物|衣服){G8}(?:丢了|丢失|破损|有问题|质量问题|召回){G12}(?:理赔|赔偿|赔付|双倍|三倍)",
    ),
    _phrase(
        "关闭百万保障",
        "开通“百万保障”“会员扣费”要您转账或贷款才能关闭的，都是冒充客服的诈骗。",
        r"百万保障",
        rf"(?:不关闭|不取消|不注销){G12}(?:扣费|扣钱|扣款|收费|影响征信)",
    ),
    _phrase(
        "注销校园贷",
        "注销“校园贷”账户不需要贷款或转账，要求您借钱转出去“清空额度”的是诈骗。",
        rf"注销{G8}(?:校园贷|学生贷|学生账户|贷款账户|网贷|借贷账户|京东金条|借呗)",
        rf"(?:校园贷|学生贷){G12}(?:注销|影响征信|清除|清空)",
        rf"(?:清空|清零|注销){G4}(?:额度|贷款记录|网贷)",
    ),
    _phrase(
        "征信修复",
        "个人征信无法花钱修复或消除，承诺“修复征信”并要求转账的是诈骗。",
        r"(?:修复|洗白|花钱消除|花钱清除)(?:不良)?征信|征信(?:修复|洗白)",
        rf"(?:代|帮)(?:你|我|人|客户)?(?:消除|修复|清除|删除){G4}征信",
    ),
    _phrase(
        "验证码告诉对方",
        "短信验证码等于您的支付密码，任何人索要都是诈骗，请不要告诉任何人。",
        rf"验证码{G8}(?:告诉|发给|给|报给|念给|提供给|说给|转发给|截图给){OTHER}",
        rf"验证码{G4}(?:发过去|截图发|报过去|念出来)",
        rf"(?:告诉|发给|报给|念给|提供给|转发给){OTHER}{G8}验证码",
        rf"{OTHER}{G8}(?:要|问|索要|让我报|让我发|让我说|让我念|让我提供|要我提供){G8}验证码",
        negatable=True,
    ),
    _phrase(
        "屏幕共享",
        "屏幕共享或远程控制会让对方看到您的密码和验证码，请立即关闭，不要听从对方操作。",
        r"(?:屏幕共享|共享屏幕|共享(?:你的|我的|手机)屏幕|屏幕分享|分享屏幕|开共享|投屏给)",
        r"远程(?:协助|控制|操作|操控)",
        rf"(?:下载|安装|打开|进入|加入){G8}(?:会议|zoom|向日葵|todesk|teamviewer|云视讯)",
        negatable=True,
    ),
    _phrase(
        "冒充领导",
        "“领导”“老板”用新号码要您转账的，请先打原来的电话或当面核实，多是冒充的诈骗。",
        rf"(?:领导|老板|经理|主任|局长|校长|班主任|总经理|董事长){G8}(?:让我|叫我|要我|安排我|吩咐){G8}(?:转|打款|汇|付|垫)",
        rf"(?:领导|老板|经理|校长|班主任){G8}(?:新号|新微信|新qq|加我|拉我进群)",
        r"我是你(?:领导|老板|经理|局长|校长|老师)",
    ),
    _phrase(
        "熟人借钱",
        "熟人用新号码、微信或QQ借钱时，请先打对方原来的电话或视频核实本人，再决定是否转账。",
        rf"换了?(?:个|一个)?(?:新的?)?(?:手机号|号码|号|微信|qq){G12}(?:借|转|急用|打钱)",
        rf"(?:qq|微信|短信){G8}(?:找我|向我|跟我|让我)?(?:借钱|借点钱|借我|借一下)",
        rf"(?:冒充|自称|说是){G4}(?:同学|朋友|亲戚|儿子|女儿|孙子|表哥|老乡|战友)",
        rf"(?:说|电话|短信|自称){G12}(?:出车祸|出事了|被抓|撞人|打伤人){G12}(?:转|钱|急用|手术费|赔)",
    ),
    _phrase(
        "家长群收费",
        "班级群、家长群里收费请先打电话向老师本人核实，冒充班主任在群里收费是常见诈骗。",
        rf"(?:家长群|班级群|班群){G16}(?:交|转|付|收)(?:费|钱|款|资料费|学费|班费)?",
        rf"(?:冒充|假冒){G4}(?:老师|班主任)",
    ),
    _phrase(
        "投资高回报",
        "“导师带单”“稳赚不赔”的投资平台多是杀猪盘，充值后无法提现，请不要转账。",
        rf"(?:导师|老师|大师|分析师){G4}(?:带单|带我|喊单|指导)",
        r"(?:稳赚不赔|内幕消息|包赚|躺赚|日赚|无风险投资|收益翻倍)",
        rf"(?:平台|项目|网站|app|群){G8}(?:高回报|高收益|稳赚|翻倍)",
        rf"(?:高回报|高收益|稳赚|翻倍){G8}(?:平台|项目|群|带单)",
        rf"(?:网恋|网友|男朋友|女朋友|对象){G16}(?:投资|理财|平台|博彩|彩票|虚拟币|充值)",
        rf"(?:提现|出金){G8}(?:交|缴|付|要先|需要先){G8}(?:税|保证金|手续费|解冻|激活)",
        r"(?:博彩|彩票|虚拟币|usdt|数字货币)(?:平台|网站|投资)",
    ),
    _phrase(
        "贷款先交费",
        "正规贷款放款前不会收保证金、解冻费或验资费，要先交钱的贷款都是诈骗。",
        rf"(?:贷款|放款|借款|下款){G12}(?:先交|先付|先转|要交|需要交|缴纳|交纳){G8}(?:保证金|解冻|手续费|工本费|验资|会员费|刷流水)",
        r"(?:解冻费|解冻金|验资费|刷流水|流水不足|放款失败)",
        rf"(?:卡号|账号){G4}(?:填错|输错|写错){G12}(?:解冻|保证金|交|缴)",
    ),
    _phrase(
        "中奖交费",
        "中奖要先交手续费、税费的都是诈骗，真正的奖品不需要您先转账。",
        rf"中(?:了)?(?:大)?奖{G12}(?:手续费|税|保证金|先交|先付|转账|领取)",
        rf"(?:领奖|兑奖){G8}(?:交|转|付|费)",
    ),
    _phrase(
        "医保卡异常",
        "“医保卡、社保卡异常”的来电是冒充公检法诈骗的开场，请挂断后拨打官方电话核实。",
        rf"(?:医保卡|社保卡|医保账户|社保账户){G8}(?:异常|违规|冻结|冒用|透支|涉嫌|盗刷)",
    ),
    _phrase(
        "游戏交易",
        "游戏账号、装备交易要求“解冻”“保证金”的都是诈骗，请通过官方平台交易。",
        rf"(?:游戏){G4}(?:账号|装备|币|皮肤|金币){G12}(?:交易|买卖|解冻|保证金|冻结)",
    ),
    _phrase(
        "机票改签理赔",
        "航空公司不会让您转账办理改签理赔，请通过官方渠道核实航班信息。",
        rf"(?:航班|机票|飞机){G12}(?:取消|改签|延误|故障){G16}(?:理赔|赔偿|补偿|赔付|改签费)",
    ),
    _phrase(
        "要求保密",
        "要求您对家人、银行保密或一直保持通话的，几乎都是诈骗，请先停下来和家人商量。",
        rf"(?:不要|别|不能|不准|不许)(?:告诉|跟|和|让|对){G4}(?:家人|家里|别人|任何人|爸妈|父母|老公|老婆|银行|柜员|警察)",
        r"(?:保密调查|秘密调查|保密协议|秘密侦查|保持通话|不要挂电话|不能挂电话|别挂电话)",
    ),
)

_BY_PHRASE: Dict[str, ScamPhrase] = {p.phrase: p for p in PHRASES}
CANONICAL: Tuple[str, ...] = tuple(p.phrase for p in PHRASES)
_SPACES = re.compile(r"\s+")


def _prepare(text: str) -> str:
    return _SPACES.sub("", normalize(text))


def scam_phrases(text: str) -> Tuple[str, ...]:
    """The canonical phrases found in ``text``, in the order of PHRASES, each once."""
    if not text:
        return ()
    prepared = _prepare(text)
    return tuple(p.phrase for p in PHRASES if p.found_in(prepared))


def warning_for(phrases: Iterable[str]) -> str:
    """The anti-fraud warning for these phrases: what the customer said, then the advice for each."""
    known = [p for p in dict.fromkeys(phrases) if p in _BY_PHRASE]
    if not known:
        return ""
    said = "、".join(f"“{p}”" for p in known)
    advice = "".join(_BY_PHRASE[p].warning for p in known[:3])
    return f"您在对话中提到了{said}等诈骗常见说法。{advice}"


__all__ = ["CANONICAL", "PHRASES", "ScamPhrase", "scam_phrases", "warning_for"]
