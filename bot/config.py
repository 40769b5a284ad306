"""One place for configuration: the company's `hotline.yml` plus deployment settings.

Company data (names, phrases, deadlines) comes from `hotline.yml`; deployment
settings (addresses, secrets, mode) come from environment variables. Nothing is
read at import time: callers ask for `hotline_config()` / `settings()` when they
need them, so tests can point `HOTLINE_CONFIG` at another file.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG_PATH = PROJECT_ROOT / "hotline.yml"

# Placeholder secrets used in development; production mode refuses them.
DEVELOPMENT_SECRETS = frozenset({"", "change-me", "dev-token", "dev-secret"})


class ConfigError(RuntimeError):
    """Raised when configuration is missing or unsafe."""


@dataclass(frozen=True)
class CompanyInfo:
    name: str
    hotline_name: str
    assistant_name: str
    hotline_number: str
    referral_number: str


@dataclass(frozen=True)
class HotlineConfig:
    """The parsed `hotline.yml`: everything company-specific."""

    company: CompanyInfo
    raw: Mapping[str, Any] = field(repr=False)

    def section(self, name: str) -> Mapping[str, Any]:
        value = self.raw.get(name) or {}
        if not isinstance(value, Mapping):
            raise ConfigError(f"hotline.yml: section '{name}' must be a mapping")
        return value

    @property
    def dialogue(self) -> Mapping[str, Any]:
        return self.section("dialogue")

    @property
    def webchat(self) -> Mapping[str, Any]:
        """The `webchat:` section (read by channels/webchat/config.py)."""
        return self.section("webchat")

    @property
    def forbidden_phrases(self) -> list[str]:
        return [str(p) for p in self.raw.get("forbidden_phrases") or []]

    @property
    def business_intents(self) -> Mapping[str, Mapping[str, Any]]:
        return self.section("business_intents")

    @property
    def complaint_categories(self) -> Mapping[str, str]:
        return {str(k): str(v) for k, v in self.section("complaint_categories").items()}

    # Read by bot/tickets and bot/callbacks (typed in bot/tickets/policy.py, callbacks/policy.py).
    @property
    def business_hours(self) -> Mapping[str, Any]:
        return self.section("business_hours")

    @property
    def sla(self) -> Mapping[str, Any]:
        return self.section("sla")

    @property
    def severity_keywords(self) -> Mapping[str, Any]:
        return self.section("severity_keywords")

    @property
    def callbacks(self) -> Mapping[str, Any]:
        return self.section("callbacks")

    def slot_values(self) -> dict[str, str]:
        """Values that domain.yml responses interpolate (`{company_name}` …)."""
        return {
            "company_name": self.company.name,
            "hotline_name": self.company.hotline_name,
            "assistant_name": self.company.assistant_name,
            "hotline_number": self.company.hotline_number,
            "referral_number": self.company.referral_number,
            "business_open": str(self.business_hours.get("open", "09:00")),
            "business_close": str(self.business_hours.get("close", "21:00")),
        }


def _config_path() -> Path:
    return Path(os.environ.get("HOTLINE_CONFIG", str(DEFAULT_CONFIG_PATH)))


@lru_cache(maxsize=4)
def _load(path: str) -> HotlineConfig:
    try:
        with open(path, encoding="utf-8") as handle:
            raw = yaml.safe_load(handle) or {}
    except FileNotFoundError as exc:
        raise ConfigError(f"hotline configuration not found: {path}") from exc
    company = raw.get("company") or {}
    missing = [k for k in ("name", "assistant_name") if not company.get(k)]
    if missing:
        raise ConfigError(f"{path}: company.{', company.'.join(missing)} must be set")
    info = CompanyInfo(
        name=str(company["name"]),
        hotline_name=str(company.get("hotline_name", "客户服务热线")),
        assistant_name=str(company["assistant_name"]),
        hotline_number=str(company.get("hotline_number", "")),
        referral_number=str(company.get("referral_number", "114")),
    )
    return HotlineConfig(company=info, raw=raw)


def hotline_config() -> HotlineConfig:
    """The company configuration (cached per file path)."""
    return _load(str(_config_path()))


@dataclass(frozen=True)
class Settings:
    """Deployment settings from the environment, with local defaults."""

    mode: str
    redis_url: str
    rasa_token: str
    console_secret: str
    twilio_auth_token: str
    public_base_url: str
    outbox_dir: Path
    # Browser origins allowed to open the web chat's Socket.IO connection
    # (WEBCHAT_ALLOWED_ORIGINS, comma-separated; empty = same origin + localhost in development).
    webchat_allowed_origins: tuple[str, ...] = ()
    # Where tickets live: "redis" (default) or "http" (an external ticket system at
    # HOTLINE_TICKET_API_URL, bearer HOTLINE_TICKET_API_TOKEN); see docs/TICKETS.md.
    ticket_store: str = "redis"
    ticket_api_url: str = ""
    ticket_api_token: str = ""
    # The Rasa server's HTTP API as the console reaches it (web-chat take-over, RASA_URL).
    rasa_url: str = "http://127.0.0.1:5005"

    @property
    def is_production(self) -> bool:
        return self.mode == "production"

    def check_secrets(self) -> None:
        """Refuse development placeholder secrets outside development mode."""
        if not self.is_production:
            return
        weak = [
            name
            for name, value in (
                ("RASA_TOKEN", self.rasa_token),
                ("CONSOLE_SECRET", self.console_secret),
                ("TWILIO_AUTH_TOKEN", self.twilio_auth_token),
                *(
                    (("HOTLINE_TICKET_API_TOKEN", self.ticket_api_token),)
                    if self.ticket_store == "http"
                    else ()
                ),
            )
            if value in DEVELOPMENT_SECRETS or len(value) < 16
        ]
        if weak:
            raise ConfigError(
                "production mode refuses default or short secrets: " + ", ".join(weak)
            )


def settings(env: Mapping[str, str] | None = None) -> Settings:
    env = os.environ if env is None else env
    return Settings(
        mode=env.get("HOTLINE_ENV", "development"),
        redis_url=env.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        rasa_token=env.get("RASA_TOKEN", "dev-token"),
        console_secret=env.get("CONSOLE_SECRET", "dev-secret"),
        twilio_auth_token=env.get("TWILIO_AUTH_TOKEN", "dev-token"),
        public_base_url=env.get("PUBLIC_BASE_URL", "http://127.0.0.1:5005"),
        outbox_dir=Path(env.get("HOTLINE_OUTBOX_DIR", str(PROJECT_ROOT / "var" / "outbox"))),
        webchat_allowed_origins=tuple(
            o.strip() for o in env.get("WEBCHAT_ALLOWED_ORIGINS", "").split(",") if o.strip()
        ),
        ticket_store=env.get("HOTLINE_TICKET_STORE", "redis"),
        ticket_api_url=env.get("HOTLINE_TICKET_API_URL", ""),
        ticket_api_token=env.get("HOTLINE_TICKET_API_TOKEN", ""),
        rasa_url=env.get("RASA_URL", "http://127.0.0.1:5005").rstrip("/"),
    )
