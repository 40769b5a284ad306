"""Small readers of raw YAML values: each checks its value and names it in the error."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import time
from typing import Any

from bot.config.errors import ConfigError


def mapping(value: Any, where: str) -> Mapping[str, Any]:
    """A mapping (an absent section is empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"hotline.yml: {where} must be a mapping")
    return value


def strings(value: Any, where: str = "") -> tuple[str, ...]:
    """A list of non-blank strings (an absent one is empty)."""
    if value is None:
        return ()
    if not isinstance(value, (list, tuple)):
        raise ConfigError(f"hotline.yml: {where} must be a list")
    return tuple(str(v) for v in value if str(v).strip())


def texts(value: Any, where: str) -> dict[str, str]:
    """A mapping of strings to strings."""
    return {str(k): str(v) for k, v in mapping(value, where).items()}


def number(section: Mapping[str, Any], key: str, default: float, where: str,
           minimum: float | None = None, above: float | None = None) -> float:
    raw = section.get(key, default)
    try:
        value = float(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"hotline.yml: {where}.{key} must be a number") from exc
    if minimum is not None and value < minimum:
        raise ConfigError(f"hotline.yml: {where}.{key} must be at least {minimum:g}")
    if above is not None and value <= above:
        raise ConfigError(f"hotline.yml: {where}.{key} must be positive")
    return value


def whole(section: Mapping[str, Any], key: str, default: int, where: str,
          minimum: int | None = None) -> int:
    raw = section.get(key, default)
    if isinstance(raw, bool):
        raise ConfigError(f"hotline.yml: {where}.{key} must be a whole number")
    try:
        value = int(raw)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"hotline.yml: {where}.{key} must be a whole number") from exc
    if minimum is not None and value < minimum:
        raise ConfigError(f"hotline.yml: {where}.{key} must be at least {minimum}")
    return value


def positive_int(section: Mapping[str, Any], key: str, default: int, where: str) -> int:
    value = section.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise ConfigError(f"hotline.yml: {where}.{key} must be a positive integer")
    return value


def flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in ("false", "0", "no", "off")
    return bool(value)


def hhmm(value: Any, what: str) -> time:
    try:
        hours, minutes = str(value).strip().split(":")
        return time(int(hours), int(minutes))
    except (ValueError, TypeError) as exc:
        raise ConfigError(f"hotline.yml: {what} must be HH:MM, got {value!r}") from exc
