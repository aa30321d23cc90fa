"""Plans for building replication and coming back after a failover (pure).

``setup``: master -> standby. ``rejoin``: after a promotion, fence the old master, quarantine what
it holds beyond the promoted standby, re-seed it from the new master and make it replicate.
``failback``: the guarded switchover back to the original roles. Every step is safe to repeat,
so a run killed half-way is finished by running it again (``--resume``).

Statements may hold placeholders filled at run time: ``{password}`` (the replication password,
never shown: :meth:`Step.text` masks it), ``{file}`` / ``{position}`` (the snapshot's or the
recorded coordinates).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from rdconsole.core.model import Flavor
from rdconsole.core.vocabulary import Vocabulary

PASSWORD = "{password}"
MASKED = "'********'"


class Action(enum.StrEnum):
    SQL = "sql"
    """Statements on ``host``; a last ``SELECT @@GLOBAL.read_only`` is read back."""
    CREATE_USER = "create_user"
    SNAPSHOT = "snapshot"
    """Dump ``source`` into ``host`` through a pipe; records the coordinates."""
    POINT = "point"
    """CHANGE MASTER on ``host`` to ``source`` at the recorded coordinates, START SLAVE."""
    WAIT_REPLICATING = "wait_replicating"
    PROBE = "probe"
    """A row written on ``source`` must show up on ``host``."""
    RECORD_POSITION = "record_position"
    """``host``'s binlog end (and GTID position) into the run's journal."""
    WAIT_EXECUTED = "wait_executed"
    """``host`` executed ``source``'s recorded position."""
    QUARANTINE = "quarantine"
    """``host``'s binlog past the standby's last executed position, into a file."""
    BACKUP = "backup"
    """A full copy of ``host``'s databases into state_dir, before a re-seed replaces them."""
    SWITCH_MASTER = "switch_master"
    """``rdconsole switch master`` on the standby host."""
    CLOSE_MARKER = "close_marker"


@dataclass(frozen=True)
class Step:
    id: str
    action: Action
    host: str
    title: str
    statements: tuple[str, ...] = ()
    command: str = ""
    source: str = ""
    expect: str = ""

    def text(self) -> str:
        """The exact SQL or command with secrets masked, for dry runs and the audit log."""
        if self.statements:
            return "; ".join(s.replace(PASSWORD, MASKED) for s in self.statements)
        return self.command


@dataclass(frozen=True)
class ReplicaAccount:
    user: str
    host: str

    @property
    def sql_name(self) -> str:
        return f"{sql_string(self.user)}@{sql_string(self.host)}"


@dataclass(frozen=True)
class Endpoint:
    """How a replica reaches its master over TCP."""

    host: str
    port: int


