"""Memory: peak RSS of the processes under load, Redis bytes per 20-turn conversation.

    python bench/memory.py [--conversations 50 --duration 60 --think 2] \
        [--long-conversations 10] [--json results/memory.json]

Starts a fresh stack with the agent console (bench/stack.py), puts the callers load
on it (bench/load.py, REST then phone), then plays `--long-conversations`
conversations of twenty caller turns each (bench/conversations.yml `long_rest`) and
reads `MEMORY USAGE` (exact: SAMPLES 0) of each one's tracker key. Peak RSS is the
kernel's high-water mark (VmHWM in /proc/<pid>/status) of every process of the stack
and its children, read before the stack is stopped.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

import redis
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import Options, load_scripts, print_report, run_load  # noqa: E402
from bench.report import write_json  # noqa: E402
from bench.stack import BenchStack  # noqa: E402
from bot.tracker_codec import decode_dialogue  # noqa: E402

TRACKER_KEY = "hotline:tracker:{}"


def status_field(pid: int, key: str) -> Optional[int]:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(key + ":"):
                return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def children(pid: int) -> list[int]:
    found: list[int] = []
    try:
        tasks = Path(f"/proc/{pid}/task").iterdir()
        for task in tasks:
            text = (task / "children").read_text().split()
            found += [int(c) for c in text]
    except OSError:
        pass
    return found + [g for c in found for g in children(c)]


def peak_rss(pids: dict[str, int]) -> dict[str, dict[str, Any]]:
    result = {}
    for name, pid in pids.items():
        kids = children(pid)
        result[name] = {
            "pid": pid,
            "vm_hwm_bytes": status_field(pid, "VmHWM"),
            "vm_rss_bytes": status_field(pid, "VmRSS"),
            "children_vm_hwm_bytes": {k: status_field(k, "VmHWM") for k in kids},
        }
    return result


def long_conversations(stack: BenchStack, count: int) -> dict[str, Any]:
    script = load_scripts("long_rest")[0]
    client = redis.Redis.from_url(stack.redis_url)
    sizes, turns = [], []
    try:
        for n in range(count):
            sender = f"bench-memory-{n}"
            for turn in script.turns:
                response = requests.post(
                    f"{stack.url}/webhooks/rest/webhook",
                    json={"sender": sender, "message": turn.text}, timeout=60)
                response.raise_for_status()
            key = TRACKER_KEY.format(sender)
            sizes.append(int(client.execute_command("MEMORY", "USAGE", key, "SAMPLES", "0")))
            events = decode_dialogue(client.get(key))["events"]
            turns.append(sum(1 for e in events if e.get("event") == "user"))
    finally:
        client.close()
    return {
        "conversations": count, "user_turns_each": sorted(set(turns)),
        "bytes_median": int(statistics.median(sizes)), "bytes_max": max(sizes),
        "bytes_min": min(sizes), "bytes_all": sizes,
    }


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0, help="per channel")
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--channels", default="rest,phone")
    parser.add_argument("--long-conversations", type=int, default=10)
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="hotline-memory-"))
    loads = []
    with BenchStack(work, model=args.model, with_console=True) as stack:
        for channel in filter(None, args.channels.split(",")):
            report = asyncio.run(run_load(Options(
                url=stack.url, channel=channel, mode="callers",
                conversations=args.conversations, duration=args.duration, think=args.think,
                timeout=30.0, max_requests=200_000, twilio_token=stack.twilio_token,
                label="memory")))
            print_report(report)
            loads.append(report)
        redis_per_conversation = long_conversations(stack, args.long_conversations)
        peaks = peak_rss(stack.pids())
    result = {"peak_rss": peaks, "redis_tracker_20_turns": redis_per_conversation,
              "loads": loads}
    print("\npeak RSS (VmHWM):")
    for name, row in peaks.items():
        hwm = row["vm_hwm_bytes"] or 0
        kids = sum(v or 0 for v in row["children_vm_hwm_bytes"].values())
        extra = f" (+ children {kids / 2**20:.0f} MiB)" if kids else ""
        print(f"  {name:<12} {hwm / 2**20:8.1f} MiB{extra}")
    r = redis_per_conversation
    print(f"Redis tracker after 20 turns: median {r['bytes_median']} B, max {r['bytes_max']} B "
          f"({r['conversations']} conversations, user turns {r['user_turns_each']})")
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
