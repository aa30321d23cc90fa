"""Setup, rejoin and failback as the console shows them: the words of the screens and the state
of a run started here (``ui.runs`` holds what it shares with the failover).

Plain Python (no textual): no rendering happens here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from rdconsole.core.failover import Check
from rdconsole.core.replication_plan import Step
from rdconsole.ops.console_replication import Procedure
from rdconsole.ui.runs import ConsoleRun

if TYPE_CHECKING:
    # The replication flow loads the database driver: only when a runner first uses it.
    from rdconsole.ops.replication_flow import Outcome, ReplicationPreview  # noqa: F401 (Outcome: named in a string below)

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


class ReplicationRun(ConsoleRun[Step, "Outcome"]):
    """The console's setup, rejoin or failback: each step's state and time, the running step's
    progress (the snapshot's bytes and rate), the outcome."""

    STARTING = "starting: taking the lock (nothing changed yet)"

    def __init__(self, preview: ReplicationPreview, title: str) -> None:
        procedure = preview.procedure
        super().__init__(
            preview.steps, kind=procedure, label=procedure, headline=procedure, title=title
        )
        self.procedure = procedure

    @property
    def done(self) -> bool:
        from rdconsole.ops.replication_flow import ReplicationExit

        return self.outcome is not None and self.outcome.exit is ReplicationExit.DONE
