"""The plans of ``setup``, ``rejoin`` and ``failback`` (pure): least privileges, masked secrets and
the order of the steps that keeps data safe."""

from __future__ import annotations

import dataclasses

import pytest

from rdconsole.core.model import Flavor
from rdconsole.core.replication_plan import (
    MASKED,
    PASSWORD,
    Action,
    Endpoint,
    ReplicaAccount,
    SeedSpec,
    Step,
    change_master,
    create_user_statements,
    plan_failback,
    plan_rejoin,
    plan_setup,
    read_only_statements,
    replication_grants,
    sql_string,
)
from rdconsole.core.vocabulary import Vocabulary, vocabulary_for

ACCOUNT = ReplicaAccount("repl", "%")
MARIADB = (Flavor.MARIADB, (10, 11, 19))
MYSQL_8 = (Flavor.MYSQL, (8, 0, 36))
SPEC = SeedSpec(
    source="onair",
    target="backup",
    source_endpoint=Endpoint("10.0.0.5", 3306),
    account=ACCOUNT,
    words=vocabulary_for(Flavor.MARIADB, (10, 11, 19)),
    snapshot_command="mariadb-dump ... | mariadb ...",
    connect_retry=10,
    probe_database="Rivendell",
)
QUARANTINE = "mariadb-binlog --read-from-remote-server ... > state_dir/quarantine/..."
BACKUP = "mariadb-dump --single-transaction --databases Rivendell > state_dir/quarantine/..."


MYSQL_WORDS = vocabulary_for(Flavor.MYSQL, (8, 0, 36))


def failback(words: Vocabulary = SPEC.words) -> tuple[Step, ...]:
    return plan_failback(
        original="onair",
        standby="backup",
        original_endpoint=Endpoint("10.0.0.5", 3306),
        account=ACCOUNT,
        words=words,
        connect_retry=10,
        probe_database="Rivendell",
    )


def every_plan() -> list[tuple[Step, ...]]:
    mysql = dataclasses.replace(SPEC, words=MYSQL_WORDS)
    return [
        plan_setup(SPEC),
        plan_setup(mysql),
        plan_rejoin(SPEC, quarantine_command=QUARANTINE, backup_command=BACKUP, diverged=True),
        plan_rejoin(mysql, quarantine_command=QUARANTINE, backup_command=BACKUP, diverged=False),
        failback(),
        failback(MYSQL_WORDS),
    ]


def ids(steps: tuple[Step, ...]) -> list[str]:
    return [s.id for s in steps]


def index(steps: tuple[Step, ...], name: str) -> int:
    (found,) = [i for i, s in enumerate(steps) if s.id.split("-", 1)[1] == name]
    return found


def step(steps: tuple[Step, ...], name: str) -> Step:
    return steps[index(steps, name)]


# secrets ---------------------------------------------------------------------------------------


def test_step_text_masks_the_password_placeholder() -> None:
    statement = f"ALTER USER 'repl'@'%' IDENTIFIED BY {PASSWORD}"
    shown = Step("x", Action.SQL, "onair", "t", (statement, "SELECT 1")).text()
    assert shown == "ALTER USER 'repl'@'%' IDENTIFIED BY '********'; SELECT 1"
    assert PASSWORD not in shown


def test_step_text_of_a_command_step_is_the_command() -> None:
    assert Step("x", Action.SNAPSHOT, "b", "t", command="dump | load").text() == "dump | load"
    assert Step("x", Action.RECORD_POSITION, "b", "t").text() == ""


@pytest.mark.parametrize("steps", every_plan(), ids=lambda s: "-".join(ids(s)[:2]))
def test_no_plan_shows_a_password(steps: tuple[Step, ...]) -> None:
    """The plan holds only the placeholder (the secret is filled in at run time), and every text
    shown for a dry run or written to the audit log hides it."""
    needing = [s for s in steps if any(PASSWORD in st for st in s.statements)]
    assert needing, "the account and CHANGE MASTER steps carry the placeholder"
    for s in steps:
        assert PASSWORD not in s.text()
        assert "IDENTIFIED BY '" not in s.text().replace(f"IDENTIFIED BY {MASKED}", "")
        assert "MASTER_PASSWORD='" not in s.text().replace(f"MASTER_PASSWORD={MASKED}", "")
    for s in needing:
        assert MASKED in s.text()


