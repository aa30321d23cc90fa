"""How the audio mirror reads on screen: words and symbols first, colour second.

Plain functions (no textual), like ``words``; times are shown in the console clock's zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from rdconsole.core.audio import AudioSnapshot, LastSync, RunningSync
from rdconsole.core.durations import format_duration
from rdconsole.core.layout import Mode
from rdconsole.core.rsync_progress import SyncProgress
from rdconsole.core.verdict import Severity
from rdconsole.ui.panels.words import NONE, human_bytes, rate_text, with_symbol

MISSING_EXAMPLES = 3
"""Cut names shown beside the missing count (the problems list has the count too)."""


def clock_time(at: datetime, now: datetime) -> str:
    """``HH:MM:SS`` in the zone of ``now`` (the console's clock)."""
    return f"{at.astimezone(now.tzinfo):%H:%M:%S}"


def guard_text(audio: AudioSnapshot, now: datetime) -> tuple[str, Severity]:
    checked = audio.guard_checked_at
    when = f" ({clock_time(checked, now)})" if checked is not None else ""
    if audio.guard_present is True:
        return with_symbol(Severity.OK, f"present{when}"), Severity.OK
    if audio.guard_present is False:
        return with_symbol(Severity.WARNING, f"MISSING{when}"), Severity.WARNING
    return with_symbol(Severity.UNKNOWN, f"unknown{when}: {audio.guard_detail}"), Severity.UNKNOWN


def mirror_text(audio: AudioSnapshot) -> tuple[str, Severity | None]:
    """ACTIVE or PAUSED and why, with the Rivendell mode of the standby."""
    mode = f"mode {audio.mode.value}"
    reason = audio.paused_reason
    if reason is None:
        return with_symbol(Severity.OK, f"ACTIVE, {mode}"), Severity.OK
    if audio.live_on_mirror:
        # Expected after a failover: the mirror must not run into a live store.
        return f"PAUSED: {reason} ({mode})", None
    severity = Severity.CRITICAL if audio.mode is Mode.MIXED else Severity.WARNING
    return with_symbol(severity, f"PAUSED: {reason} ({mode})"), severity


def last_text(
    last: LastSync | None, running: bool, now: datetime, stale_after: float
) -> tuple[str, Severity | None]:
    """The last finished run: result, age (STALE past ``stale_after``), what it moved."""
    if last is None:
        if running:
            return "none yet (first run in progress)", None
        return with_symbol(Severity.WARNING, "never completed"), Severity.WARNING
    age = None if last.ended_at is None else max((now - last.ended_at).total_seconds(), 0.0)
    ago = "at an unknown time" if age is None else f"{format_duration(age)} ago"
    moved = f"{last.files} files, {human_bytes(last.bytes)}, {last.deleted} deleted"
    if not last.ok:
        code = f" (rsync exit {last.rsync_exit})" if last.rsync_exit is not None else ""
        return with_symbol(Severity.WARNING, f"FAILED {ago}{code}"), Severity.WARNING
    if age is not None and age > stale_after and not running:
        stale = f"STALE: ok {ago} (> {format_duration(stale_after)}): {moved}"
        return with_symbol(Severity.WARNING, stale), Severity.WARNING
    return with_symbol(Severity.OK, f"ok {ago}: {moved}"), Severity.OK


def cuts_text(audio: AudioSnapshot) -> tuple[str, Severity]:
    """Cuts whose audio is missing on the standby, with the first few names."""
    missing = audio.missing_cuts
    if missing is None:
        return with_symbol(Severity.UNKNOWN, "not checked"), Severity.UNKNOWN
    if missing == 0:
        checked = f" of {audio.cuts_checked:,}" if audio.cuts_checked is not None else ""
        return with_symbol(Severity.OK, f"none missing{checked}"), Severity.OK
    examples = list(audio.missing_examples[:MISSING_EXAMPLES])
    more = ", …" if missing > len(examples) else ""
    names = f": {', '.join(examples)}{more}" if examples else ""
    return with_symbol(Severity.WARNING, f"{missing} missing{names}"), Severity.WARNING


@dataclass(frozen=True)
class RunView:
    """A sync in progress, from the console's own run or from the state file of any run."""

    origin: str
    """``console``, or who else runs it (``pid 4321``)."""
    phase: str | None
    current_file: str | None
    overall_percent: float | None
    file_percent: int
    rate_bps: float | None
    eta_s: int | None
    files_done: int
    to_check: int | None

    @classmethod
    def live(cls, phase: str, progress: SyncProgress | None) -> RunView:
        """The console's own run, as its observer last saw it."""
        if progress is None:
            return cls("console", phase, None, None, 0, None, None, 0, None)
        return cls(
            "console",
            phase,
            progress.current_file,
            progress.overall_percent,
            progress.file_percent,
            progress.rate_bps,
            progress.eta_s,
            progress.files_done,
            progress.to_check,
        )

    @classmethod
    def from_state(cls, running: RunningSync) -> RunView:
        """Any run (timer, CLI or a console), from the state file it writes every second."""
        origin = f"pid {running.pid}" if running.pid is not None else "another process"
        return cls(
            origin,
            None,
            running.current_file,
            running.overall_percent,
            running.file_percent,
            running.rate_bps,
            running.eta_s,
            running.files_done,
            running.to_check,
        )

    @property
    def counts(self) -> str:
        """Files done and entries left to check, or the phase before rsync reports any."""
        if self.to_check is None:
            return self.phase or "starting"
        return f"{self.to_check} left, {self.files_done} done"

    @property
    def file(self) -> str:
        if self.current_file is None:
            return NONE
        return f"{self.current_file} ({self.file_percent}%)"

    @property
    def rate(self) -> str:
        eta = NONE if self.eta_s is None else format_duration(self.eta_s)
        return f"{rate_text(self.rate_bps)}, file ETA {eta}"
