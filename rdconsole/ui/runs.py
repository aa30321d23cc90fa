"""A run started from the console (a failover; a setup, rejoin or failback) as it shows it: each
step's state and time, the running step's progress, the outcome; and the reporter the runner
calls.

Plain Python (no textual). The runner calls the reporter from the worker's coroutine on the
App's loop, so each call only hands the report on (the App posts it as a message): no rendering
happens here. The wording of each kind of run is in ``ui.promotion`` and ``ui.replicating``.
"""

from __future__ import annotations

import enum
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import ClassVar, Generic, Protocol, TypeVar

from rdconsole.core.durations import format_duration

MARKS = {"pending": "·", "running": "…", "done": "✔", "failed": "✖"}
"""A step's state in the run view and the event log."""


class PlanStep(Protocol):
    """A step of a plan (``core.failover_plan.Step``, ``core.replication_plan.Step``)."""

    @property
    def id(self) -> str: ...

    @property
    def host(self) -> str: ...

    @property
    def title(self) -> str: ...

    def text(self) -> str: ...


class RunOutcome(Protocol):
    """How a run ended (``FailoverOutcome``, ``replication_flow.Outcome``)."""

    @property
    def exit(self) -> enum.IntEnum: ...

    @property
    def message(self) -> str: ...


StepT = TypeVar("StepT", bound=PlanStep)
OutcomeT = TypeVar("OutcomeT", bound=RunOutcome)


def step_heading(step: PlanStep) -> str:
    """``05-reset [rd-standby] Forget the old master`` (the plan's line for a step)."""
    return f"{step.id} [{step.host}] {step.title}"


def exit_word(outcome: RunOutcome) -> str:
    return outcome.exit.name


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else format_duration(value)


@dataclass
class StepRow(Generic[StepT]):
    """One step of the console's run as shown."""

    step: StepT
    status: str = "pending"
    started: float | None = None
    """``time.monotonic()`` when it started."""
    seconds: float | None = None
    """How long it took (done or failed)."""
    detail: str = ""

    def line(self, now: float) -> str:
        """``✔ 03-stop-replication Stop replication (0.2 s)``; a running step shows its age."""
        took = self.seconds
        if took is None and self.status == "running" and self.started is not None:
            took = max(0.0, now - self.started)
        timing = f" ({_seconds(took)})" if took is not None else ""
        return f"{MARKS.get(self.status, '?')} {self.step.id} {self.step.title}{timing}"


class ConsoleRun(ABC, Generic[StepT, OutcomeT]):
    """A run started from the console: each step's state and time, the running step's
    progress, the outcome. Kept after it ended, for its view."""

    STARTING: ClassVar[str]
    """What the run does before its first step (it checks again under its lock)."""

    def __init__(
        self, steps: Iterable[StepT], *, kind: str, label: str, headline: str, title: str
    ) -> None:
        self.kind = kind
        """What runs, in the quit warning (``a failover is running``)."""
        self.label = label
        """The event log's prefix for its lines."""
        self.headline = headline
        """The notification's title when it ends, before the outcome's word."""
        self.title = title
        """The run view's border title."""
        self.rows: dict[str, StepRow[StepT]] = {step.id: StepRow(step) for step in steps}
        self.progress = ""
        """The running step's progress (the drain's bytes left, the snapshot's bytes)."""
        self.outcome: OutcomeT | None = None

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    @abstractmethod
    def done(self) -> bool:
        """It ended, and well."""

    @property
    def current(self) -> StepRow[StepT] | None:
        """The running step, else the first not done."""
        rows = list(self.rows.values())
        running = [row for row in rows if row.status == "running"]
        if running:
            return running[0]
        return next((row for row in rows if row.status != "done"), None)

    def stepped(self, step: StepT, status: str, detail: str, at: float) -> str:
        """Take in a step's new state; returns its event-log line."""
        row = self.rows.setdefault(step.id, StepRow(step))
        row.status, row.detail = status, detail
        if status == "running":
            row.started, row.seconds = at, None
            self.progress = ""
        elif row.started is not None:
            row.seconds = max(0.0, at - row.started)
        line = row.line(at)
        return f"{line}: {detail}" if detail and status != "running" else line

    def phase(self, now: float) -> str:
        """One line: what the run is doing (or how it ended)."""
        if self.outcome is not None:
            return f"{exit_word(self.outcome)}: {self.outcome.message}"
        row = self.current
        if row is None or row.status == "pending":
            return self.STARTING
        return row.line(now) + (f": {self.progress}" if self.progress else "")


class StepReporter(Generic[StepT]):
    """The runner's observer (``FailoverObserver``, ``RunObserver``) for the console: each
    report is handed on with its time."""

    def __init__(
        self,
        stepped: Callable[[StepT, str, str, float], None],
        progress: Callable[[StepT, str], None],
    ) -> None:
        self._stepped = stepped
        self._progress = progress

    def step(self, step: StepT, status: str, detail: str) -> None:
        self._stepped(step, status, detail, time.monotonic())

    def progress(self, step: StepT, text: str) -> None:
        self._progress(step, text)
