"""The setup, rejoin and failback screens: the checks and plan with the typed confirmation, and
the run view (``screens.guarded`` holds what they share with the failover).

No I/O here: the checks run in an App worker (``ui.replication.ReplicationControl``), which hands
the result to ``ReplicationScreen.show``; a re-check (after the operator typed the databases
setup may overwrite) is asked for through ``request``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

from textual.app import ComposeResult
from textual.binding import BindingType
from textual.widgets import Input

from rdconsole.core.verdict import Severity
from rdconsole.ui.replicating import (
    ReplicationRun,
    asks_overwrite,
    overwrite_names,
    plan_title,
    verdict_line,
)
from rdconsole.ui.screens.guarded import (
    GuardedScreen,
    Line,
    RunScreen,
    cancel_bindings,
    checklist_lines,
    field_row,
    plan_lines,
    run_bindings,
)

if TYPE_CHECKING:
    # The replication flow loads the database driver: only when a runner first uses it.
    from rdconsole.ops.replication_flow import ReplicationPreview

Request = Callable[[tuple[str, ...]], None]
"""``request(overwrite)``: check again, letting setup replace these databases."""


def report_lines(preview: ReplicationPreview) -> list[Line]:
    return [
        *(Line(line, "summary") for line in preview.summary),
        *checklist_lines("checks", preview.items, None),
        *plan_lines(plan_title(preview), preview.steps),
    ]


class ReplicationScreen(GuardedScreen["ReplicationPreview"]):
    """Set up, rejoin or fail back: dismissed with the preview to run, or None.

    Cancel has the focus; Confirm stays disabled until ``word`` is typed exactly and nothing
    blocks. Enter in the confirmation field only moves to Confirm: running takes a press on it.
    """

    BINDINGS: ClassVar[list[BindingType]] = cancel_bindings("replication")
    TYPED = "typed-word"
    HIDDEN_ROWS = ("overwrite-row",)

    def __init__(self, procedure: str, title: str, word: str, request: Request) -> None:
        super().__init__("replication", title=title, word=word, hint=f"type {word}")
        self.procedure = procedure
        self._request = request

    def compose_fields(self) -> ComposeResult:
        yield from field_row("overwrite", "the standby databases setup may replace (Enter checks)")

    def is_word(self, value: str) -> bool:
        """The preview's ``confirm_word`` once it came back, else ``word``."""
        word = self.preview.confirm_word if self.preview is not None else self.word
        return value == word

    def show(self, preview: ReplicationPreview) -> None:
        self.checking = False
        self.preview = preview
        self.show_report(report_lines(preview))
        severity = Severity.OK if preview.allowed else Severity.CRITICAL
        self.show_verdict(verdict_line(preview), severity)
        overwrite = self.query_one("#overwrite", Input)
        self.query_one("#overwrite-row").display = asks_overwrite(preview) or bool(overwrite.value)
        self.update_confirm()

    def show_failure(self, failure: str) -> None:
        self.show_report([Line(failure, "refusal")])
        super().show_failure(failure)

    def ask_again(self, field: Input) -> None:
        self._request(overwrite_names(field.value))


class ReplicationRunScreen(RunScreen):
    """The console's setup, rejoin or failback, step by step; Esc hides it (the run goes on, its
    steps go to the event log too)."""

    BINDINGS: ClassVar[list[BindingType]] = run_bindings("replication")

    def __init__(self, state: ReplicationRun) -> None:
        super().__init__("replication", state)
