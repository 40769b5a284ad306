"""Load generator: whole scripted conversations against a running hotline on loopback.

    python bench/load.py --url http://127.0.0.1:5005 --channel rest --mode callers \
        --conversations 200 --duration 60 --think 2 --json results/load-rest-200.json

Modes
  callers     every conversation waits `--think` seconds between its turns (people)
  saturation  no think time: each conversation sends its next turn as soon as it has
              the answer (the server's throughput)
  soak        like callers, plus every `--sample-every` s: Redis used_memory and the
              RSS and open file descriptors of each `--watch-pid`; a verdict per series

Channels
  rest   POST /webhooks/rest/webhook with {"sender", "message"}
  phone  the TwiML webhooks (channels/voice), form-encoded and signed like the
         provider (X-Twilio-Signature with TWILIO_AUTH_TOKEN): incoming call,
         SpeechResult/Digits turns, the Redirect to the hang-up, the status callback

Conversations come from bench/conversations.yml. The run is bounded: no request
starts after `--duration` seconds, and at most `--max-requests` are sent. Every HTTP
request is a turn: its latency is recorded; it is an error when it is not 2xx, times
out, or answers with the holding line (domain.yml `utter_service_unavailable`) or
nothing where the script expects an answer.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import os
import random
import sys
import time
import uuid
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional
from urllib.parse import urljoin

import aiohttp
import yaml
from twilio.request_validator import RequestValidator
from yarl import URL

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.cpu import CpuMeter  # noqa: E402
from bench.report import write_json  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CONVERSATIONS = Path(__file__).resolve().parent / "conversations.yml"
PHONE_PATH = "/webhooks/phone"
THINK_SPREAD = 0.0


# --------------------------------------------------------------------------- scripts
@dataclass(frozen=True)
class Turn:
    text: Optional[str] = None
    digits: Optional[str] = None
    expect: Optional[str] = None


@dataclass(frozen=True)
class Script:
    name: str
    turns: tuple[Turn, ...]


def load_scripts(section: str, path: Path = CONVERSATIONS) -> list[Script]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [
        Script(item["name"], tuple(
            Turn(text=t.get("say"), digits=t.get("press"), expect=t.get("expect"))
            for t in item["turns"]
        ))
        for item in data[section]
    ]


def holding_lines(domain: Path = ROOT / "domain.yml") -> tuple[str, ...]:
    """The holding line's texts: a turn answered with it failed on the server side."""
    data = yaml.safe_load(domain.read_text(encoding="utf-8"))
    variants = data.get("responses", {}).get("utter_service_unavailable", [])
    return tuple(v["text"] for v in variants if v.get("text"))


# --------------------------------------------------------------------------- records
@dataclass
class Sample:
    started: float  # seconds since the run started
    latency: float  # seconds
    kind: str
    in_flight: int = 0  # requests of this run already in flight when this one was sent
    error: Optional[str] = None
    unexpected: bool = False
    where: str = ""  # script#turn, for the unexpected-answer breakdown
    heard: str = ""  # the answer, kept only when unexpected


@dataclass
class Run:
    """Shared state of one load run: budget, clock and what was measured."""

    duration: float
    max_requests: int
    warmup: float = 0.0
    t0: float = field(default_factory=time.perf_counter)
    sent: int = 0
    samples: list[Sample] = field(default_factory=list)
    completed: Counter[str] = field(default_factory=Counter)
    unfinished: int = 0
    in_flight: int = 0

    def now(self) -> float:
        return time.perf_counter() - self.t0

    def may_send(self) -> bool:
        return self.now() < self.duration and self.sent < self.max_requests

    def record(self, sample: Sample) -> None:
        self.samples.append(sample)


class Stop(Exception):
    """The time or request budget is used up."""


