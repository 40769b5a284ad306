"""A phone call in the terminal, against a running server, through the real webhooks.

    python -m channels.voice.simulator --url http://127.0.0.1:5005 --auth-token "$TWILIO_AUTH_TOKEN"

Type what the caller says; `#123` presses keys (`#138001380000#`); an empty
line lets the listening timeout fire (a silent caller); `/hangup` hangs up.
Each answer is shown as the caller would hear it, verb by verb. Requests are
signed like the provider's, so the server's signature check stays on.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Callable
from typing import Optional, TextIO

from channels.voice.phone import DEFAULT_BASE_PATH, PhoneCall, Step


def describe(step: Step) -> list[str]:
    """The caller's view of one TwiML answer."""
    if step.root is None:
        return [f"  !! HTTP {step.status}: {step.body[:200]}"]
    lines: list[str] = []
    for verb in step.verbs:
        lines += _verb(verb)
    return lines


def _verb(verb) -> list[str]:  # type: ignore[no-untyped-def]
    tag = verb.tag
    if tag == "Say":
        loud = " (louder)" if verb.find("prosody") is not None else ""
        return [f"  🔊 {''.join(verb.itertext()).strip()}{loud}"]
    if tag == "Play":
        return [f"  ▶ [recording {(verb.text or '').strip()}]"]
    if tag == "Pause":
        return [f"  … pause {verb.get('length', '1')} s"]
    if tag == "Gather":
        inner = [line for child in verb for line in _verb(child)]
        keys = verb.get("numDigits")
        finish = verb.get("finishOnKey")
        how = (f"keys up to '{finish}'" if finish else f"{keys or 'any'} key(s)") + " or speech"
        return inner + [f"  🎤 listening {verb.get('timeout', '5')} s ({how})"]
    if tag == "Hangup":
        return ["  ☎ the line goes dead (hang-up)"]
    if tag == "Redirect":
        return [f"  ↪ then {verb.text}"]
    if tag in ("Enqueue", "Dial"):
        target = "".join(verb.itertext()).strip()
        params = {p.get("name"): p.get("value") for p in verb.iter("Parameter")}
        return [f"  👤 transfer ({tag}) to {target or params}"]
    return [f"  <{tag}>"]


def run(call: PhoneCall, read: Callable[[str], str], out: TextIO) -> None:
    def show(step: Step) -> None:
        for line in describe(step):
            print(line, file=out)

    step = call.dial()
    show(step)
    while step.root is not None:
        if step.ends_call:
            break
        if step.transfer is not None:
            answer = read("[transfer] enter = the agent finishes, 'x' = it fails, "
                          "/hangup = caller hangs up > ")
            if answer.strip() == "/hangup":
                break
            step = call.transfer_ended("failed" if answer.strip() == "x" else "bridged")
        elif step.gather is None and step.redirect:
            time.sleep(step.pause_s)  # as the provider does: the pause, then the redirect
            step = call.follow_redirect()
        elif step.gather is not None:
            text = read("caller> ")
            if text.strip() == "/hangup":
                break
            if text.startswith("#"):
                step = call.press(text[1:])
            elif text.strip():
                step = call.say(text.strip())
            else:
                step = call.stay_silent()
        else:
            break
        show(step)
    final = call.hang_up()
    print(f"  (status callback answered HTTP {final.status}; call {call.call_sid} over)", file=out)


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="the Rasa server")
    parser.add_argument("--auth-token", default=os.environ.get("TWILIO_AUTH_TOKEN", "dev-token"))
    parser.add_argument("--caller", default="+8613800138000", help="the caller's number (From)")
    parser.add_argument("--to", default="+864008001234", help="the hotline number (To)")
    parser.add_argument("--base-path", default=DEFAULT_BASE_PATH)
    parser.add_argument("--call-sid", default=None)
    args = parser.parse_args(argv)
    call = PhoneCall(args.url, args.auth_token, caller=args.caller, called=args.to,
                     base_path=args.base_path)
    if args.call_sid:
        call.call_sid = args.call_sid
    print(f"Calling {args.to} from {args.caller} (CallSid {call.call_sid}) …")

    def read(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            return "/hangup"

    try:
        run(call, read, sys.stdout)
    except KeyboardInterrupt:
        call.hang_up()
    except Exception as exc:  # noqa: BLE001 - a terminal tool: report and exit
        print(f"simulator: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
