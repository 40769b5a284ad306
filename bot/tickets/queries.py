"""Finding tickets: by number, by the caller's phone, and what a caller may hear about
(identity checked by surname before anything is disclosed)."""

from __future__ import annotations

import unicodedata

from bot.tickets.context import TicketContext
from bot.tickets.model import Ticket, TicketStatus, normalize_ticket_number
from bot.tickets.validation import check_phone


def _fold(value: str) -> str:
    return "".join(unicodedata.normalize("NFKC", value or "").split())


def verify_identity(ticket: Ticket, surname: str) -> bool:
    """True when `surname` (e.g. 'Wang', or surname + title as said) matches the ticket."""
    given, stored = _fold(surname), _fold(ticket.caller.surname)
    if not given or not stored:
        return False
    title = _fold(ticket.caller.title)
    return given == stored or (bool(title) and given == stored + title)


class TicketQueries:
    def __init__(self, context: TicketContext) -> None:
        self._ctx = context

    def get_ticket(self, number: str) -> Ticket | None:
        """The ticket under a number as typed or transcribed ('t2026 1123 0001'), or None."""
        normalized = normalize_ticket_number(number)
        if not normalized or len(normalized) > 64:
            return None
        return self._ctx.store.get(normalized)

    def find_by_phone(self, phone: str, limit: int = 10) -> list[Ticket]:
        """A caller's tickets, newest first. `ValidationFailed` for an invalid number."""
        return self._ctx.store.find_by_phone(check_phone(phone), limit=limit)

    def find_for_caller(
        self, surname: str, *, ticket_number: str = "", phone: str = "", limit: int = 10
    ) -> list[Ticket]:
        """Tickets the caller may hear about: found by number or phone AND the surname
        matches (identity is verified before anything is disclosed)."""
        found: list[Ticket] = []
        if ticket_number:
            ticket = self.get_ticket(ticket_number)
            found = [ticket] if ticket is not None else []
        elif phone:
            found = self.find_by_phone(phone, limit=limit)
        return [t for t in found if verify_identity(t, surname)]

    def list_by_status(self, status: TicketStatus | str, limit: int = 50) -> list[Ticket]:
        return self._ctx.store.list_by_status(TicketStatus(status), limit=limit)
