"""Callbacks: persisted in Redis (they survive restarts), placed by a worker through a
dialer outside quiet hours, retried, each attempt closed with an outcome code.

Public entry points: `build_callback_scheduler()` (bot.wiring), the
`CallbackDialer` interface, and the worker `python -m bot.callbacks.worker`.
See docs/TICKETS.md.
"""

from __future__ import annotations

from bot.callbacks.model import Callback, CallbackStatus, Claim, Outcome

__all__ = ["Callback", "CallbackStatus", "Claim", "Outcome"]
