"""The per-host tables of the TOML file: ``mysql``, ``ssh``, ``rsync``, ``audio``, ``rivendell``."""

from __future__ import annotations

from pathlib import Path

from rdconsole.config.reader import Table
from rdconsole.config.settings import (
    AudioConfig,
    FailoverConfig,
    MySQLEndpoint,
    ReplicationConfig,
    RivendellPaths,
    RsyncSource,
    Secret,
    SshConfig,
    service_command,
)

MYSQL_KEYS = {"host", "port", "socket", "user", "password", "password_file"}
SSH_KEYS = {
    "user",
    "port",
    "known_hosts",
    "identity_files",
    "connect_timeout",
    "keepalive_interval",
}
RSYNC_KEYS = {
    "transport",
    "module",
    "port",
    "path",
    "guard_file",
    "user",
    "password_file",
    "timeout",
    "contimeout",
}
AUDIO_KEYS = {
    "dir",
    "delete",
    "max_delete",
    "max_delete_ratio",
    "stale_after",
    "owner",
    "group",
    "extension",
    "idle_timeout",
}
REPLICATION_KEYS = {
    "user",
    "password",
    "password_file",
    "databases",
    "account_host",
    "connect_retry",
}
FAILOVER_KEYS = {
    "drain_timeout",
    "block_after_promotion",
    "fence",
    "master_stop_command",
    "master_database_stop_command",
}
RIVENDELL_KEYS = {
    "rd_conf",
    "rd_conf_master",
    "rd_conf_standby",
    "snd",
    "snd_master",
    "snd_standby",
    "stop_command",
    "start_command",
    "check_command",
    "settle",
}


def read_mysql(table: Table, default_host: str) -> MySQLEndpoint:
    table.check(MYSQL_KEYS)
    password = table.string("password")
    password_file = table.string("password_file")
    if password is not None and password_file is not None:
        raise table.fail("password_file", "give password or password_file, not both")
    if password_file is not None:
        try:
            password = Path(password_file).expanduser().read_text(encoding="utf-8").rstrip("\n")
        except OSError as error:
            raise table.fail("password_file", f"cannot read password_file: {error}") from None
        table.source.provenance[f"{table.prefix}.password"] = f"password_file {password_file}"
    host = table.string("host")
    if host is None:
        host = default_host
    return MySQLEndpoint(
        host=host,
        port=table.integer("port", 3306, 1, 65535),
        socket=table.string("socket"),
        user=table.string("user"),
        password=Secret(password) if password is not None else None,
    )


def read_admin(table: Table, default_host: str) -> MySQLEndpoint | None:
    """``[*.admin]``: None when absent (setup and rejoin then say what to add)."""
    if not table.data:
        return None
    endpoint = read_mysql(table, default_host)
    if endpoint.user is None:
        raise table.fail(None, f"[{table.section}] needs a user")
    return endpoint


def read_replication(table: Table, default_database: str) -> ReplicationConfig:
    table.check(REPLICATION_KEYS)
    password = table.string("password")
    password_file = table.path("password_file")
    if password is not None and password_file is not None:
        raise table.fail("password_file", "give password or password_file, not both")
    databases = table.data.get("databases", [default_database])
    if (
        not isinstance(databases, list)
        or not databases
        or not all(isinstance(d, str) and d and "`" not in d for d in databases)
    ):
        raise table.fail("databases", "databases must be a non-empty list of database names")
    if "databases" not in table.data:
        table.source.provenance.setdefault(f"{table.prefix}.databases", "default")
    user = table.string("user", "repl") or "repl"
    if "'" in user or "\\" in user:
        raise table.fail("user", "the replication user name may not hold quotes or backslashes")
    return ReplicationConfig(
        user=user,
        password=Secret(password) if password is not None else None,
        password_file=password_file,
        databases=tuple(databases),
        account_host=table.string("account_host", "%") or "%",
        connect_retry=table.integer("connect_retry", 10, 1, 3600),
    )


