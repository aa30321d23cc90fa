"""Snapshots and binlogs as text: client-tool argv, dump coordinates, divergence (pure).

A snapshot is ``mariadb-dump``/``mysqldump --single-transaction`` with the source's binlog
coordinates written as comments (``--master-data=2``), piped into the client on the target with
``sql_log_bin=0``. Logins always come from an option file given first (never argv).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from rdconsole.core.model import Flavor

_FILE_POSITION = re.compile(
    rb"^-- CHANGE (?:MASTER|REPLICATION SOURCE) TO (?:MASTER|SOURCE)_LOG_FILE='([^']+)', "
    rb"(?:MASTER|SOURCE)_LOG_POS=(\d+)"
)
_GTID_POSITION = re.compile(rb"^-- SET GLOBAL gtid_slave_pos='([^']*)'")
_MARIADB_GTID_EVENT = re.compile(rb"\tGTID (\d+-\d+-\d+)")
_MYSQL_GTID_EVENT = re.compile(rb"GTID_NEXT= *'([^']+)'")


def tool(flavor: Flavor, kind: str) -> str:
    """The client program of ``kind`` (``dump``, ``client``, ``binlog``) for ``flavor``."""
    names = {
        Flavor.MARIADB: {"dump": "mariadb-dump", "client": "mariadb", "binlog": "mariadb-binlog"},
        Flavor.MYSQL: {"dump": "mysqldump", "client": "mysql", "binlog": "mysqlbinlog"},
    }
    return names[flavor][kind]


def dump_argv(
    flavor: Flavor,
    version: tuple[int, int, int],
    option_file: str,
    databases: tuple[str, ...],
    *,
    online: bool = True,
) -> list[str]:
    """A consistent dump of ``databases`` that records the binlog coordinates.

    ``online``: one transaction's snapshot, writers never wait (InnoDB tables only). Otherwise
    (MyISAM/Aria tables, Rivendell's historical default) a global read lock for the whole dump:
    the only way their rows match the recorded coordinates.
    """
    coordinates = "--source-data=2" if flavor is Flavor.MYSQL and version >= (8, 0, 26) else None
    argv = [
        tool(flavor, "dump"),
        f"--defaults-extra-file={option_file}",
        "--single-transaction" if online else "--lock-all-tables",
        coordinates or "--master-data=2",
        "--databases",
        *databases,
        "--add-drop-database",
        "--routines",
        "--events",
        "--triggers",
        "--hex-blob",
    ]
    if flavor is Flavor.MARIADB:
        argv.insert(4, "--gtid")
    else:
        argv.insert(4, "--set-gtid-purged=OFF")
    return argv


def backup_argv(flavor: Flavor, option_file: str, databases: tuple[str, ...]) -> list[str]:
    """A plain consistent copy of ``databases`` kept for humans (works without a binlog)."""
    return [
        tool(flavor, "dump"),
        f"--defaults-extra-file={option_file}",
        "--single-transaction",
        "--databases",
        *databases,
        "--routines",
        "--events",
        "--triggers",
        "--hex-blob",
    ]


def load_argv(flavor: Flavor, option_file: str) -> list[str]:
    """The client reading a dump on stdin without writing the target's own binlog."""
    return [
        tool(flavor, "client"),
        f"--defaults-extra-file={option_file}",
        "--init-command=SET sql_log_bin=0",
        "--batch",
    ]


def binlog_argv(flavor: Flavor, option_file: str, file: str, position: int) -> list[str]:
    """Decode the source's binlog from ``file:position`` to its end, read over the protocol."""
    return [
        tool(flavor, "binlog"),
        f"--defaults-extra-file={option_file}",
        "--read-from-remote-server",
        f"--start-position={position}",
        "--to-last-log",
        "--verbose",
        file,
    ]


def option_file_text(
    *, user: str, password: str, host: str | None, port: int | None, socket: str | None
) -> str:
    """A ``[client]`` option file (read by every client tool; holds the password)."""
    lines = ["[client]", f"user={_quoted(user)}", f"password={_quoted(password)}"]
    if socket:
        lines.append(f"socket={_quoted(socket)}")
    else:
        lines += [f"host={_quoted(host or 'localhost')}", f"port={port or 3306}"]
    return "\n".join(lines) + "\n"


def _quoted(value: str) -> str:
    escaped = value.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{escaped}"'


@dataclass
class DumpCoordinates:
    """The source's coordinates, read from the comment lines of a dump as it streams by."""

    file: str | None = None
    position: int | None = None
    gtid: str | None = None

    def feed(self, line: bytes) -> None:
        if not line.startswith(b"-- "):
            return
        if (match := _FILE_POSITION.match(line)) is not None:
            self.file = match[1].decode("utf-8", "replace")
            self.position = int(match[2])
        elif (match := _GTID_POSITION.match(line)) is not None:
            self.gtid = match[1].decode("utf-8", "replace")


class LineSplitter:
    """Whole lines out of a byte stream cut at arbitrary places (only the head is kept)."""

    def __init__(self, limit: int = 4096) -> None:
        self._partial = b""
        self._limit = limit

    def feed(self, chunk: bytes) -> list[bytes]:
        data = self._partial + chunk
        *lines, rest = data.split(b"\n")
        self._partial = rest[: self._limit]
        return lines


def binlog_key(file: str) -> tuple[str, int]:
    """``mysql-bin.000012`` -> (``mysql-bin``, 12), for ordering positions across files."""
    base, _, number = file.rpartition(".")
    return (base, int(number)) if number.isdigit() else (file, 0)


def position_after(file: str, position: int, than_file: str, than_position: int) -> bool:
    """Whether ``file:position`` lies past ``than_file:than_position`` in one binlog series."""
    return (binlog_key(file), position) > (binlog_key(than_file), than_position)


def parse_gtid_list(text: str | None) -> dict[int, tuple[int, int]]:
    """MariaDB ``0-1-57,1-2-3`` -> {domain: (server_id, seq)}; malformed parts are skipped."""
    result: dict[int, tuple[int, int]] = {}
    for part in (text or "").split(","):
        pieces = part.strip().split("-")
        if len(pieces) == 3 and all(p.isdigit() for p in pieces):
            domain, server, seq = (int(p) for p in pieces)
            result[domain] = (server, seq)
    return result


@dataclass(frozen=True)
class Divergence:
    """What the old master holds that the promoted standby never executed."""

    since_file: str
    since_position: int
    """Where the standby's SQL thread stopped in the old master's binlog."""
    end_file: str
    end_position: int
    """The old master's binlog end when it was fenced."""
    gtids: tuple[str, ...]
    """Per domain, the GTID range the new master lacks (``0-1-56..0-1-57``)."""
    unknown: str = ""
    """Why the binlog cannot tell (renamed, reset, purged, absent); empty when it can."""

    @property
    def diverged(self) -> bool:
        """True also when it cannot be told: then everything must be kept."""
        return bool(self.unknown or self.gtids) or position_after(
            self.end_file, self.end_position, self.since_file, self.since_position
        )

    @property
    def extractable(self) -> bool:
        """Whether the divergent events can be read from the old master's binlog."""
        return self.diverged and not self.unknown

    def describe(self) -> str:
        if self.unknown:
            return f"cannot tell from the binlog: {self.unknown}"
        if not self.diverged:
            return (
                f"none: the old master's binlog ends at {self.end_file}:{self.end_position}, "
                "where the standby stopped"
            )
        span = f"{self.since_file}:{self.since_position} .. {self.end_file}:{self.end_position}"
        gtids = f"; GTIDs {', '.join(self.gtids)}" if self.gtids else ""
        return f"events past {span}{gtids}"


def find_divergence(
    *,
    executed: tuple[str, int] | None,
    old_end: tuple[str, int] | None,
    old_binlogs: tuple[str, ...] | None = None,
    old_gtid_binlog_pos: str | None,
    new_gtid_slave_pos: str | None,
) -> Divergence:
    """Compare the old master's binlog end with what the standby executed before promotion.

    The binlog can tell only when the executed position is still in the same series of files
    (not renamed, reset or purged since). GTIDs count only per domain where both sides name
    the same originating server: sequence numbers of different servers are not comparable.
    """
    since = executed or ("", 0)
    end = old_end or ("", 0)
    unknown = ""
    if executed is None:
        unknown = "the promotion recorded no final coordinates"
    elif old_end is None:
        unknown = "the old master has no binary log"
    elif binlog_key(end[0])[0] != binlog_key(since[0])[0]:
        unknown = f"its binlog is named {end[0]} now, the standby stopped in {since[0]}"
    elif old_binlogs is not None and since[0] not in old_binlogs:
        unknown = f"{since[0]} is no longer among its binary logs (purged or reset)"
    elif position_after(*since, *end):
        unknown = f"its binlog ends at {end[0]}:{end[1]}, before {since[0]}:{since[1]} (reset?)"
    old = parse_gtid_list(old_gtid_binlog_pos)
    new = parse_gtid_list(new_gtid_slave_pos)
    gtids = []
    for domain, (server, seq) in sorted(old.items()):
        applied = new.get(domain)
        if applied is not None and applied[0] == server and seq > applied[1]:
            first = f"{domain}-{server}-{applied[1] + 1}"
            gtids.append(first if seq == applied[1] + 1 else f"{first}..{domain}-{server}-{seq}")
    return Divergence(since[0], since[1], end[0], end[1], tuple(gtids), unknown)


def quarantined_transactions(text: bytes) -> list[str]:
    """The transactions in ``mariadb-binlog``/``mysqlbinlog`` output, by GTID, in order."""
    found = [m.decode() for m in _MARIADB_GTID_EVENT.findall(text)]
    if not found:
        found = [m.decode() for m in _MYSQL_GTID_EVENT.findall(text) if m != b"AUTOMATIC"]
    return found
