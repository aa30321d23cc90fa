"""The lab's rdconsole configuration as TOML, in the format ``load_settings`` reads."""

from __future__ import annotations

import json
import os
from pathlib import Path

from rdconsole.config.settings import HostConfig, Settings


def config_toml(settings: Settings) -> str:
    """TOML that loads back as ``settings`` (console options, hosts, logins with passwords)."""
    lines = [
        "# rdconsole configuration for the MariaDB lab (generated; holds passwords: mode 0600)",
        "[console]",
        f"poll_interval = {float(settings.console.poll_interval)!r}",
        f"state_dir = {_string(settings.console.state_dir)}",
        "",
        *_host("[master]", "[master.mysql]", settings.master),
    ]
    for standby in settings.standbys:
        lines += _host("[[standby]]", "[standby.mysql]", standby)
    replication = settings.replication
    lines += [
        "[replication]",
        f"user = {_string(replication.user)}",
        f"connect_retry = {replication.connect_retry}",
        "databases = [" + ", ".join(_string(d) for d in replication.databases) + "]",
    ]
    if replication.password is not None:
        lines.append(f"password = {_string(replication.password.reveal())}")
    return "\n".join(lines) + "\n"


def write_private(path: Path, text: str) -> Path:
    """Write ``text`` to ``path`` readable by its owner only (mode 0600, also when it existed)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        os.fchmod(file.fileno(), 0o600)
        file.write(text)
    return path


def _host(header: str, mysql_header: str, host: HostConfig) -> list[str]:
    endpoint = host.mysql
    lines = [header, f"name = {_string(host.name)}", f"host = {_string(host.host)}"]
    if host.local:
        lines.append("local = true")
    lines += ["", mysql_header, f"host = {_string(endpoint.host)}", f"port = {endpoint.port}"]
    if endpoint.user is not None:
        lines.append(f"user = {_string(endpoint.user)}")
    if endpoint.password is not None:
        lines.append(f"password = {_string(endpoint.password.reveal())}")
    if host.admin is not None:
        admin = host.admin
        table = mysql_header.replace(".mysql]", ".admin]")
        lines += ["", table, f"host = {_string(admin.host)}", f"port = {admin.port}"]
        lines.append(f"user = {_string(admin.user or 'root')}")
        if admin.password is not None:
            lines.append(f"password = {_string(admin.password.reveal())}")
    return [*lines, ""]


def _string(value: object) -> str:
    # A JSON string is a valid TOML basic string.
    return json.dumps(str(value))
