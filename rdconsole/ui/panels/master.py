"""The master's panel: reachability, binlog coordinates, GTID, read_only, version, growth."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Vertical

from rdconsole.config.settings import HostConfig
from rdconsole.core.model import HostSnapshot
from rdconsole.core.verdict import Severity
from rdconsole.ui.panels.field import Row
from rdconsole.ui.panels.words import NONE, on_off, rate_text, reach, with_symbol


class MasterPanel(Vertical):
    """Renders the latest master snapshot; does no I/O."""

    def __init__(self, host: HostConfig) -> None:
        super().__init__(id="master", classes="host")
        self.border_title = f"master {host.name} {host.mysql.address}"
        self.border_subtitle = "not polled yet"

    def compose(self) -> ComposeResult:
        yield Row("state", "waiting for the first poll", id="state")
        yield Row("binlog", id="binlog")
        yield Row("GTID", id="gtid")
        yield Row("read_only", id="read-only")
        yield Row("version", id="version")
        yield Row("growth", id="growth")

    def show(self, snapshot: HostSnapshot, rate: float | None, polled_at: datetime) -> None:
        """``rate`` is the binlog growth in bytes/s (None when unknown)."""
        self.border_title = f"master {snapshot.name} {snapshot.address}"
        self.border_subtitle = f"polled {polled_at:%H:%M:%S}"
        text, severity = reach(snapshot)
        self.query_one("#state", Row).show(text, severity)
        binlog = snapshot.binlog
        self.query_one("#binlog", Row).show(
            f"{binlog.file}:{binlog.position}" if binlog is not None else NONE
        )
        gtid = binlog.gtid_position if binlog is not None else None
        self.query_one("#gtid", Row).show(gtid or NONE)
        server = snapshot.server
        if server is None:
            self.query_one("#read-only", Row).show(NONE)
            self.query_one("#version", Row).show(NONE)
        else:
            read_only = on_off(server.read_only)
            if server.read_only:
                # A master must take writes: ON is the problem, so it carries the symbol.
                self.query_one("#read-only", Row).show(
                    with_symbol(Severity.CRITICAL, f"{read_only} (Rivendell cannot write)"),
                    Severity.CRITICAL,
                )
            else:
                self.query_one("#read-only", Row).show(read_only, Severity.OK)
            self.query_one("#version", Row).show(server.version)
        self.query_one("#growth", Row).show(rate_text(rate) if snapshot.reachable else NONE)
