"""Setup, rejoin and failback as the console shows them: the words of the screens, the state of
a run started here, and the observer the runner calls.

Plain Python (no textual): the observer only hands each report to a callable that posts a
message; no rendering happens here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdconsole.core.durations import format_duration
from rdconsole.core.failover import Check
from rdconsole.core.replication_plan import Step
from rdconsole.ops.console_replication import Procedure
from rdconsole.ui.promotion import MARKS

if TYPE_CHECKING:
    # The replication flow loads the database driver: only when a runner first uses it.
    from rdconsole.ops.replication_flow import Outcome, ReplicationPreview

PALETTE: dict[Procedure, tuple[str, str]] = {
    "setup": (
        "Set up replication…",
        "Checks, plan and typed confirmation to build a standby from the master (online snapshot)",
    ),
    "rejoin": (
        "Rejoin the old master…",
        "After a promotion: quarantine its extra writes, re-seed it as a replica of the new master",
    ),
    "failback": (
        "Switch back (failback)…",
        "After a rejoin: the guarded switchover back to the original roles",
    ),
}
"""The command palette's entry for each procedure."""

VERBS: dict[str, str] = {
    "setup": "sets up replication",
    "rejoin": "rejoins it",
    "failback": "switches the roles back",
}


def dialog_title(procedure: Procedure, master: str, standby: str) -> str:
    """What the screen does, in its border (``standby``: the chosen or the promoted one)."""
    if procedure == "setup":
        return f"set up replication: {master} → {standby}"
    if procedure == "rejoin":
        return f"rejoin: {master} becomes a replica of {standby}"
    return f"failback: {master} becomes the master again, {standby} its replica"


def plan_title(preview: ReplicationPreview) -> str:
    if not preview.steps:
        return "plan: none (the checks must read both servers first)"
    return f"plan: {preview.procedure}, {len(preview.steps)} steps (nothing runs before Confirm)"


def verdict_line(preview: ReplicationPreview) -> str:
    """What the operator may do now, in words."""
    if not preview.allowed:
        hint = ""
        if asks_overwrite(preview):
            hint = " (type the database names in 'overwrite', then Enter)"
        return f"BLOCKED: {preview.refusal}{hint}"
    warned = sum(1 for item in preview.items if item.state is Check.WARN)
    warnings = f"{warned} warning(s) above; " if warned else ""
    return (
        f"ready: {warnings}type {preview.confirm_word} below, then Confirm "
        f"{VERBS.get(preview.procedure, 'runs it')}"
    )


def asks_overwrite(preview: ReplicationPreview) -> bool:
    """Setup blocks on standby databases that hold data: the operator may type their names."""
    return any(i.key == "target-data" and i.state is Check.BLOCK for i in preview.items)


def overwrite_names(text: str) -> tuple[str, ...]:
    """``Rivendell, Other`` or ``Rivendell Other`` -> the names."""
    return tuple(name for name in text.replace(",", " ").split() if name)


def exit_word(outcome: Outcome) -> str:
    return outcome.exit.name


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else format_duration(value)


@dataclass
class RunRow:
    """One step of the console's run as shown."""

    step: Step
    status: str = "pending"
    started: float | None = None
    """``time.monotonic()`` when it started."""
    seconds: float | None = None
    """How long it took (done or failed)."""
    detail: str = ""

    def line(self, now: float) -> str:
        """``✔ 04-snapshot Snapshot rd-master into rd-standby (3.2 s)``; a running step shows
        its age."""
        took = self.seconds
        if took is None and self.status == "running" and self.started is not None:
            took = max(0.0, now - self.started)
        timing = f" ({_seconds(took)})" if took is not None else ""
        return f"{MARKS.get(self.status, '?')} {self.step.id} {self.step.title}{timing}"


class ReplicationRun:
    """The console's setup, rejoin or failback: each step's state and time, the running step's
    progress, the outcome."""

    def __init__(self, preview: ReplicationPreview, title: str) -> None:
        self.procedure = preview.procedure
        self.title = title
        self.rows = {step.id: RunRow(step) for step in preview.steps}
        self.progress = ""
        """The running step's progress (the snapshot's bytes and rate)."""
        self.outcome: Outcome | None = None

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def done(self) -> bool:
        from rdconsole.ops.replication_flow import ReplicationExit

        return self.outcome is not None and self.outcome.exit is ReplicationExit.DONE

    @property
    def current(self) -> RunRow | None:
        """The running step, else the first not done."""
        rows = list(self.rows.values())
        running = [row for row in rows if row.status == "running"]
        if running:
            return running[0]
        return next((row for row in rows if row.status != "done"), None)

    def stepped(self, step: Step, status: str, detail: str, at: float) -> str:
        """Take in a step's new state; returns its event-log line."""
        row = self.rows.setdefault(step.id, RunRow(step))
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
            return "starting: taking the lock (nothing changed yet)"
        return row.line(now) + (f": {self.progress}" if self.progress else "")


class RunReporter:
    """``RunObserver`` for the console: each report is handed on with its time."""

    def __init__(
        self,
        stepped: Callable[[Step, str, str, float], None],
        progress: Callable[[Step, str], None],
    ) -> None:
        self._stepped = stepped
        self._progress = progress

    def step(self, step: Step, status: str, detail: str) -> None:
        self._stepped(step, status, detail, time.monotonic())

    def progress(self, step: Step, text: str) -> None:
        self._progress(step, text)