def read_ssh(table: Table) -> SshConfig | None:
    if not table.data:
        return None
    table.check(SSH_KEYS)
    files = table.data.get("identity_files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise table.fail("identity_files", "identity_files must be a list of paths")
    port = table.integer("port", 0, 0, 65535)
    return SshConfig(
        user=table.string("user"),
        port=port or None,
        known_hosts=table.path("known_hosts"),
        identity_files=tuple(Path(f).expanduser() for f in files),
        connect_timeout=table.number("connect_timeout", 10.0),
        keepalive_interval=table.number("keepalive_interval", 15.0),
    )


def read_rsync(table: Table) -> RsyncSource:
    table.check(RSYNC_KEYS)
    transport = table.choice("transport", "daemon", ("daemon", "ssh"))
    default_port = 873 if transport == "daemon" else 22
    return RsyncSource(
        transport=transport,
        module=table.string("module", "rivendell") or "rivendell",
        port=table.integer("port", default_port, 1, 65535),
        path=table.string("path", "/var/snd") or "/var/snd",
        guard_file=table.string("guard_file", "repl.chk") or "repl.chk",
        user=table.string("user"),
        password_file=table.path("password_file"),
        timeout=table.integer("timeout", 60, 1, 86400),
        contimeout=table.integer("contimeout", 15, 1, 3600),
        bwlimit=table.integer("bwlimit", 0, 0),
    )


def read_audio(table: Table, owner: str, group: str) -> AudioConfig:
    """``owner``/``group`` are the defaults learned from rd.conf ([Identity] AudioOwner/Group)."""
    table.check(AUDIO_KEYS)
    return AudioConfig(
        enabled=bool(table.data),
        dir=table.path("dir", Path("/var/snd.standby")) or Path("/var/snd.standby"),
        delete=table.boolean("delete", False),
        max_delete=table.integer("max_delete", 50, 0),
        max_delete_ratio=table.ratio("max_delete_ratio", 0.05),
        stale_after=table.duration("stale_after", 7200.0),
        owner=table.string("owner", owner) or owner,
        group=table.string("group", group) or group,
        extension=table.string("extension", "wav") or "wav",
        idle_timeout=table.duration("idle_timeout", 120.0),
    )


def read_rivendell(table: Table, audio_dir: Path, systemd: bool | None) -> RivendellPaths:
    """``systemd``: whether the host runs systemd (Rivendell 3/4), else the v2 init script;
    None: find out on this host."""
    table.check(RIVENDELL_KEYS)
    defaults = RivendellPaths()
    stop, start, check = (service_command(a, systemd=systemd) for a in ("stop", "start", "check"))

    def path(key: str, default: Path) -> Path:
        return table.path(key, default) or default

    return RivendellPaths(
        stop_command=table.string("stop_command", stop) or stop,
        start_command=table.string("start_command", start) or start,
        check_command=table.string("check_command", check) or check,
        settle=table.duration("settle", defaults.settle),
        rd_conf=path("rd_conf", defaults.rd_conf),
        rd_conf_master=path("rd_conf_master", defaults.rd_conf_master),
        rd_conf_standby=path("rd_conf_standby", defaults.rd_conf_standby),
        snd=path("snd", defaults.snd),
        snd_master=path("snd_master", defaults.snd_master),
        snd_standby=path("snd_standby", audio_dir),
    )


def read_failover(table: Table) -> FailoverConfig:
    table.check(FAILOVER_KEYS)
    stop_database = FailoverConfig.master_database_stop_command
    return FailoverConfig(
        drain_timeout=table.duration("drain_timeout", 120.0),
        block_after_promotion=table.duration("block_after_promotion", 8 * 3600.0),
        fence=table.choice("fence", "read_only", ("read_only", "stop", "none")),
        master_stop_command=table.string("master_stop_command"),
        master_database_stop_command=table.string("master_database_stop_command", stop_database)
        or stop_database,
    )
