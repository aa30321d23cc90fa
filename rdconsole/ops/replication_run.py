"""Run a replication plan (setup, rejoin, failback): journaled, audited, resumable.

The run's journal (``state_dir/<procedure>-run.json``, atomically replaced) holds the plan, each
step's state and what the steps learned (snapshot coordinates, recorded positions, the
quarantine file). A run killed half-way is finished with ``--resume``: done steps are skipped,
the interrupted one re-runs (every step is safe to repeat). Each step also goes to the audit log
with its SQL or command (secrets masked), result and duration.
"""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from pathlib import Path
from typing import Any

from asyncmy.errors import MySQLError

from rdconsole.config.settings import HostConfig
from rdconsole.core.model import Flavor, ReplicaStatus, ThreadState
from rdconsole.core.replication_plan import MASKED, PASSWORD, Action, Step, sql_string
from rdconsole.core.snapshot import find_divergence, position_after
from rdconsole.core.vocabulary import binlog_from_row, replica_from_row, vocabulary_for
from rdconsole.hosts.client_tools import (
    ClientHost,
    open_client_host,
    remove_stale_option_files,
)
from rdconsole.hosts.mysql import MySQLSession, PrivilegeDenied
from rdconsole.hosts.shell import ShellError
from rdconsole.hosts.state import AuditLog, read_state_file, write_state_file
from rdconsole.ops.quarantine import QuarantineFailed, save_backup, save_quarantine
from rdconsole.ops.replication_context import (
    RunContext,
    RunObserver,
    RunOutcome,
    StepFailed,
    now_text,
    step_of,
)
from rdconsole.ops.snapshot import SnapshotFailed, SnapshotProgress, copy_snapshot

WAIT_S = 30.0
"""How long replication may take to start, or a probe row to arrive."""
POLL_S = 0.2
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
NO_SUCH_TABLE = 1146
_MASTER_ADDRESS = re.compile(r"(?:MASTER|SOURCE)_HOST='([^']*)', (?:MASTER|SOURCE)_PORT=(\d+)")
NOT_A_REPLICA = {1198, 1617, 1200}
"""STOP SLAVE / RESET SLAVE on a server that replicates from nobody: already done."""