class Client:
    """One request with timing and error classification."""

    def __init__(self, session: aiohttp.ClientSession, run: Run, timeout: float,
                 holding: Sequence[str]) -> None:
        self.session = session
        self.run = run
        self.timeout = aiohttp.ClientTimeout(total=timeout)
        self.holding = tuple(holding)

    async def post(self, kind: str, url: str, **kwargs: Any) -> tuple[int, bytes, Sample]:
        if not self.run.may_send():
            raise Stop
        self.run.sent += 1
        started = self.run.now()
        already = self.run.in_flight
        self.run.in_flight += 1
        t = time.perf_counter()
        status, body, error = 0, b"", None
        try:
            # encoded=True: yarl would otherwise normalise %3A etc. in the query, and the
            # phone channel's signature check covers the URL exactly as signed.
            target = URL(url, encoded=True)
            async with self.session.post(target, timeout=self.timeout, **kwargs) as response:
                body = await response.read()
                status = response.status
                if not 200 <= status < 300:
                    error = f"http_{status}"
        except asyncio.TimeoutError:
            error = "timeout"
        except aiohttp.ClientError as exc:
            error = f"connection:{type(exc).__name__}"
        finally:
            self.run.in_flight -= 1
        sample = Sample(started, time.perf_counter() - t, kind, already, error)
        self.run.record(sample)
        return status, body, sample

    def said_holding(self, texts: Sequence[str]) -> bool:
        return any(line and line in text for text in texts for line in self.holding)


# --------------------------------------------------------------------------- REST
async def rest_conversation(client: Client, base: str, script: Script, sender: str,
                            think: Think) -> bool:
    """Play one conversation; True when all its turns were sent."""
    url = f"{base}/webhooks/rest/webhook"
    for index, turn in enumerate(script.turns):
        if index:
            await think.pause()
        status, body, sample = await client.post(
            "rest", url, json={"sender": sender, "message": turn.text or turn.digits or ""})
        if sample.error:
            return True  # the conversation is broken; start a new one
        try:
            messages = json.loads(body)
            texts = [m.get("text", "") for m in messages if isinstance(m, dict)]
        except (ValueError, AttributeError):
            sample.error = "bad_json"
            return True
        if not any(texts):
            sample.error = "empty_reply"
        elif client.said_holding(texts):
            sample.error = "holding_line"
        elif turn.expect and not any(turn.expect in text for text in texts):
            sample.unexpected, sample.where = True, f"{script.name}#{index + 1}"
            sample.heard = " ".join(texts)[:120]
    return True


# --------------------------------------------------------------------------- phone
class PhoneSession:
    """The provider's side of one call: signed form posts, TwiML answers followed."""

    def __init__(self, client: Client, base: str, token: str, call_sid: str,
                 caller: str) -> None:
        self.client = client
        self.voice_url = f"{base}{PHONE_PATH}/voice"
        self.status_url = f"{base}{PHONE_PATH}/status"
        self.validator = RequestValidator(token)
        self.call_sid = call_sid
        self.caller = caller
        self.started = time.monotonic()
        self.root: Optional[ET.Element] = None

    def params(self, **extra: Any) -> dict[str, str]:
        base = {
            "AccountSid": "AC" + "0" * 32, "ApiVersion": "2010-04-01",
            "CallSid": self.call_sid, "CallStatus": "in-progress", "Direction": "inbound",
            "From": self.caller, "To": "+864008001234",
            "Caller": self.caller, "Called": "+864008001234",
        }
        base.update({k: str(v) for k, v in extra.items()})
        return base

    async def post(self, kind: str, url: str, params: dict[str, str],
                   needs_answer: bool = True) -> tuple[Sample, list[str]]:
        url = urljoin(self.voice_url, url)
        signature = self.validator.compute_signature(url, params)
        status, body, sample = await self.client.post(
            kind, url, data=params, headers={"X-Twilio-Signature": signature})
        if sample.error:
            return sample, []
        try:
            root = ET.fromstring(body) if body.strip() else None
        except ET.ParseError:
            sample.error = "bad_twiml"
            return sample, []
        spoken = [
            "".join(e.itertext()).strip() for e in (root.iter() if root is not None else [])
            if e.tag == "Say"
        ]
        if root is not None and len(root):
            self.root = root
        if needs_answer and (root is None or not len(root)):
            sample.error = "empty_reply"
        elif self.client.said_holding(spoken):
            sample.error = "holding_line"
        return sample, spoken

    def _verb(self, tag: str) -> Optional[ET.Element]:
        return next((v for v in self.root if v.tag == tag), None) if self.root is not None else None

    def listening_action(self) -> Optional[str]:
        gather = self._verb("Gather")
        return gather.get("action", "") if gather is not None else None

    def redirect(self) -> Optional[str]:
        verb = self._verb("Redirect")
        return (verb.text or "").strip() if verb is not None else None

    def ended(self) -> bool:
        return self._verb("Hangup") is not None


