"""A sync started from the console, as the console follows it: the observer the runner calls
and the bounded log of rsync's lines.

Plain Python (no textual): the App hands in ``post`` to turn updates into (coalesced) messages.
The runner calls the observer from the worker's coroutine on the App's loop, so each call only
appends to the log and posts: no rendering happens here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Sequence

from rdconsole.core.rsync_output import (
    Deleted,
    FileStarted,
    Note,
    RsyncEvent,
    RsyncMessage,
    Severity,
    Totals,
)
from rdconsole.core.rsync_progress import SyncProgress
from rdconsole.ops.sync import SyncObserver

LOG_LINES = 200
"""rsync lines kept for the log screen (the newest)."""


class SyncLog:
    """The newest ``max_lines`` lines of the console's sync runs, with a running count so a
    reader can ask for what it has not seen yet."""

    def __init__(self, max_lines: int = LOG_LINES) -> None:
        self._lines: deque[str] = deque(maxlen=max_lines)
        self.total = 0
        """Lines added since the start (kept or not)."""

    def add(self, line: str) -> None:
        self._lines.append(" ".join(line.splitlines()))
        self.total += 1

    @property
    def lines(self) -> Sequence[str]:
        return tuple(self._lines)

    def since(self, seen: int) -> list[str]:
        """The lines added after the first ``seen`` (those still kept)."""
        new = min(self.total - seen, len(self._lines))
        return list(self._lines)[len(self._lines) - new :] if new > 0 else []


def log_line(event: RsyncEvent) -> str | None:
    """What the log shows for ``event``; None for progress records and other noise."""
    match event:
        case FileStarted(name=name):
            return name
        case Deleted(name=name):
            return f"deleting {name}"
        case RsyncMessage(severity=severity, text=text):
            return f"{'✖' if severity is Severity.ERROR else '▲'} {text}"
        case Note(text=text):
            return text
        case Totals(sent=sent, received=received):
            return f"sent {sent:,} bytes, received {received:,} bytes"
    return None


class ConsoleObserver(SyncObserver):
    """Feeds one run's phases and events to the log and, through ``post``, to the console."""

    def __init__(self, log: SyncLog, post: Callable[[str, SyncProgress | None], None]) -> None:
        """``post(phase, progress)`` posts the update; the App coalesces them."""
        self._log = log
        self._post = post
        self.current_phase = "starting"
        self.progress: SyncProgress | None = None

    def phase(self, text: str) -> None:
        self.current_phase = text
        self._log.add(f"— {text}")
        self._post(text, self.progress)

    def events(self, events: Sequence[RsyncEvent], progress: SyncProgress) -> None:
        for event in events:
            line = log_line(event)
            if line is not None:
                self._log.add(line)
        self.progress = progress
        self._post(self.current_phase, progress)
