"""What the failover and the setup, rejoin and failback screens share: a guarded operation's
checks and plan with a typed confirmation (``GuardedScreen``), and the view of its run
(``RunScreen``).

No I/O here: the checks run in an App worker, which hands the result to the screen's ``show``;
a re-check (after the operator typed in one of the screen's own fields) goes back through
``ask_again``. The widgets' ids start with the screen's (``failover``, ``replication``), which
the style sheet and the key bindings' ids name.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, ClassVar, Protocol, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.screen import ModalScreen
from textual.timer import Timer
from textual.validation import Function
from textual.widgets import Button, Input, Label

from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.core.verdict import Severity
from rdconsole.ui.panels.field import Field, set_severity
from rdconsole.ui.promotion import SEVERITY, fix_line, item_line
from rdconsole.ui.runs import ConsoleRun, PlanStep, step_heading

CHECKING = "checking… (this changes nothing)"


@dataclass(frozen=True)
class Line:
    text: str
    classes: str = ""
    severity: Severity | None = None


class CheckReport(VerticalScroll):
    """The checks and the plan (scrolls with the arrow keys once focused with Tab)."""

    def __init__(self, *, id: str) -> None:
        super().__init__(id=id)
        self._lines: tuple[Line, ...] = (Line(CHECKING),)

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


def checklist_lines(
    heading: str, items: Iterable[ChecklistItem], override: str | None
) -> list[Line]:
    """The heading, then each item with the fix of one that does not pass: blocks first, then
    warnings, then passes, so what stops the operation is on screen even at 80x24."""
    lines = [Line(heading, "heading")]
    rank = {Check.BLOCK: 0, Check.WARN: 1, Check.PASS: 2}
    for item in sorted(items, key=lambda i: rank[i.state]):
        lines.append(Line(item_line(item, override), "item", SEVERITY[item.state]))
        fix = fix_line(item)
        if fix is not None:
            lines.append(Line(fix, "fix"))
    return lines


def plan_lines(title: str, steps: Iterable[PlanStep]) -> list[Line]:
    """The plan's title, then each step with its exact SQL or command."""
    lines = [Line(title, "heading")]
    for step in steps:
        lines.append(Line(step_heading(step), "step"))
        if step.text():
            lines.append(Line(step.text(), "sql"))
    return lines


def field_row(name: str, placeholder: str) -> ComposeResult:
    """A screen's own field (Enter checks again), ``name`` before it; its row is ``#name-row``."""
    with Horizontal(id=f"{name}-row", classes="row"):
        yield Label(name, classes="key")
        yield Input(placeholder=placeholder, id=name, compact=True)


def cancel_bindings(prefix: str) -> list[BindingType]:
    """Esc cancels (the binding's id names the screen, for keymaps)."""
    return [Binding("escape", "cancel", "Cancel", id=f"{prefix}-cancel")]


def run_bindings(prefix: str) -> list[BindingType]:
    """Esc hides the run view; the App's q answers there too: while the run goes on it says why
    it will not quit."""
    return [
        Binding("escape", "close", "Close", id=f"{prefix}-run-close"),
        Binding("q", "app.quit", "Quit", show=False, id=f"{prefix}-run-quit"),
    ]


class Confirmable(Protocol):
    """The checks' answer (``FailoverPreview``, ``ReplicationPreview``)."""

    @property
    def allowed(self) -> bool: ...


PreviewT = TypeVar("PreviewT", bound=Confirmable)


