"""One persistent asyncmy session per host, turned into HostSnapshots.

Every connect and statement runs inside ``asyncio.timeout``; after any timeout, cancel or lost
connection the connection is dropped (``close()``, no COM_QUIT to a peer that may be black-holed)
and rebuilt on a later poll, with capped backoff between attempts.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import asyncmy
from asyncmy.cursors import DictCursor
from asyncmy.errors import MySQLError

from rdconsole.config.settings import ConsoleConfig, HostConfig
from rdconsole.core.errors import PRIVILEGE_CODES, classify, missing_privilege
from rdconsole.core.model import (
    BinlogStatus,
    ErrorKind,
    Flavor,
    HostError,
    HostSnapshot,
    MissingPrivilege,
    ReplicaStatus,
    Role,
    ServerInfo,
)
from rdconsole.core.vocabulary import (
    UnexpectedRow,
    Vocabulary,
    binlog_from_row,
    parse_version,
    replica_from_row,
    vocabulary_for,
)

# asyncmy logs each server warning (e.g. "already exists" from an idempotent CREATE ... IF NOT
# EXISTS) through the root logger's last-resort handler, i.e. straight onto the terminal, which
# would scribble over the console. rdconsole reads errors, not warnings.
logging.getLogger("asyncmy").setLevel(logging.ERROR)

PROGRAM_NAME = "rdconsole"
RIVENDELL_DATABASE = "Rivendell"
QUERY_TAG = "/* rdconsole */ "
MAX_BACKOFF_S = 5.0

Rows = Sequence[dict[str, Any]]


def utc_now() -> datetime:
    return datetime.now(UTC)


class PrivilegeDenied(Exception):
    """The account lacks a privilege for one statement (the connection stays usable)."""

    def __init__(self, missing: MissingPrivilege) -> None:
        needs = ", ".join(missing.privileges) or "a privilege the server did not name"
        super().__init__(f"{missing.statement}: the account lacks one of: {needs}")
        self.missing = missing


class MySQLSession:
    """A single autocommit connection with bounded connect and statements."""

    def __init__(self, host: HostConfig, console: ConsoleConfig) -> None:
        self._host = host
        self._connect_timeout = console.connect_timeout
        self._query_timeout = console.query_timeout
        self._connection: Any = None

    @property
    def connected(self) -> bool:
        return self._connection is not None

    async def connect(self) -> None:
        endpoint = self._host.mysql
        password = endpoint.password.reveal() if endpoint.password else ""
        target: dict[str, Any] = (
            {"unix_socket": endpoint.socket}
            if endpoint.socket
            else {"host": endpoint.host, "port": endpoint.port}
        )
        async with asyncio.timeout(self._connect_timeout):
            self._connection = await asyncmy.connect(
                **target,
                user=endpoint.user,
                password=password,
                connect_timeout=self._connect_timeout,
                read_timeout=self._query_timeout,
                autocommit=True,
                program_name=PROGRAM_NAME,
                cursor_cls=DictCursor,
            )

    async def query(self, statement: str) -> Rows:
        """Run one statement; raises PrivilegeDenied for a missing privilege."""
        if self._connection is None:
            await self.connect()
        try:
            async with asyncio.timeout(self._query_timeout):
                async with self._connection.cursor() as cursor:
                    await cursor.execute(QUERY_TAG + statement)
                    rows: Rows = list(await cursor.fetchall())
                    return rows
        except MySQLError as error:
            code = error.args[0] if error.args and isinstance(error.args[0], int) else None
            if code in PRIVILEGE_CODES:
                message = str(error.args[1]) if len(error.args) > 1 else str(error)
                raise PrivilegeDenied(missing_privilege(statement, message)) from None
            raise

    def drop(self) -> None:
        """Forget the connection without a goodbye: the peer may be hung or black-holed."""
        if self._connection is not None:
            with contextlib.suppress(Exception):
                self._connection.close()
        self._connection = None

    async def close(self) -> None:
        """Polite close (COM_QUIT), bounded; falls back to drop()."""
        connection, self._connection = self._connection, None
        if connection is None:
            return
        try:
            async with asyncio.timeout(1.0):
                await connection.ensure_closed()
        except Exception:
            connection.close()


class MySQLCollector:
    """Collects a HostSnapshot for one configured host; implements ops.monitor.Collector."""

    def __init__(
        self,
        host: HostConfig,
        console: ConsoleConfig,
        clock: Callable[[], datetime] = utc_now,
    ) -> None:
        self._host = host
        self._session = MySQLSession(host, console)
        self._clock = clock
        self._vocabulary: Vocabulary | None = None
        self._schema: int | None = None
        self._failures = 0
        self._retry_at = 0.0
        self._last_error: HostError | None = None

    @property
    def name(self) -> str:
        return self._host.name

    async def collect(self) -> HostSnapshot:
        checked_at = self._clock()
        if not self._session.connected and time.monotonic() < self._retry_at:
            assert self._last_error is not None
            return self._failed(checked_at, self._last_error)
        started = time.monotonic()
        try:
            snapshot = await self._read(checked_at)
        except asyncio.CancelledError:
            self._session.drop()
            raise
        except TimeoutError:
            return self._fail(checked_at, HostError(ErrorKind.TIMEOUT, None, "no answer in time"))
        except MySQLError as error:
            code = error.args[0] if error.args and isinstance(error.args[0], int) else None
            message = str(error.args[1]) if len(error.args) > 1 else str(error)
            return self._fail(checked_at, classify(code, message))
        except (OSError, UnexpectedRow) as error:
            return self._fail(checked_at, classify(None, str(error)))
        self._failures = 0
        self._last_error = None
        return _with_round_trip(snapshot, (time.monotonic() - started) * 1000)

    async def close(self) -> None:
        await self._session.close()

    def _fail(self, checked_at: datetime, error: HostError) -> HostSnapshot:
        self._session.drop()
        self._vocabulary = None
        self._failures += 1
        self._retry_at = time.monotonic() + min(2.0 ** (self._failures - 1), MAX_BACKOFF_S)
        self._last_error = error
        return self._failed(checked_at, error)

    def _failed(self, checked_at: datetime, error: HostError) -> HostSnapshot:
        return HostSnapshot(
            name=self._host.name,
            role=self._host.role,
            address=self._host.mysql.address,
            checked_at=checked_at,
            reachable=False,
            error=error,
        )

    async def _read(self, checked_at: datetime) -> HostSnapshot:
        missing: list[MissingPrivilege] = []
        is_mariadb_hint = self._vocabulary is None or self._vocabulary.flavor is Flavor.MARIADB
        gtid_column = ", @@GLOBAL.gtid_binlog_pos AS gtid" if is_mariadb_hint else ""
        try:
            rows = await self._session.query(
                "SELECT @@version AS version, @@server_id AS server_id, "
                "@@GLOBAL.read_only AS read_only, @@log_bin AS log_bin" + gtid_column
            )
        except MySQLError as error:
            # MySQL has no gtid_binlog_pos (1193 unknown system variable): retry without it.
            if not gtid_column or not error.args or error.args[0] != 1193:
                raise
            rows = await self._session.query(
                "SELECT @@version AS version, @@server_id AS server_id, "
                "@@GLOBAL.read_only AS read_only, @@log_bin AS log_bin"
            )
        row = rows[0]
        flavor, numbers = parse_version(str(row["version"]))
        if self._vocabulary is None:
            self._vocabulary = vocabulary_for(flavor, numbers)
            self._schema = await self._read_schema()
        vocabulary = self._vocabulary
        server = ServerInfo(
            flavor=flavor,
            version=str(row["version"]),
            version_tuple=numbers,
            server_id=int(row["server_id"]),
            read_only=bool(int(row["read_only"])),
            log_bin=bool(int(row["log_bin"])),
        )
        binlog: BinlogStatus | None = None
        replica: ReplicaStatus | None = None
        replica_checked = False
        if self._host.role is Role.MASTER and server.log_bin:
            try:
                status_rows = await self._session.query(vocabulary.binlog_status)
            except PrivilegeDenied as denied:
                missing.append(denied.missing)
            else:
                if status_rows:
                    file, position, executed = binlog_from_row(status_rows[0])
                    gtid = row.get("gtid") if "gtid" in row else executed
                    binlog = BinlogStatus(file, position, str(gtid) if gtid else None)
        if self._host.role is Role.STANDBY:
            try:
                status_rows = await self._session.query(vocabulary.replica_status)
            except PrivilegeDenied as denied:
                missing.append(denied.missing)
            else:
                replica_checked = True
                replica = replica_from_row(status_rows[0]) if status_rows else None
        return HostSnapshot(
            name=self._host.name,
            role=self._host.role,
            address=self._host.mysql.address,
            checked_at=checked_at,
            reachable=True,
            server=server,
            binlog=binlog,
            replica=replica,
            replica_checked=replica_checked,
            missing_privileges=tuple(missing),
            rivendell_schema=self._schema,
        )

    async def _read_schema(self) -> int | None:
        """Rivendell's schema number; None when the table or the privilege is missing."""
        try:
            rows = await self._session.query(f"SELECT DB FROM {RIVENDELL_DATABASE}.VERSION")
        except (PrivilegeDenied, MySQLError):
            return None
        return int(rows[0]["DB"]) if rows and rows[0].get("DB") is not None else None


def _with_round_trip(snapshot: HostSnapshot, milliseconds: float) -> HostSnapshot:
    return replace(snapshot, round_trip_ms=round(milliseconds, 1))


def build_collectors(
    hosts: Sequence[HostConfig], console: ConsoleConfig
) -> dict[str, MySQLCollector]:
    """One collector per configured host, keyed by host name."""
    return {host.name: MySQLCollector(host, console) for host in hosts}


async def read_cut_names(host: HostConfig, console: ConsoleConfig, database: str) -> list[str]:
    """Cuts that should have audio (``CUTS.LENGTH > 0``), on a short-lived connection."""
    session = MySQLSession(host, console)
    try:
        rows = await session.query(
            f"SELECT CUT_NAME FROM `{database.replace('`', '``')}`.CUTS WHERE LENGTH > 0"
        )
    finally:
        await session.close()
    return [str(row["CUT_NAME"]) for row in rows]
