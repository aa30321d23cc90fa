"""What the console knows: the last two snapshots of every host, lag history, the latest audio
mirror check of every watched standby, and the verdict over all of them.

Plain Python (no textual), so the App stays a thin shell over it.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from datetime import datetime

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.audio import AudioSnapshot, LastSync, audio_problems
from rdconsole.core.changes import binlog_rate, describe_changes
from rdconsole.core.model import ErrorKind, HostError, HostSnapshot
from rdconsole.core.verdict import Problem, Verdict, judge, standby_lag

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
        self._audio: dict[str, AudioSnapshot] = {}
        self.received = 0
        """Snapshots taken in so far (tests wait on it)."""
        self.audio_received = 0
        """Audio snapshots taken in so far (tests wait on it)."""

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

    def record_audio(self, snapshot: AudioSnapshot) -> list[str]:
        """Take in a new audio check; returns the event-log lines for what changed."""
        previous = self._audio.get(snapshot.standby)
        self._audio[snapshot.standby] = snapshot
        self.audio_received += 1
        return describe_audio_changes(previous, snapshot)

    def audio(self, name: str) -> AudioSnapshot | None:
        return self._audio.get(name)

    def audio_problems(self, name: str, now: datetime) -> list[Problem]:
        """The problems of ``name``'s latest audio check (none before the first)."""
        snapshot = self._audio.get(name)
        if snapshot is None:
            return []
        return audio_problems(snapshot, self._settings.standby(name).audio.stale_after, now)

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

    def verdict(self, now: datetime) -> Verdict | None:
        """The verdict over all hosts and the audio mirrors checked so far; None until every
        host has been polled once. ``now`` dates the last audio sync (stale or not)."""
        master = self.master
        if master is None or self.waiting_for():
            return None
        standbys = [self._latest[standby.name] for standby in self._settings.standbys]
        extra = [problem for name in self._audio for problem in self.audio_problems(name, now)]
        return judge(master, standbys, self._settings.console.thresholds, extra)


def _guard_word(present: bool | None) -> str:
    return {True: "present", False: "missing", None: "unknown"}[present]


def _mirror_word(audio: AudioSnapshot) -> str:
    reason = audio.paused_reason
    return "ACTIVE" if reason is None else f"PAUSED ({reason})"


def _last_word(last: LastSync) -> str:
    if last.ok:
        return f"ok, {last.files} file(s), {last.deleted} deleted"
    return f"FAILED: {last.error or 'no reason given'}"


def describe_audio_changes(previous: AudioSnapshot | None, current: AudioSnapshot) -> list[str]:
    """Event-log lines for what changed in a standby's audio mirror since the last check."""
    lines: list[str] = []
    if previous is None:
        lines.append(
            f"first check: guard {_guard_word(current.guard_present)}, "
            f"mirror {_mirror_word(current)}"
        )
    else:
        if previous.guard_present != current.guard_present:
            before, after = _guard_word(previous.guard_present), _guard_word(current.guard_present)
            lines.append(f"guard file {before} → {after}")
        if previous.paused_reason != current.paused_reason:
            lines.append(f"mirror {_mirror_word(previous)} → {_mirror_word(current)}")
        if previous.running is None and current.running is not None:
            pid = current.running.pid
            lines.append(f"a sync is running{f' (pid {pid})' if pid is not None else ''}")
    last = current.last
    if previous is not None and last is not None and previous.last != last:
        lines.append(f"last sync {_last_word(last)}")
    before_missing = previous.missing_cuts if previous is not None else None
    if current.missing_cuts and current.missing_cuts != before_missing:
        lines.append(f"{current.missing_cuts} cut(s) have no audio on the standby")
    return [f"{current.standby} audio: {line}" for line in lines]


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
