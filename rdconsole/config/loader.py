"""Find, read and validate the TOML configuration, filling login gaps from rd.conf and ~/.my.cnf.

Lookup order: ``--config PATH``, ``$RDCONSOLE_CONFIG``, ``~/.config/rdconsole/rdconsole.toml``,
``/etc/rdconsole/rdconsole.toml``. Credentials missing from the TOML come from the host's
Rivendell config when rdconsole runs there (``/etc/rd.conf.master`` for the master,
``/etc/rd.conf.standby`` for the local standby), then from ``~/.my.cnf``.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
import tomllib
from collections.abc import Mapping
from pathlib import Path

from rdconsole.config.credentials import fill_login, read_rdconf
from rdconsole.config.reader import ConfigError, Table, TomlSource
from rdconsole.config.sections import (
    read_admin,
    read_audio,
    read_failover,
    read_mysql,
    read_replication,
    read_rivendell,
    read_rsync,
    read_ssh,
)
from rdconsole.config.settings import ConsoleConfig, HostConfig, Settings
from rdconsole.core.model import Role
from rdconsole.core.rdconf import RdConf, parse_rdconf
from rdconsole.core.verdict import Thresholds

ENV_VAR = "RDCONSOLE_CONFIG"
USER_PATH = Path("~/.config/rdconsole/rdconsole.toml")
SYSTEM_PATH = Path("/etc/rdconsole/rdconsole.toml")

_TOP_KEYS = {"console", "master", "standby", "failover", "replication"}
_CONSOLE_KEYS = {
    "poll_interval",
    "state_dir",
    "connect_timeout",
    "query_timeout",
    "lag_warning",
    "lag_critical",
}
_MASTER_KEYS = {"name", "host", "local", "mysql", "ssh", "rsync", "admin"}
_STANDBY_KEYS = {"name", "host", "local", "mysql", "ssh", "audio", "rivendell", "admin"}


def find_config_path(explicit: str | None, environ: Mapping[str, str] = os.environ) -> Path:
    """The config file to use; raises ConfigError listing where it looked."""
    if explicit:
        return Path(explicit)
    if environ.get(ENV_VAR):
        return Path(environ[ENV_VAR])
    candidates = [USER_PATH.expanduser(), SYSTEM_PATH]
    for candidate in candidates:
        if candidate.exists():
            return candidate
    raise ConfigError(
        None,
        None,
        "no configuration file found; looked for --config, $RDCONSOLE_CONFIG, "
        + ", ".join(str(c) for c in candidates)
        + " (try `rdconsole demo` to see one)",
    )


def load_settings(path: Path, environ: Mapping[str, str] = os.environ) -> Settings:
    """Read and validate ``path``; raises ConfigError naming the file and line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, None, "file not found") from None
    except (OSError, UnicodeDecodeError) as error:
        raise ConfigError(path, None, f"cannot read: {error}") from None
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        match = re.search(r"at line (\d+)", str(error))
        raise ConfigError(
            path, int(match.group(1)) if match else None, f"not valid TOML: {error}"
        ) from None
    source = TomlSource(path=path, text=text)
    Table(source, document, "(top level)", "").check(_TOP_KEYS)
    console_data = document.get("console", {})
    if not isinstance(console_data, dict):
        raise ConfigError(path, None, "[console] must be a table")
    console = _console(Table(source, console_data, "console", "console"))
    master_data = document.get("master")
    if not isinstance(master_data, dict):
        raise ConfigError(path, None, "a [master] table with name and host is required")
    standby_data = document.get("standby", [])
    if isinstance(standby_data, dict):
        standby_data = [standby_data]
    if not isinstance(standby_data, list) or not standby_data:
        raise ConfigError(path, None, "at least one [[standby]] table is required")
    standbys = [
        _standby(Table(source, data, "standby", f"standby[{index}]", index), environ)
        for index, data in enumerate(standby_data)
    ]
    local = next((s for s in standbys if s.local), None)
    # rd.conf.master lives on the standby host: use it when rdconsole runs there.
    rd_master = local.rivendell.rd_conf_master if local else None
    master = _master(Table(source, master_data, "master", "master"), rd_master, environ)
    names = [h.name for h in (master, *standbys)]
    if len(set(names)) != len(names):
        raise ConfigError(path, None, f"host names must be unique, got {names}")
    _warn_if_exposed(source)
    failover_data = document.get("failover", {})
    if not isinstance(failover_data, dict):
        raise ConfigError(path, None, "[failover] must be a table")
    replication_data = document.get("replication", {})
    if not isinstance(replication_data, dict):
        raise ConfigError(path, None, "[replication] must be a table")
    replication = read_replication(
        Table(source, replication_data, "replication", "replication"), _database_name(local)
    )
    return Settings(
        console=console,
        master=master,
        standbys=tuple(standbys),
        failover=read_failover(Table(source, failover_data, "failover", "failover")),
        replication=replication,
        path=path,
        provenance=source.provenance,
        warnings=tuple(source.warnings),
        raw=document,
    )


