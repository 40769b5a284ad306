"""Deployment settings: addresses, secrets and mode, from the environment."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.config.errors import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent.parent

# Placeholder secrets used in development; production mode refuses them.
DEVELOPMENT_SECRETS = frozenset({"", "change-me", "dev-token", "dev-secret"})


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
    # Several Rasa replicas: the web chat's Socket.IO rooms are shared through Redis
    # (WEBCHAT_SHARED_ROOMS=1, set by `make run` with more than one replica), so a
    # line emitted by any replica reaches a socket held by another.
    webchat_shared_rooms: bool = False

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
        webchat_shared_rooms=env.get("WEBCHAT_SHARED_ROOMS", "").strip().lower()
        in ("1", "true", "yes"),
    )
