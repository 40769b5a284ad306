"""The telephony provider as the tests play it: it waits through a `<Pause>`.

channels.voice.phone.PhoneCall requests a `<Redirect>` at once; a real provider first
plays the speech and the pause before it. The script audit checks how long the bot waited
after its closing line before it hung up (`telephony.ending`), so the tests' provider
waits as the real one does.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from channels.voice.phone import PhoneCall, Step


def pause_s(step: Step | None) -> float:
    """The total `<Pause>` length of an answer (TwiML's default length is 1 s)."""
    return 0.0 if step is None else step.pause_s


@dataclass
class FaithfulPhoneCall(PhoneCall):
    """A PhoneCall whose Redirect after a Pause comes when the pause is over."""

    def follow_redirect(self) -> Step:
        time.sleep(pause_s(self.last))
        return super().follow_redirect()