class _Runner:
    def __init__(
        self, context: RunContext, journal: dict[str, Any], observer: RunObserver | None
    ) -> None:
        self.context = context
        self.journal = journal
        self.observer = observer
        self.audit = AuditLog(context.settings.console.state_dir)
        version = journal.get("version") or (0, 0, 0)
        self.words = vocabulary_for(
            Flavor(journal["flavor"]), (int(version[0]), int(version[1]), int(version[2]))
        )

    def save(self) -> None:
        write_state_file(self.context.journal_path(), self.journal)

    def host(self, name: str) -> HostConfig:
        return self.context.hosts[name]

    def scrub(self, text: str) -> str:
        """``text`` with the replication password (raw or SQL-quoted) masked."""
        secret = self.context.password.reveal()
        if not secret:
            return text
        return text.replace(sql_string(secret), MASKED).replace(secret, "********")

    def fill(self, statement: str, source: str = "") -> str:
        position = self.journal.get("positions", {}).get(source, {})
        return (
            statement.replace(PASSWORD, sql_string(self.context.password.reveal()))
            .replace("{file}", str(position.get("file", "")).replace("'", ""))
            .replace("{position}", str(int(position.get("position", 0))))
            .replace("{token}", str(self.journal.get("token", "")))
        )

    async def sql(self, name: str, statements: tuple[str, ...], source: str = "") -> list[Any]:
        session = MySQLSession(self.host(name), self.context.settings.console)
        try:
            rows: list[Any] = []
            for statement in statements:
                try:
                    rows = list(await session.query(self.fill(statement, source)))
                except MySQLError as error:
                    code = error.args[0] if error.args else None
                    if statement.startswith(("STOP ", "RESET ")) and code in NOT_A_REPLICA:
                        continue
                    if code == NO_SUCH_TABLE:
                        raise
                    raise StepFailed(f"{name}: {self.scrub(str(error))}") from None
                except PrivilegeDenied as error:
                    # Its message quotes the statement, password included: never show that.
                    raise StepFailed(f"{name}: {self.scrub(str(error))}") from None
            return rows
        finally:
            await session.close()

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

    async def point(self, step: Step) -> str:
        """CHANGE MASTER + START, unless an earlier attempt already did it: re-pointing a
        replica that went past the recorded position would apply those events twice."""
        position = self.journal.get("positions", {}).get(step.source)
        if position is None:
            raise StepFailed(f"no recorded position of {step.source} to start from")
        wanted = (str(position["file"]), int(position["position"]))
        target = _MASTER_ADDRESS.search(step.statements[0])
        replica = await self.replica(step.host)
        if (
            replica is not None
            and target is not None
            and (replica.master_host, str(replica.master_port)) == (target[1], target[2])
            and not position_after(*wanted, replica.master_log_file, replica.read_master_log_pos)
        ):
            await self.sql(step.host, (self.words.start_replica,))
            return (
                f"already pointed at {target[1]}:{target[2]} by an earlier attempt, read up to "
                f"{replica.master_log_file}:{replica.read_master_log_pos}; started"
            )
        await self.sql(step.host, (self.words.stop_replica,))
        await self.sql(step.host, step.statements, step.source)
        return f"from {wanted[0]}:{wanted[1]}"

    async def replica(self, name: str) -> ReplicaStatus | None:
        rows = await self.sql(name, (self.words.replica_status,))
        return replica_from_row(rows[0]) if rows else None

    async def wait_replicating(self, step: Step) -> str:
        deadline = time.monotonic() + WAIT_S
        while True:
            replica = await self.replica(step.host)
            if replica is None:
                raise StepFailed(f"{step.host} replicates from nobody")
            if replica.last_sql_errno:
                raise StepFailed(
                    f"SQL thread error {replica.last_sql_errno}: {replica.last_sql_error}"
                )
            if replica.io_running is ThreadState.YES and replica.sql_running is ThreadState.YES:
                return "IO and SQL threads running"
            if time.monotonic() > deadline:
                raise StepFailed(
                    f"threads not running after {WAIT_S:.0f} s: IO {replica.io_running.value}"
                    f" ({replica.last_io_error or 'no error'})"
                )
            await asyncio.sleep(POLL_S)

    async def probe(self, step: Step) -> str:
        self.journal["token"] = secrets.token_hex(8)
        self.save()
        started = time.monotonic()
        await self.sql(step.source, step.statements)
        table = step.statements[-1].split(" VALUES")[0].removeprefix("REPLACE INTO ")
        while time.monotonic() - started < WAIT_S:
            try:
                rows = await self.sql(step.host, (f"SELECT token FROM {table} WHERE id = 1",))
            except MySQLError as error:
                if not error.args or error.args[0] != NO_SUCH_TABLE:
                    raise
                rows = []  # the CREATE TABLE has not replicated yet
            if rows and rows[0]["token"] == self.journal["token"]:
                return f"arrived in {(time.monotonic() - started) * 1000:.0f} ms"
            await asyncio.sleep(POLL_S / 4)
        raise StepFailed(f"the probe row did not reach {step.host} in {WAIT_S:.0f} s")

    async def record_position(self, name: str) -> str:
        rows = await self.sql(name, (self.words.binlog_status,))
        if not rows and self.context.procedure == "rejoin":
            self.journal.setdefault("positions", {})[name] = {"file": None}
            return "no binary log: nothing to read there; the full copy keeps everything"
        if not rows:
            raise StepFailed(f"{name} has no binary log (log_bin is OFF)")
        file, position, gtid = binlog_from_row(rows[0])
        if self.words.gtid_position is not None:
            gtid_rows = await self.sql(name, (self.words.gtid_position,))
            gtid = str(gtid_rows[0]["gtid"]) if gtid_rows else None
        self.journal.setdefault("positions", {})[name] = {
            "file": file,
            "position": position,
            "gtid": gtid,
        }
        return f"{file}:{position}" + (f" (GTID {gtid})" if gtid else "")

    async def wait_executed(self, step: Step) -> str:
        target = self.journal["positions"][step.source]
        wanted = (target["file"], int(target["position"]))
        limit = self.context.settings.failover.drain_timeout
        last, progressed = None, time.monotonic()
        while True:
            replica = await self.replica(step.host)
            if replica is None:
                raise StepFailed(f"{step.host} replicates from nobody")
            if replica.last_sql_errno:
                raise StepFailed(
                    f"SQL thread error {replica.last_sql_errno}: {replica.last_sql_error}"
                )
            executed = (replica.relay_master_log_file, replica.exec_master_log_pos)
            if executed == wanted:
                return f"executed up to {wanted[0]}:{wanted[1]}"
            if executed != last:
                last, progressed = executed, time.monotonic()
            if self.observer is not None:
                self.observer.progress(
                    step, f"at {executed[0]}:{executed[1]}, want {wanted[0]}:{wanted[1]}"
                )
            if time.monotonic() - progressed > limit:
                raise StepFailed(f"no progress for {limit:.0f} s (drain_timeout)")
            await asyncio.sleep(POLL_S)

    async def quarantine(self, step: Step) -> str:
        saved = self.journal.get("quarantine")
        if saved and _still_there(saved.get("path")):
            return f"kept from the first attempt: {saved['summary']}"
        old, new = self.host(step.host), step.source
        end = self.journal["positions"][step.host]
        executed = self.journal.get("executed")
        mariadb = self.words.flavor is Flavor.MARIADB
        slave_pos = (
            await self.sql(new, ("SELECT @@GLOBAL.gtid_slave_pos AS gtid",)) if mariadb else []
        )
        binlogs = await self.sql(step.host, ("SHOW BINARY LOGS",)) if end.get("file") else []
        divergence = find_divergence(
            executed=(str(executed["file"]), int(executed["position"])) if executed else None,
            old_end=(str(end["file"]), int(end["position"])) if end.get("file") else None,
            old_binlogs=tuple(str(r["Log_name"]) for r in binlogs) if end.get("file") else None,
            old_gtid_binlog_pos=end.get("gtid"),
            new_gtid_slave_pos=str(slave_pos[0]["gtid"]) if slave_pos else None,
        )
        report = await save_quarantine(
            old=old,
            flavor=self.words.flavor,
            divergence=divergence,
            state_dir=self.context.settings.console.state_dir,
            scratch=self.context.scratch,
        )
        self.journal["quarantine"] = report
        return str(report["summary"])

    async def backup(self, step: Step) -> str:
        saved = self.journal.get("backup")
        if saved and _still_there(saved.get("path")):
            return f"kept from the first attempt: {saved['summary']}"
        report = await save_backup(
            old=self.host(step.host),
            flavor=self.words.flavor,
            databases=self.context.settings.replication.databases,
            state_dir=self.context.settings.console.state_dir,
            scratch=self.context.scratch,
        )
        self.journal["backup"] = report
        return str(report["summary"])

    def close_marker(self) -> str:
        from rdconsole.ops.preflight import marker_path

        path = marker_path(self.context.settings)
        document = read_state_file(path)
        if document is None:
            return "no promotion marker (already closed)"
        if self.context.procedure == "rejoin":
            document["rejoined_at"] = now_text()
            document["quarantine"] = self.journal.get("quarantine")
            write_state_file(path, document)
            return f"rejoined_at recorded in {path}"
        archive = path.with_name(f"promoted-{document.get('at', now_text())}.json".replace(":", ""))
        write_state_file(archive, {**document, "closed_at": now_text()})
        path.unlink(missing_ok=True)
        return f"moved to {archive}"

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

    def rollback_hint(self) -> str:
        """A failback stopped between fencing the standby and the original becoming writable
        leaves the station's database read-only: say how to give it back."""
        if self.context.procedure != "failback":
            return ""
        done = {e["id"].split("-", 1)[1] for e in self.journal["steps"] if e["status"] == "done"}
        if "fence-standby" not in done or "writable" in done:
            return ""
        standby = next(
            e["host"] for e in self.journal["steps"] if e["id"].endswith("fence-standby")
        )
        return (
            f" {standby} is read-only now: to let the station write there again instead, run "
            f"SET GLOBAL read_only = OFF on {standby}."
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
