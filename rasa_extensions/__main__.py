"""`python -m rasa_extensions run …`: Rasa's command line with the server start-up hook.

The same arguments as `rasa`; the project's replacements of Rasa internals
(rasa_extensions/startup.py) are installed first, once, in this process only.
The launcher, the test fixtures and the benchmarks start the server this way.
"""

from __future__ import annotations

import sys

from rasa_extensions import startup


def main() -> None:
    startup.install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
