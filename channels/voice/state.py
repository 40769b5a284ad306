"""Per-call state carried in the webhook URLs of the TwiML we return.

Each `<Gather action=...>` URL holds the little the channel must remember
between two turns of a call: a turn number (so two identical silent turns are
different requests, while a provider's retry of one request is the same), what
the next input means (menu choice or a number being entered), the streaks of
the line-quality heuristics, the louder-voice flag and the technical-error
count. The provider signs the URL with every request, so callers cannot forge
it, and the channel works without Redis (only duplicate detection and call
records need it).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from urllib.parse import urlencode

MENU = "menu"


@dataclass(frozen=True)
class CallState:
    turn: int = 0           # 0: the call's first request (no Gather yet)
    mode: str = MENU        # "menu" or "slot:<name>" / "response:<name>" / "keyword"
    unusable: int = 0       # consecutive low-confidence speech results
    noise: int = 0          # consecutive noise-level results
    loud: bool = False      # the caller said we are too quiet: speak louder
    errors: int = 0         # consecutive technical errors

    @classmethod
    def from_query(cls, query: Mapping[str, str]) -> CallState:
        def number(key: str) -> int:
            try:
                return max(0, min(int(query.get(key, "0")), 1_000_000))
            except ValueError:
                return 0

        mode = str(query.get("m") or MENU)[:80]
        return cls(
            turn=number("t"),
            mode=mode,
            unusable=number("u"),
            noise=number("z"),
            loud=query.get("l") == "1",
            errors=number("e"),
        )

    def query(self) -> str:
        params: dict[str, str] = {"t": str(self.turn)}
        if self.mode != MENU:
            params["m"] = self.mode
        for key, value in (("u", self.unusable), ("z", self.noise), ("e", self.errors)):
            if value:
                params[key] = str(value)
        if self.loud:
            params["l"] = "1"
        return urlencode(params)

    def next_turn(self, mode: str = MENU) -> CallState:
        return replace(self, turn=self.turn + 1, mode=mode)

    @property
    def is_first_request(self) -> bool:
        return self.turn == 0
