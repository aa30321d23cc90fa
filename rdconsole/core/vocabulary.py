"""Flavour and version -> the statements to run and the columns to read.

Rows are mapped by column name, never by position, and thread-state text is never parsed.
MariaDB keeps ``Master_*``/``Slave_*`` column names even for ``SHOW REPLICA STATUS``; MySQL
8.0.22+ renamed them to ``Source_*``/``Replica_*`` and 8.4 removed the old statements.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from rdconsole.core.model import Flavor, ReplicaStatus, ThreadState

Row = Mapping[str, object]


@dataclass(frozen=True)
class Vocabulary:
    """The statements a given server understands."""

    flavor: Flavor
    version: tuple[int, int, int]
    replica_status: str
    binlog_status: str
    gtid_position: str | None
    """A SELECT returning one GTID position column, or None (read from binlog_status)."""
    stop_io_thread: str = "STOP SLAVE IO_THREAD"
    stop_replica: str = "STOP SLAVE"
    start_replica: str = "START SLAVE"
    reset_replica_all: str = "RESET SLAVE ALL"
    """Not plain RESET SLAVE: that keeps the connection settings, so a later START SLAVE on the
    promoted server would reconnect to the old master."""
    super_read_only: bool = False
    """MySQL has super_read_only (which also stops SUPER writers); MariaDB has not."""


def parse_version(version: str) -> tuple[Flavor, tuple[int, int, int]]:
    """``10.11.19-MariaDB-0+deb12u1`` -> (MARIADB, (10, 11, 19)); ``8.0.36`` -> (MYSQL, ...)."""
    flavor = Flavor.MARIADB if "mariadb" in version.lower() else Flavor.MYSQL
    # MariaDB 10.x once announced itself as 5.5.5-10.x.y through the protocol.
    text = version[6:] if version.startswith("5.5.5-") else version
    match = re.match(r"(\d+)\.(\d+)\.(\d+)", text)
    numbers = (int(match[1]), int(match[2]), int(match[3])) if match else (0, 0, 0)
    return flavor, numbers


def vocabulary_for(flavor: Flavor, version: tuple[int, int, int]) -> Vocabulary:
    if flavor is Flavor.MARIADB:
        return Vocabulary(
            flavor=flavor,
            version=version,
            replica_status="SHOW SLAVE STATUS",
            binlog_status="SHOW BINLOG STATUS" if version >= (10, 5, 2) else "SHOW MASTER STATUS",
            gtid_position="SELECT @@GLOBAL.gtid_binlog_pos AS gtid",
        )
    replica_word = "REPLICA" if version >= (8, 0, 22) else "SLAVE"
    return Vocabulary(
        flavor=flavor,
        version=version,
        replica_status=f"SHOW {replica_word} STATUS",
        binlog_status="SHOW BINARY LOG STATUS" if version >= (8, 2, 0) else "SHOW MASTER STATUS",
        gtid_position=None,
        stop_io_thread=f"STOP {replica_word} IO_THREAD",
        stop_replica=f"STOP {replica_word}",
        start_replica=f"START {replica_word}",
        reset_replica_all=f"RESET {replica_word} ALL",
        super_read_only=version >= (5, 7, 8),
    )


# Canonical field -> column names, MariaDB/old MySQL first, then MySQL >= 8.0.22.
_COLUMNS: dict[str, tuple[str, ...]] = {
    "io_running": ("Slave_IO_Running", "Replica_IO_Running"),
    "sql_running": ("Slave_SQL_Running", "Replica_SQL_Running"),
    "seconds_behind_master": ("Seconds_Behind_Master", "Seconds_Behind_Source"),
    "master_host": ("Master_Host", "Source_Host"),
    "master_port": ("Master_Port", "Source_Port"),
    "master_log_file": ("Master_Log_File", "Source_Log_File"),
    "read_master_log_pos": ("Read_Master_Log_Pos", "Read_Source_Log_Pos"),
    "relay_master_log_file": ("Relay_Master_Log_File", "Relay_Source_Log_File"),
    "exec_master_log_pos": ("Exec_Master_Log_Pos", "Exec_Source_Log_Pos"),
    "last_io_errno": ("Last_IO_Errno",),
    "last_io_error": ("Last_IO_Error",),
    "last_sql_errno": ("Last_SQL_Errno",),
    "last_sql_error": ("Last_SQL_Error",),
    "io_state": ("Slave_IO_State", "Replica_IO_State"),
    "sql_delay": ("SQL_Delay",),
    "gtid_io_pos": ("Gtid_IO_Pos", "Retrieved_Gtid_Set"),
    "using_gtid": ("Using_Gtid", "Auto_Position"),
    "received_heartbeats": ("Slave_received_heartbeats",),
}


class UnexpectedRow(ValueError):
    """A status row lacks a column rdconsole needs (an unsupported server version)."""


def _pick(row: Row, field: str) -> object:
    for column in _COLUMNS[field]:
        if column in row:
            return row[column]
    return None


def _required(row: Row, field: str) -> object:
    for column in _COLUMNS[field]:
        if column in row:
            return row[column]
    raise UnexpectedRow(f"no column for {field} (looked for {', '.join(_COLUMNS[field])})")


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _int(value: object, default: int = 0) -> int:
    if value is None or value == "":
        return default
    if isinstance(value, int | float | str | bytes):
        try:
            return int(value)
        except ValueError:
            return default
    return default


def _optional_int(value: object) -> int | None:
    if value is None or value == "":
        return None
    return _int(value)


def _thread(value: object) -> ThreadState:
    text = _text(value).strip().lower()
    if text in ("yes", "on"):
        return ThreadState.YES
    if text == "connecting":
        return ThreadState.CONNECTING
    return ThreadState.NO


def replica_from_row(row: Row) -> ReplicaStatus:
    """Map one SHOW SLAVE/REPLICA STATUS row (any flavour) to the model."""
    return ReplicaStatus(
        io_running=_thread(_required(row, "io_running")),
        sql_running=_thread(_required(row, "sql_running")),
        seconds_behind_master=_optional_int(_pick(row, "seconds_behind_master")),
        master_host=_text(_pick(row, "master_host")),
        master_port=_int(_pick(row, "master_port")),
        master_log_file=_text(_required(row, "master_log_file")),
        read_master_log_pos=_int(_required(row, "read_master_log_pos")),
        relay_master_log_file=_text(_required(row, "relay_master_log_file")),
        exec_master_log_pos=_int(_required(row, "exec_master_log_pos")),
        last_io_errno=_int(_pick(row, "last_io_errno")),
        last_io_error=_text(_pick(row, "last_io_error")),
        last_sql_errno=_int(_pick(row, "last_sql_errno")),
        last_sql_error=_text(_pick(row, "last_sql_error")),
        io_state=_text(_pick(row, "io_state")),
        sql_delay=_int(_pick(row, "sql_delay")),
        gtid_io_pos=_text(_pick(row, "gtid_io_pos")) or None,
        using_gtid=_text(_pick(row, "using_gtid")) or None,
        received_heartbeats=_optional_int(_pick(row, "received_heartbeats")),
    )


def binlog_from_row(row: Row) -> tuple[str, int, str | None]:
    """(file, position, executed GTID set or None) from SHOW MASTER/BINLOG/BINARY LOG STATUS."""
    gtid = _text(row.get("Executed_Gtid_Set")) or None
    return _text(row.get("File")), _int(row.get("Position")), gtid
