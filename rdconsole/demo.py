"""``rdconsole demo``: a lab of two real MariaDB servers, a config for it, and the console.

Everything lives in a temporary directory that is removed on exit; the servers are stopped even
when the console crashes.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
from pathlib import Path

from rdconsole.config import load_settings
from rdconsole.hosts.mysql import build_collectors
from rdconsole.hosts.state import FileJournal
from rdconsole.lab import LabDrills, LabError, MariaDBLab
from rdconsole.ui.app import make_app

EXIT_LAB_FAILED = 4


def run_demo(poll_interval: float) -> int:
    """Run the demo; returns the process exit code (4 when the lab cannot start)."""
    root = Path(tempfile.mkdtemp(prefix="rdconsole-demo-"))
    try:
        print("rdconsole demo: starting two MariaDB servers on loopback ...", file=sys.stderr)
        try:
            lab = MariaDBLab(root / "lab").start()
        except LabError as error:
            print(f"rdconsole demo: the lab could not start: {error}", file=sys.stderr)
            return EXIT_LAB_FAILED
        try:
            config = lab.write_config(root / "rdconsole.toml", root / "state", poll_interval)
            settings = load_settings(config)
            app = make_app(
                settings,
                build_collectors(settings.hosts, settings.console),
                journal=FileJournal(settings.console.state_dir),
                drills=LabDrills(lab),
            )
            app.run()
            return app.return_code or 0
        finally:
            lab.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)
