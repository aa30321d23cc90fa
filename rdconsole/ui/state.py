"""What the console knows: the last two snapshots of every host, lag history and the verdict.

Plain Python (no textual), so the App stays a thin shell over it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.changes import binlog_rate, describe_changes
from rdconsole.core.model import ErrorKind, HostError, HostSnapshot
from rdconsole.core.verdict import Verdict, judge, standby_lag

LAG_HISTORY = 60
"""Polls of lag kept per standby for the sparkline."""


class ConsoleState:
    """The latest and previous snapshot per host, and what follows from them."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._latest: dict[str, HostSnapshot] = {}
        self._previous: dict[str, HostSnapshot] = {}
        self._lag: dict[str, deque[int | None]] = {
            standby.name: deque(maxlen=LAG_HISTORY) for standby in settings.standbys
        }
        self.received = 0
        """Snapshots taken in so far (tests wait on it)."""

    def record(self, snapshot: HostSnapshot) -> list[str]:
        """Take in a new snapshot; returns the event-log lines for what changed."""
        previous = self._latest.get(snapshot.name)
        if previous is not None:
            self._previous[snapshot.name] = previous
        self._latest[snapshot.name] = snapshot
        if snapshot.name in self._lag:
            self._lag[snapshot.name].append(standby_lag(self.master, snapshot).seconds)
        self.received += 1
        return describe_changes(previous, snapshot)

    def latest(self, name: str) -> HostSnapshot | None:
        return self._latest.get(name)

    @property
    def master(self) -> HostSnapshot | None:
        return self._latest.get(self._settings.master.name)

    def lag_history(self, name: str) -> Sequence[int | None]:
        """Seconds behind per poll, oldest first; None where the server said NULL."""
        return tuple(self._lag.get(name, ()))

    def master_rate(self) -> float | None:
        """Binlog growth on the master in bytes/s over the last two polls."""
        master = self.master
        if master is None:
            return None
        return binlog_rate(self._previous.get(master.name), master)

    def waiting_for(self) -> list[str]:
        """Hosts not heard from yet."""
        return [host.name for host in self._settings.hosts if host.name not in self._latest]

    def verdict(self) -> Verdict | None:
        """The verdict over all hosts; None until every host has been polled once."""
        master = self.master
        if master is None or self.waiting_for():
            return None
        standbys = [self._latest[standby.name] for standby in self._settings.standbys]
        return judge(master, standbys, self._settings.console.thresholds)


def timed_out(host: HostConfig, budget: float, now: datetime) -> HostSnapshot:
    """The snapshot shown for a host whose collector did not answer within ``budget`` seconds."""
    return HostSnapshot(
        name=host.name,
        role=host.role,
        address=host.mysql.address,
        checked_at=now,
        reachable=False,
        error=HostError(ErrorKind.TIMEOUT, None, f"no answer within {budget:g} s"),
    )
