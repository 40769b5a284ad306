"""Chinese surnames (common single and compound ones) and spoken spellings.

Callers spell their surname by its parts on the phone: "弓长张", "木子李".
"""

from __future__ import annotations

COMPOUND_SURNAMES = [
    "欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "慕容", "令狐", "司徒", "夏侯",
    "尉迟", "公孙", "长孙", "宇文", "轩辕", "端木", "独孤", "南宫", "西门", "澹台",
    "呼延", "百里", "东郭", "万俟", "申屠", "第五",
]

SINGLE_SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付傅方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺"
    "顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿"
    "关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华"
    "喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗"
    "瞿桂全佟应臧闵苟邬边卞姬师仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠"
    "惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼满闻厉伊仝区郜阚花权强帅屠豆朴盖练廉禹井祖"
    "漆巴丰支卿国狄平计索宣晋相初门云容敬扈晁芮普阙浦戈伏鹿薄邸雍辜羊乌母裘亓修邰赫杭况宿鲜"
    "印逯隆茹诸战慕危玉银亢嵇湛宾戎茅利於呼居揭干尉冶斯元束檀衣信展阴昝智幸奉植衡富尧"
)

# Characters that are surnames but far more often ordinary words before 先生/女士/师傅.
AMBIGUOUS_BEFORE_TITLE = frozenset("和于时成平国明信单元南门相初云容区花")

SPOKEN_SPELLINGS = {
    "弓长张": "张",
    "立早章": "章",
    "木子李": "李",
    "耳东陈": "陈",
    "口天吴": "吴",
    "双木林": "林",
    "草头黄": "黄",
    "三横王": "王",
    "古月胡": "胡",
    "言午许": "许",
    "人可何": "何",
    "禾呈程": "程",
    "双口吕": "吕",
    "子小孙": "孙",
    "关耳郑": "郑",
    "木易杨": "杨",
    "走肖赵": "赵",
    "文刀刘": "刘",
    "三点水的江": "江",
    "三点水江": "江",
}


def surname_alternation() -> str:
    """A regex alternation matching one surname, compound ones first."""
    return "(?:" + "|".join(COMPOUND_SURNAMES) + "|[" + SINGLE_SURNAMES + "])"