async def phone_conversation(client: Client, base: str, token: str, script: Script,
                             call_sid: str, caller: str, think: Think) -> bool:
    call = PhoneSession(client, base, token, call_sid, caller)
    sample, _ = await call.post("phone_dial", call.voice_url, call.params(CallStatus="ringing"))
    if sample.error:
        return True
    try:
        for index, turn in enumerate(script.turns):
            action = call.listening_action()
            if action is None:
                break  # the bot closed or transferred earlier than scripted
            await think.pause()
            extra = ({"Digits": turn.digits} if turn.digits is not None
                     else {"SpeechResult": turn.text or "", "Confidence": "0.92"})
            sample, spoken = await call.post("phone_turn", action, call.params(**extra))
            if sample.error:
                return True
            if turn.expect and not any(turn.expect in text for text in spoken):
                sample.unexpected, sample.where = True, f"{script.name}#{index + 1}"
                sample.heard = " ".join(spoken)[:120]
        # A closing line ends with a pause and a Redirect to the hang-up.
        target = call.redirect()
        if target and call.listening_action() is None and not call.ended():
            await call.post("phone_redirect", target, call.params())
    finally:
        duration = str(max(1, int(time.monotonic() - call.started)))
        with contextlib.suppress(Stop):
            await call.post("phone_status", call.status_url,
                            call.params(CallStatus="completed", CallDuration=duration),
                            needs_answer=False)
    return True


# --------------------------------------------------------------------------- workers
@dataclass
class Think:
    """A caller's pause before each turn: `mean` seconds, or uniform in mean × (1 ± spread).

    With the same pause for everyone, callers whose answers came late together (a burst
    served at once) come back together: the load keeps its bursts. People's pauses vary,
    which breaks them up. `--think-spread 0` keeps the fixed pause of the earlier figures.
    """

    mean: float
    spread: float
    rng: random.Random

    async def pause(self) -> None:
        if self.mean <= 0:
            return
        factor = 1.0 + self.spread * (2.0 * self.rng.random() - 1.0) if self.spread else 1.0
        await asyncio.sleep(self.mean * factor)


@dataclass
class Options:
    url: str
    channel: str
    mode: str
    conversations: int
    duration: float
    think: float
    timeout: float
    max_requests: int
    twilio_token: str
    think_spread: float = 0.0
    warmup: float = 0.0
    label: str = "run"
    seed: int = 1
    scripts_file: Path = CONVERSATIONS
    section: Optional[str] = None


async def worker(number: int, options: Options, client: Client, scripts: list[Script],
                 run: Run, run_id: str) -> None:
    rng = random.Random(options.seed * 1000 + number)
    think = Think(options.think if options.mode != "saturation" else 0.0,
                  options.think_spread, rng)
    # Callers do not all ring at the same instant: spread the starts over one think time.
    if think.mean:
        await asyncio.sleep(rng.uniform(0, think.mean))
    order = itertools.cycle(scripts[number % len(scripts):] + scripts[:number % len(scripts)])
    for count in itertools.count():
        if not run.may_send():
            return
        script = next(order)
        ident = f"bench-{options.label}-{run_id}-{number}-{count}"
        try:
            if options.channel == "rest":
                await rest_conversation(client, options.url, script, ident, think)
            else:
                sid = "CA" + uuid.uuid5(uuid.NAMESPACE_URL, ident).hex
                caller = "+86139" + f"{rng.randrange(10**8):08d}"
                await phone_conversation(client, options.url, options.twilio_token, script,
                                         sid, caller, think)
            run.completed[script.name] += 1
        except Stop:
            run.unfinished += 1
            return


# --------------------------------------------------------------------------- soak
def _proc_status(pid: int, key: str) -> Optional[int]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _open_fds(pid: int) -> Optional[int]:
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return None


