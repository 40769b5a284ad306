"""The service figures (containment, hand-off rate, first-contact resolution, callbacks on
time, satisfaction) from the hotline's own records in Redis.

`load_figure_data` reads the records of a period (conversation outcomes, hand-offs,
tickets, callbacks); `select_records` (pure) picks the records behind each figure and
`compute_figures` (pure) counts them: conversations per day by channel, containment (ended
without a person and served), first-contact resolution (contained and no ticket filed),
hand-off rate by reason, complaints by category (incomplete ones included: the caller did
complain), callbacks on time, satisfaction. The console's drill-down lists the same
selection, so a figure and its records always agree.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import redis

from bot.handoffs import HANDOFF_KEY
from bot.outcomes import ENDED_INDEX, OUTCOME_KEY

PERIODS = (7, 30)
SCAN_LIMIT = 20000  # records read per kind and request: figures stay cheap on a big Redis
CHANNELS = ("phone", "webchat", "rest")


@dataclass(frozen=True)
class Period:
    start: datetime
    end: datetime
    days: int

    def contains(self, moment: datetime | None) -> bool:
        return moment is not None and self.start <= moment <= self.end

    def day_labels(self) -> list[str]:
        first = self.start.date()
        return [(first + timedelta(days=n)).isoformat() for n in range(self.days)]


def period_of(days: int, now: datetime, tz: ZoneInfo) -> Period:
    """The last `days` calendar days (company time), today included, up to `now`."""
    if days not in PERIODS:
        raise ValueError(f"period must be one of {PERIODS} days")
    local = now.astimezone(tz)
    start = datetime.combine(local.date() - timedelta(days=days - 1), time.min, tzinfo=tz)
    return Period(start, local, days)


@dataclass(frozen=True)
class EndedConversation:
    conversation_id: str
    channel: str
    ended_at: datetime
    served: bool
    handed_off: bool
    satisfaction: int | None = None


@dataclass(frozen=True)
class HandoffRecord:
    conversation_id: str
    reason: str
    channel: str
    created_at: datetime


@dataclass(frozen=True)
class ComplaintRecord:
    number: str
    category: str
    created_at: datetime
    satisfaction: int | None = None
    status: str = "open"
    conversation_id: str = ""


@dataclass(frozen=True)
class CallbackTiming:
    callback_id: str
    due_at: datetime  # the first due time (as planned, after quiet hours)
    first_attempt_at: datetime | None  # first call placed (worker or agent), if any
    cancelled: bool = False


@dataclass(frozen=True)
class FigureData:
    conversations: Sequence[EndedConversation]
    handoffs: Sequence[HandoffRecord]
    complaints: Sequence[ComplaintRecord]
    callbacks: Sequence[CallbackTiming]


# -- reading Redis -------------------------------------------------------------------------
def _s(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value or "")


def _moment(value: Any) -> datetime | None:
    try:
        moment = datetime.fromisoformat(_s(value))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _score(moment: datetime) -> float:
    return moment.timestamp()


def _rating(value: Any) -> int | None:
    try:
        score = int(_s(value))
    except ValueError:
        return None
    return score if 1 <= score <= 5 else None


def load_figure_data(
    client: redis.Redis[bytes], period: Period, prefix: str = "hotline"
) -> FigureData:
    """The period's records. Malformed records are skipped, never fatal."""
    lo, hi = _score(period.start), _score(period.end)
    ids = [_s(i) for i in client.zrangebyscore(ENDED_INDEX, lo, hi, 0, SCAN_LIMIT)]
    pipe = client.pipeline(transaction=False)
    for cid in ids:
        pipe.hgetall(OUTCOME_KEY.format(conversation_id=cid))
    conversations = []
    for cid, raw in zip(ids, pipe.execute(), strict=True):
        fields = {_s(k): _s(v) for k, v in raw.items()}
        ended = _moment(fields.get("ended_at"))
        if ended is None:
            continue
        conversations.append(EndedConversation(
            cid, fields.get("channel") or "unknown", ended, fields.get("served") == "1",
            fields.get("handed_off") == "1", _rating(fields.get("satisfaction"))))
    return FigureData(conversations, _handoffs(client, period),
                      _complaints(client, period, prefix), _callbacks(client, period, prefix))


