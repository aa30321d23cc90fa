"""From the latest snapshots to one status, a phrase and a list of problems with fixes.

Severity order for the overall status: CRITICAL > UNKNOWN > WARNING > OK. Not being able to tell
(UNKNOWN) during an outage deserves more attention than a known, minor problem.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from rdconsole.core.model import ErrorKind, HostSnapshot, ReplicaStatus, ThreadState


class Severity(enum.StrEnum):
    """Nagios-compatible states; ``exit_code`` is the plugin exit code."""

    OK = "OK"
    WARNING = "WARNING"
    CRITICAL = "CRITICAL"
    UNKNOWN = "UNKNOWN"

    @property
    def exit_code(self) -> int:
        return _EXIT_CODES[self]

    @property
    def rank(self) -> int:
        """Higher is worse, for picking the overall status."""
        return _RANKS[self]

    @property
    def symbol(self) -> str:
        """A glyph that carries the state without colour."""
        return _SYMBOLS[self]


_EXIT_CODES = {Severity.OK: 0, Severity.WARNING: 1, Severity.CRITICAL: 2, Severity.UNKNOWN: 3}
_RANKS = {Severity.OK: 0, Severity.WARNING: 1, Severity.UNKNOWN: 2, Severity.CRITICAL: 3}
_SYMBOLS = {Severity.OK: "✔", Severity.WARNING: "▲", Severity.CRITICAL: "✖", Severity.UNKNOWN: "?"}


class Phrase(enum.StrEnum):
    """The one status phrase shown in the console header."""

    HEALTHY = "HEALTHY"
    DEGRADED = "DEGRADED"
    REPLICATION_BROKEN = "REPLICATION BROKEN"
    MASTER_DOWN = "MASTER DOWN"
    STANDBY_DOWN = "STANDBY DOWN"
    UNKNOWN = "UNKNOWN"


@dataclass(frozen=True)
class Problem:
    """One thing that is wrong: on which host, what, and how to fix it."""

    severity: Severity
    host: str
    what: str
    fix: str


@dataclass(frozen=True)
class Thresholds:
    """Lag limits in seconds (Seconds_Behind_Master minus SQL_Delay)."""

    lag_warning: int = 30
    lag_critical: int = 300


@dataclass(frozen=True)
class StandbyLag:
    """Lag figures derived from a standby and the master, for display and JSON."""

    seconds: int | None
    """Seconds_Behind_Master minus SQL_Delay; None when the server says NULL."""
    byte_lag: int | None
    """Master binlog position minus the standby's Read position, same file only."""
    drained: bool | None
    """SQL thread has executed all that was received; None when not a replica."""


@dataclass(frozen=True)
class Verdict:
    status: Severity
    phrase: Phrase
    problems: tuple[Problem, ...]


def standby_lag(master: HostSnapshot | None, standby: HostSnapshot) -> StandbyLag:
    """Lag of ``standby`` against what we last saw of ``master``."""
    replica = standby.replica
    if replica is None:
        return StandbyLag(seconds=None, byte_lag=None, drained=None)
    seconds = None
    if replica.seconds_behind_master is not None:
        seconds = max(0, replica.seconds_behind_master - replica.sql_delay)
    byte_lag = None
    if master is not None and master.binlog and master.binlog.file == replica.master_log_file:
        byte_lag = max(0, master.binlog.position - replica.read_master_log_pos)
    return StandbyLag(seconds=seconds, byte_lag=byte_lag, drained=replica.drained)


def judge(
    master: HostSnapshot,
    standbys: Sequence[HostSnapshot],
    thresholds: Thresholds = Thresholds(),
    extra_problems: Sequence[Problem] = (),
) -> Verdict:
    """The overall verdict for one master and its standbys (plus problems found elsewhere,
    such as the audio mirror's)."""
    problems: list[Problem] = list(extra_problems)
    problems += _master_problems(master)
    for standby in standbys:
        problems += _standby_problems(master, standby, thresholds)
    problems.sort(key=lambda p: -p.severity.rank)
    status = problems[0].severity if problems else Severity.OK
    return Verdict(
        status=status, phrase=_phrase(master, standbys, status), problems=tuple(problems)
    )


def _phrase(master: HostSnapshot, standbys: Sequence[HostSnapshot], status: Severity) -> Phrase:
    if not master.reachable and not master.server_alive:
        return Phrase.MASTER_DOWN
    if any(not s.reachable and not s.server_alive for s in standbys):
        return Phrase.STANDBY_DOWN
    if any(_replication_broken(s.replica) for s in standbys if s.replica is not None) or any(
        s.replica_checked and s.replica is None for s in standbys
    ):
        return Phrase.REPLICATION_BROKEN
    if status is Severity.OK:
        return Phrase.HEALTHY
    if status is Severity.UNKNOWN:
        return Phrase.UNKNOWN
    return Phrase.DEGRADED


def _replication_broken(replica: ReplicaStatus) -> bool:
    return replica.sql_running is ThreadState.NO or replica.io_running is ThreadState.NO


def _unreachable_problem(host: HostSnapshot, down_fix: str) -> Problem:
    error = host.error
    assert error is not None
    if error.kind is ErrorKind.ACCESS_DENIED:
        return Problem(
            Severity.UNKNOWN,
            host.name,
            f"the server answers but refuses rdconsole's login: {error.message}",
            "check [*.mysql] user/password in the config (see `rdconsole config`) and that the "
            "account exists for this client address",
        )
    if error.kind is ErrorKind.TOO_MANY_CONNECTIONS:
        return Problem(
            Severity.WARNING,
            host.name,
            "the server is alive but has no free connections (too many connections)",
            "find the client holding connections (SHOW PROCESSLIST as root) or raise "
            "max_connections",
        )
    return Problem(Severity.CRITICAL, host.name, f"cannot reach the database: {error}", down_fix)


