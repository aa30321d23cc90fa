"""Typed snapshots of what rdconsole observes on a host.

Everything here is immutable and built by the adapters (``rdconsole.hosts``) from what the
servers report, so that verdicts and plans can be computed and tested without any server.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime


class Flavor(enum.StrEnum):
    """The server family: decides the SQL vocabulary and the privilege names."""

    MARIADB = "mariadb"
    MYSQL = "mysql"


class Role(enum.StrEnum):
    """The role a host plays in the configuration (not what the server currently does)."""

    MASTER = "master"
    STANDBY = "standby"


class ThreadState(enum.StrEnum):
    """A replication thread as the server reports it, in MariaDB's words whatever the flavour."""

    YES = "Yes"
    NO = "No"
    CONNECTING = "Connecting"

    @property
    def meaning(self) -> str:
        """A short human explanation for the console."""
        return _THREAD_MEANINGS[self]


_THREAD_MEANINGS = {
    ThreadState.YES: "running",
    ThreadState.NO: "stopped",
    ThreadState.CONNECTING: "retrying the master",
}


class ErrorKind(enum.StrEnum):
    """Why a host could not be read, classified from the client error."""

    REFUSED = "refused"
    """Nothing listens on the port (or the socket file is missing): the server is down."""
    TIMEOUT = "timeout"
    """No answer in time: the host is black-holed, hung or overloaded."""
    UNREACHABLE = "unreachable"
    """Name resolution or routing failed."""
    LOST = "lost"
    """The connection dropped during a query."""
    ACCESS_DENIED = "access_denied"
    """The server answered but refused our credentials: alive."""
    TOO_MANY_CONNECTIONS = "too_many_connections"
    """The server answered but is full: alive."""
    PRIVILEGE = "privilege"
    """Logged in, but the account lacks a privilege for a statement: alive."""
    OTHER = "other"

    @property
    def server_alive(self) -> bool:
        """True when the error itself proves the server process answers."""
        return self in _ALIVE_KINDS


_ALIVE_KINDS = frozenset(
    {ErrorKind.ACCESS_DENIED, ErrorKind.TOO_MANY_CONNECTIONS, ErrorKind.PRIVILEGE}
)


@dataclass(frozen=True)
class HostError:
    """A classified failure to read a host."""

    kind: ErrorKind
    code: int | None
    message: str

    def __str__(self) -> str:
        code = f" ({self.code})" if self.code is not None else ""
        return f"{self.kind.value}{code}: {self.message}"


@dataclass(frozen=True)
class MissingPrivilege:
    """A statement the monitoring account may not run, and the privileges that would allow it."""

    statement: str
    privileges: tuple[str, ...]
    """Any one of these is enough, as the server lists them, e.g. ``("SUPER", "SLAVE MONITOR")``."""


@dataclass(frozen=True)
class ServerInfo:
    """Identity and global settings of a server."""

    flavor: Flavor
    version: str
    """The full version string, e.g. ``10.11.19-MariaDB-0+deb12u1``."""
    version_tuple: tuple[int, int, int]
    server_id: int
    read_only: bool
    log_bin: bool


@dataclass(frozen=True)
class BinlogStatus:
    """Where the server is writing its binary log."""

    file: str
    position: int
    gtid_position: str | None
    """MariaDB ``@@gtid_binlog_pos`` or MySQL ``Executed_Gtid_Set``; None when unknown."""


@dataclass(frozen=True)
class ReplicaStatus:
    """One replication channel, mapped by column name from SHOW SLAVE/REPLICA STATUS."""

    io_running: ThreadState
    sql_running: ThreadState
    seconds_behind_master: int | None
    """None is the server's NULL: unknown, never zero."""
    master_host: str
    master_port: int
    master_log_file: str
    read_master_log_pos: int
    relay_master_log_file: str
    exec_master_log_pos: int
    last_io_errno: int
    last_io_error: str
    last_sql_errno: int
    last_sql_error: str
    io_state: str = ""
    """Free text for display only: never parsed."""
    sql_delay: int = 0
    gtid_io_pos: str | None = None
    using_gtid: str | None = None
    received_heartbeats: int | None = None

    @property
    def drained(self) -> bool:
        """The SQL thread has executed everything the IO thread received."""
        return (
            self.master_log_file == self.relay_master_log_file
            and self.read_master_log_pos == self.exec_master_log_pos
        )

    @property
    def relay_backlog_bytes(self) -> int | None:
        """Bytes received but not yet executed, when both are in the same master binlog."""
        if self.master_log_file != self.relay_master_log_file:
            return None
        return self.read_master_log_pos - self.exec_master_log_pos


@dataclass(frozen=True)
class HostSnapshot:
    """Everything read from one host in one poll."""

    name: str
    role: Role
    address: str
    """``host:port`` or the socket path, for display."""
    checked_at: datetime
    reachable: bool
    error: HostError | None = None
    server: ServerInfo | None = None
    binlog: BinlogStatus | None = None
    """Read on the master only."""
    replica: ReplicaStatus | None = None
    """Read on a standby only; None there means the server is not configured as a replica."""
    replica_checked: bool = False
    """True when the replica status was actually read (so ``replica is None`` is meaningful)."""
    missing_privileges: tuple[MissingPrivilege, ...] = field(default_factory=tuple)
    round_trip_ms: float | None = None
    rivendell_schema: int | None = None
    """``VERSION.DB`` of the Rivendell database (read once per connection); None: unknown."""

    @property
    def server_alive(self) -> bool:
        """The server process answers, even if we cannot monitor it."""
        return self.reachable or (self.error is not None and self.error.kind.server_alive)
