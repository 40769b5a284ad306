"""Retention: transcripts and closed tickets' personal fields go after `privacy.retention_days`.

`python -m bot.retention` runs one pass; schedule it daily, e.g. with cron:

    15 3 * * *  cd /srv/hotline && .venv/bin/python -m bot.retention >> var/log/retention.log 2>&1

- transcripts: Rasa trackers (`hotline:tracker:<conversation>`) whose latest event is older
  than the cutoff are deleted;
- tickets: a closed ticket whose closing is older than the cutoff keeps its number, history
  and description, but its caller's surname, title, phone and address are blanked.

Every pass logs what it removed: counts, conversation ids (numbers in them masked) and ticket
numbers with the blanked phone masked by `bot.masking.mask_number`. `--dry-run` only reports.
The clock is injectable (bot/clock.py) so tests move time instead of waiting 180 days.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from typing import Any

from bot.clock import Clock, SystemClock
from bot.config import HotlineConfig, hotline_config, settings
from bot.masking import mask_number, mask_sensitive
from bot.redis_client import build_redis
from bot.tickets.model import Caller, Ticket, TicketStatus
from bot.tickets.redis_store import RedisTicketStore
from bot.tracker_codec import closed_flag_key, decode_dialogue

log = logging.getLogger("bot.retention")

TRACKER_PATTERN = "hotline:tracker:*"
MAX_CLOSED_TICKETS = 1_000_000


@dataclass
class RetentionReport:
    cutoff: datetime
    transcripts_deleted: list[str] = field(default_factory=list)
    tickets_blanked: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # unreadable transcripts, left alone


def retention_days(config: HotlineConfig | None = None) -> int:
    """hotline.yml `privacy.retention_days` (checked when the configuration is read)."""
    return (config or hotline_config()).privacy.retention_days


def last_activity(raw: str | bytes) -> datetime | None:
    """The latest event time of a stored Rasa tracker, or None when it cannot be read."""
    try:
        dialogue = decode_dialogue(raw)
        stamps = [float(e["timestamp"]) for e in dialogue.get("events") or []
                  if isinstance(e, dict) and e.get("timestamp") is not None]
    except (ValueError, TypeError, KeyError, AttributeError):  # incl. TrackerDecodeError
        return None
    return datetime.fromtimestamp(max(stamps), timezone.utc) if stamps else None


def closed_at(ticket: Ticket) -> datetime:
    closings = [c.at for c in ticket.history if c.to_status is TicketStatus.CLOSED]
    return max(closings) if closings else (ticket.updated_at or ticket.created_at)


def has_personal_fields(ticket: Ticket) -> bool:
    caller = ticket.caller
    return any((caller.surname, caller.title, caller.phone, caller.address))


class RetentionJob:
    def __init__(
        self,
        redis_client: Any,
        ticket_store: Any | None,
        *,
        days: int,
        clock: Clock | None = None,
        tracker_pattern: str = TRACKER_PATTERN,
    ) -> None:
        self.redis = redis_client
        self.tickets = ticket_store
        self.days = days
        self.clock = clock or SystemClock()
        self.tracker_pattern = tracker_pattern

    def run(self, dry_run: bool = False) -> RetentionReport:
        report = RetentionReport(cutoff=self.clock.now() - timedelta(days=self.days))
        self._transcripts(report, dry_run)
        if self.tickets is not None:
            self._tickets(report, dry_run)
        verb = "would delete" if dry_run else "deleted"
        log.info(
            "retention (%d days, cutoff %s): %s %d transcripts %s; %s personal fields of "
            "%d closed tickets %s; %d unreadable transcripts skipped",
            self.days, report.cutoff.isoformat(), verb, len(report.transcripts_deleted),
            [mask_sensitive(k) for k in report.transcripts_deleted], verb,
            len(report.tickets_blanked), report.tickets_blanked, len(report.skipped),
        )
        return report

    def _transcripts(self, report: RetentionReport, dry_run: bool) -> None:
        prefix_length = len(self.tracker_pattern) - 1
        for key in self.redis.scan_iter(match=self.tracker_pattern, count=500):
            name = key.decode() if isinstance(key, bytes) else str(key)
            raw = self.redis.get(key)
            if raw is None:
                continue
            latest = last_activity(raw)
            conversation = name[prefix_length:]
            if latest is None:
                report.skipped.append(conversation)
                log.warning("retention: transcript %s unreadable, left alone",
                            mask_sensitive(conversation))
                continue
            if latest < report.cutoff:
                if not dry_run:  # with the tracker's closed flag
                    base = self.tracker_pattern.removesuffix("tracker:*")
                    self.redis.delete(key, closed_flag_key(base, conversation))
                report.transcripts_deleted.append(conversation)

    def _tickets(self, report: RetentionReport, dry_run: bool) -> None:
        for ticket in self.tickets.list_by_status(TicketStatus.CLOSED, limit=MAX_CLOSED_TICKETS):
            if not has_personal_fields(ticket) or closed_at(ticket) >= report.cutoff:
                continue
            if not dry_run:
                self.tickets.update(ticket.number, _blank)
            report.tickets_blanked.append(ticket.number)
            log.info("retention: ticket %s personal fields blanked (phone %s)",
                     ticket.number, mask_number(ticket.caller.phone) or "-")


def _blank(ticket: Ticket) -> Ticket:
    if ticket.status is not TicketStatus.CLOSED:  # reopened meanwhile: keep it
        return ticket
    return replace(ticket, caller=Caller())


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.retention", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, help="override privacy.retention_days")
    parser.add_argument("--redis-url", help="default: REDIS_URL from the settings")
    parser.add_argument("--dry-run", action="store_true", help="report only, change nothing")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")

    try:
        days = args.days or retention_days()
        client = build_redis(args.redis_url or settings().redis_url, socket_timeout=10)
        store = RedisTicketStore(client) if settings().ticket_store == "redis" else None
        if store is None:
            log.warning("retention: ticket store is not Redis; its own retention applies")
        report = RetentionJob(client, store, days=days).run(dry_run=args.dry_run)
    except Exception as exc:  # noqa: BLE001 - a cron job: one clear line and a failing status
        print(f"retention: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({
        "cutoff": report.cutoff.isoformat(),
        "transcripts_deleted": len(report.transcripts_deleted),
        "tickets_blanked": len(report.tickets_blanked),
        "skipped": len(report.skipped),
        "dry_run": args.dry_run,
    }))
    return 0


if __name__ == "__main__":
    sys.exit(main())
