"""The failover screens: the checklist and plan with the typed confirmation, and the run view
(``screens.guarded`` holds what they share with setup, rejoin and failback).

No I/O here: the checks run in an App worker (``ui.failover.FailoverControl``), which hands the
result to ``FailoverScreen.show``; a re-check (after the fencing statement or an override reason
is entered) is asked for through ``request``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Input

from rdconsole.core.verdict import Severity
from rdconsole.ops.failover_flow import FailoverOutcome, FailoverPreview
from rdconsole.ui.promotion import (
    MASTER_SEVERITY,
    RunState,
    master_line,
    plan_title,
    risk_line,
    verdict_line,
)
from rdconsole.ui.screens.guarded import (
    CheckReport,
    GuardedScreen,
    Line,
    RunScreen,
    cancel_bindings,
    checklist_lines,
    field_row,
    plan_lines,
    run_bindings,
)

FailoverReport = CheckReport
"""The checklist and the plan (its former name, kept for the tests and the screenshots)."""

Request = Callable[[str | None, str | None], None]
"""``request(fenced, override)``: check again with these statements."""


def report_lines(preview: FailoverPreview, master: str) -> list[Line]:
    verdict = preview.verdict
    return [
        Line(master_line(master, verdict), "master", MASTER_SEVERITY[verdict.state]),
        Line(f"at risk: {risk_line(preview)}", "risk"),
        *checklist_lines("checklist", preview.items, preview.override),
        *plan_lines(plan_title(preview.plan), preview.plan.steps),
    ]


class FailoverScreen(GuardedScreen[FailoverPreview]):
    """Promote ``standby``: dismissed with the preview to run, or None.

    Cancel has the focus; Confirm stays disabled until the standby's name is typed exactly and
    nothing blocks. Enter in the name field only moves to Confirm: promoting takes a press on it.
    """

    BINDINGS: ClassVar[list[BindingType]] = cancel_bindings("failover")
    TYPED = "typed-name"
    HIDDEN_ROWS = ("fenced-row", "override-row")

    def __init__(self, standby: str, master: str, request: Request) -> None:
        title = f"failover: promote {standby}"
        hint = f"type the standby's name ({standby})"
        super().__init__("failover", title=title, word=standby, hint=hint)
        self.standby = standby
        self.master = master
        self._request = request

    def compose_fields(self) -> ComposeResult:
        fenced = 'how the old master is fenced, e.g. "powered off" (Enter checks)'
        yield from field_row("fenced", fenced)
        yield from field_row("override", "why the block may be lifted (recorded; Enter checks)")

    def show(self, result: FailoverPreview | FailoverOutcome) -> None:
        """The checks came back: a preview, or a refusal (an interrupted run)."""
        self.checking = False
        if isinstance(result, FailoverOutcome):
            self.preview = None
            self.show_verdict(f"REFUSED: {result.message}", Severity.CRITICAL)
            self.show_report([Line(result.message, "refusal")])
        else:
            self.preview = result
            self.show_report(report_lines(result, self.master))
            severity = Severity.CRITICAL if result.blocks else Severity.OK
            self.show_verdict(verdict_line(result), severity)
            self._show_input("fenced", result.asks_fenced or bool(result.fenced), result.fenced)
            self._show_input("override", result.overridable, result.override)
        self.update_confirm()

    def _show_input(self, name: str, shown: bool, value: str | None) -> None:
        self.query_one(f"#{name}-row").display = shown
        field = self.query_one(f"#{name}", Input)
        if shown and value and not field.value:
            field.value = value

    def ask_again(self, field: Input) -> None:
        fenced = self.query_one("#fenced", Input).value.strip() or None
        override = self.query_one("#override", Input).value.strip() or None
        self._request(fenced, override)


class FailoverRunScreen(RunScreen):
    """The console's failover, step by step; Esc hides it (the run goes on, its steps go to the
    event log too)."""

    BINDINGS: ClassVar[list[BindingType]] = run_bindings("failover")

    def __init__(self, state: RunState) -> None:
        super().__init__("failover", state)
