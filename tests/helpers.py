"""Helpers shared by unit and integration tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from rdconsole.core.layout import LinkState, parse_probe


def killed_lock_holder(path: Path) -> int:
    """PID of a process that took the RunLock at ``path`` and was then killed with SIGKILL."""
    code = (
        "import time; from pathlib import Path; from rdconsole.hosts.state import RunLock; "
        f"RunLock(Path({str(path)!r})).acquire(); print('held', flush=True); time.sleep(60)"
    )
    with subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True
    ) as holder:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        holder.kill()
    return holder.pid


RECORDING_SERVICE = """#!/bin/sh
# Rivendell's stop/start/check stand-in: logs each call to ./calls, keeps the ./running flag.
# A ./slow-start flag (removed on use) makes the next start take SLOW_START seconds (default 4),
# its shell's PID in ./start.pid.
d=$(dirname "$0")
echo "$(date +%s.%N) $1" >> "$d/calls"
case "$1" in
stop) rm -f "$d/running" ;;
start)
    if [ -e "$d/slow-start" ]; then
        rm -f "$d/slow-start"
        echo $$ > "$d/start.pid"
        sleep "${SLOW_START:-4}"
    fi
    touch "$d/running" ;;
check) [ -e "$d/running" ] ;;
esac
"""


def write_recording_service(directory: Path, *, running: bool = True) -> Path:
    """``directory/rivendell``: the recording service script (``stop``, ``start``, ``check``),
    executable; Rivendell starts out running unless ``running`` is False."""
    directory.mkdir(parents=True, exist_ok=True)
    script = directory / "rivendell"
    script.write_text(RECORDING_SERVICE)
    script.chmod(0o755)
    if running:
        (directory / "running").touch()
    return script


def recorded_calls(directory: Path) -> list[str]:
    """The recording service's calls so far, in order (``stop``, ``check``, ``start``...)."""
    path = directory / "calls"
    lines = path.read_text().splitlines() if path.exists() else []
    return [line.split()[1] for line in lines]


def probed(described: str) -> dict[str, LinkState]:
    """Links probe results described as ``KIND<TAB>PATH<TAB>RESOLVED`` lines (KIND ``L``, ``F``
    or ``M``), turned into the probe script's answer and read by the real parser."""
    rows = [line.split("\t") for line in described.splitlines()]
    answer = "".join(kind for kind, _, _ in rows) + "\n"
    answer += "".join(f"{resolved}\0" for _, _, resolved in rows)
    return parse_probe([path for _, path, _ in rows], answer)
