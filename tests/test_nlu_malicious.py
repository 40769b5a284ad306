"""The conservative malicious decision: evidence of abuse and the calibrated gate
(bot/language/lexicon.py `abuse_evidence`, rasa_extensions/nlu/malicious.py). Real components,
no mocks."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.language.lexicon import default_lexicon
from rasa_extensions.nlu.malicious import HotlineMaliciousGate


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("小姐姐声音真好听，加个微信呗", {"harassment"}),
        ("你再说一句我拿刀过去找你", {"threat"}),
        ("我知道你住哪，你出门小心点", {"threat"}),
        ("你个傻逼客服", {"insult"}),
        ("你个垃圾", {"aimed_swearing"}),
        ("操你妈", {"insult"}),
        ("我去你们公司门口堵你", {"threat"}),
        ("这种男的真恶心", {"aimed_swearing", "group_attack"}),
        # a group judged all at once, without an abusive word (stereotype.txt)
        ("外国人都是来骗钱的，没一个好的", {"group_attack"}),
        ("残疾人就别出来添乱了", {"group_attack"}),
        ("某地人一个个都是地头蛇", {"group_attack"}),
        ("外国人都不是好东西", {"group_attack"}),
        ("你们河南人都是骗子", {"group_attack"}),  # the listener attacked through a group
        # a person's mind, looks or family insulted; the poster replied to is addressed
        ("楼上是不是没吃药 出来乱咬人", {"aimed_swearing"}),
        ("你这种人活着就是浪费粮食", {"insult"}),
        # a swear word before the person on the line is still an insult
        ("傻逼客服", {"insult"}),
        ("你们客服是不是都是猪脑子", {"insult"}),
        ("混蛋东西", {"insult"}),  # 东西 said of a person
        # the listener's side is no third person; a role judged all at once is a group
        ("你们这帮饭桶", {"insult"}),
        ("保安都是废物", {"insult"}),
        ("快递员都该被枪毙", {"insult"}),  # 都 right after the role: all of them judged
        ("那个司机是傻逼。你也是傻逼", {"insult"}),
        ("他妈的傻逼", {"insult"}),  # 他妈 is swearing, no third person
        ("他们就是废物", {"insult"}),  # 他们 is a crowd, not one person told about
        # the listener's side is never a wrongdoer told about; a cheat's company is a thing
        ("你们这些骗子都该被抓去枪毙", {"insult"}),
        ("骗子公司的狗腿子", {"insult"}),
        # a slur attacks what a person is, even a third person's
        ("她就是个捞女", {"insult"}),
        ("那个黑鬼天天在楼下吵", {"insult"}),
        # a kind of person is judged all at once (`这种`, `那些`)
        ("这种人渣就该被枪毙", {"insult"}),
        ("那些开车加塞的都是没妈的吧，一群畜生", {"insult"}),
    ],
)
def test_abuse_evidence_names_abuse_aimed_at_someone(text: str, kinds: set[str]) -> None:
    assert kinds <= set(default_lexicon().abuse_evidence(text))


@pytest.mark.parametrize(
    "text",
    [
        "你们的售后真的太垃圾了,坏了一个月都没人管",  # harsh complaint about the company
        "我他妈等了一下午,连个电话都没有",  # swearing for emphasis
        "气死我了,你们到底还管不管",
        "我要去12315投诉你们,还要找媒体曝光",  # escalation is not a threat
        "再不给我解决我就去你们公司门口拉横幅",  # nor is a protest at the company
        "我操你们公司真是垃圾",  # swearing at the company, not at the person on the line
        "安装师傅很专业,装得又快又好",
        # a group named and judged, but mildly, kindly, or the company's own staff
        "东北人都很热情",
        "00后都不爱打电话",
        "老年人就该多运动",
        "老年人都不会用这个APP,能不能简化一下",
        "你们这些人都是骗子,退款都不给",
        "快递员都是这样吗,放门口就走",
        "你们的系统是没吃药吧,天天出错",  # a mild word at the company's system
        # a swear word before the thing or the company complained about
        "傻逼快递,把我的东西摔坏了",
        "傻逼物流三天没动",
        "你们这个傻逼公司,退款拖了一个月",
        # an insult at one person the caller tells about is anger at that person
        "傻逼快递员把我东西摔了",
        "那个肇事司机撞了人就跑，简直是个人渣",
        "这个中介骗了我三个月房租就跑路了，王八蛋",
        "你们那个送货的司机就是个混蛋，东西扔门口就走",
        "我同事抢我功劳还在背后说我坏话，贱人一个",
        "你们经理是个傻逼",  # the company's staff, not the person on the line
        "那个碰瓷的老头真是个人渣，讹了我两千块",  # one old man, no group
        # people named by what they did, cursed for it even all at once
        "人贩子都该死",
        "那些虐猫的畜生都该死",
        "这种酒驾的人渣就该重判",
    ],
)
def test_no_evidence_in_harsh_complaints_and_anger(text: str) -> None:
    assert default_lexicon().abuse_evidence(text) == ()


def _message(text: str, intent: str | None, vector: list[float],
             ranking: list[tuple[str, float]] | None = None) -> Message:
    message = Message(data={TEXT: text, **({"intent": intent} if intent else {})})
    message.add_features(Features(np.array([vector], dtype=np.float32),
                                  FEATURE_TYPE_SENTENCE, TEXT, "f"))
    if ranking:
        entries = [{"name": n, "confidence": c} for n, c in ranking]
        message.set("intent", entries[0], add_to_output=True)
        message.set("intent_ranking", entries, add_to_output=True)
    return message


def _gate(tmp_path: Path, **config: object) -> HotlineMaliciousGate:
    (tmp_path / "model").mkdir()
    storage = LocalModelStorage(tmp_path / "model")
    context = ExecutionContext(GraphSchema({}), node_name="gate")
    gate = HotlineMaliciousGate.create({**HotlineMaliciousGate.get_default_config(), **config},
                                       storage, Resource("gate"), context)
    rng = np.random.default_rng(0)
    examples = [_message(f"m{i}", "malicious", [1.0 + rng.normal(0, .1), 0.0])
                for i in range(30)]
    examples += [_message(f"a{i}", "angry", [0.0, 1.0 + rng.normal(0, .1)]) for i in range(30)]
    gate.train(TrainingData(training_examples=examples))
    return gate


def test_gate_keeps_malicious_with_evidence_and_a_high_score(tmp_path: Path) -> None:
    gate = _gate(tmp_path, threshold=0.8)
    message = _message("你个傻逼客服", None, [1.0, 0.0], [("angry", 0.6), ("malicious", 0.4)])
    gate.process([message])
    assert message.get("intent")["name"] == "malicious"
    assert message.get("malicious")["decided"] is True
    assert message.get("malicious")["score"] >= 0.8


def test_gate_demotes_malicious_without_evidence(tmp_path: Path) -> None:
    gate = _gate(tmp_path, threshold=0.8)
    message = _message("你们的售后太垃圾了,一个月没人管", None, [1.0, 0.0],
                       [("malicious", 0.7), ("angry", 0.2), ("complaint", 0.1)])
    gate.process([message])
    assert message.get("intent")["name"] == "angry"
    assert message.get("intent")["confidence"] == pytest.approx(2 / 3)
    assert message.get("malicious")["proposed"] is True
    assert message.get("malicious")["decided"] is False


def test_gate_demotes_malicious_below_the_threshold_and_round_trips(tmp_path: Path) -> None:
    gate = _gate(tmp_path, threshold=0.8)
    loaded = HotlineMaliciousGate.load(gate.config, gate._model_storage, gate._resource,
                                       ExecutionContext(GraphSchema({}), node_name="gate"))
    message = _message("你个傻逼", None, [0.0, 1.0], [("malicious", 0.5), ("angry", 0.5)])
    loaded.process([message])
    assert message.get("malicious")["score"] < 0.2
    assert message.get("intent")["name"] == "angry"


def test_gate_reads_abuse_below_the_threshold_as_hostile_not_as_the_next_intent(
        tmp_path: Path) -> None:
    """Evidence of abuse, a score below the threshold: angry (the calming line), never
    the intent that happened to come next (`畜生` read as `affirm`)."""
    gate = _gate(tmp_path, threshold=0.999)
    message = _message("畜生", None, [0.5, 0.5],
                       [("malicious", 0.6), ("affirm", 0.3), ("angry", 0.1)])
    gate.process([message])
    assert message.get("malicious")["decided"] is False
    assert message.get("intent") == {"name": "angry", "confidence": pytest.approx(0.6)}
    without_evidence = _message("好的", None, [0.5, 0.5],
                                [("malicious", 0.6), ("affirm", 0.3), ("angry", 0.1)])
    gate.process([without_evidence])
    assert without_evidence.get("intent")["name"] == "affirm"
