"""`python -m launcher run|train|check|shell`: what `make run` calls after setup.

run    start Redis if needed, train if inputs changed, start every process (one Rasa
       replica and action server per core behind nginx, launcher/layout.py), print
       where to talk to the assistant, and stop everything on Ctrl-C.
train  only the compliance guard and (re)training.
check  only the compliance guard and the configuration checks.
shell  `rasa shell` in the terminal against the running action server and Redis.

Each step is one line on the terminal (launcher/progress.py); what the processes print,
Rasa's training included, goes to var/log/.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

from bot.config import ConfigError, hotline_config, settings
from launcher.layout import Layout, LayoutError, ReplicaChoice, choose_replicas, plan
from launcher.progress import Step, duration
from launcher.redis_local import RedisUnavailable, ensure_aof, is_reachable, start_local_redis
from launcher.services import Ports, Service, callback_worker, console, process_env
from launcher.supervisor import StartupError, Supervisor
from launcher.training import TrainingError, check_responses, ensure_model

ROOT = Path(__file__).resolve().parent.parent
LOG_DIR = ROOT / "var" / "log"
LABELS = {"actions": "action server", "callback-worker": "callback worker",
          "rasa": "Rasa server", "console": "agent console", "nginx": "nginx"}
# A replica that exits is started again, at most once in this many seconds.
RESTART_INTERVAL_S = 30.0


def _replicas_line(layout: Layout, choice: ReplicaChoice) -> str:
    if layout.behind_nginx:
        return (f"  Rasa replicas:   {layout.replicas} behind nginx on port {layout.ports.rasa} "
                f"({choice.why}), each with its action server")
    return f"  Rasa replicas:   1, no nginx ({choice.why})"


def _banner(ports: Ports, token: str, replicas: str = "", replicas_many: bool = False) -> str:
    base = f"http://127.0.0.1:{ports.rasa}"
    return "\n".join([
        "",
        "Hotline assistant is running.",
        *([replicas] if replicas else []),
        f"  Web chat page:   {base}/webchat/",
        f"  REST channel:    curl -s {base}/webhooks/rest/webhook \\",
        "                     -H 'Content-Type: application/json' \\",
        "                     -d '{\"sender\": \"demo-1\", \"message\": \"你好\"}'",
        f"  Phone webhook:   {base}/webhooks/phone/voice  (TwiML; signed requests only)",
        f"  Rasa HTTP API:   {base}/status?token={token}",
        f"  Action server:   http://127.0.0.1:{ports.actions}/health",
        f"  Agent console:   http://127.0.0.1:{ports.console}/  "
        "(users: python -m console.users add NAME --role agent)",
        f"  Logs:            var/log/{' (nginx: var/nginx/)' if replicas_many else ''}",
        "Press Ctrl-C to stop.",
        "",
    ])


def check_configuration() -> None:
    step = Step("configuration")
    try:
        hotline_config()
        settings().check_secrets()
        check_responses(ROOT)
    except (ConfigError, TrainingError) as exc:
        step.fail(str(exc).splitlines()[0])
        raise
    step.done("hotline.yml, secrets and domain.yml responses checked")


def train(env: dict[str, str]) -> Path:
    step = Step("model")
    started = time.monotonic()
    try:
        model = ensure_model(ROOT, ROOT / "models", env=env, log_dir=LOG_DIR,
                             progress=lambda done, now: step.update(done, now))
    except TrainingError as exc:
        step.fail(str(exc))
        raise
    took = time.monotonic() - started
    how = f"trained in {duration(took)}, log var/log/train.log" if took > 5 else "up to date"
    step.done(f"{model.relative_to(ROOT)} ({how})")
    return model


def cmd_check() -> None:
    check_configuration()


def cmd_train() -> Path:
    check_configuration()
    return train(process_env(ROOT, settings().redis_url, Ports()))


def cmd_shell(ports: Ports) -> int:
    """Chat in the terminal; needs `make run` (actions, Redis) running."""
    env = process_env(ROOT, settings().redis_url, ports)
    model = train(env)
    args = [
        sys.executable, "-m", "rasa_extensions", "shell", "--model", str(model),
        "--endpoints", str(ROOT / "endpoints.yml"), "--port", str(ports.rasa + 100),
    ]
    os.execve(sys.executable, args, env)
    return 0  # not reached


def start_service(supervisor: Supervisor, service: Service) -> None:
    start_group(supervisor, LABELS.get(service.name, service.name), [service])


def start_group(supervisor: Supervisor, label: str, services: list[Service]) -> None:
    """Start `services` together and wait for each to answer: one line for all."""
    step = Step(label)
    for service in services:
        supervisor.start(service)
    try:
        for ready, service in enumerate(services):
            detail = f"{ready}/{len(services)} ready" if len(services) > 1 else "starting"
            supervisor.wait_healthy(service, waiting=lambda d=detail: step.update(detail=d))
    except StartupError as exc:
        step.fail(str(exc))
        raise
    addresses = []
    for service in services:
        url = urlsplit(service.health_url or "")
        if url.netloc:
            addresses.append(f"{url.scheme}://{url.netloc}" if not addresses else url.netloc)
    where = f" ({', '.join(addresses)})" if addresses else ""
    count = f"{len(services)} " if len(services) > 1 else ""
    step.done(f"{count}ready in {duration(step.elapsed)}{where}")


def start_layout(
    supervisor: Supervisor, layout: Layout, model: Path, token: str, root: Path = ROOT,
    worker: bool = True, with_console: bool = True,
) -> None:
    """Every process of `layout`, in order, one line per step: the action servers, the
    callback worker, the Rasa replicas (all answering), nginx (answering Rasa's
    /status through the front port), the console. The test of the layout uses it too."""
    many = layout.behind_nginx
    start_group(supervisor, "action servers" if many else "action server",
                layout.action_services(root))
    if worker:
        start_service(supervisor, callback_worker())
    start_group(supervisor, "Rasa replicas" if many else "Rasa server",
                layout.rasa_services(root, model, token))
    front = layout.nginx_service(token)
    if front is not None:
        start_service(supervisor, front)
    if with_console:
        start_service(supervisor, console(layout.ports))


def restart_replicas(supervisor: Supervisor, layout: Layout, model: Path, token: str,
                     dead: list[str], last_restart: dict[str, float]) -> list[str]:
    """Start dead replicas (rasa-N, actions-N) again; the names that cannot be."""
    if not layout.behind_nginx:
        return dead
    services = {s.name: s for s in (*layout.action_services(ROOT),
                                    *layout.rasa_services(ROOT, model, token))}
    fatal = []
    for name in dead:
        service = services.get(name)
        now = time.monotonic()
        recent = name in last_restart and now - last_restart[name] < RESTART_INTERVAL_S
        if service is None or recent:
            fatal.append(name)
            continue
        code = supervisor.running[name].returncode
        supervisor.stop(name)
        supervisor.start(service)
        last_restart[name] = now
        print(f"  ! {name} exited (code {code}); started again, the others serve meanwhile",
              flush=True)
    return fatal


def cmd_run(ports: Ports) -> int:
    conf = settings()
    check_configuration()
    choice = choose_replicas()
    supervisor_env = process_env(ROOT, conf.redis_url, ports)
    local_redis = None
    step = Step("Redis")
    try:
        if not is_reachable(conf.redis_url):
            local_redis = start_local_redis(conf.redis_url, ROOT / "var" / "redis")
            where = f"started locally at {conf.redis_url} (AOF on, data in var/redis)"
        else:
            where = f"reachable at {conf.redis_url}"
        ensure_aof(conf.redis_url)
    except RedisUnavailable:
        step.fail("not reachable")
        raise
    step.done(where)
    model = train(supervisor_env)
    layout = plan(ports, choice.count, ROOT / "var" / "nginx",
                  front_address=os.environ.get("RASA_INTERFACE", "127.0.0.1"))
    supervisor_env.update(layout.env())

    supervisor = Supervisor(ROOT, LOG_DIR, supervisor_env)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    try:
        start_layout(supervisor, layout, model, conf.rasa_token)
        print(_banner(ports, conf.rasa_token, _replicas_line(layout, choice),
                      replicas_many=layout.behind_nginx), flush=True)
        last_restart: dict[str, float] = {}
        while not stopping:
            dead = supervisor.exited()
            if dead:
                fatal = restart_replicas(supervisor, layout, model, conf.rasa_token,
                                         dead, last_restart)
                if fatal:
                    print(f"process exited: {', '.join(fatal)}; see var/log/",
                          file=sys.stderr)
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
    except (ConfigError, RedisUnavailable, TrainingError, StartupError, LayoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