def test_sql_string_escapes_quotes_and_backslashes() -> None:
    assert sql_string("o'brien\\x") == "'o\\'brien\\\\x'"
    assert ReplicaAccount("re'pl", "10.0.0.%").sql_name == "'re\\'pl'@'10.0.0.%'"


# privileges ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("flavor", "version", "grants"),
    [
        (Flavor.MARIADB, (10, 5, 2), "REPLICATION SLAVE, BINLOG MONITOR"),
        (Flavor.MARIADB, (10, 11, 19), "REPLICATION SLAVE, BINLOG MONITOR"),
        (Flavor.MARIADB, (11, 4, 2), "REPLICATION SLAVE, BINLOG MONITOR"),
        (Flavor.MARIADB, (10, 5, 1), "REPLICATION SLAVE, REPLICATION CLIENT"),
        (Flavor.MARIADB, (10, 3, 39), "REPLICATION SLAVE, REPLICATION CLIENT"),
        (Flavor.MYSQL, (8, 0, 36), "REPLICATION SLAVE, REPLICATION CLIENT"),
        (Flavor.MYSQL, (8, 4, 0), "REPLICATION SLAVE, REPLICATION CLIENT"),
    ],
)
def test_grants_exactly_the_replication_privileges(
    flavor: Flavor, version: tuple[int, int, int], grants: str
) -> None:
    assert replication_grants(flavor, version) == grants
    statements = create_user_statements(ACCOUNT, flavor, version)
    assert statements == (
        f"CREATE USER IF NOT EXISTS 'repl'@'%' IDENTIFIED BY {PASSWORD}",
        f"ALTER USER 'repl'@'%' IDENTIFIED BY {PASSWORD}",
        "REVOKE ALL PRIVILEGES, GRANT OPTION FROM 'repl'@'%'",
        f"GRANT {grants} ON *.* TO 'repl'@'%'",
    )
    text = " ".join(statements).upper()
    assert "SUPER" not in text
    assert "RELOAD" not in text
    assert "WITH GRANT OPTION" not in text


def test_privileges_are_revoked_before_the_grant() -> None:
    """An account left from the seed's recipe (RELOAD, SUPER, ...) ends with only the grant."""
    statements = create_user_statements(ACCOUNT, *MARIADB)
    revoke = next(i for i, s in enumerate(statements) if s.startswith("REVOKE ALL"))
    grant = next(i for i, s in enumerate(statements) if s.startswith("GRANT "))
    assert revoke < grant == len(statements) - 1


# statements ------------------------------------------------------------------------------------


def test_change_master_uses_file_and_position_placeholders() -> None:
    text = change_master(Endpoint("10.0.0.5", 3307), ACCOUNT, 10, SPEC.words)
    assert text == (
        "CHANGE MASTER TO MASTER_HOST='10.0.0.5', MASTER_PORT=3307, MASTER_USER='repl', "
        f"MASTER_PASSWORD={PASSWORD}, MASTER_LOG_FILE='{{file}}', MASTER_LOG_POS={{position}}, "
        "MASTER_CONNECT_RETRY=10, MASTER_USE_GTID=no"
    )
    old_mysql = vocabulary_for(Flavor.MYSQL, (8, 0, 22))
    assert change_master(Endpoint("h", 1), ACCOUNT, 10, old_mysql).endswith(
        "MASTER_CONNECT_RETRY=10, GET_MASTER_PUBLIC_KEY=1"
    )
    mysql_57 = vocabulary_for(Flavor.MYSQL, (5, 7, 44))
    assert change_master(Endpoint("h", 1), ACCOUNT, 10, mysql_57).endswith(
        "MASTER_CONNECT_RETRY=10"
    )


def test_mysql_8_0_23_and_later_speak_of_a_replication_source() -> None:
    for version in ((8, 0, 23), (8, 4, 3), (9, 1, 0)):
        text = change_master(
            Endpoint("10.0.0.5", 3306), ACCOUNT, 5, vocabulary_for(Flavor.MYSQL, version)
        )
        assert text == (
            "CHANGE REPLICATION SOURCE TO SOURCE_HOST='10.0.0.5', SOURCE_PORT=3306, "
            f"SOURCE_USER='repl', SOURCE_PASSWORD={PASSWORD}, SOURCE_LOG_FILE='{{file}}', "
            "SOURCE_LOG_POS={position}, SOURCE_CONNECT_RETRY=5, GET_SOURCE_PUBLIC_KEY=1"
        )
    point = step(plan_setup(dataclasses.replace(SPEC, words=MYSQL_WORDS)), "point")
    assert point.statements[0].startswith("CHANGE REPLICATION SOURCE TO ")
    assert point.statements[1] == "START REPLICA"
    promote = step(failback(MYSQL_WORDS), "promote")
    assert promote.statements == ("STOP REPLICA", "RESET REPLICA ALL")


