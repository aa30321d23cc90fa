"""A failover as the console shows it: the wording of the checklist, the plan and the standing
banner, and the state of a run started here (``ui.runs`` holds what it shares with setup, rejoin
and failback).

Plain Python (no textual): no rendering happens here.
"""

from __future__ import annotations

import time
from datetime import datetime, tzinfo

from rdconsole.core.evidence import MasterState, MasterVerdict
from rdconsole.core.failover import Check, ChecklistItem, PromotionMarker
from rdconsole.core.failover_plan import Plan, Step
from rdconsole.core.verdict import Severity
from rdconsole.ops.failover_flow import FailoverExit, FailoverOutcome, FailoverPreview, Interrupted
from rdconsole.ui.runs import ConsoleRun

SEVERITY = {Check.PASS: Severity.OK, Check.WARN: Severity.WARNING, Check.BLOCK: Severity.CRITICAL}
"""How a checklist state is coloured (the symbol and the word carry it without colour)."""

MASTER_SEVERITY = {
    MasterState.DOWN: Severity.CRITICAL,
    MasterState.UP: Severity.OK,
    MasterState.UNCERTAIN: Severity.UNKNOWN,
}


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


class RunState(ConsoleRun[Step, FailoverOutcome]):
    """The console's failover: each step's state and time, the wait's progress, the outcome."""

    STARTING = "checking again under the failover lock (nothing changed yet)"

    def __init__(self, standby: str, plan: Plan) -> None:
        super().__init__(
            plan.steps,
            kind="failover",
            label=f"failover {standby}",
            headline=f"failover to {standby}",
            title=f"{plan.path}: promoting {standby}",
        )
        self.standby = standby
        self.path = plan.path

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
