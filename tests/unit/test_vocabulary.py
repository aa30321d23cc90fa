"""Vocabulary and column mapping by flavour and version (no server)."""

from __future__ import annotations

import pytest

from rdconsole.core.model import Flavor, ThreadState
from rdconsole.core.vocabulary import (
    UnexpectedRow,
    binlog_from_row,
    parse_version,
    replica_from_row,
    vocabulary_for,
)
from tests.unit.fixtures_status import MARIADB_10_11_COLUMNS, MYSQL_8_COLUMNS, row_for


@pytest.mark.parametrize(
    ("version", "flavor", "numbers"),
    [
        ("10.11.19-MariaDB-0+deb12u1", Flavor.MARIADB, (10, 11, 19)),
        ("5.5.5-10.3.39-MariaDB", Flavor.MARIADB, (10, 3, 39)),
        ("8.0.36", Flavor.MYSQL, (8, 0, 36)),
        ("8.4.3-commercial", Flavor.MYSQL, (8, 4, 3)),
        ("garbage", Flavor.MYSQL, (0, 0, 0)),
    ],
)
def test_parse_version(version: str, flavor: Flavor, numbers: tuple[int, int, int]) -> None:
    assert parse_version(version) == (flavor, numbers)


@pytest.mark.parametrize(
    ("flavor", "version", "replica", "binlog"),
    [
        (Flavor.MARIADB, (10, 11, 19), "SHOW SLAVE STATUS", "SHOW BINLOG STATUS"),
        (Flavor.MARIADB, (10, 5, 1), "SHOW SLAVE STATUS", "SHOW MASTER STATUS"),
        (Flavor.MYSQL, (5, 7, 44), "SHOW SLAVE STATUS", "SHOW MASTER STATUS"),
        (Flavor.MYSQL, (8, 0, 21), "SHOW SLAVE STATUS", "SHOW MASTER STATUS"),
        (Flavor.MYSQL, (8, 0, 22), "SHOW REPLICA STATUS", "SHOW MASTER STATUS"),
        (Flavor.MYSQL, (8, 2, 0), "SHOW REPLICA STATUS", "SHOW BINARY LOG STATUS"),
        (Flavor.MYSQL, (8, 4, 3), "SHOW REPLICA STATUS", "SHOW BINARY LOG STATUS"),
    ],
)
def test_statements_by_version(
    flavor: Flavor, version: tuple[int, int, int], replica: str, binlog: str
) -> None:
    vocabulary = vocabulary_for(flavor, version)
    assert vocabulary.replica_status == replica
    assert vocabulary.binlog_status == binlog


@pytest.mark.parametrize("columns", [MARIADB_10_11_COLUMNS, MYSQL_8_COLUMNS])
def test_both_column_sets_map_to_the_same_model(columns: list[str]) -> None:
    status = replica_from_row(row_for(columns))
    assert status.io_running is ThreadState.YES
    assert status.sql_running is ThreadState.NO
    assert status.seconds_behind_master is None
    assert status.master_log_file == "mysql-bin.000003"
    assert status.read_master_log_pos == 1234
    assert status.exec_master_log_pos == 1100
    assert status.last_sql_errno == 1062
    assert status.relay_backlog_bytes == 134
    assert not status.drained


def test_column_order_does_not_matter() -> None:
    row = row_for(list(reversed(MARIADB_10_11_COLUMNS)), exec_pos=1234)
    status = replica_from_row(row)
    assert status.drained
    assert status.relay_backlog_bytes == 0


def test_connecting_is_its_own_state_and_zero_lag_is_kept() -> None:
    status = replica_from_row(row_for(MARIADB_10_11_COLUMNS, io="Connecting", sql="Yes", sbm=0))
    assert status.io_running is ThreadState.CONNECTING
    assert status.sql_running is ThreadState.YES
    assert status.seconds_behind_master == 0


def test_a_row_without_required_columns_is_rejected_with_a_reason() -> None:
    with pytest.raises(UnexpectedRow, match="io_running"):
        replica_from_row({"Master_Host": "x"})


def test_binlog_row() -> None:
    assert binlog_from_row({"File": "mysql-bin.000001", "Position": 2557}) == (
        "mysql-bin.000001",
        2557,
        None,
    )
    mysql = {"File": "b.000002", "Position": 4, "Executed_Gtid_Set": "uuid:1-5"}
    assert binlog_from_row(mysql) == ("b.000002", 4, "uuid:1-5")