def test_read_only_statements_read_back() -> None:
    assert read_only_statements(True, False) == (
        "SET GLOBAL read_only = ON",
        "SELECT @@GLOBAL.read_only AS read_only",
    )
    assert read_only_statements(False, True) == (
        "SET GLOBAL read_only = OFF",
        "SET GLOBAL super_read_only = OFF",
        "SELECT @@GLOBAL.read_only AS read_only",
    )


# setup -----------------------------------------------------------------------------------------


def test_setup_order() -> None:
    steps = plan_setup(SPEC)
    assert ids(steps) == [
        "01-account",
        "02-account-target",
        "03-fence-target",
        "04-snapshot",
        "05-point",
        "06-running",
        "07-probe",
    ]
    assert [s.action for s in steps] == [
        Action.CREATE_USER,
        Action.CREATE_USER,
        Action.SQL,
        Action.SNAPSHOT,
        Action.POINT,
        Action.WAIT_REPLICATING,
        Action.PROBE,
    ]
    assert [s.host for s in steps] == ["onair", "backup", *["backup"] * 5]
    assert [s.source for s in steps[3:]] == ["onair"] * 4


def test_setup_fences_the_target_before_the_snapshot() -> None:
    fence = step(plan_setup(SPEC), "fence-target")
    assert fence.statements == (
        "STOP SLAVE",
        "RESET SLAVE ALL",
        "SET GLOBAL read_only = ON",
        "SELECT @@GLOBAL.read_only AS read_only",
    )


def test_setup_points_at_the_source_then_starts() -> None:
    point = step(plan_setup(SPEC), "point")
    assert point.statements[0].startswith(
        "CHANGE MASTER TO MASTER_HOST='10.0.0.5', MASTER_PORT=3306"
    )
    assert point.statements[1] == "START SLAVE"
    assert step(plan_setup(SPEC), "snapshot").command == SPEC.snapshot_command


def test_setup_with_mysql_words_and_super_read_only() -> None:
    mysql = dataclasses.replace(SPEC, words=MYSQL_WORDS)
    steps = plan_setup(mysql)
    # super_read_only would stop the admin login's load too: only read_only while seeding,
    # super_read_only as the very last step.
    assert step(steps, "fence-target").statements == (
        "STOP REPLICA",
        "RESET REPLICA ALL",
        "SET GLOBAL read_only = ON",
        "SELECT @@GLOBAL.read_only AS read_only",
    )
    assert ids(steps)[-1] == "08-super-read-only"
    assert steps[-1].statements == (
        "SET GLOBAL super_read_only = ON",
        "SELECT @@GLOBAL.read_only AS read_only",
    )
    assert not any("super_read_only" in s.text() for s in steps[:-1])
    assert "super-read-only" not in " ".join(ids(plan_setup(SPEC)))  # MariaDB has none
    assert step(steps, "account").statements[-1] == (
        "GRANT REPLICATION SLAVE, REPLICATION CLIENT ON *.* TO 'repl'@'%'"
    )


# rejoin ----------------------------------------------------------------------------------------


def test_rejoin_fences_the_old_master_first_then_records_and_quarantines_then_seeds() -> None:
    steps = plan_rejoin(SPEC, quarantine_command=QUARANTINE, backup_command=BACKUP, diverged=True)
    assert ids(steps) == [
        "01-fence-old",
        "02-old-end",
        "03-quarantine",
        "04-backup",
        "05-account",
        "06-account-target",
        "07-fence-target",
        "08-snapshot",
        "09-point",
        "10-running",
        "11-probe",
        "12-mark",
    ]
    backup = step(steps, "backup")
    assert (backup.action, backup.host, backup.command) == (Action.BACKUP, "backup", BACKUP)
    assert index(steps, "quarantine") < index(steps, "backup") < index(steps, "snapshot")
    fence = steps[0]
    assert (fence.action, fence.host) == (Action.SQL, "backup")
    assert fence.statements == (
        "SET GLOBAL read_only = ON",
        "SELECT @@GLOBAL.read_only AS read_only",
    )
    assert (steps[1].action, steps[1].host) == (Action.RECORD_POSITION, "backup")
    quarantine = steps[2]
    assert (quarantine.action, quarantine.host, quarantine.source) == (
        Action.QUARANTINE,
        "backup",
        "onair",
    )
    assert quarantine.command == QUARANTINE
    assert index(steps, "quarantine") < index(steps, "account") < index(steps, "snapshot")


