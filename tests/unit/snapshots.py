"""Builders of HostSnapshots for verdict and report tests."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from rdconsole.core.model import (
    BinlogStatus,
    ErrorKind,
    Flavor,
    HostError,
    HostSnapshot,
    ReplicaStatus,
    Role,
    ServerInfo,
    ThreadState,
)

NOW = datetime(2026, 11, 27, 3, 12, 9, tzinfo=UTC)


def server(read_only: bool, log_bin: bool = True) -> ServerInfo:
    return ServerInfo(
        flavor=Flavor.MARIADB,
        version="10.11.19-MariaDB",
        version_tuple=(10, 11, 19),
        server_id=1,
        read_only=read_only,
        log_bin=log_bin,
    )


def master(position: int = 1234, **changes: object) -> HostSnapshot:
    snapshot = HostSnapshot(
        name="onair",
        role=Role.MASTER,
        address="127.0.0.1:33061",
        checked_at=NOW,
        reachable=True,
        server=server(read_only=False),
        binlog=BinlogStatus("mysql-bin.000003", position, "0-1-42"),
    )
    return replace(snapshot, **changes)  # type: ignore[arg-type]


def replica(**changes: object) -> ReplicaStatus:
    status = ReplicaStatus(
        io_running=ThreadState.YES,
        sql_running=ThreadState.YES,
        seconds_behind_master=0,
        master_host="127.0.0.1",
        master_port=33061,
        master_log_file="mysql-bin.000003",
        read_master_log_pos=1234,
        relay_master_log_file="mysql-bin.000003",
        exec_master_log_pos=1234,
        last_io_errno=0,
        last_io_error="",
        last_sql_errno=0,
        last_sql_error="",
    )
    return replace(status, **changes)  # type: ignore[arg-type]


def standby(status: ReplicaStatus | None = None, **changes: object) -> HostSnapshot:
    snapshot = HostSnapshot(
        name="backup",
        role=Role.STANDBY,
        address="127.0.0.1:33062",
        checked_at=NOW,
        reachable=True,
        server=server(read_only=True),
        replica=status if status is not None else replica(),
        replica_checked=True,
    )
    return replace(snapshot, **changes)  # type: ignore[arg-type]


def down(
    snapshot: HostSnapshot, kind: ErrorKind = ErrorKind.REFUSED, code: int = 2003
) -> HostSnapshot:
    return replace(
        snapshot,
        reachable=False,
        error=HostError(kind, code, "Can't connect to MySQL server"),
        server=None,
        binlog=None,
        replica=None,
        replica_checked=False,
    )
