"""Leave-one-source-out of config.yml's pipeline in-process, with every held-out reading
kept, and two such runs compared on the texts they share.

    python bench/nlu_loso.py --out results/loso-after.json
    python bench/nlu_loso.py --compare results/loso-before.json results/loso-after.json

The run is the one `tests/test_nlu_validation.py` asserts a floor on (bench/nlu_offline.py,
bench/nlu_validation.py): about ten minutes for eighteen sources on the 2-core machine.
A comparison is made on the texts both runs held out, so examples added between them
do not move the figures; it lists every text whose reading changed.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any, Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.nlu_validation import (  # noqa: E402
    Prediction,
    load_examples,
    loso,
    per_source,
    state_summary,
)

ROOT = Path(__file__).resolve().parent.parent


def headline(predictions: list[Prediction]) -> dict[str, Any]:
    summary = state_summary(predictions)
    acted = state_summary(predictions, acted=True)
    labels = summary["labels"]
    return {
        "texts": summary["n"],
        "macro_f1": round(summary["macro_f1"], 4),
        "angry_f1": round(labels["angry"]["f1"], 3),
        "angry_recall": round(labels["angry"]["recall"], 3),
        "malicious_precision": round(labels["malicious"]["precision"], 3),
        "malicious_recall": round(labels["malicious"]["recall"], 3),
        "angry_as_malicious": round(summary["angry_as_malicious"], 4),
        "praise_as_negative": round(summary["praise_as_negative"], 3),
        "angry_as_other": summary["confusion"]["angry"].get("other", 0),
        # what the dialogue acts on: the caller state beside a request counts too
        "acted_macro_f1": round(acted["macro_f1"], 4),
        "acted_angry_recall": round(acted["labels"]["angry"]["recall"], 3),
    }


def run(out: Path) -> None:
    import yaml

    pipeline = yaml.safe_load((ROOT / "config.yml").read_text(encoding="utf-8"))["pipeline"]
    predictions = loso(pipeline, load_examples())
    print(json.dumps(headline(predictions), ensure_ascii=False))
    for source, summary in per_source(predictions).items():
        print(f"  {source:<24} macro-F1 {summary['macro_f1']:.3f}  n {summary['n']}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps([dataclasses.asdict(p) for p in predictions],
                              ensure_ascii=False), encoding="utf-8")


def load(path: Path) -> list[Prediction]:
    known = {f.name for f in dataclasses.fields(Prediction)}
    return [Prediction(**{k: v for k, v in row.items() if k in known})
            for row in json.loads(path.read_text(encoding="utf-8"))]


def compare(before_path: Path, after_path: Path) -> None:
    before, after = load(before_path), load(after_path)
    shared = {p.text for p in before} & {p.text for p in after}
    print("before", json.dumps(headline([p for p in before if p.text in shared])))
    print("after ", json.dumps(headline([p for p in after if p.text in shared])))
    earlier = {p.text: p for p in before}
    changed = [(p, earlier[p.text]) for p in after
               if p.text in earlier and earlier[p.text].intent != p.intent]
    print(f"{len(changed)} of {len(shared)} shared texts read differently:")
    for now, then in changed:
        print(f"  [{now.gold}] {now.text}: {then.intent} -> {now.intent}")


def main(argv: Optional[list[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, help="write every held-out reading here")
    parser.add_argument("--compare", type=Path, nargs=2, metavar=("BEFORE", "AFTER"))
    args = parser.parse_args(argv)
    if args.compare:
        compare(*args.compare)
    elif args.out:
        run(args.out)
    else:
        parser.error("--out or --compare")
    return 0


if __name__ == "__main__":
    sys.exit(main())
