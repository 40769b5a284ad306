"""The telephony channel: Twilio voice webhooks in front of the Rasa dialogue.

Modules, from the wire inwards:

- `channel`   the Rasa `InputChannel` (Sanic routes) registered in credentials.yml
- `webhook`   the framework-free request handling: signature, dedupe, turns
- `inbound`   what a Gather result means for the dialogue (`/silence`, digits …)
- `messages`  what the dialogue's messages mean for a caller (voice text, control)
- `twiml`     TwiML rendering (`handoff` renders the transfer to people)
- `store`     Redis: call records, duplicate-delivery cache
- `outbound`  the callback call script; `dialer` places callback calls
- `simulator` a terminal phone for trying the whole thing by hand

See docs/TELEPHONY.md.
"""
