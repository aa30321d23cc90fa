"""Find, read and validate the TOML configuration, filling login gaps from rd.conf and ~/.my.cnf.

Lookup order: ``--config PATH``, ``$RDCONSOLE_CONFIG``, ``~/.config/rdconsole/rdconsole.toml``,
``/etc/rdconsole/rdconsole.toml``. Credentials missing from the TOML come from the host's
Rivendell config when rdconsole runs there (``/etc/rd.conf.master`` for the master,
``/etc/rd.conf.standby`` for the local standby), then from ``~/.my.cnf``.
"""

from __future__ import annotations

import os
import re
import stat
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rdconsole.config.settings import ConsoleConfig, HostConfig, MySQLEndpoint, Secret, Settings
from rdconsole.core.model import Role
from rdconsole.core.mycnf import parse_client_options
from rdconsole.core.rdconf import parse_rdconf
from rdconsole.core.verdict import Thresholds

ENV_VAR = "RDCONSOLE_CONFIG"
USER_PATH = Path("~/.config/rdconsole/rdconsole.toml")
SYSTEM_PATH = Path("/etc/rdconsole/rdconsole.toml")
DEFAULT_RD_CONF = {Role.MASTER: "/etc/rd.conf.master", Role.STANDBY: "/etc/rd.conf.standby"}

_CONSOLE_KEYS = {
    "poll_interval",
    "state_dir",
    "connect_timeout",
    "query_timeout",
    "lag_warning",
    "lag_critical",
}
_HOST_KEYS = {"name", "host", "local", "mysql"}
_MYSQL_KEYS = {"host", "port", "socket", "user", "password", "password_file"}
# Sections that later features read; accepted here without complaint.
_LATER_HOST_KEYS = {"ssh", "rsync", "audio", "rivendell", "admin"}
_LATER_TOP_KEYS = {"failover", "replication"}


