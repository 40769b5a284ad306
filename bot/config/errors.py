"""The one error configuration raises."""

from __future__ import annotations


class ConfigError(RuntimeError):
    """Raised when configuration is missing or unsafe."""
