"""Other institutions' products and accounts, which this bank can neither see nor operate.

Customers ask about 花呗, 借呗, 公积金 or another bank's card in the same words they use for ours
("借呗额度多少", "公积金余额"), so a mention is found by name and the assistant answers honestly
with the nearest service of ours instead of reading the bank words as a command.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from typing import Dict, Optional, Tuple, Union

from assistant.base.spans import longest_matches


@dataclass(frozen=True)
class Institution:
    key: str
    owner: str  # who runs it, in the customer's words
    where: str  # where the customer can handle it
    nearest: str = ""  # the nearest service of ours, if any
    nearest_link: str = ""


_ALIPAY = ("支付宝（蚂蚁集团）", "支付宝 App")
_WECHAT = ("微信支付（财付通）", "微信 App 的“我-服务-钱包”")
_QUICKPAY = ("可以在我行 App“快捷支付管理”中查看或解绑储蓄卡与第三方支付的绑定", "app://quick-pay")
_OTHER_BANK = ("其他银行", "该银行的 App、客服热线或网点")

# name → (owner, where) or (owner, where, nearest service text, nearest deep link)
_Row = Union[Tuple[str, str], Tuple[str, str, str, str]]
_TABLE: Dict[str, _Row] = {
    "花呗": (*_ALIPAY, *_QUICKPAY),
    "借呗": (*_ALIPAY, "如需借款，可以了解我行的消费贷款", "app://loans"),
    "余额宝": (*_ALIPAY, "如需理财，可以看看我行的现金管理类理财", "app://wealth/products"),
    "支付宝": (*_ALIPAY, *_QUICKPAY),
    "网商银行": ("网商银行", "网商银行 App"),
    "微信零钱": (*_WECHAT, *_QUICKPAY),
    "零钱通": (*_WECHAT, *_QUICKPAY),
    "微信支付": (*_WECHAT, *_QUICKPAY),
    "微信钱包": (*_WECHAT, *_QUICKPAY),
    "财付通": (*_WECHAT, *_QUICKPAY),
    "微信分付": (*_WECHAT, *_QUICKPAY),
    "分付": (*_WECHAT, *_QUICKPAY),
    "微信转账": (*_WECHAT, *_QUICKPAY),
    "微信红包": (*_WECHAT, *_QUICKPAY),
    "理财通": ("腾讯理财通", "微信里的理财通入口", "如需理财，可以看看我行的理财产品", "app://wealth/products"),
    "京东金融": ("京东金融", "京东金融 App"),
    "招联金融": ("招联消费金融公司", "招联金融 App"),
    "招联": ("招联消费金融公司", "招联金融 App"),
    "好期贷": ("招联消费金融公司", "招联金融 App"),
    "安逸花": ("马上消费金融公司", "安逸花 App"),
    "马上消费": ("马上消费金融公司", "安逸花 App"),
    "网商贷": ("网商银行", "支付宝或网商银行 App"),
    "陆金所": ("陆金所", "陆金所 App"),
    "平安普惠": ("平安普惠", "平安普惠 App"),
    "宜人贷": ("宜人贷", "宜人贷 App"),
    "小赢卡贷": ("小赢科技", "小赢卡贷 App"),
    "携程金融": ("携程金融", "携程 App 的钱包"),
    "苏宁金融": ("苏宁金融", "星图金融 App"),
    "微粒贷": ("微众银行", "微信或 QQ 里的微粒贷入口", "如需借款，可以了解我行的消费贷款", "app://loans"),
    "微众银行": ("微众银行", "微众银行 App"),
    "京东白条": ("京东金融", "京东金融 App"),
    "白条": ("京东金融", "京东金融 App"),
    "京东金条": ("京东金融", "京东金融 App"),
    "金条": ("京东金融", "京东金融 App"),
    "美团月付": ("美团", "美团 App 的“我的-钱包”"),
    "美团借钱": ("美团", "美团 App 的“我的-钱包”"),
    "抖音月付": ("抖音支付", "抖音 App 的钱包"),
    "放心借": ("抖音支付", "抖音 App 的钱包"),
    "分期乐": ("乐信", "分期乐 App"),
    "360借条": ("360数科", "360借条 App"),
    "度小满": ("度小满", "度小满 App"),
    "拼多多": ("拼多多", "拼多多 App"),
    "云闪付": ("中国银联", "云闪付 App", "我行储蓄卡和信用卡都可以绑定到云闪付使用", "app://quick-pay"),
    "公积金": (
        "当地住房公积金管理中心",
        "当地公积金中心的网站、App或“手机公积金”小程序",
        "我行 App 的生活服务里也有公积金查询入口",
        "app://life/social-security",
    ),
    "社保": (
        "当地社会保险经办机构",
        "当地社保部门的网站或“掌上12333”App",
        "我行 App 的生活服务里有社保查询入口",
        "app://life/social-security",
    ),
    "医保": (
        "当地医疗保障局",
        "“国家医保服务平台”App",
        "我行 App 的生活服务里有社保查询入口",
        "app://life/social-security",
    ),
    "个税": ("国家税务总局", "“个人所得税”App"),
    "个人所得税": ("国家税务总局", "“个人所得税”App"),
    "P2P": ("网络借贷平台", "该平台或当地金融监管部门公布的渠道"),
    "网贷": ("网络借贷平台", "该平台的 App 或客服"),
    "校园贷": ("网络借贷平台", "该平台的客服；如有人以“注销校园贷”为由让您转账，那是诈骗，请勿转账"),
    "证券账户": ("证券公司", "您的证券公司 App", "我行 App 支持银证转账", "app://securities"),
}
_BANKS = (
    "工商银行",
    "工行",
    "建设银行",
    "建行",
    "农业银行",
    "农行",
    "中国银行",
    "中行",
    "招商银行",
    "招行",
    "交通银行",
    "交行",
    "邮储银行",
    "邮政储蓄",
    "邮储",
    "浦发银行",
    "浦发",
    "中信银行",
    "光大银行",
    "民生银行",
    "兴业银行",
    "平安银行",
    "广发银行",
    "华夏银行",
    "北京银行",
    "上海银行",
    "农商行",
    "农村信用社",
    "信用社",
    "他行",
    "别的银行",
    "其他银行",
)
for _bank in _BANKS:
    _TABLE.setdefault(_bank, _OTHER_BANK)


@lru_cache(maxsize=1)
def institutions() -> Dict[str, Institution]:
    return {name: Institution(name, *row) for name, row in _TABLE.items()}


def other_banks() -> Tuple[str, ...]:
    return _BANKS


def mentioned(text: str) -> Optional[Institution]:
    """The first other institution named in ``text`` (longest name wins: 微信零钱 over 零钱)."""
    table = institutions()
    lowered = text.lower()
    for _start, _end, word in longest_matches(lowered, {k.lower() for k in table}, 8):
        for name, found in table.items():
            if name.lower() == word:
                return found
    return None
