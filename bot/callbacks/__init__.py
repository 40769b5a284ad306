"""Callbacks (HOTLINE_SPEC §4): persisted in Redis, placed by a worker through a dialer.

Public entry points: `build_callback_scheduler()` (bot.wiring), the
`CallbackDialer` interface, and the worker `python -m bot.callbacks.worker`.
See docs/TICKETS.md.
"""

from __future__ import annotations

from bot.callbacks.model import Callback, CallbackStatus, Claim, Outcome

__all__ = ["Callback", "CallbackStatus", "Claim", "Outcome"]
