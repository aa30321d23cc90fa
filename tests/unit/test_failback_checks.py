"""The failback's gate (pure): the original master must replicate from the promoted standby,
healthy and caught up, with its own binlog on, before the standby is made read-only."""

from __future__ import annotations

import pytest

from rdconsole.core.failback_checks import check_failback
from rdconsole.core.failover import Check
from rdconsole.core.model import ReplicaStatus, ThreadState
from rdconsole.core.setup_checks import ServerFacts
from tests.unit.snapshots import replica

EXPECTED = "127.0.0.1:33061"
ORIGINAL = ServerFacts("onair", {"log_bin": "ON", "version": "10.11.19-MariaDB"})


def gate(status: ReplicaStatus | None, facts: ServerFacts = ORIGINAL) -> dict[str, Check]:
    items = check_failback(facts, status, standby="backup", expected_source=EXPECTED, lag_limit=30)
    return {item.key: item.state for item in items}


def why(status: ReplicaStatus | None) -> str:
    (item,) = check_failback(
        ORIGINAL, status, standby="backup", expected_source=EXPECTED, lag_limit=30
    )
    return item.why


def test_a_healthy_caught_up_replica_passes() -> None:
    assert gate(replica(seconds_behind_master=3)) == {"original-replicates": Check.PASS}
    assert why(replica(seconds_behind_master=3)) == f"from {EXPECTED}, 3 s behind, no error"


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (None, "replicates from nobody"),
        (replica(master_host="10.9.9.9"), "not from 127.0.0.1:33061"),
        (replica(last_sql_errno=1062, last_sql_error="Duplicate entry"), "error 1062"),
        (replica(last_io_errno=2003, last_io_error="Can't connect"), "error 2003"),
        (replica(io_running=ThreadState.CONNECTING), "IO thread Connecting"),
        (replica(sql_running=ThreadState.NO), "SQL thread No"),
        (replica(seconds_behind_master=None), "lag unknown"),
        (replica(seconds_behind_master=31), "31 s behind"),
    ],
)
def test_what_would_stall_the_wait_blocks_before_the_standby_is_fenced(
    status: ReplicaStatus | None, reason: str
) -> None:
    assert gate(status) == {"original-replicates": Check.BLOCK}
    assert reason in why(status)


def test_an_original_without_binlog_blocks_with_the_line_to_add() -> None:
    facts = ServerFacts("onair", {"log_bin": "OFF"})
    items = check_failback(
        facts, replica(), standby="backup", expected_source=EXPECTED, lag_limit=30
    )
    (binlog,) = [i for i in items if i.key == "original-binlog"]
    assert binlog.state is Check.BLOCK
    assert binlog.fix.endswith("log-bin = mysql-bin")