def _handoffs(client: redis.Redis[bytes], period: Period) -> list[HandoffRecord]:
    keys = []
    for key in client.scan_iter(match=HANDOFF_KEY.format(conversation_id="*"), count=1000):
        keys.append(key)
        if len(keys) >= SCAN_LIMIT:
            break
    found = []
    for start in range(0, len(keys), 500):
        for raw in client.mget(keys[start:start + 500]):
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            created = _moment(data.get("created_at"))
            if period.contains(created):
                assert created is not None
                found.append(HandoffRecord(str(data.get("conversation_id", "")),
                                           str(data.get("reason") or "unknown"),
                                           str(data.get("channel") or "unknown"), created))
    return found


def _complaints(client: redis.Redis[bytes], period: Period, prefix: str) -> list[ComplaintRecord]:
    numbers = [_s(n) for n in client.zrangebyscore(
        f"{prefix}:tickets:created", _score(period.start), _score(period.end), 0, SCAN_LIMIT)]
    found = []
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        for number, raw in zip(chunk, client.mget([f"{prefix}:ticket:{n}" for n in chunk]),
                               strict=True):
            try:
                data = json.loads(raw) if raw else None
            except ValueError:
                continue
            if not isinstance(data, dict):
                continue
            created = _moment(data.get("created_at"))
            if created is not None:
                found.append(ComplaintRecord(
                    number, str(data.get("category") or "other"), created,
                    _rating(data.get("satisfaction")), str(data.get("status") or "open"),
                    str(data.get("conversation_id") or "")))
    return found


def _callbacks(client: redis.Redis[bytes], period: Period, prefix: str) -> list[CallbackTiming]:
    ids: list[str] = []
    for key in client.scan_iter(match=f"{prefix}:cb:ticket:*", count=1000):
        ids.extend(_s(i) for i in client.smembers(key))
        if len(ids) >= SCAN_LIMIT:
            break
    pipe = client.pipeline(transaction=False)
    for cid in ids:
        pipe.hmget(f"{prefix}:cb:{cid}", "due_ms", "status")
        pipe.lrange(f"{prefix}:cb:{cid}:log", 0, 50)
    replies = pipe.execute()
    found = []
    for n, cid in enumerate(ids):
        (due_ms, status), log = replies[2 * n], replies[2 * n + 1]
        due, first = None, None
        for line in log:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if event.get("event") == "scheduled" and due is None:
                due = _moment(event.get("due_at"))
            elif event.get("event") in ("placed", "outcome") and first is None:
                first = _moment(event.get("at"))
        if due is None and _s(due_ms).isdigit():
            due = datetime.fromtimestamp(int(_s(due_ms)) / 1000, timezone.utc)
        if period.contains(due):
            assert due is not None
            found.append(CallbackTiming(cid, due, first, _s(status) == "cancelled"))
    return found


# -- the figures (pure) --------------------------------------------------------------------
def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


@dataclass(frozen=True)
class Selection:
    """The records behind each figure of one period."""

    conversations: list[EndedConversation]  # ended in the period
    contained: list[EndedConversation]  # served, not handed to a person
    first_contact: list[EndedConversation]  # contained, and no ticket filed from it
    handoffs: list[HandoffRecord]  # handed off in the period
    complaints: list[ComplaintRecord]  # tickets filed in the period (incomplete included)
    callbacks_on_time: list[CallbackTiming]
    callbacks_late: list[CallbackTiming]  # called after the grace, or not called by then
    callbacks_waiting: list[CallbackTiming]  # due, not called, grace not over: not judged
    rated: list[EndedConversation]  # with a survey rating
    tickets_rated: list[ComplaintRecord]


