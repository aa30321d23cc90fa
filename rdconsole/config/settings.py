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
class SshConfig:
    """How to reach a host over SSH. Unset values follow ~/.ssh/config and the agent."""

    user: str | None = None
    port: int | None = None
    known_hosts: Path | None = None
    """None: OpenSSH's default files. Host keys are always verified."""
    identity_files: tuple[Path, ...] = ()
    connect_timeout: float = 10.0
    keepalive_interval: float = 15.0


@dataclass(frozen=True)
class RsyncSource:
    """Where the master serves its audio store (``[master.rsync]``)."""

    transport: str = "daemon"
    """``daemon``: the rsync daemon module (as the seed); ``ssh``: rsync over SSH to ``path``."""
    module: str = "rivendell"
    port: int = 873
    path: str = "/var/snd"
    guard_file: str = "repl.chk"
    user: str | None = None
    """rsync daemon auth user (``auth users`` in rsyncd.conf)."""
    password_file: Path | None = None
    """rsync daemon password, read by rsync itself: never on the command line."""
    timeout: int = 60
    """rsync ``--timeout``: seconds without I/O before rsync gives up."""
    contimeout: int = 15
    """rsync ``--contimeout``: seconds to connect to the daemon."""
    bwlimit: int = 0
    """rsync ``--bwlimit`` in KiB/s, to spare the station's link; 0 = unlimited."""


@dataclass(frozen=True)
class AudioConfig:
    """The standby's mirror of the master's audio store (``[standby.audio]``)."""

    enabled: bool = False
    """True when the configuration has a ``[standby.audio]`` table: the mirror is watched."""
    dir: Path = Path("/var/snd.standby")
    delete: bool = False
    max_delete: int = 50
    max_delete_ratio: float = 0.05
    stale_after: float = 7200.0
    owner: str = "rivendell"
    group: str = "rivendell"
    extension: str = "wav"
    idle_timeout: float = 120.0
    """Kill a transfer that printed nothing for this long (rsync's own timeout can miss it)."""

    @property
    def trash_dir(self) -> Path:
        """Deleted files go here, in a dated folder, beside (not inside) the mirror."""
        return self.dir.with_name(self.dir.name + ".trash")


def service_command(action: str, *, systemd: bool | None = None) -> str:
    """Rivendell's service command on this host: systemd (Rivendell 3/4) when it runs,
    else the v2 init script. ``action`` is ``stop``, ``start`` or ``check``."""
    if systemd is None:
        systemd = Path("/run/systemd/system").is_dir()
    if systemd:
        return {"check": "systemctl is-active rivendell"}.get(
            action, f"systemctl {action} rivendell"
        )
    return f"/etc/init.d/rivendell {'status' if action == 'check' else action}"


@dataclass(frozen=True)
class RivendellPaths:
    """The standby host's Rivendell layout (``[standby.rivendell]``)."""

    rd_conf: Path = Path("/etc/rd.conf")
    rd_conf_master: Path = Path("/etc/rd.conf.master")
    rd_conf_standby: Path = Path("/etc/rd.conf.standby")
    snd: Path = Path("/var/snd")
    snd_master: Path = Path("/var/snd.master")
    snd_standby: Path = Path("/var/snd.standby")
    stop_command: str = field(default_factory=lambda: service_command("stop"))
    start_command: str = field(default_factory=lambda: service_command("start"))
    check_command: str = field(default_factory=lambda: service_command("check"))
    """Exit 0 while Rivendell runs; the start is verified with it for ``settle`` seconds."""
    settle: float = 5.0
    """How long Rivendell must stay up after a switch's start (its ServiceStartupDelay is 5 s)."""


@dataclass(frozen=True)
class HostConfig:
    """One host of the configuration."""

    name: str
    role: Role
    host: str
    local: bool = False
    mysql: MySQLEndpoint = field(default_factory=MySQLEndpoint)
    ssh: SshConfig | None = None
    rsync: RsyncSource = field(default_factory=RsyncSource)
    """Read on the master only."""
    audio: AudioConfig = field(default_factory=AudioConfig)
    """Read on standbys only."""
    rivendell: RivendellPaths = field(default_factory=RivendellPaths)
    """Read on standbys only."""
    admin: MySQLEndpoint | None = None
    """``[master.admin]`` / ``[standby.admin]``: the account setup and rejoin use (creates
    users, takes snapshots). The monitoring login stays least-privileged."""


@dataclass(frozen=True)
class FailoverConfig:
    """``[failover]``: the guards of a promotion."""

    drain_timeout: float = 120.0
    """Give up waiting for the relay log only when it stops progressing this long."""
    block_after_promotion: float = 8 * 3600.0
    """A second promotion inside this window needs a typed reason."""
    fence: str = "read_only"
    """What to do to a reachable old master: ``read_only``, ``stop`` or ``none``."""
    master_stop_command: str | None = None
    """Stops Rivendell on the old master (over SSH); None: the standby's ``stop_command``."""
    master_database_stop_command: str = "systemctl stop mariadb"
    """Stops the old master's database, when it is fenced as down before a promotion."""


@dataclass(frozen=True)
class ReplicationConfig:
    """``[replication]``: the account standbys replicate with, and what a snapshot holds."""

    user: str = "repl"
    password: Secret | None = None
    """From the config or password_file; None: generated and kept 0600 in state_dir."""
    password_file: Path | None = None
    databases: tuple[str, ...] = ("Rivendell",)
    """Default: rd.conf's ``[mySQL] Database``."""
    account_host: str = "%"
    """The host part of the replication account (``'repl'@'<account_host>'``)."""
    connect_retry: int = 10
    """``MASTER_CONNECT_RETRY`` in seconds."""


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
    failover: FailoverConfig = field(default_factory=FailoverConfig)
    replication: ReplicationConfig = field(default_factory=ReplicationConfig)
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
