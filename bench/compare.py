"""The same load against the project and against stock Rasa; prints the ratios.

    python bench/stock/make_stock.py --out /tmp/hotline-stock --epochs 5
    python bench/compare.py --stock-model /tmp/hotline-stock/models/stock-e5.tar.gz \
        --scenarios rest:callers:50,rest:callers:200,rest:saturation:50 \
        --duration 60 --think 2 --warmup 5 --json results/compare.json

For each system in turn (never both at once: they would share the 2 cores), a fresh
stack is started (bench/stack.py: own Redis, action server(s), Rasa server(s) with the
project's channels, credentials.yml; the project in `make run`'s layout unless
`--replicas` says otherwise, stock Rasa as one process), warmed up with one
answered turn, loaded with every scenario (`channel:mode:conversations`, bench/load.py),
and stopped. Ratios are stock / project (latency > 1: stock is slower; turns/s < 1:
stock serves fewer).

"Stock" is stock Rasa as a team would deploy it on this data: the stock pipeline and
policies, Rasa's own Redis tracker and lock stores (bench/stock/endpoints.yml) and no
patches of Rasa's hot paths (HOTLINE_RASA_SPEEDUPS=0). `--stock-setup model-only` keeps
the project's stores and patches, so only the model differs.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load import THINK_SPREAD, Options, print_report, run_load  # noqa: E402
from bench.report import write_json  # noqa: E402
from bench.stack import BenchStack, current_model, first_answer  # noqa: E402
from launcher.layout import choose_replicas  # noqa: E402

DEFAULT_SCENARIOS = ("rest:callers:50,rest:callers:200,rest:saturation:50,"
                     "phone:callers:50,phone:callers:200,phone:saturation:50")


def parse_scenarios(text: str) -> list[tuple[str, str, int]]:
    scenarios = []
    for item in filter(None, (part.strip() for part in text.split(","))):
        channel, mode, count = item.split(":")
        if channel not in ("rest", "phone") or mode not in ("callers", "saturation"):
            raise SystemExit(f"bad scenario {item!r}: channel rest|phone, mode callers|saturation")
        scenarios.append((channel, mode, int(count)))
    return scenarios


STOCK_ENDPOINTS = Path(__file__).resolve().parent / "stock" / "endpoints.yml"


def measure(label: str, model: Path, work: Path, scenarios: list[tuple[str, str, int]],
            args: argparse.Namespace, stock_setup: bool = False,
            replicas: int = 1) -> list[dict[str, Any]]:
    reports = []
    setup: dict[str, Any] = {}
    if stock_setup:
        setup = {"endpoints": STOCK_ENDPOINTS, "extra_env": {"HOTLINE_RASA_SPEEDUPS": "0"}}
    if replicas > 1:  # make run's layout: replicas and action servers behind nginx
        setup.update(replicas=replicas, nginx=True)
    with BenchStack(work / label, model=model, **setup) as stack:
        startup = first_answer(stack.url)
        print(f"[{label}] {replicas} replica(s); first answer {startup:.1f} s after health",
              flush=True)
        for channel, mode, count in scenarios:
            options = Options(
                url=stack.url, channel=channel, mode=mode, conversations=count,
                duration=args.duration, think=args.think, think_spread=args.think_spread,
                timeout=args.timeout,
                max_requests=args.max_requests, twilio_token=stack.twilio_token,
                warmup=args.warmup, label=label,
            )
            report = asyncio.run(run_load(options, watch_pids=stack.pids()))
            report["model"] = str(model)
            report["replicas"] = replicas
            print_report(report)
            reports.append(report)
    return reports


def replica_count(item: str) -> int:
    """'default' is what `make run` starts on this machine (launcher/layout.py)."""
    item = item.strip()
    if item == "default":
        return choose_replicas().count
    return max(1, int(item))


def ratio(stock: float, project: float) -> Optional[float]:
    return round(stock / project, 2) if project else None


def ratios(project: list[dict[str, Any]], stock: list[dict[str, Any]]) -> list[dict[str, Any]]:
    rows = []
    for p, s in zip(project, stock, strict=True):
        row = {"scenario": f"{p['channel']}:{p['mode']}:{p['conversations']}"}
        for q in ("p50", "p95", "p99"):
            row[q] = (p["latency_ms"][q], s["latency_ms"][q],
                      ratio(s["latency_ms"][q], p["latency_ms"][q]))
        row["turns_per_s"] = (p["turns_per_s"], s["turns_per_s"],
                              ratio(s["turns_per_s"], p["turns_per_s"]))
        row["errors"] = (p["errors"], s["errors"])
        rows.append(row)
    return rows


def print_ratios(rows: list[dict[str, Any]]) -> None:
    print("\nscenario                     metric        project      stock   stock/project")
    for row in rows:
        for key in ("p50", "p95", "p99", "turns_per_s"):
            project, stock, factor = row[key]
            unit = " ms" if key != "turns_per_s" else ""
            print(f"{row['scenario']:<28} {key:<12} {project:>9}{unit} {stock:>9}{unit}   "
                  f"{factor}")
        print(f"{row['scenario']:<28} {'errors':<12} {row['errors'][0]:>9}    "
              f"{row['errors'][1]:>9}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stock-model", type=Path, default=None,
                        help="from bench/stock/make_stock.py")
    parser.add_argument("--project-only", action="store_true",
                        help="measure the project alone (no stock model, no ratios)")
    parser.add_argument("--project-model", type=Path, default=None,
                        help="default: the current project model (models/)")
    parser.add_argument("--scenarios", default=DEFAULT_SCENARIOS,
                        help="comma list of channel:mode:conversations")
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--think", type=float, default=2.0)
    parser.add_argument("--think-spread", type=float, default=THINK_SPREAD,
                        help="each pause is uniform in think × (1 ± this)")
    parser.add_argument("--warmup", type=float, default=5.0)
    parser.add_argument("--timeout", type=float, default=30.0)
    parser.add_argument("--max-requests", type=int, default=200_000)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    parser.add_argument("--replicas", default="default",
                        help="Rasa replicas of the project: 'default' (make run's choice: one "
                             "per core behind nginx), a number, or a comma list measured in "
                             "turn (e.g. default,1)")
    parser.add_argument("--stock-setup", choices=["stock", "model-only"], default="stock",
                        help="stock: Rasa's own stores, no patches (default); model-only: "
                             "the project's stores and patches")
    args = parser.parse_args(argv)
    if args.stock_model is None and not args.project_only:
        parser.error("--stock-model is required (or --project-only)")
    scenarios = parse_scenarios(args.scenarios)
    work = args.work_dir or Path(tempfile.mkdtemp(prefix="hotline-compare-"))
    model = args.project_model or current_model()
    layouts = [replica_count(item) for item in args.replicas.split(",") if item.strip()]
    project = measure("project", model, work, scenarios, args, replicas=layouts[0])
    result: dict[str, Any] = {"project": project, "project_replicas": layouts[0]}
    for count in layouts[1:]:
        result[f"project_{count}_replicas"] = measure(
            f"project-{count}", model, work, scenarios, args, replicas=count)
    if not args.project_only:
        result["stock"] = measure("stock", args.stock_model, work, scenarios, args,
                                  stock_setup=args.stock_setup == "stock")
        result["stock_setup"] = args.stock_setup
        result["ratios"] = ratios(project, result["stock"])
        print_ratios(result["ratios"])
    write_json(args.json, result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
