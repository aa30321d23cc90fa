"""The state of one rsync run, folded from its events, for the console and the state file.

It assumes per-file ``--progress`` records, as in the recommended invocation
(:mod:`rdconsole.core.rsync_output`): with ``--info=progress2`` a record's bytes are those of the
whole run, so ``bytes_done`` would add up running totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, fields
from typing import Any

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
    return fold((event,), state)


def fold(events: Iterable[RsyncEvent], state: SyncProgress | None = None) -> SyncProgress:
    """Apply ``events`` in order, from ``state`` or from the empty state.

    The changes go into one dict and one new state is built at the end: a run prints a few
    thousand events, and building a frozen state per event cost more than parsing them."""
    current = SyncProgress() if state is None else state
    values: dict[str, Any] = {name: getattr(current, name) for name in _FIELDS}
    changed = False
    for event in events:
        changed = _fold_one(values, event) or changed
    return SyncProgress(**values) if changed else current


_FIELDS = tuple(field.name for field in fields(SyncProgress))


def _fold_one(values: dict[str, Any], event: RsyncEvent) -> bool:
    """Update ``values`` (SyncProgress fields by name) for ``event``; False if it carries no
    state."""
    match event:
        case FileStarted(name=name):
            values["current_file"] = name
            values["file_bytes"] = values["file_percent"] = 0
            values["files_started"] += 1
            values["eta_s"] = None
        case Progress(completion=None):
            values["file_bytes"] = event.bytes
            values["file_percent"] = event.percent
            values["rate_bps"] = event.rate_bps
            values["eta_s"] = event.eta_s
        case Progress(completion=Completion() as done):
            values["file_bytes"] = event.bytes
            values["file_percent"] = event.percent
            values["rate_bps"] = event.rate_bps
            values["eta_s"] = 0
            values["files_done"] = done.transfer_number
            values["bytes_done"] += event.bytes
            values["to_check"] = done.to_check
            values["total_files"] = done.total_files
            values["list_complete"] = done.list_complete
        case Deleted():
            values["deletions"] += 1
        case RsyncMessage(severity=severity, code=code):
            error = severity is Severity.ERROR
            values["errors"] += error
            values["warnings"] += not error
            values["last_message"] = event
            if code is not None:
                values["reported_code"] = code
        case Totals():
            values["totals"] = event
        case TotalSize():
            values["total_size"] = event
        case _:
            return False
    return True