def _privilege_problems(host: HostSnapshot) -> list[Problem]:
    problems = []
    for missing in host.missing_privileges:
        grant = missing.privileges[-1] if missing.privileges else "the listed privilege"
        problems.append(
            Problem(
                Severity.UNKNOWN,
                host.name,
                f"the monitoring account may not run {missing.statement} "
                f"(needs one of: {', '.join(missing.privileges) or 'unknown'})",
                f"GRANT {grant} ON *.* TO the monitoring account (see README, Privileges)",
            )
        )
    return problems


def _master_problems(master: HostSnapshot) -> list[Problem]:
    if not master.reachable:
        return [
            _unreachable_problem(
                master,
                "check mariadbd on the master; if it is really gone, consider a failover "
                "(rdconsole failover --dry-run)",
            )
        ]
    problems = _privilege_problems(master)
    server = master.server
    if server is not None:
        if server.read_only:
            problems.append(
                Problem(
                    Severity.CRITICAL,
                    master.name,
                    "the master is read_only: Rivendell cannot write",
                    "SET GLOBAL read_only = OFF on the master if it should take writes, "
                    "or update the config if roles were swapped",
                )
            )
        if not server.log_bin:
            problems.append(
                Problem(
                    Severity.CRITICAL,
                    master.name,
                    "binary logging is off on the master: nothing can replicate",
                    "add log-bin=mysql-bin to the master's [mariadbd] option file and restart it",
                )
            )
    return problems


def _standby_problems(
    master: HostSnapshot, standby: HostSnapshot, thresholds: Thresholds
) -> list[Problem]:
    if not standby.reachable:
        return [
            _unreachable_problem(
                standby, "check mariadbd on the standby: without it there is no hot standby"
            )
        ]
    problems = _privilege_problems(standby)
    if standby.server is not None and standby.server.read_only is False:
        problems.append(
            Problem(
                Severity.WARNING,
                standby.name,
                "the standby is writable (read_only OFF): local writes will break replication",
                "SET GLOBAL read_only = ON on the standby and add read_only=1 to its option file",
            )
        )
    replica = standby.replica
    if replica is None:
        if standby.replica_checked:
            problems.append(
                Problem(
                    Severity.CRITICAL,
                    standby.name,
                    "the standby is not configured as a replica (SHOW SLAVE STATUS is empty)",
                    "set up replication: rdconsole setup --dry-run",
                )
            )
        return problems
    problems += _thread_problems(master, standby.name, replica)
    problems += _lag_problems(standby.name, replica, thresholds)
    return problems


def _thread_problems(master: HostSnapshot, name: str, replica: ReplicaStatus) -> list[Problem]:
    problems = []
    if replica.sql_running is not ThreadState.YES:
        if replica.last_sql_errno:
            what = (
                f"the SQL thread stopped on error {replica.last_sql_errno}: "
                f"{replica.last_sql_error}"
            )
            fix = (
                "inspect the failing event and repair the row on the standby, then START SLAVE "
                "SQL_THREAD; never skip events blindly (each is a lost cart or log change)"
            )
        else:
            what = "the SQL thread is stopped: received changes are not applied"
            fix = "START SLAVE SQL_THREAD on the standby"
        problems.append(Problem(Severity.CRITICAL, name, what, fix))
    if replica.io_running is ThreadState.NO:
        what = "the IO thread is stopped: nothing is received from the master"
        if replica.last_io_errno:
            what = (
                f"the IO thread stopped on error {replica.last_io_errno}: {replica.last_io_error}"
            )
        problems.append(
            Problem(Severity.CRITICAL, name, what, "START SLAVE IO_THREAD on the standby")
        )
    elif replica.io_running is ThreadState.CONNECTING:
        if master.reachable:
            problems.append(
                Problem(
                    Severity.CRITICAL,
                    name,
                    "the IO thread cannot connect to a master that rdconsole can reach"
                    + (f": {replica.last_io_error}" if replica.last_io_error else ""),
                    "check the repl user, its password and MASTER_HOST/MASTER_PORT "
                    "(SHOW SLAVE STATUS), and the master's bind-address and firewall",
                )
            )
        else:
            problems.append(
                Problem(
                    Severity.WARNING,
                    name,
                    "the IO thread is retrying the master"
                    + (f" (error {replica.last_io_errno})" if replica.last_io_errno else ""),
                    "nothing to do on the standby: it reconnects by itself when the master returns",
                )
            )
    return problems


def _lag_problems(name: str, replica: ReplicaStatus, thresholds: Thresholds) -> list[Problem]:
    threads_up = replica.io_running is ThreadState.YES and replica.sql_running is ThreadState.YES
    if replica.seconds_behind_master is None:
        if threads_up:
            return [
                Problem(
                    Severity.UNKNOWN,
                    name,
                    "lag is unknown (Seconds_Behind_Master is NULL)",
                    "wait one poll; if it stays NULL, check the replication threads",
                )
            ]
        return []
    lag = max(0, replica.seconds_behind_master - replica.sql_delay)
    if lag >= thresholds.lag_critical:
        severity = Severity.CRITICAL
    elif lag >= thresholds.lag_warning:
        severity = Severity.WARNING
    else:
        return []
    return [
        Problem(
            severity,
            name,
            f"the standby is {lag} s behind the master",
            "look for long queries or locks on the standby (SHOW PROCESSLIST) and disk or "
            "network saturation",
        )
    ]