class ConfigError(Exception):
    """A configuration problem, naming the file and line. The CLI exits 3 on it."""

    def __init__(self, path: Path | None, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = str(path) if path else "configuration"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {message}")


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


@dataclass
class _Reader:
    """Validates one TOML document, remembering where each value came from."""

    path: Path
    text: str
    provenance: dict[str, str]
    warnings: list[str]

    def line_of(self, section: str, key: str | None = None, occurrence: int = 0) -> int | None:
        """Best-effort line number of ``key`` inside ``[section]`` (or of the header)."""
        lines = self.text.splitlines()
        header = re.compile(r"^\s*\[\[?\s*" + re.escape(section) + r"\s*\]\]?\s*(#.*)?$")
        any_header = re.compile(r"^\s*\[")
        start = None
        seen = -1
        for index, line in enumerate(lines):
            if header.match(line):
                seen += 1
                if seen == occurrence:
                    start = index
                    break
        if start is None:
            return None
        if key is None:
            return start + 1
        key_re = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for index in range(start + 1, len(lines)):
            if any_header.match(lines[index]):
                break
            if key_re.match(lines[index]):
                return index + 1
        return start + 1

    def fail(self, section: str, key: str | None, message: str, occurrence: int = 0) -> ConfigError:
        return ConfigError(self.path, self.line_of(section, key, occurrence), message)

    def note(self, dotted: str, section: str, key: str, occurrence: int = 0) -> None:
        line = self.line_of(section, key, occurrence)
        self.provenance[dotted] = f"{self.path}" + (f":{line}" if line else "")

    def table(self, parent: Mapping[str, Any], key: str, section: str) -> dict[str, Any]:
        value = parent.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(section, None, f"[{section}] must be a table")
        return value

    def check_keys(
        self, table: Mapping[str, Any], allowed: set[str], section: str, occurrence: int = 0
    ) -> None:
        for key in table:
            if key not in allowed:
                line = self.line_of(section, key, occurrence)
                self.warnings.append(
                    f"{self.path}:{line}: unknown key {key!r} in [{section}] (ignored)"
                )

    def number(
        self,
        table: Mapping[str, Any],
        key: str,
        section: str,
        default: float,
        dotted: str,
        occurrence: int = 0,
        minimum: float = 0.0,
    ) -> float:
        if key not in table:
            self.provenance[dotted] = "default"
            return default
        value = table[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum:
            raise self.fail(
                section,
                key,
                f"{key} must be a number greater than {minimum:g}, got {value!r}",
                occurrence,
            )
        self.note(dotted, section, key, occurrence)
        return float(value)

    def string(
        self, table: Mapping[str, Any], key: str, section: str, dotted: str, occurrence: int = 0
    ) -> str | None:
        if key not in table:
            return None
        value = table[key]
        if not isinstance(value, str) or not value:
            raise self.fail(
                section, key, f"{key} must be a non-empty string, got {value!r}", occurrence
            )
        self.note(dotted, section, key, occurrence)
        return value


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
    reader = _Reader(path=path, text=text, provenance={}, warnings=[])
    reader.check_keys(document, {"console", "master", "standby"} | _LATER_TOP_KEYS, "(top level)")
    console = _console(reader, reader.table(document, "console", "console"))
    master_table = document.get("master")
    if not isinstance(master_table, dict):
        raise ConfigError(path, None, "a [master] table with name and host is required")
    standby_tables = document.get("standby", [])
    if isinstance(standby_tables, dict):
        standby_tables = [standby_tables]
    if not isinstance(standby_tables, list) or not standby_tables:
        raise ConfigError(path, None, "at least one [[standby]] table is required")
    master = _host(reader, master_table, Role.MASTER, "master", 0)
    standbys = tuple(
        _host(reader, table, Role.STANDBY, "standby", index)
        for index, table in enumerate(standby_tables)
    )
    names = [h.name for h in (master, *standbys)]
    if len(set(names)) != len(names):
        raise ConfigError(path, None, f"host names must be unique, got {names}")
    # rd.conf.master and rd.conf.standby live on the standby host: use them when we run there.
    runs_on_standby = any(s.local for s in standbys)
    master = _fill_login(
        reader,
        master,
        "master",
        _rd_conf_path(Role.MASTER, standby_tables) if runs_on_standby else None,
        environ,
    )
    standbys = tuple(
        _fill_login(
            reader,
            standby,
            f"standby[{index}]",
            _rd_conf_path(Role.STANDBY, standby_tables) if standby.local else None,
            environ,
        )
        for index, standby in enumerate(standbys)
    )
    _warn_if_exposed(reader, path, (master, *standbys))
    return Settings(
        console=console,
        master=master,
        standbys=standbys,
        path=path,
        provenance=reader.provenance,
        warnings=tuple(reader.warnings),
        raw=document,
    )


def _console(reader: _Reader, table: Mapping[str, Any]) -> ConsoleConfig:
    reader.check_keys(table, _CONSOLE_KEYS, "console")
    state_dir = reader.string(table, "state_dir", "console", "console.state_dir")
    if state_dir is None:
        reader.provenance["console.state_dir"] = "default"
    defaults = ConsoleConfig()
    thresholds = Thresholds(
        lag_warning=int(
            reader.number(
                table,
                "lag_warning",
                "console",
                defaults.thresholds.lag_warning,
                "console.lag_warning",
            )
        ),
        lag_critical=int(
            reader.number(
                table,
                "lag_critical",
                "console",
                defaults.thresholds.lag_critical,
                "console.lag_critical",
            )
        ),
    )
    return ConsoleConfig(
        poll_interval=reader.number(
            table, "poll_interval", "console", defaults.poll_interval, "console.poll_interval"
        ),
        state_dir=Path(state_dir).expanduser() if state_dir else defaults.state_dir,
        connect_timeout=reader.number(
            table, "connect_timeout", "console", defaults.connect_timeout, "console.connect_timeout"
        ),
        query_timeout=reader.number(
            table, "query_timeout", "console", defaults.query_timeout, "console.query_timeout"
        ),
        thresholds=thresholds,
    )


def _host(
    reader: _Reader, table: dict[str, Any], role: Role, section: str, index: int
) -> HostConfig:
    reader.check_keys(table, _HOST_KEYS | _LATER_HOST_KEYS, section, index)
    prefix = f"{section}[{index}]" if role is Role.STANDBY else section
    name = reader.string(table, "name", section, f"{prefix}.name", index)
    if name is None:
        raise reader.fail(section, None, f"[{section}] needs a name", index)
    host = reader.string(table, "host", section, f"{prefix}.host", index) or "127.0.0.1"
    local = table.get("local", False)
    if not isinstance(local, bool):
        raise reader.fail(section, "local", f"local must be true or false, got {local!r}", index)
    mysql_table = reader.table(table, "mysql", f"{section}.mysql")
    reader.check_keys(mysql_table, _MYSQL_KEYS, f"{section}.mysql", index)
    msection = f"{section}.mysql"
    mprefix = f"{prefix}.mysql"
    port = mysql_table.get("port", 3306)
    if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
        raise reader.fail(msection, "port", f"port must be 1-65535, got {port!r}", index)
    if "port" in mysql_table:
        reader.note(f"{mprefix}.port", msection, "port", index)
    else:
        reader.provenance[f"{mprefix}.port"] = "default"
    password = reader.string(mysql_table, "password", msection, f"{mprefix}.password", index)
    password_file = reader.string(
        mysql_table, "password_file", msection, f"{mprefix}.password", index
    )
    if password is not None and password_file is not None:
        raise reader.fail(
            msection, "password_file", "give password or password_file, not both", index
        )
    if password_file is not None:
        try:
            password = Path(password_file).expanduser().read_text(encoding="utf-8").rstrip("\n")
        except OSError as error:
            raise reader.fail(
                msection, "password_file", f"cannot read password_file: {error}", index
            ) from None
        reader.provenance[f"{mprefix}.password"] = f"password_file {password_file}"
    endpoint = MySQLEndpoint(
        host=reader.string(mysql_table, "host", msection, f"{mprefix}.host", index) or host,
        port=port,
        socket=reader.string(mysql_table, "socket", msection, f"{mprefix}.socket", index),
        user=reader.string(mysql_table, "user", msection, f"{mprefix}.user", index),
        password=Secret(password) if password is not None else None,
    )
    reader.provenance.setdefault(f"{mprefix}.host", reader.provenance.get(f"{prefix}.host", ""))
    return HostConfig(name=name, role=role, host=host, local=local, mysql=endpoint)


def _fill_login(
    reader: _Reader,
    host: HostConfig,
    prefix: str,
    rd_conf: str | None,
    environ: Mapping[str, str],
) -> HostConfig:
    """Fill a missing user/password from rd.conf (when rdconsole runs there), then ~/.my.cnf."""
    endpoint = host.mysql
    user, password = endpoint.user, endpoint.password
    if user is not None and password is not None:
        return host
    if rd_conf is not None:
        rd_path = rd_conf
        try:
            rd = parse_rdconf(Path(rd_path).read_text(encoding="utf-8", errors="replace"))
        except OSError:
            rd = None
        if rd is not None:
            reader.warnings.extend(f"{rd_path}: {w}" for w in rd.warnings)
            if user is None:
                user = rd.mysql_user
                reader.provenance[f"{prefix}.mysql.user"] = f"{rd_path} [mySQL] Loginname"
            if password is None:
                password = Secret(rd.mysql_password)
                source = (
                    "[mySQL] Password"
                    if rd.get("mySQL", "Password") is not None
                    else ("[Identity] Password")
                )
                reader.provenance[f"{prefix}.mysql.password"] = f"{rd_path} {source}"
    if user is None or password is None:
        home = Path(environ.get("HOME", "~")).expanduser()
        mycnf = home / ".my.cnf"
        try:
            options = parse_client_options(mycnf.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            options = {}
        if user is None and "user" in options:
            user = options["user"]
            reader.provenance[f"{prefix}.mysql.user"] = f"{mycnf} [client] user"
        if password is None and "password" in options:
            password = Secret(options["password"])
            reader.provenance[f"{prefix}.mysql.password"] = f"{mycnf} [client] password"
    if user is None:
        user = "rdconsole"
        reader.provenance[f"{prefix}.mysql.user"] = "default"
    if password is None:
        password = Secret("")
        reader.provenance[f"{prefix}.mysql.password"] = "default (empty)"
    return HostConfig(
        name=host.name,
        role=host.role,
        host=host.host,
        local=host.local,
        mysql=MySQLEndpoint(endpoint.host, endpoint.port, endpoint.socket, user, password),
    )


def _rd_conf_path(role: Role, standby_tables: list[Any]) -> str:
    """rd.conf.master / rd.conf.standby, as set in [standby.rivendell] or Rivendell's default."""
    key = "rd_conf_master" if role is Role.MASTER else "rd_conf_standby"
    for table in standby_tables:
        rivendell = table.get("rivendell", {}) if isinstance(table, dict) else {}
        if table.get("local") and isinstance(rivendell, dict) and rivendell.get(key):
            return str(rivendell[key])
    return DEFAULT_RD_CONF[role]


def _warn_if_exposed(reader: _Reader, path: Path, hosts: tuple[HostConfig, ...]) -> None:
    """Warn when a config that holds a password can be read by other users."""
    holds_password = any(
        reader.provenance.get(f"{p}.mysql.password", "").startswith(str(path))
        for p in ["master", *(f"standby[{i}]" for i in range(len(hosts) - 1))]
    )
    try:
        mode = path.stat().st_mode
    except OSError:
        return
    if holds_password and mode & (stat.S_IRGRP | stat.S_IROTH):
        reader.warnings.append(
            f"{path} holds a password and is readable by others (mode {stat.S_IMODE(mode):o}); "
            f"run: chmod 600 {path}"
        )
