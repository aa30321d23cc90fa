"""Running the promotion: each step journaled before and after, idempotent, resumable.

The step journal (``state_dir/failover-run.json``, atomically replaced) holds the plan and each
step's state, so a run killed half-way (terminal lost, rdconsole killed) is shown on the next
start and finished with ``--resume``: done steps are skipped, the interrupted one re-runs (every
step is safe to repeat). Every step also goes to the audit log with its SQL or command, result
and duration.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from asyncmy.errors import MySQLError

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.failover_plan import Step, StepKind
from rdconsole.core.vocabulary import binlog_from_row, replica_from_row
from rdconsole.hosts.mysql import MySQLSession, PrivilegeDenied
from rdconsole.hosts.shell import ShellError, shell_for
from rdconsole.hosts.ssh import SshShell
from rdconsole.hosts.state import (
    AuditLog,
    now_text,
    read_unfinished,
    who,
    write_state_file,
)
from rdconsole.ops.failover_flow import FailoverExit, FailoverObserver, FailoverOutcome, Switcher
from rdconsole.ops.preflight import Preflight, check_target, marker_document, marker_path

RUN_NAME = "failover-run.json"
POLL_S = 0.2
COMMAND_TIMEOUT_S = 120.0


class StepFailed(Exception):
    pass


READ_ONLY_KINDS = frozenset(
    {
        StepKind.ATTEST,
        StepKind.WAIT_DRAINED,
        StepKind.WAIT_CAUGHT_UP,
        StepKind.RECORD_COORDINATES,
        StepKind.RECORD_MASTER_POSITION,
    }
)
"""Steps that change no host: a failure after only these leaves everything as it was."""


def run_path(settings: Settings) -> Path:
    return settings.console.state_dir / RUN_NAME


def unfinished_run(settings: Settings) -> dict[str, Any] | None:
    """The journal of a run that did not finish, if any."""
    return read_unfinished(run_path(settings))


class _Runner:
    def __init__(
        self,
        settings: Settings,
        standby: HostConfig,
        journal: dict[str, Any],
        observer: FailoverObserver | None,
        switcher: Switcher,
        override: str | None,
    ) -> None:
        self.settings = settings
        self.standby = standby
        self.journal = journal
        self.observer = observer
        self.switcher = switcher
        self.override = override
        self.audit = AuditLog(settings.console.state_dir)

    def save(self) -> None:
        write_state_file(run_path(self.settings), self.journal)

    async def sql(self, host: HostConfig, statements: tuple[str, ...]) -> list[dict[str, Any]]:
        session = MySQLSession(host, self.settings.console)
        try:
            rows: list[dict[str, Any]] = []
            for statement in statements:
                rows = list(await session.query(statement))
            return rows
        finally:
            await session.close()

    async def execute(self, step: Step) -> str:
        master, standby = self.settings.master, self.standby
        match step.kind:
            case StepKind.ATTEST:
                return f"fenced by the operator: {self.journal.get('fenced')!r}"
            case StepKind.MASTER_SQL:
                rows = await self.sql(master, step.statements)
                if not rows or int(rows[0]["read_only"]) != 1:
                    raise StepFailed("the master did not read back read_only = 1")
                return "read back read_only = 1"
            case StepKind.MASTER_COMMAND:
                return await self.master_command(step)
            case StepKind.STANDBY_SQL:
                rows = await self.sql(standby, step.statements)
                if step.statements[-1].startswith("SELECT @@GLOBAL.read_only"):
                    if not rows or int(rows[0]["read_only"]) != 0:
                        raise StepFailed("the standby did not read back read_only = 0")
                    return "read back read_only = 0"
                return "ok"
            case StepKind.RECORD_MASTER_POSITION:
                rows = await self.sql(master, step.statements)
                file, position, _ = binlog_from_row(rows[0])
                self.journal["final_position"] = {"file": file, "position": position}
                return f"{file}:{position}"
            case StepKind.WAIT_CAUGHT_UP | StepKind.WAIT_DRAINED:
                return await self.wait(step)
            case StepKind.RECORD_COORDINATES:
                rows = await self.sql(standby, step.statements)
                if rows:
                    replica = replica_from_row(rows[0])
                    self.journal["coordinates"] = {
                        "master_log_file": replica.master_log_file,
                        "read_master_log_pos": replica.read_master_log_pos,
                        "relay_master_log_file": replica.relay_master_log_file,
                        "exec_master_log_pos": replica.exec_master_log_pos,
                        "gtid_io_pos": replica.gtid_io_pos,
                    }
                return str(self.journal.get("coordinates", "already reset (kept from before)"))
            case StepKind.SWITCH:
                code, message = await self.switcher("standby")
                if code != 0:
                    raise StepFailed(f"switch standby exited {code}: {message}")
                return message
            case StepKind.POST_CHECK:
                return await self.post_check()
            case StepKind.MARKER:
                reason = (
                    self.journal.get("override")
                    or self.journal.get("fenced")
                    or (self.journal["path"])
                )
                write_state_file(
                    marker_path(self.settings),
                    marker_document(
                        self.settings,
                        standby.name,
                        str(reason),
                        who()["user"],
                        self.journal.get("coordinates", {}),
                    ),
                )
                return f"written to {marker_path(self.settings)}"
        raise StepFailed(f"unknown step kind {step.kind}")

    async def master_command(self, step: Step) -> str:
        master = self.settings.master
        if master.ssh is None or step.command is None:
            raise StepFailed("no [master.ssh] to run the command with")
        shell = SshShell(master.host, master.ssh)
        try:
            async with asyncio.timeout(COMMAND_TIMEOUT_S):
                result = await shell.run(["sh", "-c", step.command])
        finally:
            await shell.close()
        if not result.ok:
            raise StepFailed(f"exit {result.exit_status}: {result.stderr_text()}")
        return "ok"

    async def wait(self, step: Step) -> str:
        """Wait for the drain (or the final position) while progress continues."""
        limit = self.settings.failover.drain_timeout
        last_exec: tuple[str, int] | None = None
        progress_at = time.monotonic()
        target = self.journal.get("final_position")
        while True:
            rows = await self.sql(self.standby, step.statements)
            if not rows:
                return "the standby is no longer a replica: already drained and reset"
            replica = replica_from_row(rows[0])
            executed = (replica.relay_master_log_file, replica.exec_master_log_pos)
            if replica.last_sql_errno and not self.override:
                raise StepFailed(
                    f"SQL thread error {replica.last_sql_errno}: {replica.last_sql_error}"
                )
            if step.kind is StepKind.WAIT_CAUGHT_UP and target is not None:
                done = executed == (target["file"], target["position"]) and replica.drained
            else:
                done = replica.drained
            if done:
                return f"executed up to {executed[0]}:{executed[1]}"
            if executed != last_exec:
                last_exec, progress_at = executed, time.monotonic()
            stalled = time.monotonic() - progress_at
            if self.observer is not None:
                backlog = replica.relay_backlog_bytes
                self.observer.progress(step, f"{backlog} bytes left, stalled {stalled:.0f} s")
            if stalled >= limit:
                if self.override:
                    return f"stalled {stalled:.0f} s; continued by override {self.override!r}"
                raise StepFailed(f"no progress for {stalled:.0f} s (drain_timeout)")
            await asyncio.sleep(POLL_S)

    async def post_check(self) -> str:
        shell = shell_for(self.standby)
        try:
            target = await check_target(self.settings, self.standby, shell, None)
        finally:
            await shell.close()
        if target.problems:
            raise StepFailed("; ".join(target.problems))
        rows = await self.sql(self.standby, ("SELECT @@GLOBAL.read_only AS read_only",))
        if int(rows[0]["read_only"]) != 0:
            raise StepFailed("the promoted standby is read-only")
        return f"Rivendell's account sees schema {target.schema} on a writable server"

    async def run(self) -> FailoverOutcome:
        for entry in self.journal["steps"]:
            if entry["status"] == "done":
                continue
            step = _step_of(entry)
            entry.update(status="running", started_at=now_text())
            self.save()
            self.notify(step, "running", "")
            started = time.monotonic()
            try:
                result = await self.execute(step)
            except (
                StepFailed,
                ShellError,
                TimeoutError,
                OSError,
                MySQLError,
                PrivilegeDenied,
                KeyError,
                ValueError,
            ) as error:
                entry.update(status="failed", ended_at=now_text(), result=str(error))
                self.save()
                self.audit.write(
                    "failover-step",
                    step=step.id,
                    text=step.text(),
                    status="failed",
                    result=str(error),
                    duration_s=round(time.monotonic() - started, 3),
                )
                self.notify(step, "failed", str(error))
                return self.failed(step, error)
            entry.update(status="done", ended_at=now_text(), result=result)
            self.save()
            self.audit.write(
                "failover-step",
                step=step.id,
                text=step.text(),
                status="done",
                result=result,
                duration_s=round(time.monotonic() - started, 3),
            )
            self.notify(step, "done", result)
        self.journal["finished"] = True
        self.journal["finished_at"] = now_text()
        self.save()
        return FailoverOutcome(
            FailoverExit.DONE, f"{self.standby.name} is the master now ({self.journal['path']})"
        )

    def failed(self, step: Step, error: BaseException) -> FailoverOutcome:
        done = [e for e in self.journal["steps"] if e["status"] == "done"]
        if all(StepKind(e["kind"]) in READ_ONLY_KINDS for e in done):
            # Nothing on any host changed yet: close the run, there is nothing to resume.
            self.journal.update(finished=True, aborted=True, finished_at=now_text())
            self.save()
            return FailoverOutcome(
                FailoverExit.REFUSED,
                f"step {step.id} ({step.title}) failed: {error}. Nothing was changed.",
            )
        names = ", ".join(e["id"] for e in done)
        return FailoverOutcome(
            FailoverExit.FAILED,
            f"step {step.id} ({step.title}) failed: {error}. Done so far: {names}. Fix the "
            "cause, then finish with `rdconsole failover --resume` (every step is safe to "
            "repeat).",
        )

    def notify(self, step: Step, status: str, detail: str) -> None:
        if self.observer is not None:
            self.observer.step(step, status, detail)


def _step_of(entry: dict[str, Any]) -> Step:
    return Step(
        entry["id"],
        StepKind(entry["kind"]),
        entry["host"],
        entry["title"],
        tuple(entry["statements"]),
        entry["command"],
        entry["expect"],
    )


def new_journal(preflight: Preflight, fenced: str | None, override: str | None) -> dict[str, Any]:
    return {
        "id": now_text(),
        "standby": preflight.standby.name,
        "path": preflight.plan.path,
        "fenced": fenced,
        "override": override,
        "master_state": preflight.inputs.verdict.state.value,
        "started_at": now_text(),
        "finished": False,
        "steps": [
            {**asdict(step), "kind": step.kind.value, "status": "pending"}
            for step in preflight.plan.steps
        ],
    }


async def execute_run(
    settings: Settings,
    journal: dict[str, Any],
    observer: FailoverObserver | None,
    switcher: Switcher,
) -> FailoverOutcome:
    standby = settings.standby(str(journal["standby"]))
    runner = _Runner(settings, standby, journal, observer, switcher, journal.get("override"))
    runner.save()
    return await runner.run()
