"""describe_changes and binlog_rate: the event-log lines and the binlog growth."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from rdconsole.core.changes import binlog_rate, describe_changes
from rdconsole.core.model import BinlogStatus, ErrorKind, HostSnapshot, ReplicaStatus, ThreadState
from tests.unit.snapshots import down, master, replica, server, standby


def later(snapshot: HostSnapshot, seconds: float = 2) -> HostSnapshot:
    return replace(snapshot, checked_at=snapshot.checked_at + timedelta(seconds=seconds))


def test_no_change_no_lines() -> None:
    assert describe_changes(standby(), standby()) == []
    assert describe_changes(master(), master(position=9999)) == []


def test_first_poll_of_a_healthy_host() -> None:
    assert describe_changes(None, master()) == ["onair: first poll: reachable"]
    assert describe_changes(None, standby()) == ["backup: first poll: reachable"]


def test_first_poll_reports_what_is_not_healthy() -> None:
    broken = standby(replica(sql_running=ThreadState.NO, last_sql_errno=1062, last_sql_error="dup"))
    assert describe_changes(None, broken) == [
        "backup: first poll: reachable",
        "backup: SQL thread No (stopped), error 1062: dup",
    ]


def test_first_poll_unreachable() -> None:
    assert describe_changes(None, down(master())) == [
        "onair: first poll: unreachable: refused (2003): Can't connect to MySQL server"
    ]


def test_reachable_to_unreachable_names_the_error_kind() -> None:
    assert describe_changes(master(), down(master(), ErrorKind.TIMEOUT, 2013)) == [
        "onair: unreachable: timeout (2013): Can't connect to MySQL server"
    ]


def test_same_outage_is_reported_once_and_a_new_error_again() -> None:
    refused = down(master())
    assert describe_changes(refused, down(master())) == []
    assert describe_changes(refused, down(master(), ErrorKind.TIMEOUT, 2013)) == [
        "onair: still unreachable, now timeout (2013): Can't connect to MySQL server"
    ]


def test_back_after_an_outage() -> None:
    assert describe_changes(down(master()), master()) == ["onair: reachable again"]


def test_back_after_an_outage_with_a_broken_thread() -> None:
    stopped = standby(replica(io_running=ThreadState.NO))
    assert describe_changes(down(standby()), stopped) == [
        "backup: reachable again",
        "backup: IO thread No (stopped)",
    ]


@pytest.mark.parametrize(
    ("before", "after", "line"),
    [
        (
            replica(),
            replica(sql_running=ThreadState.NO, last_sql_errno=1062, last_sql_error="Duplicate"),
            "backup: SQL thread Yes (running) → No (stopped), error 1062: Duplicate",
        ),
        (
            replica(),
            replica(io_running=ThreadState.CONNECTING, last_io_errno=2003, last_io_error="gone"),
            "backup: IO thread Yes (running) → Connecting (retrying the master), error 2003: gone",
        ),
        (
            replica(io_running=ThreadState.NO),
            replica(),
            "backup: IO thread No (stopped) → Yes (running)",
        ),
        (
            replica(io_running=ThreadState.CONNECTING, last_io_errno=2003, last_io_error="a"),
            replica(io_running=ThreadState.CONNECTING, last_io_errno=1045, last_io_error="b"),
            "backup: new IO error 1045: b",
        ),
        (
            replica(sql_running=ThreadState.NO, last_sql_errno=1062, last_sql_error="x"),
            replica(sql_running=ThreadState.NO),
            "backup: SQL error 1062 cleared",
        ),
    ],
)
def test_thread_changes(before: ReplicaStatus, after: ReplicaStatus, line: str) -> None:
    assert describe_changes(standby(before), standby(after)) == [line]


def test_read_only_flip() -> None:
    writable = standby(server=server(read_only=False))
    assert describe_changes(standby(), writable) == ["backup: read_only ON → OFF"]
    assert describe_changes(writable, standby()) == ["backup: read_only OFF → ON"]


def test_binlog_rotation() -> None:
    rotated = master(binlog=BinlogStatus("mysql-bin.000004", 4, "0-1-43"))
    assert describe_changes(master(), rotated) == [
        "onair: binlog rotated mysql-bin.000003 → mysql-bin.000004"
    ]


def test_replication_removed() -> None:
    assert describe_changes(standby(), standby(None, replica=None)) == [
        "backup: not configured as a replica (SHOW SLAVE STATUS is empty)"
    ]
    unconfigured = standby(None, replica=None)
    assert describe_changes(unconfigured, unconfigured) == []


def test_binlog_rate_same_file() -> None:
    assert binlog_rate(master(position=1000), later(master(position=5000), 2)) == 2000.0


@pytest.mark.parametrize(
    "current",
    [
        later(master(binlog=BinlogStatus("mysql-bin.000004", 5000, None))),  # rotated
        later(master(position=10)),  # went backwards
        master(position=5000),  # no time passed
        later(down(master())),  # no binlog now
    ],
)
def test_binlog_rate_unknown(current: HostSnapshot) -> None:
    assert binlog_rate(master(position=1000), current) is None


def test_binlog_rate_needs_two_polls() -> None:
    assert binlog_rate(None, master()) is None
