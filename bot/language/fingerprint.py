"""A fingerprint of this package's rules and word lists, for the NLU's training cache.

Rasa reuses a trained component's output while the component's configuration is
unchanged; it does not look at code or data files. The NLU components that apply
these rules (the normaliser, the lexicon featurizer, the entity extractor) add this
fingerprint to theirs, so editing a lexicon (`lexicons/*.txt`, company configuration)
or a rule retrains what depends on it instead of pairing a new featurizer with a
classifier trained on the old features.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent
SUFFIXES = (".py", ".txt", ".json", ".yml")


@lru_cache(maxsize=4)
def language_fingerprint(root: Path = PACKAGE) -> str:
    """SHA-256 over every rule and word list under `root` (`bot.language`), by path."""
    digest = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file()):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()
