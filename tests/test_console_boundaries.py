"""The console's boundaries: it never imports Rasa, the action server's code or the
channels (it reads trackers through bot/tracker_codec.py), and its pages are template files
(console/templates/), not HTML in Python strings."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONSOLE = ROOT / "console"
FORBIDDEN = ("rasa", "rasa_sdk", "actions", "channels")


def test_the_console_process_imports_no_rasa_actions_or_channels() -> None:
    modules = sorted(
        "console." + ".".join(p.relative_to(CONSOLE).with_suffix("").parts)
        for p in CONSOLE.rglob("*.py")
    )
    modules = [m.removesuffix(".__init__") for m in modules]
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('\\n'.join(sorted(sys.modules)))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    loaded = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, check=True,
                            capture_output=True, text=True).stdout.split()
    assert "console.app" in loaded
    assert [m for m in loaded if m.split(".")[0] in FORBIDDEN] == []


def test_no_html_in_the_console_python_code() -> None:
    """Markup lives in console/templates/*.html (autoescaped), never in Python strings."""
    tags = ("<html", "<table", "<tr", "<td", "<form", "<div", "<p>", "<a ", "<script", "<input")
    found = []
    for path in CONSOLE.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and any(tag in node.value for tag in tags):
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert found == []
    assert (CONSOLE / "templates" / "base.html").exists()