def _redis_memory(redis_url: Optional[str]) -> dict[str, Optional[int]]:
    """Redis used_memory, split into stored data (MEMORY USAGE of every key) and the rest.

    Every conversation and ticket is kept by design (transcripts for agents, retention
    after 180 days), so used_memory grows with the conversations played; a leak shows as
    growth of the rest (`redis_overhead`) or of the bytes per stored conversation.
    """
    empty: dict[str, Optional[int]] = {
        "redis_used_memory": None, "redis_keys": None, "redis_overhead": None,
        "redis_bytes_per_conversation": None}
    if not redis_url:
        return empty
    import redis

    client = redis.Redis.from_url(redis_url, socket_timeout=10)
    try:
        data = conversations = 0
        batch: list[bytes] = []

        def flush() -> int:
            pipe = client.pipeline(transaction=False)
            for key in batch:
                pipe.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0")
            total = sum(int(v or 0) for v in pipe.execute())
            batch.clear()
            return total

        keys = 0
        for key in client.scan_iter(count=1000):
            keys += 1
            conversations += key.startswith(b"hotline:tracker:")
            batch.append(key)
            if len(batch) >= 1000:
                data += flush()
        if batch:
            data += flush()
        used = int(client.info("memory")["used_memory"])
        return {"redis_used_memory": used, "redis_keys": keys, "redis_overhead": used - data,
                "redis_bytes_per_conversation": data // conversations if conversations else None}
    except redis.RedisError:
        return empty
    finally:
        client.close()


def take_sample(t: float, redis_url: Optional[str], pids: Sequence[int]) -> dict[str, Any]:
    row: dict[str, Any] = {"t": round(t, 1), **_redis_memory(redis_url)}
    for pid in pids:
        row[f"rss_{pid}"] = _proc_status(pid, "VmRSS")
        row[f"fds_{pid}"] = _open_fds(pid)
    return row


async def sampler(run: Run, every: float, redis_url: Optional[str], pids: Sequence[int],
                  rows: list[dict[str, Any]]) -> None:
    while True:
        rows.append(await asyncio.to_thread(take_sample, run.now(), redis_url, pids))
        if run.now() >= run.duration:
            return
        await asyncio.sleep(min(every, max(0.0, run.duration - run.now()) + 0.1))


def trend(rows: list[dict[str, Any]], key: str, relative: float, absolute: float) -> dict:
    """Least-squares slope after the first 20 % (warm-up); growing when the fitted rise
    over the run exceeds `relative` of the start value and `absolute` units."""
    points = [(r["t"], r[key]) for r in rows if r.get(key) is not None]
    points = points[len(points) // 5:]
    if len(points) < 3:
        return {"verdict": "too few samples", "samples": len(points)}
    n = len(points)
    mean_t = sum(t for t, _ in points) / n
    mean_v = sum(v for _, v in points) / n
    var = sum((t - mean_t) ** 2 for t, _ in points) or 1.0
    slope = sum((t - mean_t) * (v - mean_v) for t, v in points) / var
    rise = slope * (points[-1][0] - points[0][0])
    start = points[0][1] or 1
    growing = rise > absolute and rise > relative * start
    return {
        "verdict": "growing" if growing else "flat", "start": points[0][1],
        "end": points[-1][1], "fitted_rise": round(rise, 1), "slope_per_hour": round(slope * 3600),
    }


# --------------------------------------------------------------------------- report
def percentile(sorted_values: Sequence[float], q: float) -> float:
    if not sorted_values:
        return float("nan")
    index = max(0, min(len(sorted_values) - 1, int(round(q / 100 * len(sorted_values) + 0.5)) - 1))
    return sorted_values[index]


def summarise(run: Run, options: Options, elapsed: float) -> dict[str, Any]:
    measured = [s for s in run.samples if s.started >= run.warmup]
    window = max(1e-9, elapsed - run.warmup)
    latencies = sorted(s.latency * 1000 for s in measured)
    errors = Counter(s.error for s in measured if s.error)

    def stats(values: Sequence[float]) -> dict[str, float]:
        return {
            "p50": round(percentile(values, 50), 1), "p95": round(percentile(values, 95), 1),
            "p99": round(percentile(values, 99), 1),
            "max": round(values[-1], 1) if values else float("nan"),
            "mean": round(sum(values) / len(values), 1) if values else float("nan"),
        }

    kinds = sorted({s.kind for s in measured})
    in_flight = sorted(float(s.in_flight) for s in measured)
    arrivals = Counter(int(s.started * 10) for s in measured)  # per 100 ms window
    windows = [float(arrivals.get(w, 0)) for w in
               range(int(run.warmup * 10), max(int(run.warmup * 10) + 1, int(elapsed * 10)))]
    return {
        "label": options.label, "url": options.url, "channel": options.channel,
        "mode": options.mode, "conversations": options.conversations,
        "think_s": options.think if options.mode != "saturation" else 0.0,
        "think_spread": options.think_spread if options.mode != "saturation" else 0.0,
        "duration_s": options.duration, "warmup_s": run.warmup, "elapsed_s": round(elapsed, 1),
        "requests": len(measured), "requests_total": len(run.samples),
        "turns_per_s": round(len(measured) / window, 1),
        "errors": sum(errors.values()), "error_kinds": dict(errors),
        "error_rate": round(sum(errors.values()) / len(measured), 4) if measured else 0.0,
        "unexpected": sum(1 for s in measured if s.unexpected),
        "unexpected_at": dict(Counter(s.where for s in measured if s.unexpected)),
        "unexpected_examples": {s.where: s.heard for s in measured if s.unexpected},
        "latency_ms": stats(latencies),
        "latency_ms_by_kind": {
            k: stats(sorted(s.latency * 1000 for s in measured if s.kind == k)) for k in kinds
        },
        # How bursty the offered load was: requests already in flight when each was sent,
        # and requests sent per 100 ms window.
        "in_flight_at_send": {q: percentile(in_flight, n) for q, n in
                              (("p50", 50), ("p95", 95), ("p99", 99), ("max", 100))},
        "sent_per_100ms": {
            "mean": round(sum(windows) / len(windows), 1),
            "p99": percentile(sorted(windows), 99), "max": max(windows)},
        "conversations_completed": dict(run.completed),
        "conversations_unfinished": run.unfinished,
        "machine": {"nproc": os.cpu_count(), "load_1m_end": round(os.getloadavg()[0], 2)},
    }


def print_report(report: dict[str, Any], out=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    lat = report["latency_ms"]
    print(f"[{report['label']}] {report['channel']} {report['mode']}: "
          f"{report['conversations']} conversations, think {report['think_s']} s "
          f"± {report['think_spread']:.0%}, "
          f"{report['elapsed_s']} s", file=out)
    print(f"  requests {report['requests']}  turns/s {report['turns_per_s']}  "
          f"errors {report['errors']} {report['error_kinds'] or ''}  "
          f"unexpected {report['unexpected']} {report['unexpected_at'] or ''}", file=out)
    print(f"  latency ms  p50 {lat['p50']}  p95 {lat['p95']}  p99 {lat['p99']}  "
          f"max {lat['max']}", file=out)
    for kind, stats in report["latency_ms_by_kind"].items():
        print(f"    {kind:<15} p50 {stats['p50']}  p95 {stats['p95']}  p99 {stats['p99']}",
              file=out)
    flight, sent = report["in_flight_at_send"], report["sent_per_100ms"]
    print(f"  burstiness  in flight at send p50 {flight['p50']:.0f}  p99 {flight['p99']:.0f}  "
          f"max {flight['max']:.0f};  sent per 100 ms mean {sent['mean']}  p99 {sent['p99']:.0f}  "
          f"max {sent['max']:.0f}", file=out)
    cpu = report.get("cpu")
    if cpu:
        servers = "  ".join(f"{pid}: {sec} s" for pid, sec in cpu["server_cpu_s"].items())
        print(f"  cpu  generator {cpu['generator_cpu_of_one_core']:.0%} of a core "
              f"(loop lag p99 {cpu['generator_loop_lag_ms_p99']} ms)  machine busy "
              f"{cpu['machine_busy_share']:.0%} of {cpu['machine_cores']} cores"
              + (f"  servers {servers}" if servers else ""), file=out)
        if cpu["generator_saturated"]:
            print("  WARNING: the load generator was saturated: these figures understate "
                  "the server (run the generator on another machine or lower the load)",
                  file=out)
    done = sum(report["conversations_completed"].values())
    print(f"  conversations completed {done}, cut at the end {report['conversations_unfinished']}",
          file=out)
    soak = report.get("soak")
    if soak:
        print("  soak samples:", file=out)
        keys = [k for k in soak["samples"][0] if k != "t"] if soak["samples"] else []
        print("    " + "  ".join(["t"] + keys), file=out)
        for row in soak["samples"]:
            print("    " + "  ".join(str(row.get(k)) for k in ["t"] + keys), file=out)
        for key, verdict in soak["verdicts"].items():
            print(f"  {key}: {verdict}", file=out)


# --------------------------------------------------------------------------- entry
async def run_load(options: Options, redis_url: Optional[str] = None,
                   watch_pids: Sequence[int] | Mapping[str, int] = (),
                   sample_every: float = 10.0) -> dict[str, Any]:
    section = options.section or options.channel
    scripts = load_scripts(section, options.scripts_file)
    run = Run(options.duration, options.max_requests, options.warmup)
    run_id = uuid.uuid4().hex[:6]
    connector = aiohttp.TCPConnector(limit=options.conversations + 10, force_close=False)
    rows: list[dict[str, Any]] = []
    named = dict(watch_pids) if isinstance(watch_pids, Mapping) else {
        str(pid): pid for pid in watch_pids}
    watch_pids = list(named.values())
    meter = CpuMeter(named)
    async with aiohttp.ClientSession(connector=connector) as session:
        client = Client(session, run, options.timeout, holding_lines())
        meter.start()
        lag = asyncio.create_task(meter.watch_loop())
        tasks = [asyncio.create_task(worker(i, options, client, scripts, run, run_id))
                 for i in range(options.conversations)]
        if options.mode == "soak":
            tasks.append(asyncio.create_task(
                sampler(run, sample_every, redis_url, watch_pids, rows)))
        # The last request may take up to `timeout` after the end of the window.
        await asyncio.wait_for(asyncio.gather(*tasks), options.duration + options.timeout + 30)
        lag.cancel()
        cpu = meter.stop()
    elapsed = min(run.now(), options.duration) if run.sent < run.max_requests else run.now()
    report = summarise(run, options, elapsed)
    report["cpu"] = cpu
    if options.mode == "soak":
        verdicts = {
            "redis_overhead": trend(rows, "redis_overhead", 0.10, 4 << 20),
            "redis_bytes_per_conversation": trend(rows, "redis_bytes_per_conversation", 0.10, 2048),
        }
        for pid in watch_pids:
            verdicts[f"rss_{pid}"] = trend(rows, f"rss_{pid}", 0.10, 16 << 20)
            verdicts[f"fds_{pid}"] = trend(rows, f"fds_{pid}", 0.0, 10)
        report["soak"] = {"every_s": sample_every, "samples": rows, "verdicts": verdicts}
    return report


def parse_args(argv: Optional[Sequence[str]] = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:5005", help="the Rasa server")
    parser.add_argument("--channel", choices=["rest", "phone"], default="rest")
    parser.add_argument("--mode", choices=["callers", "saturation", "soak"], default="callers")
    parser.add_argument("--conversations", type=int, default=50, help="concurrent conversations")
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--think", type=float, default=2.0,
                        help="seconds between a conversation's turns (callers, soak)")
    parser.add_argument("--think-spread", type=float, default=THINK_SPREAD,
                        help="each pause is uniform in think × (1 ± this); 0: always think")
    parser.add_argument("--warmup", type=float, default=0.0,
                        help="seconds at the start left out of the figures")
    parser.add_argument("--timeout", type=float, default=30.0, help="per request, seconds")
    parser.add_argument("--max-requests", type=int, default=200_000, help="hard cap")
    parser.add_argument("--twilio-token", default=os.environ.get("TWILIO_AUTH_TOKEN", "dev-token"))
    parser.add_argument("--scripts", type=Path, default=CONVERSATIONS)
    parser.add_argument("--section", default=None,
                        help="conversation list in --scripts (default: the channel's)")
    parser.add_argument("--label", default="project")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--json", type=Path, default=None, help="write the report here")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL"),
                        help="soak: the Redis to sample (INFO memory)")
    parser.add_argument("--watch-pid", type=int, action="append", default=[],
                        help="soak: a process to sample (RSS, open fds); repeatable")
    parser.add_argument("--sample-every", type=float, default=10.0, help="soak: seconds")
    return parser.parse_args(argv)


def options_from(args: argparse.Namespace) -> Options:
    return Options(
        url=args.url.rstrip("/"), channel=args.channel, mode=args.mode,
        conversations=args.conversations, duration=args.duration, think=args.think,
        think_spread=args.think_spread, timeout=args.timeout, max_requests=args.max_requests,
        twilio_token=args.twilio_token,
        warmup=args.warmup, label=args.label, seed=args.seed, scripts_file=args.scripts,
        section=args.section,
    )


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = parse_args(argv)
    if args.conversations < 1 or args.duration <= 0:
        print("--conversations and --duration must be positive", file=sys.stderr)
        return 2
    report = asyncio.run(run_load(options_from(args), args.redis_url, args.watch_pid,
                                  args.sample_every))
    print_report(report)
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
