"""The checks ``setup`` and ``rejoin`` run on a pair of servers (pure): each PASS, WARN and BLOCK,
and the exact option-file lines each fix tells the operator to add."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest

from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.core.model import Flavor
from rdconsole.core.setup_checks import OPTION_GROUP, ServerFacts, check_pair

MARIADB = "10.11.19-MariaDB-0+deb12u1-log"
PREFIX = f"add under {OPTION_GROUP} in the server's option file, then restart it: "
DATABASES = ("Rivendell",)
SYSTEM = ("information_schema", "mysql", "performance_schema", "sys")

SOURCE_VARIABLES = {
    "version": MARIADB,
    "server_id": "1",
    "log_bin": "ON",
    "log_bin_basename": "/var/lib/mysql/mysql-bin",
    "hostname": "onair",
    "read_only": "OFF",
    "relay_log": "",
    "log_slave_updates": "OFF",
    "expire_logs_days": "10.000000",
    "binlog_expire_logs_seconds": "864000",
    "replicate_do_db": "",
    "replicate_wild_do_table": "",
}
TARGET_VARIABLES = {
    **SOURCE_VARIABLES,
    "server_id": "100",
    "hostname": "backup",
    "read_only": "ON",
    "relay_log": "relay-bin",
    "log_slave_updates": "ON",
}


def source(databases: tuple[str, ...] = (*SYSTEM, "Rivendell"), **changes: str) -> ServerFacts:
    return ServerFacts("onair", {**SOURCE_VARIABLES, **changes}, databases=databases)


def target(
    tables: Mapping[str, int] | None = None,
    replicating_from: str | None = None,
    **changes: str,
) -> ServerFacts:
    return ServerFacts(
        "backup",
        {**TARGET_VARIABLES, **changes},
        tables=dict(tables or {}),
        databases=SYSTEM,
        replicating_from=replicating_from,
    )


def checks(
    src: ServerFacts | None = None,
    tgt: ServerFacts | None = None,
    databases: tuple[str, ...] = DATABASES,
    overwrite_confirmed: bool = False,
) -> dict[str, ChecklistItem]:
    items = check_pair(
        src or source(), tgt or target(), databases, overwrite_confirmed=overwrite_confirmed
    )
    keyed = {item.key: item for item in items}
    assert len(keyed) == len(items), "a check key appears twice"
    return keyed


def only_non_pass(items: dict[str, ChecklistItem]) -> dict[str, Check]:
    return {key: item.state for key, item in items.items() if item.state is not Check.PASS}


# a good pair -------------------------------------------------------------------------------------


def test_a_well_configured_pair_passes_every_check_in_order() -> None:
    items = check_pair(source(), target(), DATABASES, overwrite_confirmed=False)
    assert [i.key for i in items] == [
        "binlog",
        "binlog-name",
        "server-id",
        "expiry",
        "read-only",
        "relay-log",
        "rejoinable",
        "versions",
        "engines",
        "target-data",
    ]
    assert all(i.state is Check.PASS for i in items)
    assert all(i.fix == "" for i in items), "a passing check offers no fix"
    assert not any(i.overridable for i in items)


def test_passing_items_say_what_was_found() -> None:
    items = checks()
    assert items["binlog"].why == "log_bin = ON"
    assert items["binlog-name"].why == "fixed: mysql-bin"
    assert items["server-id"].why == "onair 1, backup 100"
    assert items["expiry"].why == "after 10 days"
    assert items["relay-log"].why == "relay-bin"
    assert items["versions"].why == f"onair {MARIADB}, backup {MARIADB}"
    assert items["target-data"].why == "empty: nothing is overwritten"


# binary log on the source ------------------------------------------------------------------------


def test_log_bin_off_on_the_source_blocks_with_the_lines_to_add() -> None:
    items = checks(source(log_bin="OFF"))
    binlog = items["binlog"]
    assert binlog.state is Check.BLOCK
    assert not binlog.overridable
    assert binlog.fix == PREFIX + "log-bin = mysql-bin; binlog_format = MIXED"
    assert "binlog-name" not in items, "no base name to judge without a binlog"
    assert only_non_pass(items) == {"binlog": Check.BLOCK}


@pytest.mark.parametrize("value", ["ON", "on", "1", "YES"])
def test_log_bin_spellings_that_mean_on(value: str) -> None:
    assert checks(source(log_bin=value))["binlog"].state is Check.PASS


@pytest.mark.parametrize(
    ("hostname", "basename"),
    [
        ("onair", "/var/lib/mysql/onair-bin"),
        ("onair.station.example", "/var/lib/mysql/onair-bin"),
        ("onair.station.example", "/var/lib/mysql/onair.station.example-bin"),
    ],
)
def test_a_binlog_named_after_the_host_warns(hostname: str, basename: str) -> None:
    item = checks(source(hostname=hostname, log_bin_basename=basename))["binlog-name"]
    assert item.state is Check.WARN
    assert basename.rsplit("/", 1)[1] in item.why
    assert item.fix == PREFIX + "log-bin = mysql-bin"


def test_a_binlog_named_after_another_host_passes() -> None:
    item = checks(source(hostname="onair", log_bin_basename="/srv/db/studio-bin"))["binlog-name"]
    assert item.state is Check.PASS
    assert item.why == "fixed: studio-bin"


# server ids ------------------------------------------------------------------------------------


def test_equal_server_ids_block_and_the_fix_names_a_free_id_on_the_target() -> None:
    items = checks(source(server_id="7"), target(server_id="7"))
    item = items["server-id"]
    assert item.state is Check.BLOCK
    assert "both servers have server_id 7" in item.why
    assert item.fix == PREFIX + "server-id = 8 (on backup)"
    assert only_non_pass(items) == {"server-id": Check.BLOCK}


def test_server_id_zero_on_the_source_blocks() -> None:
    item = checks(source(server_id="0"))["server-id"]
    assert item.state is Check.BLOCK
    assert item.why == "onair has server_id 0, which refuses replication"
    assert item.fix == PREFIX + "server-id = 101 (on onair)"


def test_server_id_zero_on_the_target_blocks() -> None:
    item = checks(tgt=target(server_id="0"))["server-id"]
    assert item.state is Check.BLOCK
    assert item.why == "backup has server_id 0, which refuses replication"
    assert item.fix == PREFIX + "server-id = 2 (on backup)"


def test_server_id_absent_counts_as_zero() -> None:
    variables = {k: v for k, v in TARGET_VARIABLES.items() if k != "server_id"}
    item = checks(tgt=ServerFacts("backup", variables))["server-id"]
    assert item.state is Check.BLOCK
    assert "backup has server_id 0" in item.why


def test_the_fix_for_server_id_zero_never_collides_with_the_other_server() -> None:
    item = checks(source(server_id="2"), target(server_id="0"))["server-id"]
    assert item.state is Check.BLOCK
    assert "server-id = 2 " not in item.fix


# binlog expiry ---------------------------------------------------------------------------------


def test_binlogs_never_purged_warn() -> None:
    item = checks(source(expire_logs_days="0", binlog_expire_logs_seconds="0"))["expiry"]
    assert item.state is Check.WARN
    assert item.fix == (
        PREFIX + "binlog_expire_logs_seconds = 864000   # 10 days; older: expire_logs_days = 10"
    )


def test_expiry_read_from_days_when_seconds_are_absent() -> None:
    variables = {k: v for k, v in SOURCE_VARIABLES.items() if k != "binlog_expire_logs_seconds"}
    item = checks(ServerFacts("onair", {**variables, "expire_logs_days": "3"}))["expiry"]
    assert item.state is Check.PASS
    assert item.why == "after 3 days"


def test_expiry_in_seconds_wins_over_days() -> None:
    item = checks(source(expire_logs_days="0", binlog_expire_logs_seconds="172800"))["expiry"]
    assert item.state is Check.PASS
    assert item.why == "after 2 days"


# the target's own settings ---------------------------------------------------------------------


def test_a_writable_target_warns_with_read_only_line() -> None:
    items = checks(tgt=target(read_only="OFF"))
    item = items["read-only"]
    assert item.state is Check.WARN
    assert item.fix == PREFIX + "read_only = 1"
    assert only_non_pass(items) == {"read-only": Check.WARN}


def test_an_unnamed_relay_log_warns() -> None:
    item = checks(tgt=target(relay_log=""))["relay-log"]
    assert item.state is Check.WARN
    assert item.fix == PREFIX + "relay-log = relay-bin"


@pytest.mark.parametrize(
    ("log_bin", "log_slave_updates"), [("OFF", "ON"), ("ON", "OFF"), ("OFF", "OFF")]
)
def test_a_target_that_could_not_serve_as_master_warns(
    log_bin: str, log_slave_updates: str
) -> None:
    items = checks(tgt=target(log_bin=log_bin, log_slave_updates=log_slave_updates))
    item = items["rejoinable"]
    assert item.state is Check.WARN
    assert item.fix == PREFIX + "log-bin = mysql-bin; log_slave_updates = 1"
    assert only_non_pass(items) == {"rejoinable": Check.WARN}


# versions and flavours -------------------------------------------------------------------------


def test_different_flavours_block() -> None:
    items = checks(tgt=target(version="8.0.36"))
    item = items["versions"]
    assert target(version="8.0.36").flavor is Flavor.MYSQL
    assert item.state is Check.BLOCK
    assert not item.overridable
    assert "different servers" in item.why
    assert item.fix == "use the same server (MariaDB or MySQL) on both hosts"


def test_an_older_replica_warns_with_the_version_to_reach() -> None:
    item = checks(tgt=target(version="10.5.23-MariaDB"))["versions"]
    assert item.state is Check.WARN
    assert item.fix == "upgrade backup to at least 10.11"


def test_versions_compare_numerically_and_ignore_the_patch_level() -> None:
    newer = checks(source(version="10.9.8-MariaDB"), target(version="10.11.2-MariaDB"))
    assert newer["versions"].state is Check.PASS  # 11 > 9, not "11" < "9"
    patch = checks(source(version="10.11.19-MariaDB"), target(version="10.11.6-MariaDB"))
    assert patch["versions"].state is Check.PASS


def test_mysql_pair_passes_versions() -> None:
    items = checks(source(version="8.0.36"), target(version="8.0.36"))
    assert items["versions"].state is Check.PASS


# databases outside the snapshot ----------------------------------------------------------------


def test_databases_outside_the_snapshot_without_filters_block() -> None:
    # Their first write would stop the replica: setup must not report "done" before that.
    items = checks(source(databases=(*SYSTEM, "Rivendell", "Traffic")))
    item = items["filters"]
    assert item.state is Check.BLOCK and not item.overridable
    assert item.why.startswith("Traffic will not be copied")
    assert item.fix == PREFIX + (
        "replicate-wild-do-table = Rivendell.% (on backup), or add them to [replication] databases"
    )
    assert only_non_pass(items) == {"filters": Check.BLOCK}


def test_the_filter_fix_names_every_snapshot_database() -> None:
    item = checks(
        source(databases=(*SYSTEM, "Rivendell", "Logs", "Traffic")), databases=("Rivendell", "Logs")
    )["filters"]
    assert item.fix == (
        PREFIX
        + "replicate-wild-do-table = Rivendell.%; replicate-wild-do-table = Logs.% (on backup), "
        "or add them to [replication] databases"
    )
    assert "Traffic" in item.why
    assert "Logs" not in item.why


@pytest.mark.parametrize(
    "variable", [{"replicate_wild_do_table": "Rivendell.%"}, {"replicate_do_db": "Rivendell"}]
)
def test_a_target_with_filters_is_not_warned(variable: dict[str, str]) -> None:
    filtered = ServerFacts("backup", {**TARGET_VARIABLES, **variable})
    items = checks(source(databases=(*SYSTEM, "Rivendell", "Traffic")), filtered)
    assert "filters" not in items


def test_system_databases_do_not_count_as_outside_the_snapshot() -> None:
    upper = ("INFORMATION_SCHEMA", "mysql", "Performance_Schema", "sys", "Rivendell")
    assert "filters" not in checks(source(databases=upper))


# current replication and data on the target ----------------------------------------------------


def test_a_target_that_already_replicates_warns() -> None:
    item = checks(tgt=target(replicating_from="10.0.0.5:3306"))["replicating"]
    assert item.state is Check.WARN
    assert item.why.startswith("from 10.0.0.5:3306")


def test_target_database_with_tables_blocks_but_may_be_overridden() -> None:
    items = checks(tgt=target(tables={"Rivendell": 12}))
    item = items["target-data"]
    assert item.state is Check.BLOCK
    assert item.overridable
    assert item.why == "Rivendell (12 tables) already hold data that the snapshot would replace"
    assert item.fix == "type the database name to confirm (Rivendell), or use --overwrite Rivendell"
    assert only_non_pass(items) == {"target-data": Check.BLOCK}


def test_confirmed_overwrite_turns_the_block_into_a_warning() -> None:
    item = checks(tgt=target(tables={"Rivendell": 12}), overwrite_confirmed=True)["target-data"]
    assert item.state is Check.WARN
    assert not item.overridable
    assert "will be replaced by the snapshot (confirmed by name)" in item.why


def test_an_empty_or_absent_target_database_passes() -> None:
    assert checks(tgt=target(tables={"Rivendell": 0}))["target-data"].state is Check.PASS
    assert checks(tgt=target(tables={"Other": 40}))["target-data"].state is Check.PASS


def test_only_configured_databases_with_tables_are_named() -> None:
    item = checks(
        tgt=target(tables={"Rivendell": 3, "Logs": 0, "Other": 9}), databases=("Rivendell", "Logs")
    )["target-data"]
    assert item.why.startswith("Rivendell (3 tables) already hold")
    assert "Logs" not in item.why.split("already")[0]
    assert "Other" not in item.why
    assert item.fix.endswith("--overwrite Rivendell,Logs")


# facts -----------------------------------------------------------------------------------------


def test_server_facts_tolerate_odd_values() -> None:
    facts = ServerFacts(
        "x", {"server_id": "", "expire_logs_days": "n/a", "version": "5.5.5-10.3.1"}
    )
    assert facts.server_id == 0
    assert facts.number("expire_logs_days") == 0.0
    assert facts.version == (10, 3, 1)
    assert not facts.flag("log_bin")


def test_non_transactional_tables_warn_that_the_snapshot_locks_with_the_alter_lines() -> None:
    tables = tuple(f"`Rivendell`.`T{n}`" for n in range(5))
    item = checks(dataclasses.replace(source(), non_transactional=tables))["engines"]
    assert item.state is Check.WARN
    assert item.why.startswith("5 tables are not InnoDB (MyISAM/Aria): the snapshot holds a global")
    assert "ALTER TABLE `Rivendell`.`T0` ENGINE=InnoDB; ALTER TABLE `Rivendell`.`T1`" in item.fix
    assert item.fix.endswith("… (5 tables)")
    assert checks()["engines"].state is Check.PASS
