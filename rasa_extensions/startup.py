"""The Rasa server's start-up hook: the project's replacements of Rasa internals.

Two modules change what Rasa 3.6 does inside the server process, by replacing private
functions of Rasa's (monkeypatches):

- `service_down`: a custom action that cannot reach the action server gives the caller
  the holding line, a hand-off and a deferred ticket instead of silence
  (wraps `MessageProcessor._run_action`);
- `speedups`: profiled hot paths made cheap with the same results (the action
  response's validation, event types, past states, applied events, slot copies, the
  action server's connections and request body, the collector, the prediction graph's
  runner, the rule walk; each named in its docstring).

`install()` is called once, explicitly, by the server's entry point
(`python -m rasa_extensions run …`, see `__main__`) before Rasa starts; importing a
module installs nothing. Both rely on Rasa internals of the pinned release
(`PINNED_RASA_VERSION`, requirements.in): tests/test_rasa_internals.py fails when an
upgrade changes what they replace.
"""

from __future__ import annotations

import logging

import rasa

from rasa_extensions import service_down, speedups

logger = logging.getLogger(__name__)

PINNED_RASA_VERSION = "3.6.21"


def install() -> None:
    """Install every replacement (idempotent)."""
    if rasa.__version__ != PINNED_RASA_VERSION:
        logger.warning(
            "Rasa %s is not the pinned %s: check rasa_extensions/service_down.py and "
            "speedups.py against it (tests/test_rasa_internals.py)",
            rasa.__version__, PINNED_RASA_VERSION,
        )
    service_down.install()
    speedups.install()


def installed() -> bool:
    """Whether the action-server-down handling is in place (the one that is not optional)."""
    return service_down.installed()
