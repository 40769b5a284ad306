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


def check_signed_order_call(base_url: str, auth_token: str, order: str) -> None:
    """One signed phone call asking about `order` is answered and hung up, and the same
    request with a forged signature is refused (403): what a front (nginx, replicas)
    must pass through unchanged for the provider's signature to validate."""
    import requests

    call = PhoneCall(base_url, auth_token, caller="+8613912345678")
    try:
        first = call.dial()
        assert first.status == 200 and first.gather is not None, first.body
        answer = call.say(f"我想查一下订单{order}")
        assert answer.status == 200
        assert any("已发货" in line for line in answer.spoken), answer.body
        assert call.hang_up().status == 200
        forged = requests.post(call.url("voice"), data=call.params(), timeout=10,
                               headers={"X-Twilio-Signature": "AAAAAAAAAAAAAAAAAAAAAAAAAAA="})
        assert forged.status_code == 403
    finally:
        call.session.close()
