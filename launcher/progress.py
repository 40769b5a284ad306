"""One line per step on the terminal: `✓ model      trained in 2 min 10 s`.

A step that takes long redraws its one line in place with a bar (`[######----]  60 %`)
or the seconds waited so far; on a terminal only. Piped into a file (CI, `| tee`), each
step writes its final line alone, so logs hold no redraws. What the steps' own programs
print (Rasa's training, the servers) goes to var/log/, never here.
"""

from __future__ import annotations

import sys
import time
from typing import Optional, TextIO

BAR_WIDTH = 24
LABEL_WIDTH = 16


def bar(fraction: float, width: int = BAR_WIDTH) -> str:
    filled = round(max(0.0, min(fraction, 1.0)) * width)
    return f"[{'#' * filled}{'-' * (width - filled)}] {fraction * 100:3.0f} %"


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


class Step:
    """One step's line: `update` redraws it (on a terminal), `done`/`fail` end it."""

    def __init__(self, label: str, out: Optional[TextIO] = None) -> None:
        self.label = label
        self.out = out or sys.stdout
        self.started = time.monotonic()
        self.live = bool(getattr(self.out, "isatty", lambda: False)())
        self._width = 0
        self.update(detail="…")

    @property
    def elapsed(self) -> float:
        return time.monotonic() - self.started

    def _write(self, mark: str, text: str, end: str) -> None:
        line = f"  {mark} {self.label:<{LABEL_WIDTH}} {text}"
        padding = " " * max(0, self._width - len(line))
        self._width = len(line) if end == "" else 0
        self.out.write(f"\r{line}{padding}{end}")
        self.out.flush()

    def update(self, fraction: Optional[float] = None, detail: str = "") -> None:
        if not self.live:
            return
        progress = bar(fraction) if fraction is not None else duration(self.elapsed)
        self._write("…", f"{progress}  {detail}".rstrip(), "")

    def done(self, detail: str = "") -> None:
        self._write("✓", detail, "\n")

    def fail(self, detail: str = "") -> None:
        self._write("✗", detail, "\n")
