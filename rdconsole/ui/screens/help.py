"""The help screen: the keys (from the App's bindings) and what each panel means."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label

from rdconsole.ui.panels.field import Field

PANELS = (
    (
        "header",
        "overall status (✔ OK, ▲ WARNING, ? UNKNOWN, ✖ CRITICAL) and one phrase: HEALTHY, "
        "DEGRADED, REPLICATION BROKEN, MASTER DOWN, STANDBY DOWN or UNKNOWN; then master → "
        "standby and the time of the last poll.",
    ),
    (
        "banner",
        "under the header, only when something stands: PROMOTED (the old master must not come "
        "back writable until it is rejoined), INTERRUPTED (a failover to finish with `rdconsole "
        "failover --resume`), FAILOVER RUNNING (its current step).",
    ),
    (
        "master",
        "reachable, or why not (refused, timeout, ...); binlog: the file:position being "
        "written; GTID position; read_only (must be OFF); version; growth: binlog bytes "
        "written per second.",
    ),
    (
        "standby",
        "IO thread: receives from the master; SQL thread: applies what was received. In the "
        "server's words: Yes (running), No (stopped), Connecting (retrying the master).",
    ),
    (
        "behind",
        "Seconds_Behind_Master. UNKNOWN (NULL) means the server cannot tell: never the same as 0.",
    ),
    ("read/exec", "master binlog file:position received / executed by the standby."),
    (
        "byte lag",
        "master binlog not received yet; drained: all that was received has been applied.",
    ),
    ("errors", "the last IO / SQL errno and message. A standby's read_only must be ON."),
    ("history", "lag over the last 60 polls; NULL polls are counted, not drawn."),
    ("problems", "what is wrong, worst first, each with its fix."),
    ("events", "state changes, with the time they were seen."),
)

AUDIO_PANELS = (
    (
        "audio",
        "the standby's mirror of the master's audio. guard: the master's guard file, checked at "
        "the time shown (the mirror runs only while it is there); mirror ACTIVE, or PAUSED and "
        "why, with the Rivendell mode (master, standby, mixed); last: the last run's result, "
        "age and what it moved, STALE when older than stale_after; cuts: cuts with no audio "
        "on the standby (dead air after a failover).",
    ),
    (
        "sync",
        "a run in progress, started here or by the timer: share of the file list done, files "
        "done and left, the current file, the rate and the current file's ETA.",
    ),
)
"""Shown in the help only when the console watches an audio mirror."""


class HelpScreen(ModalScreen[None]):
    """Modal, so the pollers (owned by the App) keep running behind it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="help-close"),
        Binding("q", "close", "Close", show=False, id="help-close-q"),
    ]

    def __init__(
        self, keys: Sequence[tuple[str, str]], panels: Sequence[tuple[str, str]] = PANELS
    ) -> None:
        """``keys`` are (key as displayed, what it does) pairs, ``panels`` (term, meaning)."""
        super().__init__(id="help")
        self._keys = keys
        self._panels = panels

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="help-body") as body:
            body.border_title = "rdconsole help"
            body.border_subtitle = "Esc or q closes"
            yield Label("Keys", classes="heading")
            for key, what in self._keys:
                yield Field(key, what)
            yield Field("Esc / q", "close this help")
            yield Label("What the panels mean", classes="heading")
            for term, meaning in self._panels:
                yield Field(term, meaning)
            yield Label("Colour only repeats what the words and symbols say.", classes="heading")

    def action_close(self) -> None:
        self.dismiss(None)
