"""The audio sync's screens: the dry-run summary to confirm, and rsync's log."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Button, Log

from rdconsole.core.verdict import Severity
from rdconsole.ops.sync import SyncExit, SyncOutcome
from rdconsole.ui.panels.field import Field, set_severity
from rdconsole.ui.panels.words import with_symbol
from rdconsole.ui.syncing import LOG_LINES, SyncLog

EXAMPLES = 5
"""File names shown after each count."""


def _names(names: Sequence[str]) -> str:
    if not names:
        return "none"
    shown = ", ".join(names[:EXAMPLES])
    more = f", … ({len(names) - EXAMPLES} more)" if len(names) > EXAMPLES else ""
    return f"{len(names)} file(s): {shown}{more}"


class SyncPreviewScreen(ModalScreen[bool]):
    """What a sync of ``standby`` will do, from its dry run; dismissed with True to run it.

    Cancel has the focus, so Enter alone never starts a sync; ``y`` or Enter on Confirm does.
    A refused dry run offers only Close.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="sync-cancel"),
        Binding("y", "confirm", "Confirm", id="sync-confirm"),
    ]
    AUTO_FOCUS = "#cancel"

    def __init__(self, standby: str, outcome: SyncOutcome, *, delete: bool) -> None:
        """``delete``: whether the standby's mirror deletes what the master no longer has."""
        super().__init__(id="sync-preview")
        self.standby = standby
        self.outcome = outcome
        self.delete = delete

    @property
    def allowed(self) -> bool:
        return self.outcome.exit is SyncExit.OK

    def compose(self) -> ComposeResult:
        outcome = self.outcome
        with Vertical(id="sync-dialog") as dialog:
            dialog.border_title = f"sync audio to {self.standby}: dry run"
            dialog.border_subtitle = "y runs it, Esc cancels" if self.allowed else "Esc closes"
            with VerticalScroll(id="sync-summary"):
                if self.allowed:
                    result = Field("result", with_symbol(Severity.OK, outcome.message), id="result")
                    set_severity(result, Severity.OK)
                    yield result
                else:
                    refusal = f"{outcome.exit.name.replace('_', ' ')}: {outcome.message}"
                    result = Field("result", with_symbol(Severity.CRITICAL, refusal), id="result")
                    set_severity(result, Severity.CRITICAL)
                    yield result
                yield Field("command", outcome.command or "—", id="command")
                if self.allowed:
                    yield Field("transfer", _names(outcome.would_transfer), id="transfer")
                    yield Field("delete", self._deletions(), id="delete")
            with Horizontal(id="sync-buttons"):
                if self.allowed:
                    yield Button("Confirm (y)", id="confirm", compact=True)
                yield Button(
                    "Cancel (Esc)" if self.allowed else "Close (Esc)", id="cancel", compact=True
                )

    def _deletions(self) -> str:
        gone = self.outcome.would_delete
        if self.delete or not gone:
            return _names(gone)
        return f"none, delete is off; gone from the master, they stay: {_names(gone)}"

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "confirm":
            return self.allowed
        return True

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.id == "confirm" and self.allowed)

    def action_confirm(self) -> None:
        self.dismiss(True)

    def action_cancel(self) -> None:
        self.dismiss(False)


class RsyncLogScreen(ModalScreen[None]):
    """rsync's lines from the console's syncs (the newest ``LOG_LINES``), live while open."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="rsync-log-close"),
        Binding("l", "close", "Close", show=False, id="rsync-log-close-l"),
        Binding("q", "close", "Close", show=False, id="rsync-log-close-q"),
    ]

    def __init__(self, log: SyncLog) -> None:
        super().__init__(id="rsync-log")
        self._log = log
        self._seen = 0

    def compose(self) -> ComposeResult:
        log = Log(max_lines=LOG_LINES, highlight=False, id="rsync-lines")
        log.border_title = "rsync log (console syncs)"
        log.border_subtitle = "Esc or l closes"
        yield log

    def on_mount(self) -> None:
        if self._log.total == 0:
            self.query_one(Log).write_line("no sync started from this console yet")
        self.catch_up()

    def catch_up(self) -> None:
        """Show the lines added since the last call."""
        lines = self._log.since(self._seen)
        self._seen = self._log.total
        if lines:
            self.query_one(Log).write_lines(lines)

    def action_close(self) -> None:
        self.dismiss(None)


class StandbyChooser(ModalScreen[str | None]):
    """Which standby (whose mirror to sync, which to promote) when there are several; Esc
    chooses none."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="chooser-cancel"),
        Binding("down", "app.focus_next", "Next", show=False, id="chooser-next"),
        Binding("up", "app.focus_previous", "Previous", show=False, id="chooser-previous"),
    ]

    def __init__(self, standbys: Sequence[str], *, title: str = "sync audio to which standby?"):
        super().__init__(id="standby-chooser")
        self._standbys = standbys
        self._title = title

    def compose(self) -> ComposeResult:
        with Vertical(id="chooser-dialog") as dialog:
            dialog.border_title = self._title
            dialog.border_subtitle = "Enter picks, Esc cancels"
            for index, name in enumerate(self._standbys):
                yield Button(name, id=f"standby-{index}", name=name, compact=True)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        self.dismiss(event.button.name)

    def action_cancel(self) -> None:
        self.dismiss(None)
