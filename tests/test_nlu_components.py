"""Unit tests of the custom NLU components and their pure matchers (no Rasa server)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.constants import TOKENS_NAMES
from rasa.nlu.tokenizers.tokenizer import Token
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData
from scipy import sparse

from bot.language.lexicon import FEATURE_NAMES, default_lexicon
from bot.language.lookups import LookupMatcher
from bot.language.numbers import NumberRules, find_numbers
from bot.language.patterns import FINDERS
from bot.language.text import normalize_text
from rasa_extensions.nlu.classifier import HotlineLinearClassifier
from rasa_extensions.nlu.extractor import HotlineEntityExtractor
from rasa_extensions.nlu.lexicon_featurizer import HotlineLexiconFeaturizer
from rasa_extensions.nlu.normalizer import HotlineTextNormalizer


def _found(text: str) -> list[tuple[str, str]]:
    return [(span.entity, span.value) for span in find_numbers(text)]


def _patterns(text: str) -> set[tuple[str, str]]:
    normal = normalize_text(text)
    return {(s.entity, s.value) for finder in FINDERS.values() for s in finder(normal)}


# --------------------------------------------------------------------- numbers
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的电话是13812345678", [("phone_number", "13812345678")]),
        ("手机幺三八 一二三四 五六七八", [("phone_number", "13812345678")]),
        ("号码是１３６１２３４５６７８", [("phone_number", "13612345678")]),
        ("+8613912345678", [("phone_number", "13912345678")]),
        ("座机010-88886666", [("phone_number", "010-88886666")]),
        ("电话(0755)12345678", [("phone_number", "0755-12345678")]),
        ("座机零二一 六四三八 八八九九", [("phone_number", "021-64388899")]),
        ("工单号T202611230001", [("ticket_number", "T202611230001")]),
        ("工單號是ｔ二零二六一一二三零零零一", [("ticket_number", "T202611230001")]),
        ("工单号202611230001", [("ticket_number", "T202611230001")]),
        ("订单号是12345678", [("order_number", "12345678")]),
        ("订单号202611230012", [("order_number", "202611230012")]),
        ("我的单子4500123456789012", [("order_number", "4500123456789012")]),
        ("我手机13812345678,订单4500123456", [("phone_number", "13812345678"),
                                           ("order_number", "4500123456")]),
    ],
)
def test_numbers_are_found_and_canonical(text: str, expected: list[tuple[str, str]]) -> None:
    assert _found(text) == expected


@pytest.mark.parametrize(
    "text", ["我等了3天", "价格是1299元", "T202613450001", "一共两千块", "我买了三四个", "12345",
             # short runs starting with 0 once crashed the landline reader (fuzz finding)
             "0", "电话0", "座机 0 1", "(0)", "电话是012", "+0", "号码0755"]
)
def test_no_number_entities_in_ordinary_text(text: str) -> None:
    assert _found(text) == []


def test_number_offsets_point_into_the_original_text() -> None:
    text = "电话幺三八 一二三四 五六七八谢谢"
    [span] = find_numbers(text)
    assert text[span.start : span.end] == "幺三八 一二三四 五六七八"


def test_number_cue_words_come_from_config() -> None:
    rules = NumberRules.from_config({"order_cues": ["运单号"]})
    assert [(s.entity, s.value) for s in find_numbers("运单号12345678", rules)] == [
        ("order_number", "12345678")]
    assert find_numbers("订单号12345678", rules) == []


# -------------------------------------------------------------------- patterns
@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我姓王", {("surname", "王")}),
        ("免贵姓欧阳", {("surname", "欧阳")}),
        ("弓长张", {("surname", "张")}),
        ("王先生您好", {("surname", "王"), ("title", "先生")}),
        ("我是李小姐", {("surname", "李"), ("title", "女士")}),
        ("我是女的", {("title", "女士")}),
        ("五分", {("rating", "5")}),
        ("给五星吧", {("rating", "5")}),
        ("非常满意", {("rating", "5")}),
        ("打一分", {("rating", "1")}),
        ("明天上午", {("time_slot", "明天上午")}),
        ("今天下午三点以后", {("time_slot", "今天下午三点以后")}),
        ("随时都可以", {("time_slot", "随时")}),
        ("周一上午", {("time_slot", "周一上午")}),
        # a house number after a road or an estate is no day of the month
        ("我家在北京市朝阳区建国路88号", {("address", "北京市朝阳区建国路88号")}),
        ("东城区和平里5号", {("address", "东城区和平里5号")}),
        ("和平里小区5号楼", {("address", "和平里小区5号楼")}),
        ("那就下个月5号吧", {("time_slot", "5号")}),
        ("表扬一下客服小李", {("staff_name", "小李")}),
        ("张师傅装得很好", {("staff_name", "张师傅")}),
        ("我找一下刘芳", {("staff_name", "刘芳")}),
        ("在朝阳大悦城店买的", {("branch", "朝阳大悦城店")}),
        ("我觉得王府井店的服务最好", {("branch", "王府井店")}),
    ],
)
def test_patterns(text: str, expected: set[tuple[str, str]]) -> None:
    assert _patterns(text) == expected


@pytest.mark.parametrize(
    "text",
    ["快一点好吗", "大声一点", "等了五分钟", "这家店太差", "你们的门店", "想找一个豪华型酒店",
             "昨天晚上送来的", "和先生一起来的",
             # how long something lasted, not a time of day
             "排了一上午的号", "折腾了整个下午", "一晚上没睡", "等了大半个下午",
             # a sentence's first words before 店 name no shop; 店面 is no shop's name
             "建议该店以后多放点酱料", "后来分店也开多了", "首先店面非常小", "还开什么店啊"],
)
def test_patterns_leave_ordinary_text_alone(text: str) -> None:
    assert _patterns(text) == set()


def test_lookup_matcher_prefers_longest_and_normalises_entries() -> None:
    matcher = LookupMatcher({"product": ["冰箱", "雙開門冰箱"], "complaint_category": ["态度差"]})
    spans = matcher.find("双开门冰箱坏了,态度差")
    assert [(s.entity, s.value) for s in spans] == [("product", "双开门冰箱"),
                                                   ("complaint_category", "态度差")]


# --------------------------------------------------------------------- lexicon
def test_lexicon_negation_flips_polarity() -> None:
    lexicon = default_lexicon()
    hits = {(h.category, h.negated) for h in lexicon.scan("菜不太新鲜")}
    assert ("negative", True) in hits
    assert {h.category for h in lexicon.scan("一点都不难吃")} == {"positive"}
    assert {h.category for h in lexicon.scan("味道不错")} >= {"positive"}


@pytest.mark.parametrize(("text", "polarity"), [
    ("一箱苹果一个坏的都没有", "positive"), ("出风一点异味都没有了", "positive"),
    ("晚上打游戏也不掉线", "positive"), ("没想到这么快", "positive"),
    ("问题都没有解决", "negative"), ("隔两天就要重启,不然就断网", "negative"),
    # "特别" holds a 别 that negates nothing
    ("开机特别慢", "negative"), ("路由器信号特别差", "negative"),
    ("不得不说真好吃", "positive"), ("换的新机用了三个月 一次毛病都没出", "positive"),
    # a negator never reaches across a clause ("一分钱没收 感谢", "完好无损 很满意")
    ("物业帮我们修好了水管 一分钱没收 感谢", "positive"),
    ("不过东西完好无损 很满意", "positive"),
    ("宣传的功能根本没有,虚假宣传", "negative"),
    # severity, and a noun that holds a sentiment word
    ("台灯闪得厉害", "negative"), ("牛排煎得刚好,外焦里嫩", "positive"),
    # the everyday vocabulary of a good review, and the same words negated
    ("柜子装上严丝合缝", "positive"), ("价格很亲民", "positive"), ("包装严实", "positive"),
    ("路由器信号不稳定", "negative"), ("师傅一点都不守时", "negative"),
])
def test_lexicon_reads_a_fault_denied_and_a_negator_that_negates_nothing(
        text: str, polarity: str) -> None:
    categories = {h.category for h in default_lexicon().scan(text)} & {"positive", "negative"}
    assert categories == {polarity}


@pytest.mark.parametrize("text", ["不是投诉,我想查订单", "不投诉了,帮我查下订单到哪了",
                                  "我不是来投诉的", "不退货了"])
def test_a_negated_request_word_is_no_praise(text: str) -> None:
    categories = {h.category for h in default_lexicon().scan(text)}
    assert not categories & {"positive", "negative"}, categories
    assert {h.category for h in default_lexicon().scan("我要投诉")} == {"negative"}


def test_lexicon_features_see_the_clause_after_a_contrast() -> None:
    features = dict(zip(FEATURE_NAMES, default_lexicon().sentence_features(
        "本来很好吃,但是这次太咸了")[0], strict=True))
    assert features["tail_negative"] > 0
    assert features["tail_positive"] == 0
    assert features["expectation"] > 0


def _features(text: str) -> dict[str, float]:
    return dict(zip(FEATURE_NAMES, default_lexicon().sentence_features(text)[0], strict=True))


@pytest.mark.parametrize("text", ["师傅十分钟就上门了", "开机十秒就进系统", "电池还能撑一整天",
                                  "快递提前一天送到", "饺子皮薄馅大", "用了两年了还跟新的一样",
                                  "一点没让我操心", "汤一滴没洒", "一点问题都没有",
                                  "床垫睡了一个月 腰不酸了", "打针一点都不疼",
                                  "快递小哥主动帮我把箱子搬上楼", "商家二话没说重新做了一份",
                                  "还特意提醒我带身份证", "每个月少交三十块",
                                  "维修没收上门费", "钱第二天就原路退回了",
                                  "冰箱装好第二天就制冷了", "不用我从头再说"])
def test_lexicon_features_read_a_fact_stated_as_good_news(text: str) -> None:
    features = _features(text)
    assert features["good_fact"] > 0 and features["bad_fact"] == 0
    assert features["positive_wins"] == 1.0


@pytest.mark.parametrize("text", ["用了三天就坏了", "等了两个小时", "说好三天到,九天才到",
                                  "半个月了还没到账", "充满电只能用半天",
                                  "快递显示签收了但是我没收到"])
def test_lexicon_features_read_a_fact_stated_as_bad_news(text: str) -> None:
    features = _features(text)
    assert features["bad_fact"] > 0 and features["good_fact"] == 0
    assert features["negative_wins"] == 1.0


def test_kindness_denied_is_no_good_news() -> None:
    for text in ("也没主动提醒我", "没有主动联系我", "他们不会专门跑一趟"):
        assert _features(text)["good_fact"] == 0, text


@pytest.mark.parametrize("text", ["打了八次热线，每次都说已记录，记录了个寂寞",
                                  "房东说涨就涨，我真的会谢", "小区停水不通知，什么世道",
                                  "等菜等了一个小时，最后说没这道菜了，早干嘛去了"])
def test_lexicon_features_read_venting_without_an_anger_word(text: str) -> None:
    assert _features(text)["anger"] > 0


def test_lexicon_features_tell_a_dare_from_a_request_to_repeat() -> None:
    assert _features("你再说一遍试试")["confront"] > 0
    assert _features("你还是人吗")["confront"] > 0
    assert _features("吵什么吵")["confront"] > 0
    for polite in ("你再说一遍", "你是人吗", "不是不是", "是明天下午吗"):
        assert _features(polite)["confront"] == 0, polite


@pytest.mark.parametrize(("text", "loud"), [("我非常喜欢!", 0), ("家人都非常满意呢!!", 0),
                                            ("太差了!", 1), ("气死我了!", 1),
                                            ("你们到底管不管!!!", 3), ("太差了", 0)])
def test_an_exclamation_mark_is_loudness_only_in_a_negative_message(text: str,
                                                                    loud: int) -> None:
    assert _features(text)["loud_negative"] == pytest.approx(math.log1p(loud) if loud > 1
                                                             else loud)


def test_lexicon_features_mark_abuse_aimed_at_groups() -> None:
    vector = default_lexicon().sentence_features("这种男的真恶心")[0]
    features = dict(zip(FEATURE_NAMES, vector, strict=True))
    assert features["abuse_and_group"] == 1.0


# ------------------------------------------------------------- Rasa components
@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    (tmp_path / "model").mkdir()
    return LocalModelStorage(tmp_path / "model")


def _context(node: str) -> ExecutionContext:
    return ExecutionContext(GraphSchema({}), node_name=node)


def test_normalizer_rewrites_text_and_moves_entities(storage: LocalModelStorage) -> None:
    component = HotlineTextNormalizer.create({}, storage, Resource("n"), _context("n"))
    text = "電話 幺三八 一二三四 五六七八"
    example = Message(data={TEXT: text, "intent": "inform", "entities": [
        {"entity": "phone_number", "start": 3, "end": len(text), "value": text[3:]}]})
    payload = Message(data={TEXT: '/inform{"surname":"張"}'})
    component.process_training_data(TrainingData([example, payload]))
    assert example.get(TEXT) == "电话13812345678"
    [entity] = example.get("entities")
    assert (entity["start"], entity["end"], entity["value"]) == (2, 13, "13812345678")
    assert payload.get(TEXT) == '/inform{"surname":"張"}'


def test_entity_extractor_trains_lookups_and_round_trips(storage: LocalModelStorage) -> None:
    resource = Resource("extractor")
    training = TrainingData(lookup_tables=[{"name": "product", "elements": ["冰箱", "洗衣机"]}])
    HotlineEntityExtractor.create({}, storage, resource, _context("x")).train(training)
    loaded = HotlineEntityExtractor.load({}, storage, resource, _context("x"))
    message = Message(data={TEXT: "我姓王,冰箱坏了,电话13812345678"})
    existing = {"entity": "surname", "start": 2, "end": 3, "value": "王", "extractor": "other"}
    message.set("entities", [existing])
    loaded.process([message])
    found = {(e["entity"], e["value"]) for e in message.get("entities")}
    assert found == {("surname", "王"), ("product", "冰箱"), ("phone_number", "13812345678")}
    assert sum(1 for e in message.get("entities") if e["entity"] == "surname") == 1


def test_lexicon_featurizer_adds_sequence_and_sentence_features(
    storage: LocalModelStorage,
) -> None:
    featurizer = HotlineLexiconFeaturizer.create({}, storage, Resource("lex"), _context("lex"))
    message = Message(data={TEXT: "菜太咸了"})
    message.set(TOKENS_NAMES[TEXT], [Token("菜", 0), Token("太咸", 1), Token("了", 3)])
    featurizer.process([message])
    sequence, sentence = message.get_dense_features(TEXT)
    assert sequence.features.shape == (3, len(FEATURE_NAMES))
    assert sentence.features.shape == (1, len(FEATURE_NAMES))
    assert sequence.features[1, FEATURE_NAMES.index("negative")] == 1.0


def _featurised(text: str, intent: str | None, index: int) -> Message:
    message = Message(data={TEXT: text, "intent": intent} if intent else {TEXT: text})
    row = sparse.coo_matrix(([1.0], ([0], [index])), shape=(1, 4))
    message.add_features(Features(row, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    message.add_features(Features(np.array([[float(index)]]), FEATURE_TYPE_SENTENCE, TEXT, "lex"))
    return message


def test_linear_classifier_trains_persists_and_predicts(storage: LocalModelStorage) -> None:
    resource = Resource("clf")
    examples = [_featurised(f"t{i}", ["greet", "thank"][i % 2], i % 2) for i in range(20)]
    HotlineLinearClassifier.create({}, storage, resource, _context("c")).train(
        TrainingData(examples))
    loaded = HotlineLinearClassifier.load({}, storage, resource, _context("c"))
    message = _featurised("新", None, 1)
    loaded.process([message])
    assert message.get("intent")["name"] == "thank"
    ranking = message.get("intent_ranking")
    assert [r["name"] for r in ranking] == ["thank", "greet"]
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6


@settings(max_examples=100, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 7), st.floats(-3, 3, allow_nan=False)),
                max_size=12),
       st.lists(st.floats(-2, 2, allow_nan=False), min_size=3, max_size=3),
       st.booleans())
def test_scoring_a_message_alone_equals_the_design_matrix_product(
    cells: list[tuple[int, float]], dense: list[float], with_missing_block: bool
) -> None:
    from rasa_extensions.nlu.classifier import design_matrix, linear_scores

    message = Message(data={TEXT: "x"})
    columns = [c for c, _ in cells]
    values = [v for _, v in cells]
    # duplicates in a COO block are summed, as scipy sums them in the design matrix
    row = sparse.coo_matrix((values, ([0] * len(cells), columns)), shape=(1, 8))
    message.add_features(Features(row, FEATURE_TYPE_SENTENCE, TEXT, "words"))
    if not with_missing_block:
        message.add_features(Features(np.array([dense]), FEATURE_TYPE_SENTENCE, TEXT, "lex"))
    layout = [("words", 8, True), ("chars", 5, True), ("lex", 3, False)]
    weights = np.random.default_rng(len(cells)).normal(size=(16, 4))
    expected = np.asarray(design_matrix([message], layout, 0.7) @ weights)
    assert np.allclose(linear_scores([message], layout, 0.7, weights), expected)
    vector = weights[:, 0].copy()  # one output (the malicious gate's weights)
    assert np.allclose(linear_scores([message], layout, 0.7, vector),
                       np.asarray(design_matrix([message], layout, 0.7) @ vector).ravel())


def test_a_message_with_nothing_known_gets_no_confidence(storage: LocalModelStorage) -> None:
    resource = Resource("clf-unknown")
    examples = [_featurised(f"t{i}", ["greet", "thank"][i % 3 == 0], i % 2) for i in range(20)]
    HotlineLinearClassifier.create({}, storage, resource, _context("c")).train(
        TrainingData(examples))
    loaded = HotlineLinearClassifier.load({}, storage, resource, _context("c"))
    unknown = Message(data={TEXT: "qwerty"})
    unknown.add_features(Features(sparse.coo_matrix((1, 4)), FEATURE_TYPE_SENTENCE, TEXT,
                                  "words"))
    unknown.add_features(Features(np.zeros((1, 1)), FEATURE_TYPE_SENTENCE, TEXT, "lex"))
    known = _featurised("t21", None, 1)
    # Latin letters with no word seen in training: a shared character n-gram decides nothing
    gibberish = _featurised("zxqv wbmk plo", None, 1)
    loaded.process([unknown, known, gibberish])
    assert unknown.get("intent")["confidence"] == 0.0  # the priors alone decide nothing
    assert known.get("intent")["confidence"] > 0.5
    assert gibberish.get("intent")["confidence"] == 0.0


def test_editing_a_lexicon_or_a_rule_changes_the_components_training_fingerprint(
        tmp_path: Path) -> None:
    """Rasa reuses a component's cached training output while its config is unchanged;
    the language rules and word lists are part of the fingerprint of the components that
    apply them, so an edited lexicon retrains the classifier behind them."""
    import shutil

    from bot.language.fingerprint import PACKAGE, language_fingerprint
    from rasa_extensions.nlu.extractor import HotlineEntityExtractor
    from rasa_extensions.nlu.lexicon_featurizer import HotlineLexiconFeaturizer
    from rasa_extensions.nlu.normalizer import HotlineTextNormalizer

    copy = tmp_path / "language"
    shutil.copytree(PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__"))
    before = language_fingerprint(copy)
    assert language_fingerprint(copy) == before  # stable
    with (copy / "lexicons" / "negative.txt").open("a", encoding="utf-8") as handle:
        handle.write("新加的词\n")
    assert language_fingerprint.__wrapped__(copy) != before
    for component in (HotlineTextNormalizer, HotlineLexiconFeaturizer, HotlineEntityExtractor):
        assert component.fingerprint_addon({}) == language_fingerprint(PACKAGE)


def test_a_training_example_is_read_as_its_own_intent(storage: LocalModelStorage) -> None:
    """`我想投诉` (complaint) shares its features with many cancels (`我不想投诉了`): the
    regression reads it as a cancel; the example itself is read as it was taught."""
    resource = Resource("clf-memory")
    examples = [_featurised(f"c{i}", "cancel", 1) for i in range(19)]
    examples += [_featurised(f"g{i}", "greet", 0) for i in range(19)]
    examples += [_featurised("我想投诉!", "complaint", 1), _featurised("一样", "greet", 2),
                 _featurised("一样。", "thank", 2)]
    HotlineLinearClassifier.create({}, storage, resource, _context("c")).train(
        TrainingData(examples))
    loaded = HotlineLinearClassifier.load({}, storage, resource, _context("c"))
    taught, near, clash = (_featurised(t, None, i) for t, i in
                           (("我想 投诉", 1), ("我想投诉吧", 1), ("一样", 2)))
    loaded.process([taught, near, clash])
    ranking = taught.get("intent_ranking")
    assert ranking[0]["name"] == "complaint" and ranking[0]["confidence"] >= 0.95
    assert ranking[1]["name"] == "cancel"  # the rest keep their order
    assert abs(sum(r["confidence"] for r in ranking) - 1.0) < 1e-6
    assert near.get("intent")["name"] == "cancel"  # only the example itself
    assert clash.get("intent")["confidence"] < 0.95  # taught two ways: not remembered

    off = Resource("clf-no-memory")
    HotlineLinearClassifier.create({"remember_examples": False}, storage, off,
                                   _context("c")).train(TrainingData(examples))
    plain = _featurised("我想投诉", None, 1)
    HotlineLinearClassifier.load({}, storage, off, _context("c")).process([plain])
    assert plain.get("intent")["name"] == "cancel"


@settings(max_examples=100, deadline=None)
@given(st.lists(st.floats(0.001, 1.0), min_size=2, max_size=8), st.data())
def test_a_remembered_intent_leads_and_the_others_keep_their_order(
    weights: list[float], data: st.DataObject
) -> None:
    from rasa_extensions.nlu.classifier import REMEMBERED_CONFIDENCE, remembered

    probs = np.array(weights) / sum(weights)
    index = data.draw(st.integers(0, len(weights) - 1))
    out = remembered(probs.copy(), index)
    assert abs(out.sum() - 1.0) < 1e-9
    assert out[index] >= REMEMBERED_CONFIDENCE - 1e-12
    others = [i for i in range(len(weights)) if i != index]
    assert sorted(others, key=lambda i: -out[i]) == sorted(others, key=lambda i: -probs[i])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(st.integers(0, 9), st.floats(-4, 4, allow_nan=False)), max_size=15))
def test_a_sparse_block_is_scaled_as_scipy_normalises_its_summed_row(
    cells: list[tuple[int, float]],
) -> None:
    from sklearn.preprocessing import normalize

    from rasa_extensions.nlu.classifier import scaled_entries

    block = sparse.coo_matrix(([v for _, v in cells], ([0] * len(cells), [c for c, _ in cells])),
                              shape=(1, 10))
    columns, values = scaled_entries(block, 10, True, 1.0)
    ours = np.zeros(10)
    ours[columns] = values
    assert len(set(columns.tolist())) == len(columns)
    assert np.allclose(ours, normalize(block.tocsr(), norm="l2").toarray().ravel())


@pytest.mark.parametrize("config", [{}, {"analyzer": "char_wb", "min_ngram": 2, "max_ngram": 4}])
def test_sentence_count_vectors_give_rasas_sentence_features_alone(
    storage: LocalModelStorage, config: dict[str, object]
) -> None:
    from rasa.nlu.featurizers.sparse_featurizer.count_vectors_featurizer import (
        CountVectorsFeaturizer,
    )
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

    from rasa_extensions.nlu.sentence_count_vectors import SentenceCountVectorsFeaturizer

    tokenizer = JiebaTokenizer.create({**JiebaTokenizer.get_default_config()}, storage,
                                      Resource("tok"), _context("tok"))
    texts = ["我的快递还没到", "你们服务太差了", "谢谢你们", "订单号20261101002"]

    def data() -> TrainingData:
        training = TrainingData([Message(data={TEXT: t, "intent": f"i{n % 2}"})
                                 for n, t in enumerate(texts)])
        tokenizer.process_training_data(training)
        return training

    def featurised(component_type: type, text: str) -> Message:
        component = component_type.create({**component_type.get_default_config(), **config},
                                          storage, Resource(component_type.__name__),
                                          _context("cv"))
        component.train(data())
        message = Message(data={TEXT: text})
        tokenizer.process([message])
        component.process([message])
        return message

    for text in ["快递还没到,服务太差", "谢谢", "完全没见过的话"]:
        rasas, ours = featurised(CountVectorsFeaturizer, text), featurised(
            SentenceCountVectorsFeaturizer, text)
        rasa_sequence, rasa_sentence = rasas.get_sparse_features(TEXT)
        our_sequence, our_sentence = ours.get_sparse_features(TEXT)
        assert rasa_sequence is not None and our_sequence is None
        assert (our_sentence.features != rasa_sentence.features).nnz == 0


def test_sentence_count_vectors_leave_out_the_ignored_tokens(
    storage: LocalModelStorage,
) -> None:
    from rasa.nlu.tokenizers.jieba_tokenizer import JiebaTokenizer

    from rasa_extensions.nlu.sentence_count_vectors import SentenceCountVectorsFeaturizer

    tokenizer = JiebaTokenizer.create({**JiebaTokenizer.get_default_config()}, storage,
                                      Resource("tok"), _context("tok"))
    training = TrainingData([Message(data={TEXT: t, "intent": f"i{n % 2}"})
                             for n, t in enumerate(["气死我了!!", "太好了!", "谢谢你们"])])
    tokenizer.process_training_data(training)

    def rows(ignored: str | None) -> list[np.ndarray]:
        config = {**SentenceCountVectorsFeaturizer.get_default_config(), "analyzer": "char_wb",
                  "min_ngram": 1, "max_ngram": 2, "ignored_tokens": ignored}
        component = SentenceCountVectorsFeaturizer.create(
            config, storage, Resource(f"cv-{ignored}"), _context("cv"))
        component.train(training)
        messages = [Message(data={TEXT: t}) for t in ("太好了!", "太好了")]
        tokenizer.process(messages)
        component.process(messages)
        return [m.get_sparse_features(TEXT)[1].features.toarray() for m in messages]

    loud, quiet = rows("!+")
    assert np.array_equal(loud, quiet)
    loud, quiet = rows(None)
    assert not np.array_equal(loud, quiet)

    with pytest.raises(ValueError, match="ignored_tokens"):
        rows("[!")


def test_caller_state_is_reported_beside_the_intent_and_changes_none(
        storage: LocalModelStorage) -> None:
    from rasa_extensions.nlu.caller_state import HotlineCallerState

    component = HotlineCallerState.create(
        {}, storage, Resource("caller_state"),
        ExecutionContext(GraphSchema({}), node_name="caller_state"))
    cases = {
        "气死我了,退款到底什么时候到": ([("angry", 0.59), ("refund_status", 0.39)],
                                  {"name": "angry", "confidence": 0.59, "source": "intent"}),
        "搞什么啊,发票怎么开": ([("invoice", 0.88), ("angry", 0.07)],
                             {"name": "angry", "confidence": 0.07, "source": "words"}),
        "帮我查一下订单": ([("order_status", 0.95), ("complaint", 0.03)], {}),
    }
    messages = []
    for text, (ranking, _) in cases.items():
        entries = [{"name": name, "confidence": score} for name, score in ranking]
        message = Message(data={TEXT: text})
        message.set("intent", entries[0], add_to_output=True)
        message.set("intent_ranking", entries, add_to_output=True)
        messages.append(message)
    for message, (ranking, expected) in zip(component.process(messages), cases.values(),
                                            strict=True):
        assert message.get("caller_state") == expected
        assert message.get("intent")["name"] == ranking[0][0]  # the intent is untouched
        assert "caller_state" in message.as_dict(only_output_properties=True)
