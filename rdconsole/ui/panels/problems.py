"""The verdict's problems, worst first: what is wrong and how to fix it."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.reactive import reactive
from textual.widgets import Label

from rdconsole.core.verdict import Problem, Severity
from rdconsole.ui.panels.field import set_severity


class ProblemsPanel(VerticalScroll):
    """Scrollable (focus it with Tab) when the problems do not fit; ``p`` gives it the whole
    screen (class ``-maximized``) and ``p`` or Esc gives it back."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "restore", "Back", show=False, id="problems-back"),
    ]

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

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        return self.has_class("-maximized") if action == "restore" else True

    async def action_restore(self) -> None:
        await self.run_action("app.problems")
