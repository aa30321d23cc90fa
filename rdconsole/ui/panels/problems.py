"""The verdict's problems, worst first: what is wrong and how to fix it."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Label

from rdconsole.core.verdict import Problem, Severity
from rdconsole.ui.panels.field import set_severity


class ProblemsPanel(VerticalScroll):
    """Scrollable (focus it with Tab) when the problems do not fit; ``p`` maximizes it."""

    ALLOW_MAXIMIZE = True

    problems: reactive[tuple[Problem, ...] | None] = reactive(None, recompose=True)
    """None until every host has been polled; recomposed only when the problems change."""

    def __init__(self) -> None:
        super().__init__(id="problems")
        self.border_title = "problems"

    def compose(self) -> ComposeResult:
        if self.problems is None:
            yield Label("waiting for the first poll of every host", markup=False)
            return
        if not self.problems:
            ok = Label(f"{Severity.OK.symbol} no problems", markup=False)
            set_severity(ok, Severity.OK)
            yield ok
        for problem in self.problems:
            what = Label(
                f"{problem.severity.symbol} {problem.host}: {problem.what}",
                classes="what",
                markup=False,
            )
            set_severity(what, problem.severity)
            yield what
            yield Label(f"  fix: {problem.fix}", classes="fix", markup=False)

    def watch_problems(self, problems: tuple[Problem, ...] | None) -> None:
        count = "" if problems is None else f" ({len(problems)})"
        self.border_title = f"problems{count}"
