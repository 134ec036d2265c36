"""The words of the banking domain: spending and income categories, products and app functions,
family and other relations customers pay, and Chinese surnames for recognising names."""

from __future__ import annotations

from functools import lru_cache
from typing import Dict, FrozenSet, List, Tuple

EXPENSE_CATEGORIES: Dict[str, Tuple[str, ...]] = {
    "餐饮": (
        "午饭",
        "午餐",
        "中饭",
        "早饭",
        "早餐",
        "晚饭",
        "晚餐",
        "夜宵",
        "宵夜",
        "吃饭",
        "外卖",
        "咖啡",
        "奶茶",
        "火锅",
        "聚餐",
        "饭钱",
        "饭",
        "餐费",
        "饮料",
        "零食",
        "水果",
        "烧烤",
        "早点",
        "买菜",
        "下馆子",
        "请吃饭",
        "快餐",
        "食堂",
        "吃的",
        "喝的",
        "小吃",
        "面包",
        "蛋糕",
        "餐饮",
    ),
    "交通": (
        "打车",
        "出租车",
        "滴滴",
        "地铁",
        "公交",
        "加油",
        "油费",
        "停车费",
        "停车",
        "高铁",
        "火车票",
        "机票",
        "过路费",
        "共享单车",
        "车费",
        "路费",
        "高速费",
        "网约车",
        "坐车",
        "坐出租",
        "打的",
        "交通",
    ),
    "购物": (
        "买衣服",
        "衣服",
        "超市",
        "淘宝",
        "京东",
        "网购",
        "日用品",
        "化妆品",
        "鞋子",
        "买鞋",
        "包包",
        "数码",
        "手机壳",
        "家电",
        "拼多多",
        "商场",
        "购物",
        "买东西",
        "文具",
        "纸巾",
        "洗发水",
    ),
    "居住": (
        "房租",
        "租金",
        "水电费",
        "水电",
        "水费",
        "电费",
        "燃气费",
        "燃气",
        "煤气费",
        "物业费",
        "物业",
        "房贷",
        "暖气费",
        "取暖费",
        "维修",
        "居住",
    ),
    "医疗": ("看病", "医院", "买药", "药费", "药", "挂号", "体检", "牙医", "看牙", "门诊", "医药费", "医疗", "住院"),
    "教育": (
        "学费",
        "培训费",
        "培训",
        "课程",
        "网课",
        "买书",
        "书费",
        "补习",
        "辅导班",
        "报名费",
        "考试费",
        "教育",
        "兴趣班",
    ),
    "娱乐": (
        "电影",
        "看电影",
        "电影票",
        "游戏",
        "充游戏",
        "ktv",
        "唱歌",
        "旅游",
        "门票",
        "健身",
        "健身房",
        "演唱会",
        "娱乐",
        "会员",
        "视频会员",
        "酒吧",
    ),
    "通讯": ("话费", "手机费", "电话费", "流量", "宽带", "充话费", "网费", "通讯"),
    "人情": ("随份子", "份子钱", "随礼", "礼金", "红包", "发红包", "礼物", "送礼", "请客", "人情", "孝敬"),
}
INCOME_CATEGORIES: Dict[str, Tuple[str, ...]] = {
    "工资": ("工资", "薪水", "薪资", "月薪", "发薪", "工钱"),
    "奖金": ("奖金", "年终奖", "提成", "绩效", "奖励", "分红奖"),
    "理财收益": ("理财收益", "理财赚", "利息", "分红", "基金收益", "收益", "股票赚"),
    "报销": ("报销", "报销款", "差旅费"),
    "其他收入": ("兼职", "稿费", "外快", "收红包", "中奖", "卖二手", "租金收入", "其他收入"),
}
EXPENSE_CATEGORY_NAMES = ("餐饮", "交通", "购物", "居住", "医疗", "教育", "娱乐", "通讯", "人情", "其他")
INCOME_CATEGORY_NAMES = ("工资", "奖金", "理财收益", "报销", "其他收入")

# Relations customers pay, longest forms first; "我妈" is kept whole (a saved alias), "我老婆" is 我 + 老婆.
RELATIONS: Tuple[str, ...] = (
    "我妈",
    "我爸",
    "我哥",
    "我姐",
    "我弟",
    "我妹",
    "老妈",
    "老爸",
    "妈妈",
    "爸爸",
    "老婆",
    "媳妇",
    "爱人",
    "老公",
    "对象",
    "儿子",
    "女儿",
    "闺女",
    "哥哥",
    "姐姐",
    "弟弟",
    "妹妹",
    "爷爷",
    "奶奶",
    "外公",
    "外婆",
    "姥姥",
    "姥爷",
    "岳父",
    "岳母",
    "公公",
    "婆婆",
    "丈母娘",
    "老丈人",
    "表哥",
    "表姐",
    "表弟",
    "表妹",
    "堂哥",
    "堂姐",
    "舅舅",
    "舅妈",
    "姑姑",
    "姨妈",
    "阿姨",
    "叔叔",
    "婶婶",
    "房东",
    "室友",
    "同事",
    "老板",
    "男朋友",
    "女朋友",
    "男友",
    "女友",
    "师傅",
    "老师",
    "同学",
    "朋友",
    "闺蜜",
    "发小",
    "媳妇儿",
    "妈",
    "爸",
)

SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金"
    "石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章"
    "鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟"
    "艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄"
    "丛仲虞敖巩明佘池查麻苑迟邝"
)
COMPOUND_SURNAMES = (
    "欧阳",
    "上官",
    "司马",
    "诸葛",
    "东方",
    "皇甫",
    "尉迟",
    "公孙",
    "慕容",
    "长孙",
    "宇文",
    "司徒",
    "夏侯",
    "令狐",
    "端木",
    "南宫",
    "西门",
    "独孤",
    "轩辕",
    "百里",
)

# Product and function words not (or not only) in the search catalog.
EXTRA_PRODUCTS = (
    "理财",
    "理财产品",
    "基金",
    "基金定投",
    "定投",
    "大额存单",
    "定期",
    "定期存款",
    "整存整取",
    "零存整取",
    "通知存款",
    "活期",
    "国债",
    "储蓄国债",
    "黄金",
    "积存金",
    "贵金属",
    "保险",
    "存款",
    "贷款",
    "房贷",
    "车贷",
    "消费贷",
    "信用贷",
    "外汇",
    "汇率",
    "外币",
    "美元",
    "电费",
    "水费",
    "燃气费",
    "话费",
    "手机充值",
    "社保",
    "公积金",
    "党费",
    "电影票",
    "网点",
    "附近网点",
    "积分",
    "积分商城",
    "优惠券",
    "权益",
    "数字证书",
    "电子回单",
    "存款证明",
    "预约取现",
    "挂失",
    "密码",
    "转账限额",
    "手机号转账",
    "收款码",
    "付款码",
    "扫一扫",
    "二类户",
    "电子账户",
    "信用卡申请",
    "提额",
    "分期",
    "账单分期",
    "ETC",
    "etc",
    "医保",
    "养老金",
    "交通罚款",
    "学费",
    "物业费",
    "有线电视",
    "宽带",
    "生活缴费",
    "缴费",
)


# Leading verbs of catalog aliases ("买基金", "交水费"): the product word is what follows.
VERB_PREFIXES = ("申请", "买", "交", "缴", "办", "充", "查", "订", "开", "看", "换", "去")
# App screens whose names are ordinary words, not products customers ask for.
GENERIC_NAMES = frozenset(
    (
        "设置",
        "系统设置",
        "偏好设置",
        "签到",
        "每日签到",
        "反馈",
        "意见反馈",
        "提建议",
        "通知",
        "消息通知",
        "消息中心",
        "全部功能",
        "功能大全",
        "所有功能",
        "更多功能",
        "测评",
        "证书",
        "进度查询",
        "申请进度",
        "收款",
        "客服",
        "行情",
        "设备管理",
        "登录设备",
        "关于我们",
    )
)


def product_word(name: str) -> str:
    """The product in a catalog name: "买基金" → "基金"; other names unchanged."""
    for verb in VERB_PREFIXES:
        if name.startswith(verb) and len(name) - len(verb) >= 2:
            return name[len(verb) :]
    return name


@lru_cache(maxsize=1)
def catalog_terms() -> Tuple[str, ...]:
    """Product and function words from the search catalog's titles and aliases."""
    try:
        from search_index.catalog import load_catalog

        entries = load_catalog()
    except Exception:  # the NLU must work even when the catalog is being edited
        return ()
    terms: List[str] = []
    for e in entries:
        if e.type == "faq":
            continue
        terms.extend(product_word(n) for n in e.names if 2 <= len(n) <= 8 and n not in GENERIC_NAMES)
    return tuple(dict.fromkeys(t for t in terms if t not in GENERIC_NAMES))


@lru_cache(maxsize=1)
def product_terms() -> FrozenSet[str]:
    return frozenset(t.lower() for t in (*EXTRA_PRODUCTS, *catalog_terms()))


@lru_cache(maxsize=1)
def category_keywords() -> Dict[str, Tuple[str, str]]:
    """keyword → (category, "expense"|"income")."""
    out: Dict[str, Tuple[str, str]] = {}
    for cat, words in EXPENSE_CATEGORIES.items():
        for w in words:
            out.setdefault(w, (cat, "expense"))
    for cat, words in INCOME_CATEGORIES.items():
        for w in words:
            out[w] = (cat, "income")
    return out


def surname_at(text: str, pos: int) -> int:
    """Length of the surname starting at ``pos`` (0 when none)."""
    if text.startswith(COMPOUND_SURNAMES, pos):
        return 2
    return 1 if pos < len(text) and text[pos] in SINGLE_SURNAMES else 0


def user_dictionary_words() -> List[Tuple[str, int]]:
    """(word, frequency) pairs for jieba, so domain words come out as whole tokens."""
    words: Dict[str, int] = {}
    for w in (*RELATIONS, *product_terms()):
        if len(w) >= 2:
            words[w] = 200000
    for w in category_keywords():
        if len(w) >= 2:
            words.setdefault(w, 50000)
    for extra in (
        "尾号",
        "转账",
        "汇款",
        "余额",
        "流水",
        "账单",
        "还款",
        "挂失",
        "记账",
        "花了",
        "收入",
        "支出",
        "验证码",
        "手续费",
        "多少钱",
        "储蓄卡",
        "工资卡",
        "信用卡",
        "借记卡",
        "银行卡",
        "转人工",
        "人工客服",
    ):
        words[extra] = 200000
    return sorted(words.items())
