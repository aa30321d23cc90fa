"""The core and the adapters load without Textual (import-linter checks the same statically)."""

from __future__ import annotations

import subprocess
import sys

NON_UI_MODULES = [
    "rdconsole.core.verdict",
    "rdconsole.core.rsync_output",
    "rdconsole.config",
    "rdconsole.hosts.mysql",
    "rdconsole.hosts.state",
    "rdconsole.ops.status",
    "rdconsole.lab",
    "rdconsole.cli",
]


def test_non_ui_layers_never_import_textual() -> None:
    code = (
        "import sys\n"
        + "".join(f"import {module}\n" for module in NON_UI_MODULES)
        + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'textual'))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"


def test_the_console_loads_without_the_database_and_ssh_drivers() -> None:
    """The UI reaches hosts only through the ops protocols (``SyncRunner``, ``FailoverRunner``):
    building the App loads neither asyncmy nor asyncssh; the runners import them when used."""
    code = (
        "import sys\n"
        "import rdconsole.ui.app, rdconsole.ops.failover_flow\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('asyncmy', 'asyncssh')))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
