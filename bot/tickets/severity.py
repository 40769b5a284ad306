"""Complaint severity (urgent: safety, emergency repair, 12315/media/lawyer threats,
repeated complaints; high: anger, staff attitude, a second contact), a pure function of
the signals.

urgent: a safety word or a 12315/media/lawyer threat (`severity_keywords.urgent`), or the
        third complaint from the same phone within `repeat_complaint_window_hours`;
high:   an angry caller (intent or anger streak), a `severity_keywords.high` word, a
        category configured as high (staff attitude), or the second complaint;
normal: everything else.
The reasons are stable codes for the ticket record and reports, never caller-facing text.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from bot.tickets.model import Severity
from bot.tickets.policy import SeverityPolicy


def normalize_text(text: str) -> str:
    """NFKC (full-width digits/letters), lower case, no spaces or punctuation."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return "".join(ch for ch in folded if not unicodedata.category(ch).startswith(("P", "Z", "C")))


@dataclass(frozen=True)
class SeveritySignals:
    text: str
    latest_intent: str | None = None
    category: str | None = None
    anger_streak: int = 0
    # complaints from the same phone within the repeat window, not counting this one
    prior_complaints: int = 0


@dataclass(frozen=True)
class SeverityAssessment:
    severity: Severity
    reasons: tuple[str, ...]


def matched_keywords(text: str, keywords: tuple[str, ...]) -> list[str]:
    normalized = normalize_text(text)
    return [k for k in keywords if normalize_text(k) and normalize_text(k) in normalized]


def assess_severity(signals: SeveritySignals, policy: SeverityPolicy) -> SeverityAssessment:
    urgent: list[str] = [
        f"keyword:{k}" for k in matched_keywords(signals.text, policy.urgent_keywords)
    ]
    high: list[str] = [f"keyword:{k}" for k in matched_keywords(signals.text, policy.high_keywords)]

    if signals.prior_complaints >= 2:
        urgent.append(f"repeat:{signals.prior_complaints + 1}")
    elif signals.prior_complaints == 1:
        high.append("repeat:2")

    for source, table, value in (
        ("intent", policy.intent_severity, signals.latest_intent),
        ("category", policy.category_severity, signals.category),
    ):
        level = table.get(value or "")
        if level is Severity.URGENT:
            urgent.append(f"{source}:{value}")
        elif level is Severity.HIGH:
            high.append(f"{source}:{value}")

    if policy.anger_high_after > 0 and signals.anger_streak >= policy.anger_high_after:
        high.append(f"anger:{signals.anger_streak}")

    if urgent:
        return SeverityAssessment(Severity.URGENT, tuple(urgent + high))
    if high:
        return SeverityAssessment(Severity.HIGH, tuple(high))
    return SeverityAssessment(Severity.NORMAL, ())
