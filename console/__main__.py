"""`python -m console [--host H] [--port P]`: run the console (docs/CONSOLE.md)."""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bot.config import ConfigError, settings
from console.app import create_app


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m console")
    parser.add_argument("--host", default=os.environ.get("CONSOLE_INTERFACE", "127.0.0.1"))
    parser.add_argument("--port", type=int, default=int(os.environ.get("CONSOLE_PORT", "5080")))
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    try:
        settings().check_secrets()
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    create_app().run(host=args.host, port=args.port, workers=1, access_log=False)
    return 0


if __name__ == "__main__":
    sys.exit(main())
