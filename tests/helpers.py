"""Helpers shared by unit and integration tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path


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
