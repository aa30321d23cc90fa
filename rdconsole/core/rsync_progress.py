"""The state of one rsync run, folded from its events, for the console and the state file.

It assumes per-file ``--progress`` records, as in the recommended invocation
(:mod:`rdconsole.core.rsync_output`): with ``--info=progress2`` a record's bytes are those of the
whole run, so ``bytes_done`` would add up running totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from rdconsole.core.rsync_output import (
    Completion,
    Deleted,
    FileStarted,
    Progress,
    RsyncEvent,
    RsyncMessage,
    Severity,
    Totals,
    TotalSize,
)


@dataclass(frozen=True, slots=True)
class SyncProgress:
    """What is known so far about a run; :func:`apply` returns the next state."""

    current_file: str | None = None
    """The file most recently started (it stays after its last record, until the next one)."""
    file_bytes: int = 0
    file_percent: int = 0
    files_started: int = 0
    files_done: int = 0
    """rsync's own count (``xfr#``) from the last final record."""
    bytes_done: int = 0
    """Sum of the sizes of the files whose transfer finished."""
    rate_bps: float | None = None
    eta_s: int | None = None
    """Of the current file."""
    to_check: int | None = None
    total_files: int | None = None
    list_complete: bool = False
    deletions: int = 0
    """Entries deleted from the destination, directories included."""
    errors: int = 0
    warnings: int = 0
    last_message: RsyncMessage | None = None
    reported_code: int | None = None
    """The exit code rsync announced (``(code N)``) in its last error or warning line."""
    totals: Totals | None = None
    total_size: TotalSize | None = None

    @property
    def overall_percent(self) -> float | None:
        """Share of the file list already checked, from the last ``to-chk=R/T``. While the list
        is still arriving (``list_complete`` False) it can move backwards."""
        if self.to_check is None or not self.total_files:
            return None
        return 100.0 * (self.total_files - self.to_check) / self.total_files

    @property
    def finished(self) -> bool:
        """rsync printed its closing summary (``-v``)."""
        return self.total_size is not None


def apply(state: SyncProgress, event: RsyncEvent) -> SyncProgress:
    """The state after ``event``; events that carry no state leave it unchanged."""
    match event:
        case FileStarted(name=name):
            return replace(
                state,
                current_file=name,
                file_bytes=0,
                file_percent=0,
                files_started=state.files_started + 1,
                eta_s=None,
            )
        case Progress(completion=None):
            return replace(
                state,
                file_bytes=event.bytes,
                file_percent=event.percent,
                rate_bps=event.rate_bps,
                eta_s=event.eta_s,
            )
        case Progress(completion=Completion() as done):
            return replace(
                state,
                file_bytes=event.bytes,
                file_percent=event.percent,
                rate_bps=event.rate_bps,
                eta_s=0,
                files_done=done.transfer_number,
                bytes_done=state.bytes_done + event.bytes,
                to_check=done.to_check,
                total_files=done.total_files,
                list_complete=done.list_complete,
            )
        case Deleted():
            return replace(state, deletions=state.deletions + 1)
        case RsyncMessage(severity=severity, code=code):
            error = severity is Severity.ERROR
            return replace(
                state,
                errors=state.errors + error,
                warnings=state.warnings + (not error),
                last_message=event,
                reported_code=state.reported_code if code is None else code,
            )
        case Totals():
            return replace(state, totals=event)
        case TotalSize():
            return replace(state, total_size=event)
    return state


def fold(events: Iterable[RsyncEvent], state: SyncProgress | None = None) -> SyncProgress:
    """Apply ``events`` in order, from ``state`` or from the empty state."""
    current = SyncProgress() if state is None else state
    for event in events:
        current = apply(current, event)
    return current
