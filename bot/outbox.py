"""A durable local outbox: requests that could not reach the store wait here for `replay`.

One JSON object per line in `<dir>/<name>.jsonl`, appended under an exclusive `flock`
and fsync'ed before `append` returns, so an acknowledged request survives a crash or
power loss. `replay` first moves the file aside (`<name>.replay-<time>-<pid>.jsonl`) so new
appends go to a fresh file, then applies each entry in order. Entries carry their
idempotency key, so applying one twice (a replay interrupted half-way and run again)
is harmless. A transient failure stops the replay and keeps the batch for next time; an
entry rejected as permanently invalid, or a torn line from a crash mid-write, moves
to `<name>.dead.jsonl` for a person to look at.

The directory is per host (`HOTLINE_OUTBOX_DIR`), not per process and not in Redis (it is
the fallback for when Redis is down): every process on the host that names it shares it
through the locks, so Rasa replicas and callback workers there may append and replay at the
same time, and a killed process loses nothing it acknowledged. Entries are replayed only
where the directory is visible: with Rasa on several hosts, run a replaying callback worker
on each of them or share the directory (docs/SECURITY.md, "Faults").
"""

from __future__ import annotations

import fcntl
import json
import logging
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboxEntry:
    kind: str
    key: str
    payload: dict[str, Any]
    queued_at: str = ""

    def to_line(self) -> bytes:
        record = {
            "v": 1,
            "kind": self.kind,
            "key": self.key,
            "payload": self.payload,
            "queued_at": self.queued_at,
        }
        return (json.dumps(record, ensure_ascii=False, separators=(",", ":")) + "\n").encode()

    @classmethod
    def from_line(cls, line: str) -> OutboxEntry:
        record = json.loads(line)
        return cls(
            kind=str(record["kind"]),
            key=str(record["key"]),
            payload=dict(record["payload"]),
            queued_at=str(record.get("queued_at") or ""),
        )


@dataclass
class ReplayReport:
    applied: int = 0
    dead: int = 0
    remaining: int = 0
    busy: bool = False
    error: str | None = None
    keys: list[str] = field(default_factory=list)


def _fsync_dir(directory: Path) -> None:
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


class Outbox:
    def __init__(self, directory: Path | str, name: str = "tickets") -> None:
        self.directory = Path(directory)
        self.name = name

    @property
    def path(self) -> Path:
        return self.directory / f"{self.name}.jsonl"

    @property
    def dead_path(self) -> Path:
        return self.directory / f"{self.name}.dead.jsonl"

    @contextmanager
    def _lock(self, suffix: str, blocking: bool = True) -> Iterator[bool]:
        self.directory.mkdir(parents=True, exist_ok=True)
        with open(self.directory / f"{self.name}.{suffix}", "a+b") as handle:
            flags = fcntl.LOCK_EX | (0 if blocking else fcntl.LOCK_NB)
            try:
                fcntl.flock(handle.fileno(), flags)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)

    def append(self, kind: str, key: str, payload: dict[str, Any]) -> OutboxEntry:
        """Durably queue one request. Raises OSError when the disk will not take it."""
        entry = OutboxEntry(kind, key, payload, datetime.now(timezone.utc).isoformat())
        with self._lock("lock"):
            self._append_line(self.path, entry.to_line())
        return entry

    def _append_line(self, path: Path, line: bytes) -> None:
        existed = path.exists()
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            size = os.fstat(fd).st_size
            if size and not _ends_with_newline(path, size):
                line = b"\n" + line  # never glue a record onto a torn one
            os.write(fd, line)
            os.fsync(fd)
        finally:
            os.close(fd)
        if not existed:
            _fsync_dir(path.parent)

    def _batches(self) -> list[Path]:
        return sorted(self.directory.glob(f"{self.name}.replay-*.jsonl"))

    def pending(self) -> int:
        """Entries waiting (active file and batches not yet replayed)."""
        paths = [self.path, *self._batches()] if self.directory.exists() else []
        total = 0
        for path in paths:
            if path.exists():
                with open(path, "rb") as handle:
                    total += sum(1 for line in handle if line.strip())
        return total

    def replay(
        self,
        apply: Callable[[OutboxEntry], None],
        permanent: tuple[type[BaseException], ...] = (),
    ) -> ReplayReport:
        """Apply every waiting entry in order; see the module docstring for failures."""
        report = ReplayReport()
        if not self.directory.exists():
            return report
        with self._lock("replay.lock", blocking=False) as acquired:
            if not acquired:
                report.busy = True
                return report
            self._take_active_file()
            batches = self._batches()
            for index, batch in enumerate(batches):
                if not self._replay_batch(batch, apply, permanent, report):
                    report.remaining += sum(_count(b) for b in batches[index + 1 :])
                    break
        return report

    def _take_active_file(self) -> None:
        with self._lock("lock"):
            if self.path.exists() and self.path.stat().st_size > 0:
                stamp = f"{time.time_ns():020d}-{os.getpid()}"
                os.replace(self.path, self.directory / f"{self.name}.replay-{stamp}.jsonl")
                _fsync_dir(self.directory)

    def _replay_batch(
        self,
        batch: Path,
        apply: Callable[[OutboxEntry], None],
        permanent: tuple[type[BaseException], ...],
        report: ReplayReport,
    ) -> bool:
        lines = [
            ln
            for ln in batch.read_text(encoding="utf-8", errors="replace").splitlines()
            if ln.strip()
        ]
        for position, line in enumerate(lines):
            try:
                entry = OutboxEntry.from_line(line)
            except (ValueError, KeyError, TypeError):
                log.error("outbox %s: unreadable line moved to %s", batch.name, self.dead_path)
                self._append_line(self.dead_path, (line + "\n").encode())
                report.dead += 1
                continue
            try:
                apply(entry)
            except permanent as exc:
                log.error("outbox entry %s rejected for good: %s", entry.key, exc)
                self._append_line(self.dead_path, entry.to_line())
                report.dead += 1
                continue
            except Exception as exc:  # noqa: BLE001 - transient: keep the batch for next time
                report.error = f"{type(exc).__name__}: {exc}"
                report.remaining += len(lines) - position
                log.warning("outbox replay stopped at %s: %s", entry.key, report.error)
                self._keep_only(batch, lines[position:])
                return False
            report.applied += 1
            report.keys.append(entry.key)
        batch.unlink()
        _fsync_dir(self.directory)
        return True

    def _keep_only(self, batch: Path, lines: list[str]) -> None:
        """Rewrite a batch to its unapplied tail (atomically), so nothing runs twice."""
        temporary = batch.with_suffix(".tmp")
        with open(temporary, "wb") as handle:
            handle.write("".join(line + "\n" for line in lines).encode("utf-8"))
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, batch)
        _fsync_dir(self.directory)


def _ends_with_newline(path: Path, size: int) -> bool:
    with open(path, "rb") as handle:
        handle.seek(size - 1)
        return handle.read(1) == b"\n"


def _count(path: Path) -> int:
    with open(path, "rb") as handle:
        return sum(1 for line in handle if line.strip())
