"""Start and train: start -> first answered turn, and a full training from cold.

    python bench/startup.py [--runs 3] [--train] [--json results/startup.json]

Start: a fresh stack (bench/stack.py: Redis, action servers, Rasa servers on the current
model, in `make run`'s layout unless `--replicas` says otherwise) is started `--runs`
times; the time from starting the processes to the first REST turn answered is
measured each time (model already trained, as after a deploy).

Idle latencies, on each fresh stack after its first answer (one client at a time, no
other load; the figures the tests used to assert):
* web chat opening: Socket.IO connect -> `session_request` -> `session_start` -> the
  opening line received (channels/webchat/client.py), `--webchat-openings` times;
* phone webhook: one signed TwiML call (channels/voice/phone.py: the incoming call,
  three spoken turns, a silent turn), the median time of its webhook requests.

Train (`--train`): the path `make train` takes (launcher.training.ensure_model: the
forbidden-phrase guard, then `rasa train`) into a new temporary models directory with
an empty graph cache (RASA_CACHE_DIRECTORY), so nothing is reused; the project's
models/ is not touched.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import write_json  # noqa: E402
from bench.stack import ROOT, BenchStack, first_answer  # noqa: E402
from channels.voice.phone import PhoneCall  # noqa: E402
from channels.webchat.client import WebchatClient  # noqa: E402
from launcher.layout import choose_replicas  # noqa: E402
from launcher.services import Ports, process_env  # noqa: E402
from launcher.training import ensure_model  # noqa: E402

PHONE_TURNS = ("我想查一下订单", "订单号是一二三四五六七八", "好的谢谢")


def webchat_openings(url: str, count: int) -> list[float]:
    """Seconds from connecting a new web chat to its opening line, `count` chats."""
    seconds = []
    for _ in range(count):
        started = time.monotonic()
        with WebchatClient(url) as chat:
            chat.open_session()
            chat.start()
            chat.next_message(timeout=60)
            seconds.append(time.monotonic() - started)
    return seconds


def phone_webhook_times(url: str, twilio_token: str) -> list[float]:
    """Seconds per webhook request of one signed call: dial, three turns, silence."""
    call = PhoneCall(url, twilio_token, caller="+8613900001234")
    try:
        call.dial()
        for text in PHONE_TURNS:
            call.say(text)
        call.stay_silent()
        times = list(call.timings)
        call.hang_up()
    finally:
        call.session.close()
    return times


def start_once(work: Path, model: Optional[Path], openings: int = 5,
               replicas: int = 1) -> dict[str, float]:
    layout: dict[str, Any] = {"replicas": replicas, "nginx": True} if replicas > 1 else {}
    stack = BenchStack(work, model=model, **layout)
    if stack.model is None:
        from bench.stack import current_model

        stack.model = current_model()  # resolved before the clock starts
    started = time.monotonic()
    try:
        stack.start()
        healthy = time.monotonic() - started
        first_answer(stack.url, sender="bench-startup")
        answered = time.monotonic() - started
        opening = webchat_openings(stack.url, openings) if openings else []
        webhooks = phone_webhook_times(stack.url, stack.twilio_token)
    finally:
        stack.stop()
    row = {"healthy_s": round(healthy, 1), "first_answer_s": round(answered, 1),
           "phone_webhook_median_ms": round(statistics.median(webhooks) * 1000, 1)}
    if opening:
        row["webchat_opening_median_ms"] = round(statistics.median(opening) * 1000, 1)
    return row


def train_cold(work: Path) -> dict[str, Any]:
    models = work / "models"
    env = process_env(ROOT, "redis://127.0.0.1:6379/0", Ports(), extra={
        "RASA_CACHE_DIRECTORY": str(work / "cache"),
    })
    started = time.monotonic()
    model = ensure_model(ROOT, models, env=env)
    return {"training_s": round(time.monotonic() - started, 1), "model": str(model)}


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--train", action="store_true", help="also time a cold training")
    parser.add_argument("--webchat-openings", type=int, default=5,
                        help="web chats opened per start for the opening-line latency")
    parser.add_argument("--replicas", default="default",
                        help="'default' (make run's layout: one replica per core behind "
                             "nginx) or a number")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    replicas = (choose_replicas().count if args.replicas == "default"
                else max(1, int(args.replicas)))
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="hotline-startup-"))
    result: dict[str, Any] = {"starts": [], "replicas": replicas}
    for run in range(args.runs):
        row = start_once(work / f"start-{run + 1}", args.model, args.webchat_openings, replicas)
        print(f"start {run + 1}: healthy {row['healthy_s']} s, "
              f"first answer {row['first_answer_s']} s; idle: phone webhook median "
              f"{row['phone_webhook_median_ms']} ms, web chat opening median "
              f"{row.get('webchat_opening_median_ms', '-')} ms", flush=True)
        result["starts"].append(row)
    if result["starts"]:
        for key, out in (("first_answer_s", "first_answer_median_s"),
                         ("phone_webhook_median_ms", "phone_webhook_median_ms"),
                         ("webchat_opening_median_ms", "webchat_opening_median_ms")):
            values = [r[key] for r in result["starts"] if key in r]
            if values:
                result[out] = statistics.median(values)
    if args.train:
        result["training"] = train_cold(work / "train")
        print(f"training from cold: {result['training']['training_s']} s", flush=True)
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
