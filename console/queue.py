"""The hand-off queue as agents see it: waiting ones with the priority ones first and then
the longest waiting, how long each has waited, and the ones taken recently (and by whom)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta
from typing import Any

import redis

from bot.handoffs import HANDOFF_KEY, HandoffQueue
from console.timefmt import instant

SCAN_LIMIT = 5000
CLAIMED_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class QueueView:
    waiting: list[dict[str, Any]]
    claimed: list[dict[str, Any]]
    stats: dict[str, Any]


def _waited(record: dict[str, Any], until: datetime) -> float | None:
    created = instant(record.get("created_at"))
    return None if created is None else max(0.0, (until - created).total_seconds())


def waiting_sorted(queue: HandoffQueue, now: datetime, warn_s: int) -> list[dict[str, Any]]:
    """Priority first, then the longest waiting first."""
    rows = []
    for handoff in queue.waiting():
        row = asdict(handoff)
        row["waited"] = _waited(row, now)
        row["overdue"] = (row["waited"] or 0) >= warn_s
        rows.append(row)
    rows.sort(key=lambda r: (not r["priority"], -(r["waited"] or 0)))
    return rows


def recently_claimed(client: redis.Redis[bytes], now: datetime) -> list[dict[str, Any]]:
    """Hand-offs taken by an agent within the last 24 hours, the latest first."""
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
            if not isinstance(data, dict) or not data.get("claimed_by"):
                continue
            claimed = instant(data.get("claimed_at"))
            if claimed is None or now - claimed > CLAIMED_WINDOW:
                continue
            data["waited"] = _waited(data, claimed)
            found.append(data)
    found.sort(key=lambda d: str(instant(d.get("claimed_at"))), reverse=True)
    return found


def queue_view(client: redis.Redis[bytes], queue: HandoffQueue, now: datetime,
               warn_s: int) -> QueueView:
    waiting = waiting_sorted(queue, now, warn_s)
    claimed = recently_claimed(client, now)
    waits = [w["waited"] for w in waiting if w["waited"] is not None]
    stats = {"waiting": len(waiting), "priority": sum(1 for w in waiting if w["priority"]),
             "overdue": sum(1 for w in waiting if w["overdue"]),
             "longest": max(waits) if waits else None, "claimed": len(claimed)}
    return QueueView(waiting, claimed, stats)
