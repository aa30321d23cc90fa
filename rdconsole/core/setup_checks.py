"""What a pair of servers needs before one can replicate from the other (pure).

Every item says why it matters and, when something is missing, the exact option-file lines to
add (rdconsole never edits option files). Used by ``setup`` (master -> standby) and by
``rejoin`` (promoted standby -> old master).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field

from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.core.model import Flavor
from rdconsole.core.vocabulary import parse_version

SERVER_VARIABLES = (
    "version",
    "server_id",
    "log_bin",
    "log_bin_basename",
    "hostname",
    "read_only",
    "relay_log",
    "log_slave_updates",
    "log_replica_updates",
    "expire_logs_days",
    "binlog_expire_logs_seconds",
    "replicate_do_db",
    "replicate_wild_do_table",
)
"""Read with ``SHOW GLOBAL VARIABLES WHERE Variable_name IN (...)``: no privilege needed, and a
variable a version lacks is simply absent."""

SYSTEM_DATABASES = frozenset({"mysql", "information_schema", "performance_schema", "sys"})
OPTION_GROUP = "[mysqld]"
"""Read by MariaDB and MySQL servers alike."""


@dataclass(frozen=True)
class ServerFacts:
    """One server as setup sees it."""

    name: str
    variables: Mapping[str, str]
    tables: Mapping[str, int] = field(default_factory=dict)
    """Per configured database: how many tables it holds (absent: the database does not exist)."""
    databases: tuple[str, ...] = ()
    """Every database on the server."""
    replicating_from: str | None = None
    """``host:port`` of its current master, when SHOW SLAVE STATUS is not empty."""
    non_transactional: tuple[str, ...] = ()
    """```db`.`table``` of the configured databases whose engine is not InnoDB (MyISAM, Aria...):
    an online snapshot cannot copy them consistently."""

    def flag(self, name: str) -> bool:
        return self.variables.get(name, "").upper() in {"ON", "1", "YES"}

    def number(self, name: str) -> float:
        try:
            return float(self.variables.get(name, "0") or 0)
        except ValueError:
            return 0.0

    @property
    def server_id(self) -> int:
        return int(self.number("server_id"))

    @property
    def flavor(self) -> Flavor:
        return parse_version(self.variables.get("version", ""))[0]

    @property
    def version(self) -> tuple[int, int, int]:
        return parse_version(self.variables.get("version", ""))[1]

    @property
    def user_databases(self) -> tuple[str, ...]:
        return tuple(d for d in self.databases if d.lower() not in SYSTEM_DATABASES)


def _lines(*lines: str) -> str:
    return f"add under {OPTION_GROUP} in the server's option file, then restart it: " + "; ".join(
        lines
    )


def check_pair(
    source: ServerFacts,
    target: ServerFacts,
    databases: tuple[str, ...],
    *,
    overwrite_confirmed: bool,
) -> list[ChecklistItem]:
    """The checks for ``target`` replicating ``databases`` from ``source``."""
    items = [
        _binlog(source),
        _basename(source),
        _server_ids(source, target),
        _expiry(source),
        _read_only(target),
        _relay_log(target),
        _target_binlog(target),
        _versions(source, target),
        _filters(source, target, databases),
        _engines(source),
        _current_replication(target),
        _target_data(target, databases, overwrite_confirmed),
    ]
    return [item for item in items if item is not None]


def _binlog(source: ServerFacts) -> ChecklistItem:
    if source.flag("log_bin"):
        return ChecklistItem("binlog", f"Binary log on {source.name}", Check.PASS, "log_bin = ON")
    return ChecklistItem(
        "binlog",
        f"Binary log on {source.name}",
        Check.BLOCK,
        "log_bin is OFF: there is nothing to replicate from",
        _lines("log-bin = mysql-bin", "binlog_format = MIXED"),
    )


def _basename(source: ServerFacts) -> ChecklistItem | None:
    if not source.flag("log_bin"):
        return None
    base = os.path.basename(source.variables.get("log_bin_basename", ""))
    hostname = source.variables.get("hostname", "")
    if hostname and base in {f"{hostname}-bin", f"{hostname.split('.')[0]}-bin"}:
        return ChecklistItem(
            "binlog-name",
            f"Binlog base name on {source.name}",
            Check.WARN,
            f"the binlog is named after the host ({base}): renaming the host breaks replication",
            _lines("log-bin = mysql-bin"),
        )
    return ChecklistItem(
        "binlog-name", f"Binlog base name on {source.name}", Check.PASS, f"fixed: {base}"
    )


def _server_ids(source: ServerFacts, target: ServerFacts) -> ChecklistItem:
    title = "Unique server_id"
    if source.server_id == 0 or target.server_id == 0:
        zero = source if source.server_id == 0 else target
        return ChecklistItem(
            "server-id",
            title,
            Check.BLOCK,
            f"{zero.name} has server_id 0, which refuses replication",
            _lines(f"server-id = {max(source.server_id, target.server_id) + 1}")
            + f" (on {zero.name})",
        )
    if source.server_id == target.server_id:
        return ChecklistItem(
            "server-id",
            title,
            Check.BLOCK,
            f"both servers have server_id {source.server_id}: the replica would skip every "
            "event as its own",
            _lines(f"server-id = {source.server_id + 1}") + f" (on {target.name})",
        )
    return ChecklistItem(
        "server-id",
        title,
        Check.PASS,
        f"{source.name} {source.server_id}, {target.name} {target.server_id}",
    )


def _expiry(source: ServerFacts) -> ChecklistItem:
    seconds = source.number("binlog_expire_logs_seconds") or source.number("expire_logs_days") * (
        86400
    )
    title = f"Binlog expiry on {source.name}"
    if seconds <= 0:
        return ChecklistItem(
            "expiry",
            title,
            Check.WARN,
            "binlogs are never purged: they fill the disk",
            _lines("binlog_expire_logs_seconds = 864000   # 10 days; older: expire_logs_days = 10"),
        )
    return ChecklistItem("expiry", title, Check.PASS, f"after {seconds / 86400:g} days")


def _read_only(target: ServerFacts) -> ChecklistItem:
    title = f"read_only on {target.name}"
    if target.flag("read_only"):
        return ChecklistItem("read-only", title, Check.PASS, "read_only = ON")
    return ChecklistItem(
        "read-only",
        title,
        Check.WARN,
        "read_only is OFF: a stray write would break replication (setup sets it ON now, but "
        "only the option file keeps it after a restart)",
        _lines("read_only = 1"),
    )


def _relay_log(target: ServerFacts) -> ChecklistItem:
    title = f"Relay log name on {target.name}"
    if target.variables.get("relay_log"):
        return ChecklistItem("relay-log", title, Check.PASS, target.variables["relay_log"])
    return ChecklistItem(
        "relay-log",
        title,
        Check.WARN,
        "the relay log is named after the host: renaming the host loses the replica's place",
        _lines("relay-log = relay-bin"),
    )


def _target_binlog(target: ServerFacts) -> ChecklistItem:
    title = f"Binlog and log_slave_updates on {target.name}"
    if target.flag("log_bin") and (
        target.flag("log_slave_updates") or target.flag("log_replica_updates")
    ):
        return ChecklistItem("rejoinable", title, Check.PASS, "both ON: it can serve as a master")
    return ChecklistItem(
        "rejoinable",
        title,
        Check.WARN,
        "needed for it to act as a master after a failover and for the old master to rejoin",
        _lines("log-bin = mysql-bin", "log_slave_updates = 1"),
    )


def _versions(source: ServerFacts, target: ServerFacts) -> ChecklistItem:
    title = "Server versions"
    described = f"{source.name} {source.variables.get('version', '?')}, {target.name} " + (
        target.variables.get("version", "?")
    )
    if source.flavor is not target.flavor:
        return ChecklistItem(
            "versions",
            title,
            Check.BLOCK,
            f"different servers ({described}): replication between them is not supported",
            "use the same server (MariaDB or MySQL) on both hosts",
        )
    if target.version[:2] < source.version[:2]:
        return ChecklistItem(
            "versions",
            title,
            Check.WARN,
            f"the replica is older than its master ({described})",
            f"upgrade {target.name} to at least {source.version[0]}.{source.version[1]}",
        )
    return ChecklistItem("versions", title, Check.PASS, described)


def _filters(
    source: ServerFacts, target: ServerFacts, databases: tuple[str, ...]
) -> ChecklistItem | None:
    others = [d for d in source.user_databases if d not in databases]
    filtered = target.variables.get("replicate_do_db") or target.variables.get(
        "replicate_wild_do_table"
    )
    if not others or filtered:
        return None
    return ChecklistItem(
        "filters",
        f"Databases outside the snapshot on {source.name}",
        Check.BLOCK,
        f"{', '.join(others)} will not be copied, yet their changes would replicate and stop "
        "the replica at the first write",
        _lines(*(f"replicate-wild-do-table = {d}.%" for d in databases))
        + f" (on {target.name}), or add them to [replication] databases",
    )


def _engines(source: ServerFacts) -> ChecklistItem:
    title = f"Transactional tables on {source.name}"
    tables = source.non_transactional
    if not tables:
        return ChecklistItem(
            "engines", title, Check.PASS, "all InnoDB: the snapshot is online, writers never wait"
        )
    shown = "; ".join(f"ALTER TABLE {t} ENGINE=InnoDB" for t in tables[:3])
    more = f"; … ({len(tables)} tables)" if len(tables) > 3 else ""
    return ChecklistItem(
        "engines",
        title,
        Check.WARN,
        f"{len(tables)} tables are not InnoDB (MyISAM/Aria): the snapshot holds a global read "
        "lock for the whole dump, so Rivendell cannot write on the master meanwhile",
        f"for an online snapshot convert them first (Rivendell runs on InnoDB): {shown}{more}",
    )


def _current_replication(target: ServerFacts) -> ChecklistItem | None:
    if target.replicating_from is None:
        return None
    return ChecklistItem(
        "replicating",
        f"{target.name} already replicates",
        Check.WARN,
        f"from {target.replicating_from}: setup stops it, re-seeds it and points it anew",
    )


def _target_data(
    target: ServerFacts, databases: tuple[str, ...], overwrite_confirmed: bool
) -> ChecklistItem:
    holding = [f"{d} ({n} tables)" for d in databases if (n := target.tables.get(d, 0)) > 0]
    title = f"Databases on {target.name}"
    if not holding:
        return ChecklistItem("target-data", title, Check.PASS, "empty: nothing is overwritten")
    if overwrite_confirmed:
        return ChecklistItem(
            "target-data",
            title,
            Check.WARN,
            f"{', '.join(holding)} will be replaced by the snapshot (confirmed by name)",
        )
    return ChecklistItem(
        "target-data",
        title,
        Check.BLOCK,
        f"{', '.join(holding)} already hold data that the snapshot would replace",
        f"type the database name to confirm ({' '.join(databases)}), or use --overwrite "
        + ",".join(databases),
        overridable=True,
    )
