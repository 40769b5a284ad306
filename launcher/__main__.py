"""`python -m launcher run|train|check`: what `make run` calls after setup.

run    start Redis if needed, train if inputs changed, start every process,
       print where to talk to the assistant, and stop everything on Ctrl-C.
train  only the compliance guard and (re)training.
check  only the compliance guard and the configuration checks.
shell  `rasa shell` in the terminal against the running action server and Redis.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from bot.config import ConfigError, hotline_config, settings
from launcher.redis_local import RedisUnavailable, ensure_aof, is_reachable, start_local_redis
from launcher.services import (
    Ports,
    action_server,
    callback_worker,
    console,
    process_env,
    rasa_server,
)
from launcher.supervisor import StartupError, Supervisor
from launcher.training import TrainingError, check_responses, ensure_model

ROOT = Path(__file__).resolve().parent.parent.parent


def _banner(ports: Ports, token: str) -> str:
    base = f"http://127.0.0.1:{ports.rasa}"
    return "\n".join([
        "",
        "Hotline assistant is running.",
        f"  Web chat page:   {base}/webchat/",
        f"  REST channel:    curl -s {base}/webhooks/rest/webhook \\",
        "                     -H 'Content-Type: application/json' \\",
        "                     -d '{\"sender\": \"demo-1\", \"message\": \"你好\"}'",
        f"  Phone webhook:   {base}/webhooks/phone/voice  (TwiML; signed requests only)",
        f"  Rasa HTTP API:   {base}/status?token={token}",
        f"  Action server:   http://127.0.0.1:{ports.actions}/health",
        f"  Agent console:   http://127.0.0.1:{ports.console}/  "
        "(users: python -m console.users add NAME --role agent)",
        "  Logs:            var/log/",
        "Press Ctrl-C to stop.",
        "",
    ])


def cmd_check() -> None:
    hotline_config()
    settings().check_secrets()
    check_responses(ROOT)
    print("configuration and responses OK")


def cmd_train() -> Path:
    env = process_env(ROOT, settings().redis_url, Ports())
    model = ensure_model(ROOT, ROOT / "models", env=env)
    print(f"model: {model.relative_to(ROOT)}")
    return model


def cmd_shell(ports: Ports) -> int:
    """Chat in the terminal; needs `make run` (actions, Redis) running."""
    env = process_env(ROOT, settings().redis_url, ports)
    model = ensure_model(ROOT, ROOT / "models", env=env)
    args = [
        sys.executable, "-m", "rasa_extensions", "shell", "--model", str(model),
        "--endpoints", str(ROOT / "endpoints.yml"), "--port", str(ports.rasa + 100),
    ]
    os.execve(sys.executable, args, env)
    return 0  # not reached


def cmd_run(ports: Ports) -> int:
    conf = settings()
    conf.check_secrets()
    hotline_config()
    supervisor_env = process_env(ROOT, conf.redis_url, ports)
    local_redis = None
    if not is_reachable(conf.redis_url):
        print(f"No Redis at {conf.redis_url}; starting a local one (AOF on) in var/redis")
        local_redis = start_local_redis(conf.redis_url, ROOT / "var" / "redis")
    ensure_aof(conf.redis_url)
    model = ensure_model(ROOT, ROOT / "models", env=supervisor_env)

    supervisor = Supervisor(ROOT, ROOT / "var" / "log", supervisor_env)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        services = [
            action_server(ROOT, ports), callback_worker(),
            rasa_server(ROOT, model, ports, conf.rasa_token), console(ports),
        ]
        for service in services:
            supervisor.start(service)
        for service in services:
            supervisor.wait_healthy(service)
        print(_banner(ports, conf.rasa_token), flush=True)
        while not stopping:
            dead = supervisor.exited()
            if dead:
                print(f"process exited: {', '.join(dead)}; see var/log/", file=sys.stderr)
                return 1
            time.sleep(1)
        return 0
    finally:
        supervisor.stop_all()
        if local_redis is not None:
            local_redis.terminate()
            local_redis.wait(timeout=10)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m launcher")
    parser.add_argument("command", choices=["run", "train", "check", "shell"])
    parser.add_argument("--port", type=int, default=int(os.environ.get("RASA_PORT", "5005")))
    parser.add_argument(
        "--actions-port", type=int, default=int(os.environ.get("ACTIONS_PORT", "5055"))
    )
    parser.add_argument(
        "--console-port", type=int, default=int(os.environ.get("CONSOLE_PORT", "5080"))
    )
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            cmd_check()
        elif args.command == "train":
            cmd_train()
        elif args.command == "shell":
            return cmd_shell(Ports(rasa=args.port, actions=args.actions_port))
        else:
            return cmd_run(
                Ports(rasa=args.port, actions=args.actions_port, console=args.console_port)
            )
    except (ConfigError, RedisUnavailable, TrainingError, StartupError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
