"""The setup, rejoin and failback screens: the checks and plan with the typed confirmation, and
the run view.

No I/O here: the checks run in an App worker (``ui.replication.ReplicationControl``), which hands
the result to ``ReplicationScreen.show``; a re-check (after the operator typed the databases
setup may overwrite) is asked for through ``request``.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.validation import Function
from textual.widgets import Button, Input, Label

from rdconsole.core.verdict import Severity
from rdconsole.ui.panels.field import Field, set_severity
from rdconsole.ui.promotion import SEVERITY, fix_line, item_line
from rdconsole.ui.replicating import (
    ReplicationRun,
    asks_overwrite,
    overwrite_names,
    plan_title,
    verdict_line,
)
from rdconsole.ui.screens.failover import FailoverReport, Line

if TYPE_CHECKING:
    # The replication flow loads the database driver: only when a runner first uses it.
    from rdconsole.ops.replication_flow import ReplicationPreview

Request = Callable[[tuple[str, ...]], None]
"""``request(overwrite)``: check again, letting setup replace these databases."""

CHECKING = "checking… (this changes nothing)"


def report_lines(preview: ReplicationPreview) -> list[Line]:
    lines = [Line(line, "summary") for line in preview.summary]
    lines.append(Line("checks", "heading"))
    for item in preview.items:
        lines.append(Line(item_line(item, None), "item", SEVERITY[item.state]))
        fix = fix_line(item)
        if fix is not None:
            lines.append(Line(fix, "fix"))
    lines.append(Line(plan_title(preview), "heading"))
    for step in preview.steps:
        lines.append(Line(f"{step.id} [{step.host}] {step.title}", "step"))
        if step.text():
            lines.append(Line(step.text(), "sql"))
    return lines


class ReplicationScreen(ModalScreen["ReplicationPreview | None"]):
    """Set up, rejoin or fail back: dismissed with the preview to run, or None.

    Cancel has the focus; Confirm stays disabled until ``word`` is typed exactly and nothing
    blocks. Enter in the confirmation field only moves to Confirm: running takes a press on it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="replication-cancel"),
    ]
    AUTO_FOCUS = "#cancel"

    def __init__(self, procedure: str, title: str, word: str, request: Request) -> None:
        super().__init__(id="replication")
        self.procedure = procedure
        self.title_text = title
        self.word = word
        """What the operator types (the preview's ``confirm_word`` once it came back)."""
        self._request = request
        self.preview: ReplicationPreview | None = None
        """The checks shown, once they came back (None while checking or when they failed)."""
        self.checking = True

    def compose(self) -> ComposeResult:
        with Vertical(id="replication-dialog") as dialog:
            dialog.border_title = self.title_text
            dialog.border_subtitle = "Tab moves, Esc cancels"
            yield FailoverReport(id="replication-report")
            yield Label(CHECKING, id="replication-verdict", markup=False)
            with Horizontal(id="overwrite-row", classes="row"):
                yield Label("overwrite", classes="key")
                yield Input(
                    placeholder="the standby databases setup may replace (Enter checks)",
                    id="overwrite",
                    compact=True,
                )
            with Horizontal(id="confirm-row", classes="row"):
                yield Label("confirm", classes="key")
                yield Input(
                    placeholder=f"type {self.word} to confirm",
                    id="typed-word",
                    compact=True,
                    validators=[Function(self._is_word, f"type {self.word}")],
                )
                yield Button("Confirm", id="confirm", compact=True, disabled=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#overwrite-row").display = False

    def _is_word(self, value: str) -> bool:
        word = self.preview.confirm_word if self.preview is not None else self.word
        return value == word

    # Results from the App's worker -------------------------------------------------------------

    def show_checking(self) -> None:
        self.checking = True
        self._verdict(CHECKING, None)
        self._update_confirm()

    def show(self, preview: ReplicationPreview) -> None:
        self.checking = False
        self.preview = preview
        self.query_one(FailoverReport).show(report_lines(preview))
        self._verdict(verdict_line(preview), Severity.OK if preview.allowed else Severity.CRITICAL)
        overwrite = self.query_one("#overwrite", Input)
        self.query_one("#overwrite-row").display = asks_overwrite(preview) or bool(overwrite.value)
        self._update_confirm()

    def show_failure(self, failure: str) -> None:
        self.checking = False
        self.preview = None
        self.query_one(FailoverReport).show([Line(failure, "refusal")])
        self._verdict(f"CHECKS FAILED: {failure}; nothing changed", Severity.UNKNOWN)
        self._update_confirm()

    def _verdict(self, text: str, severity: Severity | None) -> None:
        label = self.query_one("#replication-verdict", Label)
        label.update(text)
        set_severity(label, severity)

    @property
    def confirmable(self) -> bool:
        preview = self.preview
        typed = self.query_one("#typed-word", Input).value
        return (
            not self.checking
            and preview is not None
            and preview.allowed
            and typed == preview.confirm_word
        )

    def _update_confirm(self) -> None:
        self.query_one("#confirm", Button).disabled = not self.confirmable

    # Keys and buttons ---------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "typed-word":
            self._update_confirm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "typed-word":
            if self.confirmable:
                self.query_one("#confirm", Button).focus()
            return
        self.show_checking()
        self._request(overwrite_names(event.value))

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm" and self.confirmable:
            self.dismiss(self.preview)
        elif event.button.id == "cancel":
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class ReplicationRunScreen(ModalScreen[None]):
    """The console's setup, rejoin or failback, step by step; Esc hides it (the run goes on, its
    steps go to the event log too)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="replication-run-close"),
        # The App's q answers here too: while the run goes on it says why it will not quit.
        Binding("q", "app.quit", "Quit", show=False, id="replication-run-quit"),
    ]

    def __init__(self, state: ReplicationRun) -> None:
        super().__init__(id="replication-run")
        self.state = state
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id="replication-run-dialog") as dialog:
            dialog.border_title = self.state.title
            with VerticalScroll(id="run-steps"):
                for index, _row in enumerate(self.state.rows.values()):
                    yield Label("", id=f"run-step-{index}", classes="step", markup=False)
            yield Label("", id="run-phase", markup=False)
            yield Field("result", "running…", id="run-result")

    def on_mount(self) -> None:
        self.refresh_state()
        self._ticker = self.set_interval(1.0, self.refresh_state, name="replication run clock")

    @property
    def texts(self) -> list[str]:
        """The steps' lines as shown (for the tests)."""
        return [str(label.content) for label in self.query(".step").results(Label)]

    def refresh_state(self) -> None:
        """Draw the state again (the App calls it on every report; a timer ages the step)."""
        state = self.state
        now = time.monotonic()
        for index, row in enumerate(state.rows.values()):
            label = self.query_one(f"#run-step-{index}", Label)
            text = row.line(now)
            if row.detail and row.status in ("done", "failed"):
                text += f": {row.detail}"
            label.update(text)
            set_severity(label, {"done": Severity.OK, "failed": Severity.CRITICAL}.get(row.status))
            label.set_class(row.status == "running", "-running")
        phase = self.query_one("#run-phase", Label)
        phase.update(state.phase(now))
        phase.display = not state.finished  # the result says how it ended
        result = self.query_one("#run-result", Field)
        dialog = self.query_one("#replication-run-dialog")
        if state.outcome is None:
            result.show("running… (q will not stop it)")
            dialog.border_subtitle = "Esc hides this; the run goes on"
            return
        result.show(state.phase(now), Severity.OK if state.done else Severity.CRITICAL)
        dialog.border_subtitle = "Esc closes"
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def action_close(self) -> None:
        self.dismiss(None)
