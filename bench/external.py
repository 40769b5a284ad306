"""External validation set from public corpora's training splits (local only, never committed).

Reads snapshots of public repositories (git directories, e.g. from the search
tool's `fetch`) and writes a JSONL validation file (`text`, `label`, `source`)
under results/ — the text stays on this machine: no fetched text may enter the
repository (see data/nlu/SOURCES.md). Only training splits of corpora that are
not reserved for independent evaluation are read:

* thu-coai/COLDataset `COLDataset/train.csv` (Apache-2.0): label 1 → `malicious`;
  label 0 → `none` (safe talk about groups: a hard negative for the malicious
  decision, not a caller state);
* Meituan-Dianping/asap `data/{train,dev,test}_sample.csv` (Apache-2.0; the corpus is
  not reserved, and none of it is trained on): restaurant reviews split into
  sentences; 1–2 stars → `complaint`, 5 stars with no negative aspect → `praise`
  (≥ 12 characters, at most 3 sentences per review). A sentence of a 5-star review may
  be neutral or a small complaint, so its label is noisy for complaint; read as
  angry or malicious it is a false alarm all the same (`praise_as_alarm` in
  bench/nlu.py).

Items sharing 8 or more consecutive characters with `--dev` (the development
set, which was drawn partly from the same files) are dropped, so the two sets
stay apart. Each pool is shuffled with random.Random(42) and cut at `--per-label`.

    python bench/external.py --mirror /work/.mirror --dev ../shared/eval/dev.jsonl \
        --out results/external.jsonl
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import random
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.nlu_data import ngrams, read_jsonl_texts  # noqa: E402

_SENTENCE = re.compile(r"[^。！？!?\n]+[。！？!?]*")
_CLEAN = re.compile(r"https?://\S+|@\S+|#[^#]+#|\[[^\]]{1,8}\]")


def git_file(repo: Path, path: str) -> tuple[str, str]:
    """(text, commit) of `path` at HEAD of the snapshot `repo`."""
    commit = subprocess.run(["git", "-C", str(repo), "rev-parse", "HEAD"], check=True,
                            capture_output=True, text=True).stdout.strip()
    blob = subprocess.run(["git", "-C", str(repo), "show", f"HEAD:{path}"], check=True,
                          capture_output=True).stdout
    return blob.decode("utf-8-sig"), commit


def clean(text: str) -> str:
    return re.sub(r"\s+", " ", _CLEAN.sub("", text)).strip()


def cold(repo: Path) -> list[dict[str, str]]:
    text, commit = git_file(repo, "COLDataset/train.csv")
    rows = []
    for row in csv.DictReader(io.StringIO(text)):
        body = clean(row["TEXT"])
        if 4 <= len(body) <= 120:
            label = "malicious" if row["label"].strip() == "1" else "none"
            rows.append({"text": body, "label": label,
                         "source": f"thu-coai/COLDataset@{commit[:12]}:COLDataset/train.csv"
                                   f"#{row['']}", "domain": f"forum/{row['topic']}"})
    return rows


ASAP_FILES = ("data/train_sample.csv", "data/dev_sample.csv", "data/test_sample.csv")


def asap(repo: Path) -> list[dict[str, str]]:
    rows = []
    for path in ASAP_FILES:
        text, commit = git_file(repo, path)
        for row in csv.DictReader(io.StringIO(text)):
            star = float(row["star"])
            aspects = [v for k, v in row.items() if k not in ("index", "reviewbody", "star")]
            if star <= 2:
                label = "complaint"
            elif star >= 5 and "-1" not in aspects:
                label = "praise"
            else:
                continue
            sentences = [clean(s) for s in _SENTENCE.findall(row["reviewbody"])]
            for number, sentence in enumerate([s for s in sentences
                                               if 12 <= len(s) <= 120][:3]):
                rows.append({"text": sentence, "label": label,
                             "source": f"Meituan-Dianping/asap@{commit[:12]}:{path}"
                                       f"#{row['index']}.{number}",
                             "domain": "restaurant_review"})
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, required=True,
                        help="directory with owner+name/repo snapshots")
    parser.add_argument("--dev", type=Path, help="development set to keep apart from")
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "external.jsonl")
    parser.add_argument("--per-label", type=int, default=300)
    args = parser.parse_args(argv)

    pools: dict[str, list[dict[str, str]]] = {}
    readers = {"thu-coai+COLDataset": cold, "Meituan-Dianping+asap": asap}
    for name, reader in readers.items():
        repo = args.mirror / name / "repo"
        if not repo.exists():
            print(f"skipped {name}: no snapshot at {repo}")
            continue
        for row in reader(repo):
            pools.setdefault(row["label"], []).append(row)
    dev_grams: set[str] = set()
    if args.dev and args.dev.exists():
        for text in read_jsonl_texts(args.dev):
            dev_grams.update(ngrams(text))
    chosen = []
    for label in sorted(pools):
        rows = pools[label]
        random.Random(42).shuffle(rows)
        kept, dropped = [], 0
        for row in rows:
            if any(g in dev_grams for g in ngrams(row["text"])):
                dropped += 1
                continue
            kept.append(row)
            if len(kept) >= args.per_label:
                break
        chosen += kept
        print(f"{label}: {len(kept)} kept, {dropped} dropped for overlap with the dev set")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", encoding="utf-8") as handle:
        for row in chosen:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(chosen)} items written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
