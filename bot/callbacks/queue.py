"""Persistent callback queue in Redis. Every state change is one Lua script (atomic).

Keys (prefix `hotline`):
  hotline:cb:{id}             hash: the callback (ticket, phone, due_ms, status, attempts, ...)
  hotline:cb:{id}:log         list: JSON events (scheduled, claimed, lease_expired, placed, ...)
  hotline:cb:due              zset id -> due time (business clock, epoch ms): pending ones
  hotline:cb:leases           zset id -> lease expiry (Redis server clock, epoch ms): claimed ones
  hotline:cb:placed           zset id -> placement time: waiting for an outcome
  hotline:cb:ticket:{number}  set of the ticket's callback ids

  (agent holds: fields `agent`, `agent_until_ms` of the hash; see `agent_claim`)

Due times follow the injected business clock (tests move it by days); leases follow the
Redis server's own clock (`TIME`), so a lease expires even if a worker's clock is wrong.
Claiming first returns expired leases to `due`, then moves due ids to `leases` with a
fresh token, so two workers never hold the same callback and a killed worker's claim
comes back after `lease_seconds`. Scripts build the per-callback key names from the
prefix, so this layout needs a single Redis (not Redis Cluster).

Agents (the console) hold a callback with `agent_claim`: a pending one moves to `leases`
exactly like a worker's claim (worker `agent:<name>`), so no worker claims it while held,
and an abandoned hold comes back through the same lease recovery; a placed one (waiting
for an outcome in the agents' queue) is only marked as held. Holds expire on the Redis
server clock too.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.callbacks.model import Callback, CallbackStatus, Claim
from bot.redis_client import KEY_PREFIX, RedisClient, register_lua, text
from bot.tickets.errors import guarded

LUA = Path(__file__).resolve().parent / "lua"  # this package's Redis scripts














def to_ms(moment: datetime) -> int:
    return int(round(moment.timestamp() * 1000))


def from_ms(value: Any, tz: ZoneInfo) -> datetime:
    return datetime.fromtimestamp(int(text(value)) / 1000, tz=timezone.utc).astimezone(tz)


def _event(name: str, at: datetime, **fields: Any) -> str:
    record = {"event": name, "at": at.isoformat(), **fields}
    return json.dumps(record, ensure_ascii=False, separators=(",", ":"))


class RedisCallbackQueue:
    def __init__(self, client: RedisClient, tz: ZoneInfo, prefix: str = KEY_PREFIX) -> None:
        self._r = client
        self._tz = tz
        self._p = prefix
        self._schedule = register_lua(client, LUA / "schedule.lua")
        self._claim = register_lua(client, LUA / "claim.lua")
        self._mark_placed = register_lua(client, LUA / "mark_placed.lua")
        self._release = register_lua(client, LUA / "release.lua")
        self._renew = register_lua(client, LUA / "renew.lua")
        self._outcome = register_lua(client, LUA / "outcome.lua")
        self._cancel = register_lua(client, LUA / "cancel.lua")
        self._agent_claim = register_lua(client, LUA / "agent_claim.lua")
        self._agent_attempt = register_lua(client, LUA / "agent_attempt.lua")
        self._reschedule = register_lua(client, LUA / "reschedule.lua")
        self._agent_release = register_lua(client, LUA / "agent_release.lua")

    @property
    def client(self) -> RedisClient:
        return self._r

    @property
    def prefix(self) -> str:
        return self._p

    def key(self, callback_id: str) -> str:
        return f"{self._p}:cb:{callback_id}"

    def log_key(self, callback_id: str) -> str:
        return f"{self.key(callback_id)}:log"

    @property
    def due_key(self) -> str:
        return f"{self._p}:cb:due"

    @property
    def leases_key(self) -> str:
        return f"{self._p}:cb:leases"

    @property
    def placed_key(self) -> str:
        return f"{self._p}:cb:placed"

    def ticket_key(self, number: str) -> str:
        return f"{self._p}:cb:ticket:{number}"

    # -- create / read ----------------------------------------------------------------------
    @guarded
    def add(
        self,
        callback_id: str,
        *,
        ticket_number: str,
        phone: str,
        kind: str,
        reason: str,
        due_at: datetime,
        max_attempts: int,
        now: datetime,
    ) -> bool:
        """Store a new pending callback; False when the id exists already (idempotent)."""
        fields: dict[str, Any] = {
            "id": callback_id,
            "ticket": ticket_number,
            "phone": phone,
            "kind": kind,
            "reason": reason,
            "due_ms": to_ms(due_at),
            "created_ms": to_ms(now),
            "status": CallbackStatus.PENDING.value,
            "attempts": 0,
            "max_attempts": max_attempts,
            "claims": 0,
            "lease_expiries": 0,
            "token": "",
            "worker": "",
        }
        flat = [str(v) for pair in fields.items() for v in pair]
        event = _event("scheduled", now, due_at=due_at.isoformat())
        created = self._schedule(
            keys=[
                self.key(callback_id),
                self.due_key,
                self.ticket_key(ticket_number),
                self.log_key(callback_id),
            ],
            args=[callback_id, to_ms(due_at), *flat, event],
        )
        return bool(int(created))

    @guarded
    def get(self, callback_id: str) -> Callback | None:
        raw = self._r.hgetall(self.key(callback_id))
        return self._parse(raw) if raw else None

    def _parse(self, raw: Mapping[Any, Any]) -> Callback:
        data = {text(k): text(v) for k, v in raw.items()}

        def optional_int(name: str) -> int | None:
            return int(data[name]) if data.get(name) else None

        return Callback(
            id=data["id"],
            ticket_number=data.get("ticket", ""),
            phone=data.get("phone", ""),
            kind=data.get("kind", ""),
            reason=data.get("reason", ""),
            due_at=from_ms(data["due_ms"], self._tz),
            created_at=from_ms(data.get("created_ms") or data["due_ms"], self._tz),
            status=CallbackStatus(data["status"]),
            attempts=int(data.get("attempts") or 0),
            max_attempts=int(data.get("max_attempts") or 1),
            claims=int(data.get("claims") or 0),
            lease_expiries=int(data.get("lease_expiries") or 0),
            worker=data.get("worker", ""),
            last_outcome=data.get("last_outcome") or None,
            last_outcome_attempt=optional_int("last_outcome_attempt"),
            last_outcome_actor=data.get("last_outcome_actor", ""),
            last_outcome_note=data.get("last_outcome_note", ""),
            last_outcome_at=from_ms(data["last_outcome_ms"], self._tz)
            if data.get("last_outcome_ms")
            else None,
        )

    @guarded
    def for_ticket(self, number: str) -> list[Callback]:
        ids = sorted(text(i) for i in self._r.smembers(self.ticket_key(number)))
        found = [self.get(i) for i in ids]
        return [c for c in found if c is not None]

    @guarded
    def events(self, callback_id: str) -> list[dict[str, Any]]:
        return [json.loads(text(e)) for e in self._r.lrange(self.log_key(callback_id), 0, -1)]

    @guarded
    def counts(self) -> dict[str, int]:
        return {
            "due": int(self._r.zcard(self.due_key)),
            "leased": int(self._r.zcard(self.leases_key)),
            "placed": int(self._r.zcard(self.placed_key)),
        }

    # -- transitions ------------------------------------------------------------------------
    @guarded
    def claim(self, now: datetime, lease: timedelta, worker_id: str, limit: int) -> list[Claim]:
        """Lease up to `limit` callbacks due at `now` (after recovering expired leases)."""
        reply = self._claim(
            keys=[self.due_key, self.leases_key],
            args=[
                to_ms(now),
                max(1, int(lease.total_seconds() * 1000)),
                uuid.uuid4().hex,
                limit,
                f"{self._p}:cb:",
                worker_id,
                now.isoformat(),
            ],
        )
        items = [text(v) for v in reply]
        claims = []
        for callback_id, token in zip(items[0::2], items[1::2], strict=True):
            callback = self.get(callback_id)
            if callback is not None:
                claims.append(Claim(callback, token, worker_id))
        return claims

    @guarded
    def mark_placed(self, claim: Claim, now: datetime) -> bool:
        """False when the lease was lost (expired and taken by another worker)."""
        cid = claim.callback.id
        event = _event("placed", now, worker=claim.worker_id, attempt=claim.attempt)
        return bool(
            int(
                self._mark_placed(
                    keys=[self.key(cid), self.leases_key, self.placed_key, self.log_key(cid)],
                    args=[cid, claim.token, to_ms(now), event],
                )
            )
        )

    @guarded
    def release(self, claim: Claim, due_at: datetime, now: datetime, reason: str) -> bool:
        cid = claim.callback.id
        event = _event(
            "released", now, worker=claim.worker_id, reason=reason, due_at=due_at.isoformat()
        )
        return bool(
            int(
                self._release(
                    keys=[self.key(cid), self.leases_key, self.due_key, self.log_key(cid)],
                    args=[cid, claim.token, to_ms(due_at), event],
                )
            )
        )

    @guarded
    def renew(self, claim: Claim, lease: timedelta) -> bool:
        cid = claim.callback.id
        return bool(
            int(
                self._renew(
                    keys=[self.key(cid), self.leases_key],
                    args=[cid, claim.token, max(1, int(lease.total_seconds() * 1000))],
                )
            )
        )

    @guarded
    def apply_outcome(
        self,
        callback_id: str,
        *,
        attempt: int,
        new_status: CallbackStatus,
        due_at: datetime | None,
        outcome: str,
        actor: str,
        note: str,
        now: datetime,
    ) -> str:
        """'ok', 'recorded' (this attempt already has an outcome), 'stale' (not the current
        attempt), 'not_placed' or 'missing'."""
        event = _event(
            "outcome", now, attempt=attempt, outcome=outcome, actor=actor, status=new_status.value
        )
        return text(
            self._outcome(
                keys=[
                    self.key(callback_id),
                    self.placed_key,
                    self.due_key,
                    self.log_key(callback_id),
                ],
                args=[
                    callback_id,
                    attempt,
                    new_status.value,
                    "" if due_at is None else to_ms(due_at),
                    outcome,
                    actor,
                    note,
                    to_ms(now),
                    event,
                ],
            )
        )

    @guarded
    def cancel(self, callback_id: str, actor: str, now: datetime) -> bool:
        event = _event("cancelled", now, actor=actor)
        return bool(
            int(
                self._cancel(
                    keys=[
                        self.key(callback_id),
                        self.due_key,
                        self.leases_key,
                        self.placed_key,
                        self.log_key(callback_id),
                    ],
                    args=[callback_id, event],
                )
            )
        )

    # -- agents (the console) ---------------------------------------------------------------
    @guarded
    def agent_claim(
        self, callback_id: str, agent: str, hold: timedelta, now: datetime
    ) -> tuple[str, str]:
        """Hold a callback for `agent`: ('ok', agent), ('taken', holder) when another agent
        holds it, ('busy', worker) while a worker is placing it, ('finished', status) or
        ('missing', '')."""
        result, detail = self._agent_claim(
            keys=[self.key(callback_id), self.due_key, self.leases_key, self.log_key(callback_id)],
            args=[callback_id, agent, max(1, int(hold.total_seconds() * 1000)),
                  f"agent-{uuid.uuid4().hex}", now.isoformat()],
        )
        return text(result), text(detail)

    @guarded
    def agent_attempt(self, callback_id: str, agent: str, now: datetime) -> tuple[str, int]:
        """The holder calls the customer: ('ok', attempt number the outcome belongs to), or
        ('not_held' | 'busy' | 'finished' | 'missing', 0)."""
        result, attempts = self._agent_attempt(
            keys=[self.key(callback_id), self.leases_key, self.placed_key,
                  self.log_key(callback_id)],
            args=[callback_id, agent, to_ms(now), now.isoformat()],
        )
        return text(result), int(attempts or 0)

    @guarded
    def reschedule(
        self, callback_id: str, agent: str, due_at: datetime, now: datetime, note: str = ""
    ) -> str:
        """Move an open callback to `due_at` (pending again): 'ok', 'taken', 'busy',
        'finished' or 'missing'."""
        current = self.get(callback_id)
        previous = current.due_at.isoformat() if current else ""
        event = _event("rescheduled", now, actor=agent, due_at=due_at.isoformat(),
                       previous_due_at=previous, note=note)
        return text(self._reschedule(
            keys=[self.key(callback_id), self.due_key, self.leases_key, self.placed_key,
                  self.log_key(callback_id)],
            args=[callback_id, agent, to_ms(due_at), event],
        ))

    @guarded
    def agent_release(self, callback_id: str, agent: str, now: datetime) -> bool:
        event = _event("agent_released", now, actor=agent)
        return bool(int(self._agent_release(
            keys=[self.key(callback_id), self.leases_key, self.due_key,
                  self.log_key(callback_id)],
            args=[callback_id, agent, event],
        )))

    @guarded
    def holders(self, callback_ids: list[str]) -> dict[str, str]:
        """Who holds each callback now (Redis server clock); absent when nobody does."""
        seconds, micros = self._r.time()
        server_ms = int(seconds) * 1000 + int(micros) // 1000
        pipe = self._r.pipeline(transaction=False)
        for callback_id in callback_ids:
            pipe.hmget(self.key(callback_id), "agent", "agent_until_ms")
        held = {}
        for callback_id, (agent, until) in zip(callback_ids, pipe.execute(), strict=True):
            if text(agent) and int(text(until) or 0) > server_ms:
                held[callback_id] = text(agent)
        return held

    @guarded
    def open_ids(self, due_before: datetime, limit: int = 200) -> list[str]:
        """Callbacks not finished yet: pending ones due before `due_before`, and every claimed
        or placed one (waiting for its call or its outcome)."""
        pending = self._r.zrangebyscore(self.due_key, "-inf", to_ms(due_before), 0, limit)
        leased = self._r.zrange(self.leases_key, 0, limit - 1)
        placed = self._r.zrange(self.placed_key, 0, limit - 1)
        return list(dict.fromkeys(text(i) for i in (*pending, *leased, *placed)))

    @guarded
    def all_ids(self, limit: int = 20000) -> list[str]:
        """Every stored callback id (for reports), from the per-ticket sets."""
        found: list[str] = []
        for key in self._r.scan_iter(match=self.ticket_key("*"), count=500):
            found.extend(text(i) for i in self._r.smembers(key))
            if len(found) >= limit:
                break
        return found[:limit]
