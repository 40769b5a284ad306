"""Import boundaries, checked with import-linter (contracts in pyproject.toml): bot/ imports
no framework and no outer folder, no channel or Rasa extension imports the action server's
code, the console imports no Rasa; and the contracts do fail when a boundary is crossed."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "actions", "channels", "console", "rasa_extensions", "launcher")
LINT = "from importlinter.cli import lint_imports_command; lint_imports_command()"


def lint_imports(root: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(root)}
    return subprocess.run(
        [sys.executable, "-c", LINT, "--no-cache", "--no-logo",
         "--config", str(root / "pyproject.toml")],
        cwd=root, env=env, capture_output=True, text=True, timeout=300,
    )


def test_the_import_contracts_hold() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def _python_only(folder: str, names: list[str]) -> set[str]:
    return {n for n in names if n == "__pycache__"
            or (not n.endswith(".py") and not (Path(folder) / n).is_dir())}


def test_the_contracts_fail_when_a_boundary_is_crossed(tmp_path: Path) -> None:
    for package in PACKAGES:
        shutil.copytree(ROOT / package, tmp_path / package, ignore=_python_only)
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    crossings = {
        "bot/masking.py": "import rasa.core.agent\n",  # the domain imports a framework
        "bot/outcomes.py": "import channels.payloads\n",  # ... or a channel
        "channels/payloads.py": "import actions.support\n",  # a channel imports actions/
        "console/timefmt.py": "import rasa.shared.core.events\n",  # the console imports Rasa
    }
    for path, line in crossings.items():
        target = tmp_path / path
        target.write_text(target.read_text(encoding="utf-8") + line, encoding="utf-8")
    result = lint_imports(tmp_path)
    assert result.returncode != 0
    broken = {line.rsplit(" ", 1)[0] for line in result.stdout.splitlines()
              if line.endswith(" BROKEN")}
    assert broken == {
        "bot/ is the domain: no framework, no channel, no Rasa extension, no process",
        "No channel and no Rasa extension imports the action server's code",
        "The console imports no Rasa, no actions, no channels",
    }, result.stdout[-4000:]
    for path in crossings:
        assert path.replace("/", ".").removesuffix(".py") in result.stdout


def test_no_file_points_to_a_document_outside_the_repository() -> None:
    """Comments state the rule they mean; the specification the project was built from
    is not part of it."""
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True,
                             check=True).stdout.split()
    marker = "HOTLINE" + "_SPEC"
    found = [name for name in tracked if (ROOT / name).is_file()
             and name.endswith((".py", ".yml", ".md", ".toml", ".txt", ".html", ".js"))
             and marker in (ROOT / name).read_text(encoding="utf-8", errors="replace")]
    assert found == []
