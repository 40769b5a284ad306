"""The words people read for the project's codes, from one mapping: hotline.yml
`console.labels` (plus `complaint_categories` for ticket categories).

Pages (Jinja filter `label`), exports (CSV, JSON `*_label` fields) and charts all ask
`Labels.of(kind, code)`; a code without a label is shown as `FALLBACK`, never as itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from bot.config import HotlineConfig, hotline_config

FALLBACK = "其他"
CATEGORY = "category"  # ticket categories: hotline.yml complaint_categories
AGENT_PREFIX = "agent:"  # callback and ticket actors written as agent:<name>


@dataclass(frozen=True)
class Labels:
    kinds: Mapping[str, Mapping[str, str]]

    def of(self, kind: str, code: Any) -> str:
        """The label of `code` ("" for no code); an unknown code reads as the kind's
        `unknown` label, else `其他`."""
        if code is None or code == "":
            return ""
        table = self.kinds.get(kind)
        if table is None:
            raise KeyError(f"no label kind '{kind}'")
        return table.get(str(code)) or table.get("unknown") or FALLBACK

    def table(self, kind: str) -> Mapping[str, str]:
        return self.kinds[kind]

    def actor(self, actor: Any) -> str:
        """Who did something: a person's name as it is; the system's actors in words."""
        name = str(actor or "")
        if not name:
            return ""
        if name.startswith(AGENT_PREFIX):
            return name[len(AGENT_PREFIX):]
        known = self.kinds.get("actor", {})
        if name in known:
            return known[name]
        if name.startswith("system") or name.startswith("worker"):
            return known.get("system", "系统")
        return name  # a console user's name

    def codes(self) -> dict[str, set[str]]:
        """Every labelled code by kind (for checks that no code is shown raw)."""
        return {kind: set(table) for kind, table in self.kinds.items()}


def labels_from_config(config: HotlineConfig) -> Labels:
    kinds = {kind: dict(table) for kind, table in config.console.labels.items()}
    kinds[CATEGORY] = dict(config.complaint_categories)
    return Labels(kinds)


@lru_cache(maxsize=1)
def labels() -> Labels:
    return labels_from_config(hotline_config())
