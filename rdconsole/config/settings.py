"""Typed settings. Built by ``rdconsole.config.loader``; read everywhere else."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from rdconsole.core.model import Role
from rdconsole.core.verdict import Thresholds


class Secret:
    """A password that never shows itself in repr, str, logs or screenshots."""

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = value

    def reveal(self) -> str:
        """The real value: pass it only to the library that needs it, never to argv or a log."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)


@dataclass(frozen=True)
class MySQLEndpoint:
    """How to log in to one server."""

    host: str = "127.0.0.1"
    port: int = 3306
    socket: str | None = None
    user: str | None = None
    password: Secret | None = None

    @property
    def address(self) -> str:
        return self.socket if self.socket else f"{self.host}:{self.port}"


@dataclass(frozen=True)
class HostConfig:
    """One host of the configuration."""

    name: str
    role: Role
    host: str
    local: bool = False
    mysql: MySQLEndpoint = field(default_factory=MySQLEndpoint)


@dataclass(frozen=True)
class ConsoleConfig:
    poll_interval: float = 1.0
    state_dir: Path = Path("/var/lib/rdconsole")
    connect_timeout: float = 3.0
    """Seconds for a TCP connect, greeting and login together."""
    query_timeout: float = 5.0
    """Seconds for one statement."""
    thresholds: Thresholds = field(default_factory=Thresholds)


@dataclass(frozen=True)
class Settings:
    console: ConsoleConfig
    master: HostConfig
    standbys: tuple[HostConfig, ...]
    path: Path | None = None
    """The TOML file the settings came from (None: built in code, e.g. by the lab)."""
    provenance: dict[str, str] = field(default_factory=dict)
    """Dotted setting name -> where its value came from (file and line, rd.conf, default)."""
    warnings: tuple[str, ...] = ()
    raw: dict[str, object] = field(default_factory=dict)
    """The parsed TOML document, for sections later features read."""

    @property
    def hosts(self) -> tuple[HostConfig, ...]:
        return (self.master, *self.standbys)

    def standby(self, name: str | None) -> HostConfig:
        """The named standby, or the only one; raises KeyError with the choices."""
        if name is None:
            if len(self.standbys) == 1:
                return self.standbys[0]
            raise KeyError(
                "several standbys are configured; pick one with --standby: "
                + ", ".join(s.name for s in self.standbys)
            )
        for standby in self.standbys:
            if standby.name == name:
                return standby
        raise KeyError(
            f"no standby named {name!r}; configured: " + ", ".join(s.name for s in self.standbys)
        )
