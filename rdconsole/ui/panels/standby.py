"""A standby's panel: thread states in words, lag, coordinates, errors and a lag sparkline."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, Sparkline

from rdconsole.config.settings import HostConfig
from rdconsole.core.model import HostSnapshot, ReplicaStatus
from rdconsole.core.verdict import Severity, StandbyLag, Thresholds, standby_lag
from rdconsole.ui.panels.field import Row
from rdconsole.ui.panels.words import (
    NONE,
    behind,
    byte_lag,
    lag_summary,
    last_error,
    on_off,
    reach,
    thread_severity,
    thread_text,
    with_symbol,
)

_REPLICA_FIELDS = ("io", "sql", "behind", "read", "exec", "byte-lag", "io-error", "sql-error")


class StandbyPanel(Vertical):
    """Renders the latest snapshot of one standby against the latest master snapshot."""

    def __init__(self, host: HostConfig, thresholds: Thresholds, *, id: str) -> None:
        super().__init__(id=id, classes="host")
        self._thresholds = thresholds
        self.border_title = f"standby {host.name} {host.mysql.address}"
        self.border_subtitle = "not polled yet"

    def compose(self) -> ComposeResult:
        yield Row("state", "waiting for the first poll", id="state")
        yield Row("IO", id="io")
        yield Row("SQL", id="sql")
        yield Row("behind", id="behind")
        yield Row("read", id="read")
        yield Row("exec", id="exec")
        yield Row("byte lag", id="byte-lag")
        yield Row("IO error", id="io-error", classes="error")
        yield Row("SQL error", id="sql-error", classes="error")
        yield Row("read_only", id="read-only")
        with Horizontal(id="history"):
            yield Label("history", classes="key")
            yield Sparkline([], summary_function=max)
            yield Label("no data yet", id="lag-summary", markup=False)

    def show(
        self,
        snapshot: HostSnapshot,
        master: HostSnapshot | None,
        history: Sequence[int | None],
        polled_at: datetime,
    ) -> None:
        """``history`` is seconds behind per poll, oldest first, None for NULL."""
        self.border_title = f"standby {snapshot.name} {snapshot.address}"
        self.border_subtitle = f"polled {polled_at:%H:%M:%S}"
        text, severity = reach(snapshot)
        state = self.query_one("#state", Row)
        state.show(text, severity)
        replica = snapshot.replica
        if not snapshot.reachable or replica is None:
            if snapshot.reachable and snapshot.replica_checked:
                state.show(
                    with_symbol(Severity.CRITICAL, "not a replica (SHOW SLAVE STATUS empty)"),
                    Severity.CRITICAL,
                )
            for field_id in _REPLICA_FIELDS:
                self.query_one(f"#{field_id}", Row).show(NONE)
        else:
            self._show_replica(replica, standby_lag(master, snapshot))
        server = snapshot.server
        if server is None:
            self.query_one("#read-only", Row).show(NONE)
        elif server.read_only:
            self.query_one("#read-only", Row).show(on_off(True), Severity.OK)
        else:
            self.query_one("#read-only", Row).show(
                with_symbol(Severity.WARNING, "OFF (writable: local writes break replication)"),
                Severity.WARNING,
            )
        self._show_history(history)

    def _show_replica(self, replica: ReplicaStatus, lag: StandbyLag) -> None:
        self.query_one("#io", Row).show(
            thread_text(replica.io_running), thread_severity(replica.io_running)
        )
        self.query_one("#sql", Row).show(
            thread_text(replica.sql_running), thread_severity(replica.sql_running)
        )
        self.query_one("#behind", Row).show(*behind(lag, replica, self._thresholds))
        self.query_one("#read", Row).show(
            f"{replica.master_log_file}:{replica.read_master_log_pos}"
        )
        self.query_one("#exec", Row).show(
            f"{replica.relay_master_log_file}:{replica.exec_master_log_pos}"
        )
        self.query_one("#byte-lag", Row).show(*byte_lag(lag, replica))
        self.query_one("#io-error", Row).show(
            *last_error(replica.last_io_errno, replica.last_io_error)
        )
        self.query_one("#sql-error", Row).show(
            *last_error(replica.last_sql_errno, replica.last_sql_error)
        )

    def _show_history(self, history: Sequence[int | None]) -> None:
        # Unknown lag (NULL) is left out of the bars, never drawn as 0; the summary counts it.
        known = [float(seconds) for seconds in history if seconds is not None]
        sparkline = self.query_one(Sparkline)
        sparkline.data = known
        sparkline.display = len(known) >= 2
        self.query_one("#lag-summary", Label).update(lag_summary(history))
