"""Tickets kept in an external ticket system over HTTP (JSON, bearer token).

The REST contract the external system implements (documented in docs/TICKETS.md):
  POST /tickets            body: ticket JSON without number; header Idempotency-Key.
                           201 new ticket (number assigned by the system), 200 the ticket
                           already created under that key.
  GET  /tickets/{number}   200 ticket, 404 unknown.
  GET  /tickets?phone=&since=&limit=   {"tickets": [...]}, newest first.
  GET  /tickets?status=&limit=         {"tickets": [...]}, newest first.
  GET  /tickets?due_before=&limit=     {"tickets": [...]}, unhandled and overdue.
  PUT  /tickets/{number}   body: ticket JSON; header If-Match: the version read.
                           200 stored (version + 1), 409/412 changed meanwhile, 404 unknown.
  POST /feedback           like POST /tickets, for praise and suggestions.
Every request carries `Authorization: Bearer <token>`. Connection errors, timeouts,
429 and 5xx raise `StoreUnavailable` (the caller may queue to the outbox); other
refusals raise `StoreError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any
from urllib.parse import quote

import requests

from bot.tickets.errors import StoreError, StoreUnavailable, TicketNotFound
from bot.tickets.model import Feedback, Ticket, TicketStatus
from bot.tickets.store import Mutation

_MAX_UPDATE_ATTEMPTS = 10


class HttpTicketStore:
    def __init__(
        self,
        base_url: str,
        token: str,
        *,
        connect_timeout: float = 2.0,
        read_timeout: float = 5.0,
        session: requests.Session | None = None,
    ) -> None:
        if not base_url:
            raise ValueError("HttpTicketStore needs the ticket system's base URL")
        self._base = base_url.rstrip("/")
        self._timeout = (connect_timeout, read_timeout)
        self._session = session or requests.Session()
        self._session.headers.update(
            {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )

    def _request(
        self,
        method: str,
        path: str,
        *,
        json_body: Mapping[str, Any] | None = None,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> requests.Response:
        try:
            response = self._session.request(
                method,
                f"{self._base}{path}",
                json=json_body,
                params=params,
                headers=dict(headers or {}),
                timeout=self._timeout,
            )
        except (requests.ConnectionError, requests.Timeout) as exc:
            raise StoreUnavailable(f"ticket system unreachable: {exc}") from exc
        if response.status_code == 429 or response.status_code >= 500:
            raise StoreUnavailable(f"ticket system answered {response.status_code}")
        if response.status_code in (401, 403):
            raise StoreError(f"ticket system refused our credentials ({response.status_code})")
        return response

    @staticmethod
    def _json(response: requests.Response) -> Any:
        try:
            return response.json()
        except ValueError as exc:
            raise StoreError(f"ticket system sent invalid JSON ({response.status_code})") from exc

    def _fail(self, response: requests.Response, what: str) -> StoreError:
        return StoreError(f"{what}: ticket system answered {response.status_code}")

    def create(self, ticket: Ticket, idempotency_key: str) -> tuple[Ticket, bool]:
        body = ticket.to_dict() | {"number": "", "idempotency_key": idempotency_key}
        response = self._request(
            "POST", "/tickets", json_body=body, headers={"Idempotency-Key": idempotency_key}
        )
        if response.status_code not in (200, 201):
            raise self._fail(response, "create ticket")
        created = Ticket.from_dict(self._json(response))
        if not created.number:
            raise StoreError("ticket system returned a ticket without a number")
        return created, response.status_code == 201

    def get(self, number: str) -> Ticket | None:
        response = self._request("GET", f"/tickets/{quote(number, safe='')}")
        if response.status_code == 404:
            return None
        if response.status_code != 200:
            raise self._fail(response, f"get ticket {number}")
        return Ticket.from_dict(self._json(response))

    def _list(self, params: Mapping[str, Any]) -> list[Ticket]:
        response = self._request("GET", "/tickets", params=params)
        if response.status_code != 200:
            raise self._fail(response, "list tickets")
        return [Ticket.from_dict(item) for item in self._json(response).get("tickets", [])]

    def find_by_phone(
        self, phone: str, *, since: datetime | None = None, limit: int = 20
    ) -> list[Ticket]:
        params: dict[str, Any] = {"phone": phone, "limit": limit}
        if since is not None:
            params["since"] = since.isoformat()
        return self._list(params)

    def list_by_status(self, status: TicketStatus, limit: int = 50) -> list[Ticket]:
        return self._list({"status": status.value, "limit": limit})

    def due_before(self, moment: datetime, limit: int = 100) -> list[str]:
        return [t.number for t in self._list({"due_before": moment.isoformat(), "limit": limit})]

    def update(self, number: str, mutate: Mutation) -> Ticket:
        for _ in range(_MAX_UPDATE_ATTEMPTS):
            current = self.get(number)
            if current is None:
                raise TicketNotFound(number)
            changed = mutate(current)
            if changed is None or changed == current:
                return current
            response = self._request(
                "PUT",
                f"/tickets/{quote(number, safe='')}",
                json_body=changed.to_dict(),
                headers={"If-Match": str(current.version)},
            )
            if response.status_code in (409, 412):
                continue
            if response.status_code == 404:
                raise TicketNotFound(number)
            if response.status_code != 200:
                raise self._fail(response, f"update ticket {number}")
            return Ticket.from_dict(self._json(response))
        raise StoreError(f"ticket {number}: too many concurrent updates")

    def create_feedback(self, feedback: Feedback, idempotency_key: str) -> tuple[Feedback, bool]:
        body = feedback.to_dict() | {"id": "", "idempotency_key": idempotency_key}
        response = self._request(
            "POST", "/feedback", json_body=body, headers={"Idempotency-Key": idempotency_key}
        )
        if response.status_code not in (200, 201):
            raise self._fail(response, "create feedback")
        return Feedback.from_dict(self._json(response)), response.status_code == 201

    def close(self) -> None:
        self._session.close()
