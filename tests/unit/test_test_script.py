"""``scripts/test`` (what CI runs): every check's failure fails the run, and pytest runs last.

The script runs against a stand-in virtualenv whose tools only record their call and exit as
told: this tests the script's control flow, not the tools.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
STEPS = ("ruff check", "ruff format", "mypy", "lint-imports", "pytest")
"""The tools' calls in order, as the stand-ins log them (ruff with its subcommand)."""


def stand_in_venv(root: Path, failing: str | None) -> tuple[Path, Path]:
    """A virtualenv the bootstrap accepts as installed; each tool appends its call to a log and
    fails when its call is ``failing``. Returns (venv, log)."""
    venv, log = root / "venv", root / "calls.log"
    bin_dir = venv / "bin"
    bin_dir.mkdir(parents=True)
    for tool in ("python", "ruff", "mypy", "lint-imports", "pytest"):
        script = bin_dir / tool
        script.write_text(
            "#!/bin/sh\n"
            f'call="{tool}"\n'
            f'case "$1" in check|format) call="{tool} $1";; esac\n'
            f'echo "$call" >> "{log}"\n'
            f'if [ "$call" = "{failing}" ]; then exit 1; fi\n'
        )
        script.chmod(0o755)
    stamp = venv / ".rdconsole-installed"
    stamp.touch()
    later = time.time() + 3600  # newer than pyproject.toml: no reinstall
    os.utime(stamp, (later, later))
    return venv, log


def run_test_script(tmp_path: Path, failing: str | None) -> tuple[int, list[str]]:
    venv, log = stand_in_venv(tmp_path, failing)
    result = subprocess.run(
        ["bash", str(ROOT / "scripts" / "test"), "-q"],
        env={**os.environ, "RDCONSOLE_VENV": str(venv)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    calls = log.read_text().split("\n")[:-1] if log.exists() else []
    return result.returncode, calls


def test_all_checks_pass_then_pytest_runs(tmp_path: Path) -> None:
    code, calls = run_test_script(tmp_path, failing=None)
    assert code == 0
    assert calls == list(STEPS)


@pytest.mark.parametrize("failing", STEPS[:-1])
def test_a_failing_check_fails_the_run_before_pytest(tmp_path: Path, failing: str) -> None:
    code, calls = run_test_script(tmp_path, failing)
    assert code != 0
    assert calls == list(STEPS[: STEPS.index(failing) + 1])


def test_pytest_failing_fails_the_run(tmp_path: Path) -> None:
    code, calls = run_test_script(tmp_path, failing="pytest")
    assert code != 0
    assert calls == list(STEPS)