def sql_string(value: str) -> str:
    """A single-quoted SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def replication_grants(flavor: Flavor, version: tuple[int, int, int]) -> str:
    """The least privileges a replication login needs: never SUPER, never RELOAD."""
    if flavor is Flavor.MARIADB and version >= (10, 5, 2):
        return "REPLICATION SLAVE, BINLOG MONITOR"
    return "REPLICATION SLAVE, REPLICATION CLIENT"


def create_user_statements(
    account: ReplicaAccount, flavor: Flavor, version: tuple[int, int, int]
) -> tuple[str, ...]:
    """Create or reset the account to exactly the replication privileges (idempotent)."""
    name = account.sql_name
    return (
        f"CREATE USER IF NOT EXISTS {name} IDENTIFIED BY {PASSWORD}",
        f"ALTER USER {name} IDENTIFIED BY {PASSWORD}",
        f"REVOKE ALL PRIVILEGES, GRANT OPTION FROM {name}",
        f"GRANT {replication_grants(flavor, version)} ON *.* TO {name}",
    )


def change_master(
    source: Endpoint, account: ReplicaAccount, connect_retry: int, words: Vocabulary
) -> str:
    """Point a replica at binlog file and position (coordinates every flavour records).

    MySQL 8.0.23+ words it CHANGE REPLICATION SOURCE (8.4 knows no other); MySQL 8 asks for the
    source's public key so a ``caching_sha2_password`` login works without TLS; MariaDB is told
    not to switch to GTID on its own.
    """
    if words.flavor is Flavor.MYSQL and words.version >= (8, 0, 23):
        return (
            f"CHANGE REPLICATION SOURCE TO SOURCE_HOST={sql_string(source.host)}, "
            f"SOURCE_PORT={source.port}, SOURCE_USER={sql_string(account.user)}, "
            f"SOURCE_PASSWORD={PASSWORD}, SOURCE_LOG_FILE='{{file}}', "
            f"SOURCE_LOG_POS={{position}}, SOURCE_CONNECT_RETRY={connect_retry}, "
            "GET_SOURCE_PUBLIC_KEY=1"
        )
    if words.flavor is Flavor.MARIADB:
        extra = ", MASTER_USE_GTID=no"
    else:
        extra = ", GET_MASTER_PUBLIC_KEY=1" if words.version >= (8, 0, 4) else ""
    return (
        f"CHANGE MASTER TO MASTER_HOST={sql_string(source.host)}, MASTER_PORT={source.port}, "
        f"MASTER_USER={sql_string(account.user)}, MASTER_PASSWORD={PASSWORD}, "
        "MASTER_LOG_FILE='{file}', MASTER_LOG_POS={position}, "
        f"MASTER_CONNECT_RETRY={connect_retry}{extra}"
    )


def read_only_statements(on: bool, super_read_only: bool) -> tuple[str, ...]:
    value = "ON" if on else "OFF"
    statements = [f"SET GLOBAL read_only = {value}"]
    if super_read_only:
        statements.append(f"SET GLOBAL super_read_only = {value}")
    return (*statements, "SELECT @@GLOBAL.read_only AS read_only")


@dataclass(frozen=True)
class SeedSpec:
    """One re-seed: ``target`` replicates ``databases`` from ``source`` after a snapshot."""

    source: str
    target: str
    source_endpoint: Endpoint
    account: ReplicaAccount
    words: Vocabulary
    """The statements the servers understand (both run the same flavour: a check blocks
    otherwise)."""
    snapshot_command: str
    connect_retry: int
    probe_database: str
    online: bool = True
    """False: non-transactional tables, the dump holds a global read lock throughout."""


def probe_step(source: str, replica: str, database: str) -> Step:
    """A row written on ``source`` (a table rdconsole owns) must show up on ``replica``."""
    return Step(
        "probe",
        Action.PROBE,
        replica,
        f"Prove a write on {source} reaches {replica}",
        (
            f"CREATE TABLE IF NOT EXISTS `{database}`.`rdconsole_probe` "
            "(id TINYINT PRIMARY KEY, token VARCHAR(64) NOT NULL, written_at DATETIME(6))",
            f"REPLACE INTO `{database}`.`rdconsole_probe` VALUES (1, '{{token}}', NOW(6))",
        ),
        source=source,
        expect=f"the probe row's token is read back on {replica}",
    )


def seed_steps(spec: SeedSpec) -> list[Step]:
    """Account, stop and fence the target, snapshot, point, start, prove a write flows."""
    words = spec.words
    grants = create_user_statements(spec.account, words.flavor, words.version)
    reset = (words.stop_replica, words.reset_replica_all)
    steps = [
        Step(
            "account",
            Action.CREATE_USER,
            spec.source,
            f"Replication account on {spec.source}",
            grants,
            expect=f"holds only {replication_grants(words.flavor, words.version)}",
        ),
        Step(
            "account-target",
            Action.CREATE_USER,
            spec.target,
            f"The same account on {spec.target} (used when it is promoted)",
            grants,
            expect="the same grants, so replication can run the other way later",
        ),
        Step(
            "fence-target",
            Action.SQL,
            spec.target,
            f"Stop replication on {spec.target} and make it read-only",
            (*reset, *read_only_statements(True, False)),
            expect="no replication configured; read back read_only = 1",
        ),
        Step(
            "snapshot",
            Action.SNAPSHOT,
            spec.target,
            f"Snapshot {spec.source} {'online' if spec.online else 'under a read lock'} "
            f"into {spec.target}",
            command=spec.snapshot_command,
            source=spec.source,
            expect="the dump and the load both exit 0; coordinates recorded",
        ),
        Step(
            "point",
            Action.POINT,
            spec.target,
            f"Point {spec.target} at {spec.source} and start replicating",
            (
                change_master(spec.source_endpoint, spec.account, spec.connect_retry, words),
                words.start_replica,
            ),
            source=spec.source,
            expect="at the snapshot's coordinates",
        ),
        Step(
            "running",
            Action.WAIT_REPLICATING,
            spec.target,
            "Wait for the IO and SQL threads",
            source=spec.source,
            expect="Slave_IO_Running = Yes and Slave_SQL_Running = Yes",
        ),
        probe_step(spec.source, spec.target, spec.probe_database),
    ]
    if words.super_read_only:
        # Only now: super_read_only stops the admin login too, which the seed needs until here.
        steps.append(
            Step(
                "super-read-only",
                Action.SQL,
                spec.target,
                f"Make {spec.target} super-read-only",
                ("SET GLOBAL super_read_only = ON", "SELECT @@GLOBAL.read_only AS read_only"),
                expect="read back read_only = 1; not even an admin login writes there now",
            )
        )
    return steps


def numbered(steps: list[Step]) -> tuple[Step, ...]:
    return tuple(
        Step(
            f"{index:02d}-{s.id}",
            s.action,
            s.host,
            s.title,
            s.statements,
            s.command,
            s.source,
            s.expect,
        )
        for index, s in enumerate(steps, start=1)
    )


def plan_setup(spec: SeedSpec) -> tuple[Step, ...]:
    return numbered(seed_steps(spec))


def plan_rejoin(
    spec: SeedSpec, *, quarantine_command: str, backup_command: str, diverged: bool
) -> tuple[Step, ...]:
    """``spec.target`` is the old master, ``spec.source`` the promoted standby."""
    old, new = spec.target, spec.source
    steps = [
        Step(
            "fence-old",
            Action.SQL,
            old,
            f"Make {old} read-only",
            read_only_statements(True, False),
            expect="read back read_only = 1: Rivendell can no longer write there",
        ),
        Step(
            "old-end",
            Action.RECORD_POSITION,
            old,
            f"Record {old}'s binlog end",
            expect="it no longer moves",
        ),
        Step(
            "quarantine",
            Action.QUARANTINE,
            old,
            f"Save what {old} holds beyond {new} for review",
            command=quarantine_command,
            source=new,
            expect=(
                "the divergent transactions in a file in state_dir, counted"
                if diverged
                else "checked again at run time; nothing diverged at planning"
            ),
        ),
        Step(
            "backup",
            Action.BACKUP,
            old,
            f"Keep a full copy of {old}'s databases",
            command=backup_command,
            expect="a file in state_dir/quarantine: nothing of the old master is lost, even "
            "what its binlog cannot show",
        ),
        *seed_steps(spec),
        Step(
            "mark",
            Action.CLOSE_MARKER,
            new,
            "Record the rejoin in the promotion marker",
            expect="the console shows the old master as rejoined",
        ),
    ]
    return numbered(steps)


def plan_failback(
    *,
    original: str,
    standby: str,
    original_endpoint: Endpoint,
    account: ReplicaAccount,
    words: Vocabulary,
    connect_retry: int,
    probe_database: str,
) -> tuple[Step, ...]:
    """The switchover back: ``standby`` (promoted) hands the master role back to ``original``."""
    steps = [
        Step(
            "fence-standby",
            Action.SQL,
            standby,
            f"Make {standby} read-only",
            read_only_statements(True, words.super_read_only),
            expect="read back read_only = 1",
        ),
        Step(
            "standby-end",
            Action.RECORD_POSITION,
            standby,
            f"Read {standby}'s final binlog position",
            expect="recorded; it no longer moves",
        ),
        Step(
            "caught-up",
            Action.WAIT_EXECUTED,
            original,
            f"Wait until {original} executed it",
            source=standby,
            expect="Exec = the final position, no SQL error",
        ),
        Step(
            "promote",
            Action.SQL,
            original,
            f"Stop replication on {original}",
            (words.stop_replica, words.reset_replica_all),
            expect="it replicates from nobody",
        ),
        Step(
            "original-start",
            Action.RECORD_POSITION,
            original,
            f"Record {original}'s binlog position before it takes writes",
            expect="where the standby will start replicating",
        ),
        Step(
            "writable",
            Action.SQL,
            original,
            f"Make {original} writable",
            read_only_statements(False, words.super_read_only),
            expect="read back read_only = 0",
        ),
        Step(
            "point-standby",
            Action.POINT,
            standby,
            f"Point {standby} at {original} and start replicating",
            (
                change_master(original_endpoint, account, connect_retry, words),
                words.start_replica,
            ),
            source=original,
            expect="from the recorded position: nothing written there is skipped",
        ),
        Step(
            "switch",
            Action.SWITCH_MASTER,
            standby,
            "Switch Rivendell back to its master configuration",
            command="rdconsole switch master",
            expect="rd.conf and /var/snd point at the master files again",
        ),
        Step(
            "running",
            Action.WAIT_REPLICATING,
            standby,
            "Wait for the IO and SQL threads",
            source=original,
            expect="Slave_IO_Running = Yes and Slave_SQL_Running = Yes",
        ),
        probe_step(original, standby, probe_database),
        Step(
            "close",
            Action.CLOSE_MARKER,
            standby,
            "Close the promotion marker",
            expect="original roles: the console no longer shows PROMOTED",
        ),
    ]
    return numbered(steps)
