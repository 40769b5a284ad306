"""The domain services the console works with, built on first use (bot/ does the work)."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from typing import Any

import redis
import yaml

from bot.callbacks.agents import AgentCallbacks, NoDialer
from bot.callbacks.policy import callback_policy_from_config
from bot.config import PROJECT_ROOT, hotline_config
from bot.handoffs import HandoffQueue
from bot.tickets.service import TicketService
from bot.wiring import attach_scheduler, build_ticket_service
from console.users import User

logger = logging.getLogger("hotline.console")
AUDIT_STREAM = "hotline:audit"


class Services:
    def __init__(self, client: redis.Redis[bytes]) -> None:
        self.client = client
        self.handoffs = HandoffQueue(client)
        self._tickets: TicketService | None = None
        self._callbacks: AgentCallbacks | None = None
        self._domain: dict[str, Any] | None = None

    def tickets(self) -> TicketService:
        if self._tickets is None:
            self._tickets = build_ticket_service(redis_client=self.client, plan_callbacks=False)
        return self._tickets

    def callbacks(self) -> AgentCallbacks:
        if self._callbacks is None:
            config = hotline_config()
            tickets = self.tickets()
            scheduler = attach_scheduler(tickets, redis_client=self.client,
                                         policy=callback_policy_from_config(config),
                                         dialer=NoDialer())
            self._callbacks = AgentCallbacks(
                scheduler, hold=config.callbacks.agent_hold,
                hours=tickets.policy.hours, limits=tickets.policy.limits)
        return self._callbacks

    def domain(self) -> dict[str, Any]:
        """domain.yml, for recognising the bot's lines in the script audit."""
        if self._domain is None:
            with open(PROJECT_ROOT / "domain.yml", encoding="utf-8") as handle:
                self._domain = yaml.safe_load(handle) or {}
        return self._domain

    def audit(self, user: User, action: str, conversation_id: str) -> None:
        """Who looked at or changed which conversation: the `hotline:audit` stream and the log."""
        entry = {"actor": user.name, "role": user.role, "action": action,
                 "conversation_id": conversation_id,
                 "at": datetime.now(timezone.utc).isoformat()}
        self.client.xadd(AUDIT_STREAM, entry, maxlen=100000)
        logger.info("audit %s", json.dumps(entry, ensure_ascii=False))