class GuardedScreen(ModalScreen[PreviewT | None]):
    """A guarded operation: dismissed with the preview to run, or None.

    Cancel has the focus; Confirm stays disabled until the confirmation word is typed exactly
    and nothing blocks. Enter in the confirmation field only moves to Confirm: running takes a
    press on it. Subclasses add their own fields (``compose_fields``; the rows in
    ``HIDDEN_ROWS`` start hidden), show the checks (``show``) and ask again (``ask_again``).
    """

    AUTO_FOCUS = "#cancel"
    TYPED: ClassVar[str]
    """The confirmation field's id."""
    HIDDEN_ROWS: ClassVar[tuple[str, ...]] = ()

    def __init__(self, prefix: str, *, title: str, word: str, hint: str) -> None:
        super().__init__(id=prefix)
        self._prefix = prefix
        self.title_text = title
        self.word = word
        """What the operator types."""
        self._hint = hint
        """What the confirmation field says when the text typed is not the word."""
        self.preview: PreviewT | None = None
        """The checks shown, once they came back (None while checking or when they failed)."""
        self.checking = True

    def compose(self) -> ComposeResult:
        with Vertical(id=f"{self._prefix}-dialog") as dialog:
            dialog.border_title = self.title_text
            dialog.border_subtitle = "Tab moves, Esc cancels"
            yield CheckReport(id=f"{self._prefix}-report")
            yield Label(CHECKING, id=f"{self._prefix}-verdict", markup=False)
            yield from self.compose_fields()
            with Horizontal(id="confirm-row", classes="row"):
                yield Label("confirm", classes="key")
                yield Input(
                    placeholder=f"type {self.word} to confirm",
                    id=self.TYPED,
                    compact=True,
                    validators=[Function(self.is_word, self._hint)],
                )
                yield Button("Confirm", id="confirm", compact=True, disabled=True)
                yield Button("Cancel (Esc)", id="cancel", compact=True)

    def compose_fields(self) -> ComposeResult:
        """The screen's own rows between the verdict and the confirmation."""
        yield from ()

    def on_mount(self) -> None:
        for row in self.HIDDEN_ROWS:
            self.query_one(f"#{row}").display = False

    def is_word(self, value: str) -> bool:
        return value == self.word

    # Results from the App's worker -------------------------------------------------------------

    def show_checking(self) -> None:
        self.checking = True
        self.show_verdict(CHECKING, None)
        self.update_confirm()

    def show_failure(self, failure: str) -> None:
        self.checking = False
        self.preview = None
        self.show_verdict(f"CHECKS FAILED: {failure}; nothing changed", Severity.UNKNOWN)
        self.update_confirm()

    def show_report(self, lines: Iterable[Line]) -> None:
        self.query_one(CheckReport).show(lines)

    def show_verdict(self, text: str, severity: Severity | None) -> None:
        label = self.query_one(f"#{self._prefix}-verdict", Label)
        label.update(text)
        set_severity(label, severity)

    @property
    def confirmable(self) -> bool:
        preview = self.preview
        typed = self.query_one(f"#{self.TYPED}", Input).value
        return not self.checking and preview is not None and preview.allowed and self.is_word(typed)

    def update_confirm(self) -> None:
        self.query_one("#confirm", Button).disabled = not self.confirmable

    def ask_again(self, field: Input) -> None:
        """Enter in one of the screen's own fields: check again with what it says."""
        raise NotImplementedError

    # Keys and buttons ---------------------------------------------------------------------------

    def on_input_changed(self, event: Input.Changed) -> None:
        if event.input.id == self.TYPED:
            self.update_confirm()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == self.TYPED:
            if self.confirmable:
                self.query_one("#confirm", Button).focus()
            return
        self.show_checking()
        self.ask_again(event.input)

    def on_button_pressed(self, event: Button.Pressed) -> None:
        event.stop()
        if event.button.id == "confirm" and self.confirmable:
            self.dismiss(self.preview)
        elif event.button.id == "cancel":
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class RunScreen(ModalScreen[None]):
    """A run started from the console, step by step; Esc hides it (the run goes on, its steps
    go to the event log too)."""

    def __init__(self, prefix: str, state: ConsoleRun[Any, Any]) -> None:
        super().__init__(id=f"{prefix}-run")
        self._prefix = prefix
        self.state = state
        self._ticker: Timer | None = None

    def compose(self) -> ComposeResult:
        with Vertical(id=f"{self._prefix}-run-dialog") as dialog:
            dialog.border_title = self.state.title
            with VerticalScroll(id="run-steps"):
                for index, _row in enumerate(self.state.rows.values()):
                    yield Label("", id=f"run-step-{index}", classes="step", markup=False)
            yield Label("", id="run-phase", markup=False)
            yield Field("result", "running…", id="run-result")

    def on_mount(self) -> None:
        self.refresh_state()
        name = f"{self._prefix} run clock"
        self._ticker = self.set_interval(1.0, self.refresh_state, name=name)

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
        dialog = self.query_one(f"#{self._prefix}-run-dialog")
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
