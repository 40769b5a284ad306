"""Serve the hotline for a benchmark: its own Redis, action server(s), Rasa replica(s).

    python bench/serve.py --rasa-port 5105 --actions-port 5155 [--max-seconds 3600]
    python bench/serve.py --replicas 2 --nginx --front-port 5100     # scale-out

Prints one line `READY {json}` (urls, Redis URL, tokens, process ids) when every
process answers its health check, then waits until Ctrl-C/SIGTERM or `--max-seconds`
and stops everything it started. Logs and Redis data go to --work-dir (default: a
new temporary directory).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import tempfile
import time
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.stack import BenchStack  # noqa: E402


def describe(stack: BenchStack) -> dict:
    return {
        "url": stack.url,
        "replicas": [stack.replica_url(i) for i in range(len(stack.rasa_ports))],
        "actions": [f"http://127.0.0.1:{p}" for p in stack.action_ports],
        "console": f"http://127.0.0.1:{stack.console_port}" if stack.with_console else None,
        "redis_url": stack.redis_url,
        "rasa_token": stack.token,
        "twilio_token": stack.twilio_token,
        "pids": stack.pids(),
        "work_dir": str(stack.work_dir),
    }


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rasa-port", type=int, action="append", default=[],
                        help="port of a Rasa replica (repeat per replica; default free ports)")
    parser.add_argument("--actions-port", type=int, action="append", default=[],
                        help="port of an action server (repeatable)")
    parser.add_argument("--replicas", type=int, default=1,
                        help="Rasa replicas and action servers when no ports are given")
    parser.add_argument("--nginx", action="store_true", help="nginx in front (least busy replica)")
    parser.add_argument("--front-port", type=int, default=0, help="nginx's port for callers")
    parser.add_argument("--with-console", action="store_true", help="start the agent console")
    parser.add_argument("--model", type=Path, default=None,
                        help="model archive (default: the current project model)")
    parser.add_argument("--credentials", type=Path, default=None)
    parser.add_argument("--endpoints", type=Path, default=None)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--max-seconds", type=float, default=4 * 3600,
                        help="stop by itself after this long")
    return parser


def stack_from(args: argparse.Namespace) -> BenchStack:
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="hotline-bench-"))
    return BenchStack(
        work, model=args.model, rasa_ports=list(args.rasa_port),
        action_ports=list(args.actions_port),
        replicas=max(args.replicas, len(args.rasa_port), len(args.actions_port), 1),
        with_console=args.with_console, nginx=args.nginx, front_port=args.front_port,
        credentials=args.credentials, endpoints=args.endpoints,
    )


def main(argv: Optional[list[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    stack = stack_from(args)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    started = time.monotonic()
    stack.start()
    try:
        print("READY " + json.dumps(describe(stack)), flush=True)
        while not stopping and time.monotonic() - started < args.max_seconds:
            dead = stack.supervisor.exited() if stack.supervisor else []
            if dead:
                print(f"process exited: {', '.join(dead)}; see {stack.work_dir}/logs",
                      file=sys.stderr)
                return 1
            time.sleep(0.5)
    finally:
        stack.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
