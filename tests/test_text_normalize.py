"""Unit tests of bot.language.text: normalisation steps and the character alignment."""

from __future__ import annotations

import pytest

from bot.language.text import AlignedText, NormalizeOptions, normalize, normalize_text
from bot.language.text.chinese import to_simplified
from bot.language.text.digits import chinese_number_value, digit_view
from bot.language.text.width import to_half_width


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("１３８ＡＢ，好！", "138AB,好!"),
        ("\u3000你好", " 你好"),
        ("。、「」", "。、「」"),
    ],
)
def test_half_width(text: str, expected: str) -> None:
    assert to_half_width(text) == expected


def test_traditional_to_simplified() -> None:
    expected = "这个产品质量太差了,服务态度也很恶劣"
    assert to_simplified("這個產品質量太差了,服務態度也很惡劣") == expected
    assert to_simplified("abc 123") == "abc 123"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("我的電話是 幺三八 一二三四 五六七八", "我的电话是13812345678"),
        ("工單號 T 二零二六 一一二三 零零零一", "工单号T202611230001"),
        ("座机零二一-六四三八八八九九", "座机021-64388899"),
        ("138幺二三四五六七八", "13812345678"),
        ("订单号 1234 5678 9012", "订单号123456789012"),
        ("１５８ ８８８８ ６６６６", "15888886666"),
    ],
)
def test_spoken_and_full_width_digits_become_numbers(text: str, expected: str) -> None:
    assert normalize_text(text) == expected


@pytest.mark.parametrize(
    "text",
    ["三三两两的人", "等了三五天", "七八个人", "两千块", "一五一十地说", "说了一两句"],
)
def test_numerals_in_ordinary_words_stay(text: str) -> None:
    assert normalize_text(text) == text


def test_whitespace_between_chinese_words_goes_latin_stays() -> None:
    assert normalize_text("我要投訴 你們 的 服務 態度") == "我要投诉你们的服务态度"
    assert normalize_text("ｉＰｈｏｎｅ １５ 壞了") == "iPhone 15坏了"


def test_fillers_are_reduced_but_never_emptied() -> None:
    assert normalize_text("呃,那个那个那个我想问一下!!!!") == "那个我想问一下!!"
    assert normalize_text("嗯嗯嗯嗯") == "嗯嗯"
    assert normalize_text("嗯") == "嗯"
    assert normalize_text("呃") == "呃"


def test_emoji_are_kept() -> None:
    assert normalize_text("太赞了👍") == "太赞了👍"


def test_options_switch_steps_off() -> None:
    options = NormalizeOptions(simplified=False, spoken_digits=False)
    assert normalize_text("電話 幺三八一二三四", options) == "電話幺三八一二三四"


def test_alignment_maps_spans_both_ways() -> None:
    original = "电话 幺三八 一二三四 五六七八 谢谢"
    aligned = normalize(original)
    assert aligned.text == "电话13812345678谢谢"
    start = aligned.text.index("138")
    span = aligned.to_original(start, start + 11)
    assert original[span[0] : span[1]] == "幺三八 一二三四 五六七八"
    assert aligned.from_original(*span) == (start, start + 11)


def test_alignment_of_untouched_text_is_identity() -> None:
    aligned = AlignedText.of("你好")
    assert aligned.to_original(0, 2) == (0, 2)
    assert aligned.from_original(0, 1) == (0, 1)
    assert aligned.from_original(5, 6) is None


def test_digit_view_keeps_length() -> None:
    text = "电话幺三八一二三四五六七八,三五天"
    view = digit_view(text)
    assert len(view) == len(text)
    assert view == "电话13812345678,三五天"


@pytest.mark.parametrize(
    ("word", "value"),
    [("三", 3), ("两", 2), ("十", 10), ("十二", 12), ("二十三", 23), ("5", 5), ("百", None)],
)
def test_chinese_number_value(word: str, value: int | None) -> None:
    assert chinese_number_value(word) == value
