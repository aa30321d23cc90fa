"""The event log: one timestamped line per state change, bounded."""

from __future__ import annotations

from datetime import datetime

from textual import events
from textual.widgets import Log

MAX_EVENTS = 500


class EventLog(Log):
    """One line per event so the newest always shows from its timestamp; plain text only."""

    def __init__(self) -> None:
        super().__init__(id="events", max_lines=MAX_EVENTS, highlight=False)
        self.border_title = "events"

    def add(self, at: datetime, line: str) -> None:
        self.write_line(f"{at:%H:%M:%S} {' '.join(line.splitlines())}")

    def on_resize(self, event: events.Resize) -> None:
        # Log only follows new lines while it shows the end; keep the newest in view when the
        # panels above change height.
        self.scroll_end(animate=False, immediate=True, x_axis=False)
