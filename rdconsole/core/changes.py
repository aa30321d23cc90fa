"""What changed on a host between two polls, in words for the console's event log.

Pure functions over :mod:`rdconsole.core.model` snapshots: no I/O, no clock, no textual.
"""

from __future__ import annotations

from rdconsole.core.model import HostError, HostSnapshot, ReplicaStatus, ThreadState


def describe_changes(previous: HostSnapshot | None, current: HostSnapshot) -> list[str]:
    """Human lines for the state changes from ``previous`` to ``current`` (same host).

    With no earlier reachable snapshot to compare with (first poll, or the host was unreachable),
    replication is compared with a healthy baseline, so only what is wrong is reported.
    """
    name = current.name
    if not current.reachable:
        return [f"{name}: {line}" for line in _unreachable_changes(previous, current.error)]
    lines: list[str] = []
    baseline = previous if previous is not None and previous.reachable else None
    if previous is None:
        lines.append("first poll: reachable")
    elif not previous.reachable:
        lines.append("reachable again")
    if baseline is not None:
        lines += _read_only_changes(baseline, current)
        lines += _binlog_changes(baseline, current)
    lines += _replica_changes(baseline, current)
    return [f"{name}: {line}" for line in lines]


def binlog_rate(previous: HostSnapshot | None, current: HostSnapshot) -> float | None:
    """Bytes per second written to the master's binlog between two polls.

    None when it cannot be told: a missing binlog, a rotation (different files), a position that
    went backwards, or no time elapsed between the polls.
    """
    if previous is None or previous.binlog is None or current.binlog is None:
        return None
    if previous.binlog.file != current.binlog.file:
        return None
    grown = current.binlog.position - previous.binlog.position
    seconds = (current.checked_at - previous.checked_at).total_seconds()
    if grown < 0 or seconds <= 0:
        return None
    return grown / seconds


def _unreachable_changes(previous: HostSnapshot | None, error: HostError | None) -> list[str]:
    reason = str(error) if error is not None else "no reason given"
    if previous is None:
        return [f"first poll: unreachable: {reason}"]
    if previous.reachable:
        return [f"unreachable: {reason}"]
    if not _same_error(previous.error, error):
        return [f"still unreachable, now {reason}"]
    return []


def _same_error(a: HostError | None, b: HostError | None) -> bool:
    """Errors of the same kind and code are the same outage (messages may carry timings)."""
    if a is None or b is None:
        return a is b
    return (a.kind, a.code) == (b.kind, b.code)


def _on_off(value: bool) -> str:
    return "ON" if value else "OFF"


def _read_only_changes(previous: HostSnapshot, current: HostSnapshot) -> list[str]:
    if previous.server is None or current.server is None:
        return []
    before, after = previous.server.read_only, current.server.read_only
    if before == after:
        return []
    return [f"read_only {_on_off(before)} → {_on_off(after)}"]


def _binlog_changes(previous: HostSnapshot, current: HostSnapshot) -> list[str]:
    if previous.binlog is None or current.binlog is None:
        return []
    if previous.binlog.file == current.binlog.file:
        return []
    return [f"binlog rotated {previous.binlog.file} → {current.binlog.file}"]


def _thread(state: ThreadState) -> str:
    return f"{state.value} ({state.meaning})"


_Thread = tuple[ThreadState, int, str]
"""A replication thread's state, last errno and last error text."""


def _io(replica: ReplicaStatus) -> _Thread:
    return replica.io_running, replica.last_io_errno, replica.last_io_error


def _sql(replica: ReplicaStatus) -> _Thread:
    return replica.sql_running, replica.last_sql_errno, replica.last_sql_error


def _replica_changes(previous: HostSnapshot | None, current: HostSnapshot) -> list[str]:
    """Thread and error changes; with no earlier replica, the threads that are not healthy."""
    before = previous.replica if previous is not None else None
    after = current.replica
    if after is None:
        if current.replica_checked and (previous is None or before is not None):
            return ["not configured as a replica (SHOW SLAVE STATUS is empty)"]
        return []
    if before is None:
        return _thread_now("IO", _io(after)) + _thread_now("SQL", _sql(after))
    return _thread_change("IO", _io(before), _io(after)) + _thread_change(
        "SQL", _sql(before), _sql(after)
    )


def _error(errno: int, text: str) -> str:
    return f", error {errno}: {text}" if errno else ""


def _thread_now(label: str, now: _Thread) -> list[str]:
    state, errno, text = now
    if state is ThreadState.YES and not errno:
        return []
    return [f"{label} thread {_thread(state)}{_error(errno, text)}"]


def _thread_change(label: str, before: _Thread, after: _Thread) -> list[str]:
    state_before, errno_before, _ = before
    state, errno, text = after
    if state is not state_before:
        return [f"{label} thread {_thread(state_before)} → {_thread(state)}{_error(errno, text)}"]
    if errno and errno != errno_before:
        return [f"new {label} error {errno}: {text}"]
    if not errno and errno_before:
        return [f"{label} error {errno_before} cleared"]
    return []
