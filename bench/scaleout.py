"""Scale-out stack: two Rasa replicas and two action servers behind nginx, one Redis.

    python bench/scaleout.py [--front-port 5100] [--replicas 2] [--max-seconds 3600]

nginx is run unprivileged from launcher/nginx.conf.template rendered into the work
directory (`nginx -p <dir> -c <dir>/nginx.conf`, `daemon off`, pid/logs/temp inside
it). Callers use the front port (the least busy replica; no sticky sessions:
the Redis lock store orders each conversation's turns); the replicas call their
custom actions through nginx's second port (least busy of the action servers).
Prints `READY {json}` like bench/serve.py, then waits for Ctrl-C/SIGTERM. Load it with
`python bench/load.py --url <url from READY>`; tests/test_scaleout.py checks it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Optional

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import serve  # noqa: E402


def main(argv: Optional[list[str]] = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not any(a.startswith("--replicas") for a in args):
        args += ["--replicas", "2"]
    return serve.main(["--nginx", *args])


if __name__ == "__main__":
    sys.exit(main())