def test_nothing_writes_to_the_old_master_before_it_is_fenced() -> None:
    steps = plan_rejoin(SPEC, quarantine_command=QUARANTINE, backup_command=BACKUP, diverged=True)
    on_old = [s for s in steps if s.host == SPEC.target]
    assert on_old[0].id == "01-fence-old"
    assert "read_only = ON" in on_old[0].text()


def test_rejoin_says_whether_divergence_was_found() -> None:
    found = step(
        plan_rejoin(SPEC, quarantine_command=QUARANTINE, backup_command=BACKUP, diverged=True),
        "quarantine",
    )
    none = step(
        plan_rejoin(SPEC, quarantine_command=QUARANTINE, backup_command=BACKUP, diverged=False),
        "quarantine",
    )
    assert "counted" in found.expect
    assert "nothing diverged at planning" in none.expect
    assert none.action is Action.QUARANTINE, "the quarantine step runs even then (checked again)"


def test_rejoin_ends_with_the_marker_on_the_new_master() -> None:
    last = plan_rejoin(SPEC, quarantine_command=QUARANTINE, backup_command=BACKUP, diverged=False)[
        -1
    ]
    assert (last.action, last.host) == (Action.CLOSE_MARKER, "onair")


# failback --------------------------------------------------------------------------------------


def test_failback_order() -> None:
    assert ids(failback()) == [
        "01-fence-standby",
        "02-standby-end",
        "03-caught-up",
        "04-promote",
        "05-original-start",
        "06-writable",
        "07-point-standby",
        "08-switch",
        "09-running",
        "10-probe",
        "11-close",
    ]


def test_failback_fences_the_promoted_standby_first() -> None:
    first = failback()[0]
    assert (first.action, first.host) == (Action.SQL, "backup")
    assert first.statements[-2:] == (
        "SET GLOBAL read_only = ON",
        "SELECT @@GLOBAL.read_only AS read_only",
    )


def test_failback_waits_before_promoting_and_records_before_writable() -> None:
    steps = failback()
    assert step(steps, "standby-end").action is Action.RECORD_POSITION
    assert step(steps, "standby-end").host == "backup"
    caught_up = step(steps, "caught-up")
    assert (caught_up.action, caught_up.host, caught_up.source) == (
        Action.WAIT_EXECUTED,
        "onair",
        "backup",
    )
    assert index(steps, "standby-end") < index(steps, "caught-up") < index(steps, "promote")
    start = step(steps, "original-start")
    assert (start.action, start.host) == (Action.RECORD_POSITION, "onair")
    writable = step(steps, "writable")
    assert writable.host == "onair"
    assert writable.statements[0] == "SET GLOBAL read_only = OFF"
    assert index(steps, "promote") < index(steps, "original-start") < index(steps, "writable")


def test_failback_points_the_standby_at_the_recorded_position_after_that() -> None:
    steps = failback()
    point = step(steps, "point-standby")
    assert (point.action, point.host, point.source) == (Action.POINT, "backup", "onair")
    assert "MASTER_LOG_FILE='{file}', MASTER_LOG_POS={position}" in point.statements[0]
    assert point.statements[1] == "START SLAVE"
    assert index(steps, "writable") < index(steps, "point-standby") < index(steps, "switch")
    assert step(steps, "switch").command == "rdconsole switch master"


def test_failback_never_makes_two_writable_masters() -> None:
    """Until the original is writable, the standby is read-only; nothing makes it writable."""
    steps = failback(MYSQL_WORDS)
    writable_on = [s.host for s in steps if "read_only = OFF" in s.text()]
    assert writable_on == ["onair"]
    assert step(steps, "fence-standby").statements == (
        "SET GLOBAL read_only = ON",
        "SET GLOBAL super_read_only = ON",
        "SELECT @@GLOBAL.read_only AS read_only",
    )
