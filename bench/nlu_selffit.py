"""Self-fit: every training example parsed by the model trained on it.

A model that misreads its own examples misreads the callers who say exactly them
(`我想投诉` was a cancel). Prints how many examples of the caller states and of the other
intents are read as another intent, by (taught, read) pair, and the misread examples.

    python bench/nlu_selffit.py [--model models/hotline-....tar.gz] [--json out.json]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections import Counter
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.report import write_json  # noqa: E402


async def misread(model: Path) -> dict[str, Any]:
    from rasa.core.agent import Agent

    import rasa_extensions.nlu  # noqa: F401  (the model's components, by module path)
    import rasa_extensions.policy  # noqa: F401
    from bench.nlu_data import STATES
    from bench.nlu_validation import load_examples

    agent = Agent.load(str(model))
    report: dict[str, Any] = {}
    for group, wanted in (("states", True), ("others", False)):
        examples = [e for e in load_examples() if (e.intent in STATES) is wanted]
        wrong = []
        for example in examples:
            parsed = await agent.parse_message(example.text)
            read = parsed["intent"]["name"]
            if read != example.intent:
                wrong.append({"text": example.text, "taught": example.intent, "read": read,
                              "confidence": round(float(parsed["intent"]["confidence"]), 3)})
        pairs = Counter(f"{w['taught']} -> {w['read']}" for w in wrong)
        report[group] = {"examples": len(examples), "misread": len(wrong),
                         "pairs": dict(pairs.most_common()), "misread_examples": wrong}
    return report


def main(argv: Optional[list[str]] = None) -> int:
    from bench.stack import current_model

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=None)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)
    report = asyncio.run(misread(args.model or current_model()))
    for group, figures in report.items():
        print(f"{group}: {figures['misread']} of {figures['examples']} examples misread")
        for pair, count in list(figures["pairs"].items())[:15]:
            print(f"  {count:4d}  {pair}")
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
