"""Transfer of a caller to a person, with the hand-off packet.

The packet tells the agent what they pick up: conversation id (the CallSid),
ticket id, reason, priority, and the transcript's address in the agent console.
How it travels depends on hotline.yml `telephony.handoff`:

- `mode: enqueue` with a TaskRouter `workflow_sid`: `<Enqueue><Task>` with the
  packet as the task's JSON attributes (priority callers get a higher priority);
- `mode: enqueue` with a plain queue: `<Enqueue>` into `queue` (or
  `priority_queue`); the agent tools find the packet by the caller's CallSid;
- `mode: dial` to `dial_client`: `<Dial><Client>` with the packet as `<Parameter>`s;
- `mode: dial` to `dial_number`: `<Dial><Number url=...>`; the URL carries the
  packet as query parameters and answers with a whisper to the agent.

The verb's `action` URL brings the caller back to the dialogue when the
transfer ends (`/handoff_finished`), or fails (`failed_payload`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from urllib.parse import urlencode

from twilio.twiml.voice_response import Dial, Enqueue, VoiceResponse

from bot.config.telephony import HandoffConfig
from channels.voice.config import VoiceConfig
from channels.voice.messages import Control, Spoken
from channels.voice.twiml import Urls, add_spoken, xml

# Results of the Enqueue/Dial action request that mean a person took the call.
CONNECTED = frozenset({"bridged", "completed", "answered"})
# ... and that mean the caller hung up while waiting.
CALLER_GONE = frozenset({"hangup"})


def packet(
    conversation_id: str, control: Control, public_base_url: str
) -> dict[str, str]:
    return {
        "conversation_id": conversation_id,
        "ticket_id": control.ticket_id,
        "reason": control.reason,
        "priority": "true" if control.priority else "false",
        "transcript_url": f"{public_base_url.rstrip('/')}/console/conversations/{conversation_id}",
    }


def render_handoff(
    spoken: Iterable[Spoken],
    control: Control,
    conversation_id: str,
    action: str,
    cfg: VoiceConfig,
    urls: Urls,
    loud: bool = False,
) -> str:
    """Speak, then transfer; the transfer's end is posted to `action`."""
    response = VoiceResponse()
    add_spoken(response, spoken, cfg, loud)
    data = packet(conversation_id, control, cfg.public_base_url)
    target = cfg.handoff
    if target.mode == "dial" and (target.dial_client or target.dial_number):
        response.append(_dial(data, control.priority, target, action, urls))
    else:
        response.append(_enqueue(data, control.priority, target, action))
    return xml(response)


def _enqueue(
    data: Mapping[str, str], priority: bool, target: HandoffConfig, action: str
) -> Enqueue:
    attrs: dict[str, object] = {"action": action, "method": "POST"}
    if target.wait_url:
        attrs["wait_url"] = target.wait_url
    if target.workflow_sid:
        verb = Enqueue(workflow_sid=target.workflow_sid, **attrs)
        level = target.priority_task_priority if priority else target.task_priority
        verb.task(json.dumps(dict(data), ensure_ascii=False), priority=level)
        return verb
    queue = target.priority_queue if priority and target.priority_queue else target.queue
    return Enqueue(queue, **attrs)


def _dial(
    data: Mapping[str, str], priority: bool, target: HandoffConfig, action: str, urls: Urls
) -> Dial:
    verb = Dial(action=action, method="POST", timeout=target.timeout_s,
                caller_id=target.caller_id or None)
    if target.dial_client:
        client = verb.client()
        client.identity(target.dial_client)
        for name, value in data.items():
            client.parameter(name=name, value=value)
        return verb
    number = target.priority_dial_number if priority and target.priority_dial_number else ""
    verb.number(number or target.dial_number, url=urls.whisper(urlencode(dict(data))))
    return verb


def result_of(params: Mapping[str, str]) -> str:
    """How the transfer ended: Enqueue's QueueResult or Dial's DialCallStatus."""
    return str(params.get("QueueResult") or params.get("DialCallStatus") or "").lower()
