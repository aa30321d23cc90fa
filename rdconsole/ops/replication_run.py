"""Run a replication plan (setup, rejoin, failback): journaled, audited, resumable.

The run's journal (``state_dir/<procedure>-run.json``, atomically replaced) holds the plan, each
step's state and what the steps learned (snapshot coordinates, recorded positions, the
quarantine file). A run killed half-way is finished with ``--resume``: done steps are skipped,
the interrupted one re-runs (every step is safe to repeat). Each step also goes to the audit log
with its SQL or command (secrets masked), result and duration.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from asyncmy.errors import MySQLError

from rdconsole.core.replication_plan import Action, Step
from rdconsole.hosts.client_tools import (
    ClientHost,
    open_client_host,
    remove_stale_option_files,
)
from rdconsole.hosts.mysql import PrivilegeDenied
from rdconsole.hosts.shell import ShellError
from rdconsole.hosts.state import now_text
from rdconsole.ops.comeback_steps import ComebackSteps
from rdconsole.ops.quarantine import QuarantineFailed
from rdconsole.ops.replication_context import (
    RunContext,
    RunObserver,
    RunOutcome,
    StepFailed,
    step_of,
)
from rdconsole.ops.replication_steps import ReplicaSteps
from rdconsole.ops.snapshot import SnapshotFailed, SnapshotProgress, copy_snapshot

STEP_ERRORS = (
    StepFailed,
    SnapshotFailed,
    QuarantineFailed,
    ShellError,
    TimeoutError,
    OSError,
    MySQLError,
    PrivilegeDenied,
    KeyError,
    ValueError,
)
"""What a step may fail with; anything else is a bug and propagates."""
READ_ONLY_ACTIONS = frozenset(
    {
        Action.RECORD_POSITION,
        Action.WAIT_REPLICATING,
        Action.WAIT_EXECUTED,
        Action.QUARANTINE,
        Action.BACKUP,
    }
)
"""Steps that change no server (the quarantine and the backup write files in state_dir)."""


class _Runner(ReplicaSteps, ComebackSteps):
    """Executes the journal's steps in order; see the module docstring."""

    async def execute(self, step: Step) -> str:
        match step.action:
            case Action.SQL:
                return await self.run_sql(step)
            case Action.CREATE_USER:
                await self.sql(step.host, step.statements)
                return await self.grants(step.host)
            case Action.SNAPSHOT:
                return await self.snapshot(step)
            case Action.POINT:
                return await self.point(step)
            case Action.WAIT_REPLICATING:
                return await self.wait_replicating(step)
            case Action.PROBE:
                return await self.probe(step)
            case Action.RECORD_POSITION:
                return await self.record_position(step.host)
            case Action.WAIT_EXECUTED:
                return await self.wait_executed(step)
            case Action.QUARANTINE:
                return await self.quarantine(step)
            case Action.BACKUP:
                return await self.backup(step)
            case Action.SWITCH_MASTER:
                if self.context.switcher is None:
                    raise StepFailed("no switcher for this run")
                code, message = await self.context.switcher("master")
                if code != 0:
                    raise StepFailed(f"switch master exited {code}: {message}")
                return message
            case Action.CLOSE_MARKER:
                return self.close_marker()
        raise StepFailed(f"unknown action {step.action}")

    async def run_sql(self, step: Step) -> str:
        rows = await self.sql(step.host, step.statements)
        if step.statements[-1].startswith("SELECT @@GLOBAL.read_only"):
            wanted = 0 if any("read_only = OFF" in s for s in step.statements) else 1
            if not rows or int(rows[0]["read_only"]) != wanted:
                raise StepFailed(f"{step.host} did not read back read_only = {wanted}")
            return f"read back read_only = {wanted}"
        return "ok"

    async def grants(self, name: str) -> str:
        account = self.journal["account"]
        rows = await self.sql(name, (f"SHOW GRANTS FOR {account}",))
        text = "; ".join(str(next(iter(row.values()))) for row in rows)
        if "SUPER" in text.upper() or "RELOAD" in text.upper():
            raise StepFailed(f"the replication account still holds too much: {text}")
        # The grant lines hold the password hash; keep only the privileges.
        return text.split(" IDENTIFIED BY")[0]

    async def snapshot(self, step: Step) -> str:
        source, target = self.host(step.source), self.host(step.host)
        tools: list[ClientHost] = []
        try:
            source_tools = await open_client_host(source, source.mysql, self.context.scratch)
            tools.append(source_tools)
            target_tools = await open_client_host(target, target.mysql, self.context.scratch)
            tools.append(target_tools)
            dump = self.context.dump[step.source]
            load = self.context.load[step.host]

            def progress(update: SnapshotProgress) -> None:
                if self.observer is not None:
                    self.observer.progress(step, update.describe())

            result = await copy_snapshot(
                source_tools,
                target_tools,
                dump,
                load,
                expected=self.journal.get("expected_bytes", {}).get(step.source),
                on_progress=progress,
            )
        finally:
            for client in tools:
                await client.close()
        coordinates = result.coordinates
        self.journal.setdefault("positions", {})[step.source] = {
            "file": coordinates.file,
            "position": coordinates.position,
            "gtid": coordinates.gtid,
        }
        self.journal["snapshot"] = {"bytes": result.bytes, "seconds": round(result.seconds, 3)}
        return (
            f"{result.bytes / 1048576:.1f} MiB in {result.seconds:.1f} s; "
            f"{step.source} at {coordinates.file}:{coordinates.position}"
            + (f" (GTID {coordinates.gtid})" if coordinates.gtid else "")
        )

    async def run(self) -> RunOutcome:
        for entry in self.journal["steps"]:
            if entry["status"] == "done":
                continue
            step = step_of(entry)
            entry.update(status="running", started_at=now_text())
            self.save()
            self.notify(step, "running", "")
            started = time.monotonic()
            try:
                result = await self.execute(step)
            except STEP_ERRORS as error:
                message = self.scrub(str(error) or type(error).__name__)
                return self.failed(entry, step, message, started)
            entry.update(status="done", ended_at=now_text(), result=result)
            self.save()
            self.record(step, "done", result, started)
        self.journal.update(finished=True, finished_at=now_text())
        self.save()
        return RunOutcome(True, True, f"{self.context.procedure} done")

    def failed(self, entry: dict[str, Any], step: Step, message: str, started: float) -> RunOutcome:
        entry.update(status="failed", ended_at=now_text(), result=message)
        changed = any(
            Action(e["action"]) not in READ_ONLY_ACTIONS
            for e in self.journal["steps"]
            if e["status"] != "pending"
        )
        if not changed:
            # Nothing on any host changed: close the run, there is nothing to resume.
            self.journal.update(finished=True, aborted=True, finished_at=now_text())
        self.save()
        self.record(step, "failed", message, started)
        failure = f"step {step.id} ({step.title}) failed: {message}." + self.rollback_hint()
        if not changed:
            return RunOutcome(False, False, f"{failure} Nothing was changed.")
        return RunOutcome(
            False,
            True,
            f"{failure} Fix the cause, then finish with `rdconsole {self.context.procedure} "
            "--resume` (every step is safe to repeat, also one that was partly applied).",
        )

    def record(self, step: Step, status: str, result: str, started: float) -> None:
        """The step's line in the audit log (secrets masked by ``Step.text``), then the UI."""
        self.audit.write(
            f"{self.context.procedure}-step",
            step=step.id,
            text=step.text(),
            status=status,
            result=result,
            duration_s=round(time.monotonic() - started, 3),
        )
        self.notify(step, status, result)

    def notify(self, step: Step, status: str, detail: str) -> None:
        if self.observer is not None:
            self.observer.step(step, status, detail)


async def execute_run(
    context: RunContext, journal: dict[str, Any], observer: RunObserver | None
) -> RunOutcome:
    runner = _Runner(context, journal, observer)
    if context.scratch.exists() and (stale := remove_stale_option_files(context.scratch)):
        runner.audit.write(f"{context.procedure}-cleanup", removed_option_files=stale)
    runner.save()
    return await runner.run()


def _still_there(path: str | None) -> bool:
    return path is not None and Path(path).exists()
