"""Where a benchmark's figures go: `--json PATH` (folders made as needed, UTF-8, the
Chinese kept readable)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Optional


def write_json(path: Optional[Path], figures: Any, indent: int = 2) -> None:
    """Write `figures` to `path`; nothing when no path was asked for."""
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(figures, ensure_ascii=False, indent=indent), encoding="utf-8")
