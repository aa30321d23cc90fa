"""Read what setup, rejoin and failback decide from: server variables, databases, replication.

Everything here only reads, with the admin login, each call bounded by the console timeouts.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from asyncmy.errors import MySQLError

from rdconsole.config.settings import ConsoleConfig, HostConfig, MySQLEndpoint, Secret, Settings
from rdconsole.core.model import Flavor, ReplicaStatus
from rdconsole.core.replication_plan import Endpoint, sql_string
from rdconsole.core.setup_checks import SERVER_VARIABLES, ServerFacts
from rdconsole.core.vocabulary import (
    binlog_from_row,
    parse_version,
    replica_from_row,
    vocabulary_for,
)
from rdconsole.hosts.mysql import MySQLSession, PrivilegeDenied
from rdconsole.hosts.state import create_private

SECRET_NAME = "replication.secret"


@dataclass(frozen=True)
class Reading:
    facts: ServerFacts | None
    error: str | None
    size_bytes: int | None = None
    """Data + index bytes of the configured databases (a guide to the dump's size)."""
    gtid_slave_pos: str | None = None
    gtid_binlog_pos: str | None = None
    binlog_end: tuple[str, int] | None = None
    binlogs: tuple[str, ...] | None = None
    """``SHOW BINARY LOGS``: the files it still has (None: no binary log)."""
    replica: ReplicaStatus | None = None


async def read_server(
    host: HostConfig, console: ConsoleConfig, databases: tuple[str, ...]
) -> Reading:
    """``host`` as seen through its login (the admin one when given by ``with_admin``)."""
    session = MySQLSession(host, console)
    try:
        names = ", ".join(sql_string(name) for name in SERVER_VARIABLES)
        rows = await session.query(f"SHOW GLOBAL VARIABLES WHERE Variable_name IN ({names})")
        variables = {str(r["Variable_name"]): str(r["Value"] or "") for r in rows}
        listed = await session.query("SHOW DATABASES")
        all_databases = tuple(str(next(iter(r.values()))) for r in listed)
        wanted = ", ".join(sql_string(d) for d in databases)
        sizes = await session.query(
            "SELECT TABLE_SCHEMA AS db, COUNT(*) AS tables, "
            "COALESCE(SUM(DATA_LENGTH + INDEX_LENGTH), 0) AS bytes "
            f"FROM information_schema.TABLES WHERE TABLE_SCHEMA IN ({wanted}) GROUP BY TABLE_SCHEMA"
        )
        engines = await session.query(
            "SELECT TABLE_SCHEMA AS db, TABLE_NAME AS name FROM information_schema.TABLES "
            f"WHERE TABLE_SCHEMA IN ({wanted}) AND TABLE_TYPE = 'BASE TABLE' "
            "AND ENGINE <> 'InnoDB' ORDER BY 1, 2"
        )
        words = vocabulary_for(*parse_version(variables.get("version", "")))
        replica = await session.query(words.replica_status)
        gtids = await session.query(
            "SELECT @@GLOBAL.gtid_slave_pos AS slave, @@GLOBAL.gtid_binlog_pos AS binlog"
            if words.flavor is Flavor.MARIADB
            else "SELECT NULL AS slave, NULL AS binlog"
        )
        binlog = await session.query(words.binlog_status)
        files = await session.query("SHOW BINARY LOGS") if binlog else []
    except (MySQLError, PrivilegeDenied, OSError, TimeoutError) as error:
        return Reading(None, f"{host.name} ({host.mysql.address}): {error or type(error).__name__}")
    finally:
        await session.close()
    status = replica_from_row(replica[0]) if replica else None
    replicating = f"{status.master_host}:{status.master_port}" if status else None
    facts = ServerFacts(
        name=host.name,
        variables=variables,
        tables={str(r["db"]): int(r["tables"]) for r in sizes},
        databases=all_databases,
        replicating_from=replicating,
        non_transactional=tuple(f"`{r['db']}`.`{r['name']}`" for r in engines),
    )
    end = binlog_from_row(binlog[0])[:2] if binlog else None
    return Reading(
        facts,
        None,
        sum(int(r["bytes"]) for r in sizes),
        str(gtids[0]["slave"]) if gtids and gtids[0]["slave"] is not None else None,
        str(gtids[0]["binlog"]) if gtids and gtids[0]["binlog"] is not None else None,
        end,
        tuple(str(r["Log_name"]) for r in files) if binlog else None,
        status,
    )


def replication_endpoint(host: HostConfig) -> Endpoint:
    """Where a replica reaches ``host``'s server: its configured TCP address, else host:3306."""
    endpoint: MySQLEndpoint = host.mysql
    if endpoint.socket:
        return Endpoint(host.host, 3306)
    return Endpoint(endpoint.host, endpoint.port)


def secret_path(settings: Settings) -> Path:
    replication = settings.replication
    return replication.password_file or settings.console.state_dir / SECRET_NAME


def replication_password(settings: Settings, *, create: bool) -> Secret | None:
    """From the config, else its password_file, else state_dir's generated one (made when
    ``create``; None when it does not exist yet)."""
    replication = settings.replication
    if replication.password is not None:
        return replication.password
    path = secret_path(settings)
    try:
        return Secret(path.read_text(encoding="utf-8").rstrip("\n"))
    except FileNotFoundError:
        if not create or replication.password_file is not None:
            return None
    generated = secrets.token_urlsafe(24)
    path.parent.mkdir(parents=True, exist_ok=True)
    write_secret(path, generated)
    return Secret(generated)


def write_secret(path: Path, value: str) -> None:
    """Mode 0600 from the start (never readable by others, not even briefly)."""
    with create_private(path) as file:
        file.write(value.encode() + b"\n")
        file.flush()
        os.fsync(file.fileno())
