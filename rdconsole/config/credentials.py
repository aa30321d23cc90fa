"""Filling gaps from the host's own files: Rivendell's rd.conf, then ``~/.my.cnf``."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from pathlib import Path

from rdconsole.config.reader import TomlSource
from rdconsole.config.settings import HostConfig, Secret
from rdconsole.core.mycnf import parse_client_options
from rdconsole.core.rdconf import RdConf, parse_rdconf


def read_rdconf(path: Path, source: TomlSource) -> RdConf | None:
    """Parse an rd.conf if readable; its parsing warnings join the config warnings."""
    try:
        conf = parse_rdconf(path.read_text(encoding="utf-8", errors="replace"))
    except OSError:
        return None
    source.warnings.extend(f"{path}: {w}" for w in conf.warnings)
    return conf


def fill_login(
    source: TomlSource,
    host: HostConfig,
    prefix: str,
    rdconf: tuple[Path, RdConf] | None,
    environ: Mapping[str, str],
) -> HostConfig:
    """A missing user/password from rd.conf (when rdconsole runs there), then ~/.my.cnf."""
    endpoint = host.mysql
    user, password = endpoint.user, endpoint.password
    provenance = source.provenance
    if rdconf is not None and (user is None or password is None):
        rd_path, conf = rdconf
        if user is None:
            user = conf.mysql_user
            provenance[f"{prefix}.mysql.user"] = f"{rd_path} [mySQL] Loginname"
        if password is None:
            password = Secret(conf.mysql_password)
            section = "[mySQL]" if conf.get("mySQL", "Password") is not None else "[Identity]"
            provenance[f"{prefix}.mysql.password"] = f"{rd_path} {section} Password"
    if user is None or password is None:
        mycnf = Path(environ.get("HOME", "~")).expanduser() / ".my.cnf"
        try:
            options = parse_client_options(mycnf.read_text(encoding="utf-8", errors="replace"))
        except OSError:
            options = {}
        if user is None and "user" in options:
            user = options["user"]
            provenance[f"{prefix}.mysql.user"] = f"{mycnf} [client] user"
        if password is None and "password" in options:
            password = Secret(options["password"])
            provenance[f"{prefix}.mysql.password"] = f"{mycnf} [client] password"
    if user is None:
        user = "rdconsole"
        provenance[f"{prefix}.mysql.user"] = "default"
    if password is None:
        password = Secret("")
        provenance[f"{prefix}.mysql.password"] = "default (empty)"
    return replace(host, mysql=replace(endpoint, user=user, password=password))
