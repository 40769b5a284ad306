"""`privacy:` how long transcripts and personal ticket fields are kept."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bot.config.parse import whole


@dataclass(frozen=True)
class PrivacySettings:
    retention_days: int = 180


def parse_privacy(raw: Mapping[str, Any]) -> PrivacySettings:
    return PrivacySettings(
        retention_days=whole(raw, "retention_days", PrivacySettings.retention_days, "privacy",
                             minimum=1))
