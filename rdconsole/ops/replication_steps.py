"""The steps of a replication run that read and drive servers: the shared base (journal, SQL
with the password filled in and scrubbed from errors, recorded positions) and the replica steps
(point, wait for the threads, probe, wait until executed)."""

from __future__ import annotations

import asyncio
import re
import secrets
import time
from typing import Any

from asyncmy.errors import MySQLError

from rdconsole.config.settings import HostConfig
from rdconsole.core.model import Flavor, ReplicaStatus, ThreadState
from rdconsole.core.replication_plan import MASKED, PASSWORD, Step, sql_string
from rdconsole.core.snapshot import position_after
from rdconsole.core.vocabulary import binlog_from_row, replica_from_row, vocabulary_for
from rdconsole.hosts.mysql import MySQLSession, PrivilegeDenied
from rdconsole.hosts.state import AuditLog, write_state_file
from rdconsole.ops.replication_context import RunContext, RunObserver, StepFailed

WAIT_S = 30.0
"""How long replication may take to start, or a probe row to arrive."""
POLL_S = 0.2
NO_SUCH_TABLE = 1146
_MASTER_ADDRESS = re.compile(r"(?:MASTER|SOURCE)_HOST='([^']*)', (?:MASTER|SOURCE)_PORT=(\d+)")
NOT_A_REPLICA = {1198, 1617, 1200}
"""STOP SLAVE / RESET SLAVE on a server that replicates from nobody: already done."""


class StepBase:
    """What every step needs: the context, the journal, SQL on a host, its positions."""

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

    async def replica(self, name: str) -> ReplicaStatus | None:
        rows = await self.sql(name, (self.words.replica_status,))
        return replica_from_row(rows[0]) if rows else None

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


class ReplicaSteps(StepBase):
    """Pointing a replica and proving it replicates."""

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

    async def applying_replica(self, name: str) -> ReplicaStatus:
        """``name``'s replica status; fails when it replicates from nobody or its SQL thread
        stopped on an error (waiting would never end)."""
        replica = await self.replica(name)
        if replica is None:
            raise StepFailed(f"{name} replicates from nobody")
        if replica.last_sql_errno:
            raise StepFailed(f"SQL thread error {replica.last_sql_errno}: {replica.last_sql_error}")
        return replica

    async def wait_replicating(self, step: Step) -> str:
        deadline = time.monotonic() + WAIT_S
        while True:
            replica = await self.applying_replica(step.host)
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

    async def wait_executed(self, step: Step) -> str:
        target = self.journal["positions"][step.source]
        wanted = (target["file"], int(target["position"]))
        limit = self.context.settings.failover.drain_timeout
        last, progressed = None, time.monotonic()
        while True:
            replica = await self.applying_replica(step.host)
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