def select_records(
    data: FigureData, period: Period, *, callback_grace: timedelta = timedelta(minutes=10)
) -> Selection:
    conversations = sorted((c for c in data.conversations if period.contains(c.ended_at)),
                           key=lambda c: c.ended_at)
    contained = [c for c in conversations if c.served and not c.handed_off]
    complaints = sorted((c for c in data.complaints if period.contains(c.created_at)),
                        key=lambda c: c.created_at)
    with_ticket = {c.conversation_id for c in data.complaints if c.conversation_id}
    now = period.end
    timed = sorted((c for c in data.callbacks if not c.cancelled and c.due_at <= now
                    and period.contains(c.due_at)), key=lambda c: c.due_at)
    on_time = [c for c in timed if c.first_attempt_at is not None
               and c.first_attempt_at <= c.due_at + callback_grace]
    # Not called yet: late once the grace is over, else still waiting (not judged yet).
    waiting = [c for c in timed if c.first_attempt_at is None
               and now <= c.due_at + callback_grace]
    judged_elsewhere = {c.callback_id for c in (*on_time, *waiting)}
    late = [c for c in timed if c.callback_id not in judged_elsewhere]
    return Selection(
        conversations=conversations,
        contained=contained,
        first_contact=[c for c in contained if c.conversation_id not in with_ticket],
        handoffs=sorted((h for h in data.handoffs if period.contains(h.created_at)),
                        key=lambda h: h.created_at),
        complaints=complaints,
        callbacks_on_time=on_time, callbacks_late=late, callbacks_waiting=waiting,
        rated=[c for c in conversations if c.satisfaction is not None],
        tickets_rated=[c for c in complaints if c.satisfaction is not None],
    )


def compute_figures(
    data: FigureData,
    period: Period,
    *,
    tz: ZoneInfo,
    categories: Mapping[str, str] | None = None,
    callback_grace: timedelta = timedelta(minutes=10),
) -> dict[str, Any]:
    """The figures of one period as plain JSON-ready values (rates 0..1, None when there is
    nothing to divide by)."""
    days = period.day_labels()
    chosen = select_records(data, period, callback_grace=callback_grace)
    conversations = chosen.conversations
    channels = sorted({*CHANNELS, *(c.channel for c in conversations)},
                      key=lambda c: (c not in CHANNELS, CHANNELS.index(c) if c in CHANNELS else 0,
                                     c))
    per_day = {d: Counter[str]() for d in days}
    for c in conversations:
        day = c.ended_at.astimezone(tz).date().isoformat()
        if day in per_day:
            per_day[day][c.channel] += 1
    total = len(conversations)
    contained = len(chosen.contained)
    reasons = Counter(h.reason for h in chosen.handoffs)
    by_category = Counter(c.category for c in chosen.complaints)
    most_first = sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0]))
    labels = dict(categories or {})
    on_time, late = len(chosen.callbacks_on_time), len(chosen.callbacks_late)
    not_called = sum(1 for c in chosen.callbacks_late if c.first_attempt_at is None)
    ratings = [c.satisfaction for c in chosen.rated if c.satisfaction is not None]
    ticket_ratings = [c.satisfaction for c in chosen.tickets_rated if c.satisfaction is not None]
    return {
        "period": {"days": period.days, "start": period.start.isoformat(),
                   "end": period.end.isoformat()},
        "days": days,
        "conversations": {
            "total": total,
            "channels": channels,
            "by_channel": {ch: sum(1 for c in conversations if c.channel == ch) for ch in channels},
            "per_day": [{"day": d, **{ch: per_day[d][ch] for ch in channels}} for d in days],
        },
        "containment": {"contained": contained, "total": total, "rate": _rate(contained, total)},
        "first_contact": {"resolved": len(chosen.first_contact), "total": total,
                          "rate": _rate(len(chosen.first_contact), total)},
        "handoffs": {
            "total": len(chosen.handoffs),
            "rate": _rate(len(chosen.handoffs), total),
            "by_reason": [{"reason": r, "count": n, "rate": _rate(n, total)}
                          for r, n in sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))],
        },
        "complaints": {
            "total": len(chosen.complaints),
            "incomplete": sum(1 for c in chosen.complaints if c.status == "incomplete"),
            "by_category": [{"category": k, "label": labels.get(k, k), "count": n}
                            for k, n in most_first],
        },
        "callbacks": {
            "due": on_time + late + len(chosen.callbacks_waiting), "on_time": on_time,
            "late": late, "not_called": not_called, "waiting": len(chosen.callbacks_waiting),
            "rate": _rate(on_time, on_time + late),
            "grace_minutes": callback_grace.total_seconds() / 60,
        },
        "satisfaction": {
            "rated": len(ratings),
            "average": round(sum(ratings) / len(ratings), 2) if ratings else None,
            "distribution": {str(s): ratings.count(s) for s in range(1, 6)},
            "tickets_rated": len(ticket_ratings),
            "tickets_average": round(sum(ticket_ratings) / len(ticket_ratings), 2)
            if ticket_ratings else None,
        },
    }