def _console(table: Table) -> ConsoleConfig:
    table.check(_CONSOLE_KEYS)
    defaults = ConsoleConfig()
    return ConsoleConfig(
        poll_interval=table.number("poll_interval", defaults.poll_interval),
        state_dir=table.path("state_dir", defaults.state_dir) or defaults.state_dir,
        connect_timeout=table.number("connect_timeout", defaults.connect_timeout),
        query_timeout=table.number("query_timeout", defaults.query_timeout),
        thresholds=Thresholds(
            lag_warning=table.integer("lag_warning", defaults.thresholds.lag_warning, 1),
            lag_critical=table.integer("lag_critical", defaults.thresholds.lag_critical, 1),
        ),
    )


def _identity(table: Table) -> tuple[str, str, bool]:
    name = table.string("name")
    if name is None:
        raise table.fail(None, f"[{table.section}] needs a name")
    host = table.string("host", "127.0.0.1") or "127.0.0.1"
    return name, host, table.boolean("local", False)


def _master(table: Table, rd_conf: Path | None, environ: Mapping[str, str]) -> HostConfig:
    table.check(_MASTER_KEYS)
    name, host, local = _identity(table)
    config = HostConfig(
        name=name,
        role=Role.MASTER,
        host=host,
        local=local,
        mysql=read_mysql(table.sub("mysql"), host),
        ssh=read_ssh(table.sub("ssh")),
        rsync=read_rsync(table.sub("rsync")),
        admin=read_admin(table.sub("admin"), host),
    )
    conf = read_rdconf(rd_conf, table.source) if rd_conf else None
    return fill_login(table.source, config, "master", _pair(rd_conf, conf), environ)


def _standby(table: Table, environ: Mapping[str, str]) -> HostConfig:
    table.check(_STANDBY_KEYS)
    name, host, local = _identity(table)
    audio_table = table.sub("audio")
    audio_dir = audio_table.path("dir", Path("/var/snd.standby")) or Path("/var/snd.standby")
    # A remote standby is assumed to run Rivendell 3/4 under systemd; set the commands for v2.
    rivendell = read_rivendell(table.sub("rivendell"), audio_dir, None if local else True)
    conf = read_rdconf(rivendell.rd_conf_standby, table.source) if local else None
    owner = (conf.get("Identity", "AudioOwner") if conf else None) or "rivendell"
    group = (conf.get("Identity", "AudioGroup") if conf else None) or "rivendell"
    config = HostConfig(
        name=name,
        role=Role.STANDBY,
        host=host,
        local=local,
        mysql=read_mysql(table.sub("mysql"), host),
        ssh=read_ssh(table.sub("ssh")),
        audio=read_audio(audio_table, owner, group),
        rivendell=rivendell,
        admin=read_admin(table.sub("admin"), host),
    )
    if conf is not None:
        for key, value in (("owner", owner), ("group", group)):
            if table.source.provenance.get(f"{table.prefix}.audio.{key}") == "default":
                table.source.provenance[f"{table.prefix}.audio.{key}"] = (
                    f"{rivendell.rd_conf_standby} [Identity] Audio{key.title()}"
                    if value != "rivendell"
                    else "default"
                )
    return fill_login(
        table.source, config, table.prefix, _pair(rivendell.rd_conf_standby, conf), environ
    )


def _database_name(local: HostConfig | None) -> str:
    """rd.conf's ``[mySQL] Database`` on this host (its warnings were already reported)."""
    if local is not None:
        with contextlib.suppress(OSError):
            text = local.rivendell.rd_conf_standby.read_text(encoding="utf-8", errors="replace")
            return parse_rdconf(text).mysql_database
    return "Rivendell"


def _pair(path: Path | None, conf: RdConf | None) -> tuple[Path, RdConf] | None:
    return (path, conf) if path is not None and conf is not None else None


def _warn_if_exposed(source: TomlSource) -> None:
    """Warn when a config that holds a password can be read by other users."""
    holds_password = any(
        value.startswith(f"{source.path}:")
        for key, value in source.provenance.items()
        if key.endswith(".password")
    )
    try:
        mode = source.path.stat().st_mode
    except OSError:
        return
    if holds_password and mode & (stat.S_IRGRP | stat.S_IROTH):
        source.warnings.append(
            f"{source.path} holds a password and is readable by others "
            f"(mode {stat.S_IMODE(mode):o}); run: chmod 600 {source.path}"
        )
