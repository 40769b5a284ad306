"""Reading a caller's preferred callback time (bot/language/timeslots.py)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from bot.language.timeslots import ANY_TIME, parse_time_slot

BEIJING = timezone(timedelta(hours=8))
AFTERNOON = datetime(2026, 12, 2, 16, 10, tzinfo=BEIJING)  # a Wednesday


def test_a_part_of_the_day_still_going_on_means_now() -> None:
    assert parse_time_slot("下午", AFTERNOON) == AFTERNOON
    assert parse_time_slot("今天下午", AFTERNOON) == AFTERNOON  # the rest of it


def test_a_part_of_the_day_already_over_means_tomorrow() -> None:
    assert parse_time_slot("上午", AFTERNOON) == datetime(2026, 12, 3, 9, tzinfo=BEIJING)
    assert parse_time_slot("三点", AFTERNOON) == datetime(2026, 12, 3, 3, tzinfo=BEIJING)


def test_a_day_said_outright_is_kept() -> None:
    assert parse_time_slot("明天上午", AFTERNOON) == datetime(2026, 12, 3, 9, tzinfo=BEIJING)
    assert parse_time_slot("今天晚上", AFTERNOON) == datetime(2026, 12, 2, 19, tzinfo=BEIJING)
    assert parse_time_slot("下周一下午三点", AFTERNOON) == datetime(
        2026, 12, 7, 15, tzinfo=BEIJING)  # Monday of next week
    assert parse_time_slot("周五上午", AFTERNOON) == datetime(2026, 12, 4, 9, tzinfo=BEIJING)


def test_no_preference_and_no_time() -> None:
    assert parse_time_slot("下午都行", AFTERNOON) == ANY_TIME
    assert parse_time_slot("随时", AFTERNOON) == ANY_TIME
    assert parse_time_slot("不知道", AFTERNOON) is None
