"""The ticket service: what the actions, the callback worker and the agent console call.

A thin facade over one part per responsibility, which share a `TicketContext` (store,
clock, policy, outbox, follow-up planner):

- `intake.TicketIntake`: filing complaints (validation, severity, deadlines, idempotent
  storage, the first callback planned, the outbox when the store is down);
- `feedback.FeedbackDesk`: praise and suggestions;
- `replay.OutboxReplay`: requests queued while the store was down;
- `queries.TicketQueries`: lookups, and what a caller may hear about;
- `workflow.TicketWorkflow`: status changes, closing, notes, owner, severity, callback
  outcomes;
- `escalation.Escalation`: one tier up by hand or when a deadline passes.

It knows nothing about Rasa or HTTP frameworks; every "now" comes from the injected clock.
bot/wiring.py builds it.
"""

from __future__ import annotations

from bot.clock import Clock
from bot.outbox import Outbox
from bot.tickets.context import FollowUpPlanner, TicketContext
from bot.tickets.escalation import (
    ESCALATION_ACTOR,
    FLAG_OVERDUE,
    FLAG_OVERDUE_AT_TOP,
    Escalation,
)
from bot.tickets.feedback import FeedbackDesk
from bot.tickets.intake import FLAG_INCOMPLETE, TicketIntake, TimeParser
from bot.tickets.policy import TicketPolicy
from bot.tickets.queries import TicketQueries, verify_identity
from bot.tickets.replay import OutboxReplay
from bot.tickets.store import TicketStore
from bot.tickets.workflow import TicketWorkflow

__all__ = [
    "ESCALATION_ACTOR",
    "FLAG_INCOMPLETE",
    "FLAG_OVERDUE",
    "FLAG_OVERDUE_AT_TOP",
    "FollowUpPlanner",
    "TicketService",
    "TimeParser",
    "verify_identity",
]


class TicketService:
    def __init__(
        self,
        store: TicketStore,
        *,
        clock: Clock,
        policy: TicketPolicy,
        outbox: Outbox | None = None,
        followups: FollowUpPlanner | None = None,
        time_parser: TimeParser | None = None,
    ) -> None:
        self._ctx = TicketContext(store, clock, policy, outbox, followups)
        self.intake = TicketIntake(self._ctx, time_parser)
        self.feedback = FeedbackDesk(self._ctx)
        self.replay = OutboxReplay(self._ctx, self.intake, self.feedback)
        self.queries = TicketQueries(self._ctx)
        self.workflow = TicketWorkflow(self._ctx)
        self.escalation = Escalation(self._ctx, self.workflow)
        # The facade: callers use the service as one object.
        self.check_phone = self.intake.check_phone
        self.check_preferred_time = self.intake.check_preferred_time
        self.create_ticket = self.intake.create_ticket
        self.record_incomplete = self.intake.record_incomplete
        self.defer_ticket = self.intake.defer_ticket
        self.record_feedback = self.feedback.record_feedback
        self.replay_outbox = self.replay.replay_outbox
        self.get_ticket = self.queries.get_ticket
        self.find_by_phone = self.queries.find_by_phone
        self.find_for_caller = self.queries.find_for_caller
        self.list_by_status = self.queries.list_by_status
        self.change_status = self.workflow.change_status
        self.resolve = self.workflow.resolve
        self.close = self.workflow.close
        self.record_satisfaction = self.workflow.record_satisfaction
        self.add_note = self.workflow.add_note
        self.assign_owner = self.workflow.assign_owner
        self.change_severity = self.workflow.change_severity
        self.record_callback = self.workflow.record_callback
        self.escalate = self.escalation.escalate
        self.escalate_overdue = self.escalation.escalate_overdue

    verify_identity = staticmethod(verify_identity)

    @property
    def store(self) -> TicketStore:
        return self._ctx.store

    @property
    def clock(self) -> Clock:
        return self._ctx.clock

    @property
    def policy(self) -> TicketPolicy:
        return self._ctx.policy

    @property
    def outbox(self) -> Outbox | None:
        return self._ctx.outbox

    @property
    def followups(self) -> FollowUpPlanner | None:
        return self._ctx.followups

    def attach_followups(self, planner: FollowUpPlanner) -> None:
        self._ctx.followups = planner
