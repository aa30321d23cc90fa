"""A failover as the console shows it: the wording of the checklist, the plan and the standing
banner, the state of a run started here, and the observer the runner calls.

Plain Python (no textual): the App hands in ``post`` to turn the runner's reports into
messages. The runner calls the observer from the worker's coroutine on the App's loop, so each
call only posts: no rendering happens here.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, tzinfo

from rdconsole.core.durations import format_duration
from rdconsole.core.evidence import MasterState, MasterVerdict
from rdconsole.core.failover import Check, ChecklistItem, PromotionMarker
from rdconsole.core.failover_plan import Plan, Step
from rdconsole.core.verdict import Severity
from rdconsole.ops.failover_flow import FailoverExit, FailoverOutcome, FailoverPreview, Interrupted

SEVERITY = {Check.PASS: Severity.OK, Check.WARN: Severity.WARNING, Check.BLOCK: Severity.CRITICAL}
"""How a checklist state is coloured (the symbol and the word carry it without colour)."""

MASTER_SEVERITY = {
    MasterState.DOWN: Severity.CRITICAL,
    MasterState.UP: Severity.OK,
    MasterState.UNCERTAIN: Severity.UNKNOWN,
}

MARKS = {"pending": "·", "running": "…", "done": "✔", "failed": "✖"}
"""A step's state in the run view and the event log."""


def item_line(item: ChecklistItem, override: str | None) -> str:
    """``✖ BLOCK Fencing: why``; an overridable block lifted by a reason says so."""
    lifted = " (overridden)" if item.state is Check.BLOCK and item.overridable and override else ""
    return f"{item.state.symbol} {item.state.value.upper():5} {item.title}{lifted}: {item.why}"


def fix_line(item: ChecklistItem) -> str | None:
    """The fix of an item that does not pass."""
    if item.fix and item.state is not Check.PASS:
        return f"fix: {item.fix}"
    return None


def master_line(master: str, verdict: MasterVerdict) -> str:
    """``master rd-master: DOWN`` (the evidence is the checklist's first item)."""
    return f"master {master}: {verdict.state.value}"


def risk_line(preview: FailoverPreview) -> str:
    """The checklist's own estimate of the writes that may be lost."""
    for item in preview.items:
        if item.key == "risk":
            return f"{item.state.symbol} {item.why}"
    return "—"


def step_heading(step: Step) -> str:
    return f"{step.id} [{step.host}] {step.title}"


def plan_title(plan: Plan) -> str:
    return f"plan: {plan.path}, {len(plan.steps)} steps (nothing runs before Confirm)"


def verdict_line(preview: FailoverPreview) -> str:
    """What the operator may do now, in words."""
    if preview.blocks:
        hints = []
        if preview.asks_fenced:
            hints.append("state the fencing in 'fenced'")
        if any(block.overridable for block in preview.blocks):
            hints.append("give a reason in 'override'")
        why = "; ".join(f"{b.title}: {b.why}" for b in preview.blocks)
        return f"BLOCKED: {why}" + (f" ({'; '.join(hints)}, then Enter)" if hints else "")
    return f"ready: type {preview.standby} below, then Confirm promotes it"


def promoted_line(marker: PromotionMarker, master: str, zone: tzinfo | None) -> str:
    at = marker.at.astimezone(zone) if zone is not None else marker.at
    if marker.rejoined_at is not None:
        rejoined = marker.rejoined_at.astimezone(zone) if zone is not None else marker.rejoined_at
        return (
            f"▲ PROMOTED {marker.standby} at {at:%H:%M} by {marker.by} — old master {master} "
            f"rejoined as its replica at {rejoined:%H:%M}; the failback switches the roles back"
        )
    return (
        f"▲ PROMOTED {marker.standby} at {at:%H:%M} by {marker.by} — old master {master} must "
        "not come back writable until rejoined"
    )


def interrupted_line(run: Interrupted) -> str:
    return (
        f"✖ INTERRUPTED {run.path} of {run.standby} at step {run.step} — finish it with "
        "`rdconsole failover --resume`"
    )


def exit_word(outcome: FailoverOutcome) -> str:
    return outcome.exit.name


@dataclass
class StepRow:
    """One step of the console's run as shown."""

    step: Step
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


def _seconds(value: float) -> str:
    return f"{value:.1f} s" if value < 60 else format_duration(value)


class RunState:
    """The console's failover: each step's state and time, the wait's progress, the outcome."""

    def __init__(self, standby: str, plan: Plan) -> None:
        self.standby = standby
        self.path = plan.path
        self.rows = {step.id: StepRow(step) for step in plan.steps}
        self.progress = ""
        """The waiting step's progress (drain: bytes left, stalled for)."""
        self.outcome: FailoverOutcome | None = None

    @property
    def finished(self) -> bool:
        return self.outcome is not None

    @property
    def current(self) -> StepRow | None:
        """The running step, else the first not done."""
        rows = list(self.rows.values())
        running = [row for row in rows if row.status == "running"]
        if running:
            return running[0]
        return next((row for row in rows if row.status != "done"), None)

    def stepped(self, step: Step, status: str, detail: str, at: float) -> str:
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
            return "checking again under the failover lock (nothing changed yet)"
        return row.line(now) + (f": {self.progress}" if self.progress else "")

    @property
    def done(self) -> bool:
        return self.outcome is not None and self.outcome.exit is FailoverExit.DONE


def banner_lines(
    *,
    marker: PromotionMarker | None,
    interrupted: Interrupted | None,
    run: RunState | None,
    master: str,
    now: datetime,
) -> list[str]:
    """The standing lines above the panels: a failover running here, an interrupted run, the
    last promotion (until the old master is rejoined)."""
    lines = []
    if run is not None and not run.finished:
        lines.append(f"… FAILOVER RUNNING to {run.standby}: {run.phase(time.monotonic())}")
    if interrupted is not None and (run is None or run.finished):
        lines.append(interrupted_line(interrupted))
    if marker is not None:
        lines.append(promoted_line(marker, master, now.tzinfo))
    return lines


class ConsoleObserver:
    """``FailoverObserver`` for the console: each report becomes a posted message."""

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
