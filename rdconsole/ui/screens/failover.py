"""The failover screens: the checklist and plan with the typed confirmation, and the run view.

No I/O here: the checks run in an App worker (``ui.failover.FailoverControl``), which hands the
result to ``FailoverScreen.show``; a re-check (after the fencing statement or an override reason
is entered) is asked for through ``request``.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.validation import Function
from textual.widgets import Button, Input, Label

from rdconsole.core.verdict import Severity
from rdconsole.ops.failover_flow import FailoverOutcome, FailoverPreview
from rdconsole.ui.panels.field import Field, set_severity
from rdconsole.ui.promotion import (
    MASTER_SEVERITY,
    SEVERITY,
    RunState,
    fix_line,
    item_line,
    master_line,
    plan_title,
    risk_line,
    step_heading,
    verdict_line,
)

Request = Callable[[str | None, str | None], None]
"""``request(fenced, override)``: check again with these statements."""


@dataclass(frozen=True)
class Line:
    text: str
    classes: str = ""
    severity: Severity | None = None


class FailoverReport(VerticalScroll):
    """The checklist and the plan (scrolls with the arrow keys once focused with Tab)."""

    def __init__(self, *, id: str = "failover-report") -> None:
        super().__init__(id=id)
        self._lines: tuple[Line, ...] = (Line("checking… (this changes nothing)"),)

    def compose(self) -> ComposeResult:
        for line in self._lines:
            label = Label(line.text, classes=line.classes, markup=False)
            set_severity(label, line.severity)
            yield label

    def show(self, lines: Iterable[Line]) -> None:
        self._lines = tuple(lines)
        self.refresh(recompose=True)
        self.scroll_home(animate=False)

    @property
    def texts(self) -> list[str]:
        """What it shows, line by line (for the tests)."""
        return [line.text for line in self._lines]


def report_lines(preview: FailoverPreview, master: str) -> list[Line]:
    verdict = preview.verdict
    lines = [
        Line(master_line(master, verdict), "master", MASTER_SEVERITY[verdict.state]),
        Line(f"at risk: {risk_line(preview)}", "risk"),
        Line("checklist", "heading"),
    ]
    for item in preview.items:
        lines.append(Line(item_line(item, preview.override), "item", SEVERITY[item.state]))
        fix = fix_line(item)
        if fix is not None:
            lines.append(Line(fix, "fix"))
    lines.append(Line(plan_title(preview.plan), "heading"))
    for step in preview.plan.steps:
        lines.append(Line(step_heading(step), "step"))
        if step.text():
            lines.append(Line(step.text(), "sql"))
    return lines


class FailoverScreen(ModalScreen[FailoverPreview | None]):
    """Promote ``standby``: dismissed with the preview to run, or None.

    Cancel has the focus; Confirm stays disabled until the standby's name is typed exactly and
    nothing blocks. Enter in the name field only moves to Confirm: promoting takes a press on it.
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel", id="failover-cancel"),
    ]
    AUTO_FOCUS = "#cancel"

    def __init__(self, standby: str, master: str, request: Request) -> None:
        super().__init__(id="failover")
        self.standby = standby
        self.master = master
        self._request = request
        self.preview: FailoverPreview | None = None
        """The checks shown, once they came back (None while checking, refused or failed)."""
        self.checking = True

    def compose(self) -> ComposeResult:
        with Vertical(id="failover-dialog") as dialog:
            dialog.border_title = f"failover: promote {self.standby}"
            dialog.border_subtitle = "Tab moves, Esc cancels"
            yield FailoverReport()
            yield Label("checking… (this changes nothing)", id="failover-verdict", markup=False)
            with Horizontal(id="fenced-row", classes="row"):
                yield Label("fenced", classes="key")
                yield Input(
                    placeholder='how the old master is fenced, e.g. "powered off" (Enter checks)',
                    id="fenced",
                    compact=True,
                )
            with Horizontal(id="override-row", classes="row"):
                yield Label("override", classes="key")
                yield Input(
                    placeholder="why the block may be lifted (recorded; Enter checks)",
                    id="override",
                    compact=True,
                )
            with Horizontal(id="confirm-row", classes="row"):
                yield Label("confirm", classes="key")
                yield Input(
                    placeholder=f"type {self.standby} to confirm",
                    id="typed-name",
                    compact=True,
                    validators=[
                        Function(self._is_standby, f"type the standby's name ({self.standby})")
                    ],
                )
                yield Button("Confirm", id="confirm", compact=True, disabled=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def on_mount(self) -> None:
        self.query_one("#fenced-row").display = False
        self.query_one("#override-row").display = False

    def _is_standby(self, value: str) -> bool:
        return value == self.standby

    # Results from the App's worker -------------------------------------------------------------

    def show_checking(self) -> None:
        self.checking = True
        self._verdict("checking… (this changes nothing)", None)
        self._update_confirm()

    def show(self, result: FailoverPreview | FailoverOutcome) -> None:
        self.checking = False
        if isinstance(result, FailoverOutcome):
            self.preview = None
            self._verdict(f"REFUSED: {result.message}", Severity.CRITICAL)
            self.query_one(FailoverReport).show([Line(result.message, "refusal")])
        else:
            self.preview = result
            self.query_one(FailoverReport).show(report_lines(result, self.master))
            self._verdict(verdict_line(result), Severity.CRITICAL if result.blocks else Severity.OK)
            self._show_input("fenced", result.asks_fenced or bool(result.fenced), result.fenced)
            self._show_input("override", result.overridable, result.override)
        self._update_confirm()

    def show_failure(self, failure: str) -> None:
        self.checking = False
        self.preview = None
        self._verdict(f"CHECKS FAILED: {failure}; nothing changed", Severity.UNKNOWN)
        self._update_confirm()

    def _verdict(self, text: str, severity: Severity | None) -> None:
        label = self.query_one("#failover-verdict", Label)
        label.update(text)
        set_severity(label, severity)

    def _show_input(self, name: str, shown: bool, value: str | None) -> None:
        self.query_one(f"#{name}-row").display = shown
        field = self.query_one(f"#{name}", Input)
        if shown and value and not field.value:
            field.value = value

    @property
    def confirmable(self) -> bool:
        preview = self.preview
        typed = self.query_one("#typed-name", Input).value
        return (
            not self.checking
            and preview is not None
            and preview.allowed
            and self._is_standby(typed)
        )

    def _update_confirm(self) -> None:
        self.query_one("#confirm", Button).disabled = not self.confirmable

    # Keys and buttons ---------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == "typed-name":
            self._update_confirm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "typed-name":
            if self.confirmable:
                self.query_one("#confirm", Button).focus()
            return
        fenced = self.query_one("#fenced", Input).value.strip() or None
        override = self.query_one("#override", Input).value.strip() or None
        self.show_checking()
        self._request(fenced, override)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm" and self.confirmable:
            self.dismiss(self.preview)
        elif event.button.id == "cancel":
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class FailoverRunScreen(ModalScreen[None]):
    """The console's failover, step by step; Esc hides it (the run goes on, its steps go to the
    event log too)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "close", "Close", id="failover-run-close"),
        # The App's q answers here too: while the run goes on it says why it will not quit.
        Binding("q", "app.quit", "Quit", show=False, id="failover-run-quit"),
    ]

    def __init__(self, state: RunState) -> None:
        super().__init__(id="failover-run")
        self.state = state
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        state = self.state
        with Vertical(id="failover-run-dialog") as dialog:
            dialog.border_title = f"{state.path}: promoting {state.standby}"
            with VerticalScroll(id="run-steps"):
                for index, _row in enumerate(state.rows.values()):
                    yield Label("", id=f"run-step-{index}", classes="step", markup=False)
            yield Label("", id="run-phase", markup=False)
            yield Field("result", "running…", id="run-result")

    def on_mount(self) -> None:
        self.refresh_state()
        self._ticker = self.set_interval(1.0, self.refresh_state, name="failover run clock")

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
            severity = {"done": Severity.OK, "failed": Severity.CRITICAL}.get(row.status)
            set_severity(label, severity)
            label.set_class(row.status == "running", "-running")
        phase = self.query_one("#run-phase", Label)
        phase.update(state.phase(now))
        phase.display = not state.finished  # the result says how it ended
        result = self.query_one("#run-result", Field)
        dialog = self.query_one("#failover-run-dialog")
        if state.outcome is None:
            result.show("running… (q will not stop it)")
            dialog.border_subtitle = "Esc hides this; the run goes on"
            return
        severity = Severity.OK if state.done else Severity.CRITICAL
        result.show(state.phase(now), severity)
        dialog.border_subtitle = "Esc closes"
        if self._ticker is not None:
            self._ticker.stop()
            self._ticker = None

    def action_close(self) -> None:
        self.dismiss(None)
