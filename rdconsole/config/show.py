"""``rdconsole config``: the effective settings, each with where it came from, secrets masked."""

from __future__ import annotations

from rdconsole.config.settings import HostConfig, Settings

MASK = "********"


def _host_lines(prefix: str, host: HostConfig) -> list[tuple[str, str]]:
    mysql = host.mysql
    lines = [
        (f"{prefix}.name", host.name),
        (f"{prefix}.host", host.host),
        (f"{prefix}.local", str(host.local).lower()),
    ]
    if mysql.socket:
        lines.append((f"{prefix}.mysql.socket", mysql.socket))
    else:
        lines += [(f"{prefix}.mysql.host", mysql.host), (f"{prefix}.mysql.port", str(mysql.port))]
    lines.append((f"{prefix}.mysql.user", mysql.user or ""))
    password = mysql.password.reveal() if mysql.password else ""
    lines.append((f"{prefix}.mysql.password", MASK if password else "(empty)"))
    return lines


def effective_settings(settings: Settings) -> list[str]:
    """Lines ``key = value    # source``, in file order."""
    console = settings.console
    pairs: list[tuple[str, str]] = [
        ("console.poll_interval", f"{console.poll_interval:g}"),
        ("console.state_dir", str(console.state_dir)),
        ("console.connect_timeout", f"{console.connect_timeout:g}"),
        ("console.query_timeout", f"{console.query_timeout:g}"),
        ("console.lag_warning", str(console.thresholds.lag_warning)),
        ("console.lag_critical", str(console.thresholds.lag_critical)),
    ]
    pairs += _host_lines("master", settings.master)
    for index, standby in enumerate(settings.standbys):
        pairs += _host_lines(f"standby[{index}]", standby)
    width = max(len(f"{key} = {value}") for key, value in pairs)
    lines = [f"# configuration file: {settings.path or '(built in)'}"]
    for key, value in pairs:
        text = f"{key} = {value}"
        lines.append(f"{text:<{width}}  # {settings.provenance.get(key, 'default')}")
    return lines
