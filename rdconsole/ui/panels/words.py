"""How values read on screen: words and symbols first, colour (severity classes) second.

Plain functions (no textual) so the wording is easy to test and to keep consistent.
"""

from __future__ import annotations

from collections.abc import Sequence

from rdconsole.core.model import HostSnapshot, ReplicaStatus, ThreadState
from rdconsole.core.verdict import Severity, StandbyLag, Thresholds

NONE = "—"
"""Shown where a value is not known (never 0)."""

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB")


def human_bytes(count: float) -> str:
    """``512 B``, ``1.5 KiB``, ``3.2 MiB``…"""
    value = float(count)
    for unit in _UNITS[:-1]:
        if abs(value) < 1024:
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} {_UNITS[-1]}"


def rate_text(rate: float | None) -> str:
    return NONE if rate is None else f"{human_bytes(rate)}/s"


def on_off(value: bool) -> str:
    return "ON" if value else "OFF"


def with_symbol(severity: Severity, text: str) -> str:
    return f"{severity.symbol} {text}"


def thread_severity(state: ThreadState) -> Severity:
    if state is ThreadState.YES:
        return Severity.OK
    if state is ThreadState.CONNECTING:
        return Severity.WARNING
    return Severity.CRITICAL


def thread_text(state: ThreadState) -> str:
    """The server's word and what it means, e.g. ``✖ No (stopped)``."""
    return with_symbol(thread_severity(state), f"{state.value} ({state.meaning})")


def reach(snapshot: HostSnapshot) -> tuple[str, Severity]:
    """Whether rdconsole can read the host, or the classified error."""
    if snapshot.reachable:
        rtt = f" ({snapshot.round_trip_ms:.0f} ms)" if snapshot.round_trip_ms is not None else ""
        return with_symbol(Severity.OK, f"reachable{rtt}"), Severity.OK
    error = str(snapshot.error) if snapshot.error is not None else "no reason given"
    if snapshot.server_alive:
        return with_symbol(Severity.WARNING, f"answers, cannot read: {error}"), Severity.WARNING
    return with_symbol(Severity.CRITICAL, f"unreachable: {error}"), Severity.CRITICAL


def behind(lag: StandbyLag, replica: ReplicaStatus, thresholds: Thresholds) -> tuple[str, Severity]:
    """Seconds_Behind_Master: a NULL is UNKNOWN, never 0."""
    if lag.seconds is None:
        return with_symbol(Severity.UNKNOWN, "UNKNOWN (NULL)"), Severity.UNKNOWN
    if lag.seconds >= thresholds.lag_critical:
        severity = Severity.CRITICAL
    elif lag.seconds >= thresholds.lag_warning:
        severity = Severity.WARNING
    else:
        severity = Severity.OK
    delay = f" (+{replica.sql_delay} s delay)" if replica.sql_delay else ""
    return with_symbol(severity, f"{lag.seconds} s{delay}"), severity


def byte_lag(lag: StandbyLag, replica: ReplicaStatus) -> tuple[str, Severity]:
    """Master binlog bytes not yet received, and whether all received has been applied."""
    received = NONE if lag.byte_lag is None else human_bytes(lag.byte_lag)
    if replica.drained:
        return f"{received} · drained yes", Severity.OK
    return f"{received} · drained no", Severity.WARNING


def last_error(errno: int, text: str) -> tuple[str, Severity | None]:
    if not errno:
        return "none", None
    return with_symbol(Severity.CRITICAL, f"{errno}: {text}"), Severity.CRITICAL


def lag_summary(history: Sequence[int | None]) -> str:
    """The numbers beside the sparkline: latest, max, and unknown polls."""
    known = [seconds for seconds in history if seconds is not None]
    unknown = len(history) - len(known)
    parts = []
    if known:
        parts.append(f"max {max(known)} s")
    if unknown:
        parts.append(f"{unknown} unknown")
    return ", ".join(parts) if parts else "no data yet"
