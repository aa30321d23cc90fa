"""The verdict: pure function from snapshots to status, phrase and problems."""

from __future__ import annotations

from rdconsole.core.model import ErrorKind, MissingPrivilege, ThreadState
from rdconsole.core.verdict import Phrase, Severity, Thresholds, judge, standby_lag
from tests.unit.snapshots import down, master, replica, server, standby


def test_healthy() -> None:
    verdict = judge(master(), [standby()])
    assert verdict.status is Severity.OK
    assert verdict.phrase is Phrase.HEALTHY
    assert verdict.problems == ()


def test_master_refusing_connections_is_master_down() -> None:
    gone = replica(
        io_running=ThreadState.CONNECTING,
        seconds_behind_master=None,
        last_io_errno=2003,
        last_io_error="error reconnecting to master",
    )
    verdict = judge(down(master()), [standby(gone)])
    assert verdict.status is Severity.CRITICAL
    assert verdict.phrase is Phrase.MASTER_DOWN
    hosts = {p.host: p for p in verdict.problems}
    assert "refused" in hosts["onair"].what
    assert hosts["backup"].severity is Severity.WARNING
    assert "retrying" in hosts["backup"].what


def test_access_denied_means_alive_not_down() -> None:
    verdict = judge(down(master(), ErrorKind.ACCESS_DENIED, 1045), [standby()])
    assert verdict.phrase is not Phrase.MASTER_DOWN
    assert verdict.status is Severity.UNKNOWN
    assert "refuses rdconsole's login" in verdict.problems[0].what


def test_too_many_connections_means_alive() -> None:
    verdict = judge(down(master(), ErrorKind.TOO_MANY_CONNECTIONS, 1040), [standby()])
    assert verdict.phrase is Phrase.DEGRADED
    assert verdict.status is Severity.WARNING


def test_sql_error_is_replication_broken_with_the_error_text() -> None:
    broken = replica(
        sql_running=ThreadState.NO,
        seconds_behind_master=None,
        last_sql_errno=1062,
        last_sql_error="Duplicate entry '50'",
        exec_master_log_pos=1100,
    )
    verdict = judge(master(), [standby(broken)])
    assert verdict.status is Severity.CRITICAL
    assert verdict.phrase is Phrase.REPLICATION_BROKEN
    assert "1062" in verdict.problems[0].what
    assert "Duplicate entry" in verdict.problems[0].what
    assert "never skip" in verdict.problems[0].fix


def test_io_thread_stopped_is_broken() -> None:
    stopped = replica(io_running=ThreadState.NO)
    verdict = judge(master(), [standby(stopped)])
    assert verdict.phrase is Phrase.REPLICATION_BROKEN
    assert "IO thread is stopped" in verdict.problems[0].what


def test_io_connecting_while_master_reachable_is_critical() -> None:
    connecting = replica(
        io_running=ThreadState.CONNECTING,
        seconds_behind_master=None,
        last_io_errno=1045,
        last_io_error="Access denied for user 'repl'",
    )
    verdict = judge(master(), [standby(connecting)])
    assert verdict.status is Severity.CRITICAL
    assert "repl user" in verdict.problems[0].fix


def test_null_lag_with_running_threads_is_unknown_never_zero() -> None:
    verdict = judge(master(), [standby(replica(seconds_behind_master=None))])
    assert verdict.status is Severity.UNKNOWN
    assert "NULL" in verdict.problems[0].what
    assert standby_lag(master(), standby(replica(seconds_behind_master=None))).seconds is None


def test_lag_thresholds_subtract_sql_delay() -> None:
    thresholds = Thresholds(lag_warning=30, lag_critical=300)
    assert judge(master(), [standby(replica(seconds_behind_master=45))], thresholds).status is (
        Severity.WARNING
    )
    assert judge(master(), [standby(replica(seconds_behind_master=400))], thresholds).status is (
        Severity.CRITICAL
    )
    delayed = replica(seconds_behind_master=3620, sql_delay=3600)
    assert judge(master(), [standby(delayed)], thresholds).status is Severity.OK


def test_standby_not_a_replica() -> None:
    verdict = judge(master(), [standby(None, replica=None)])
    assert verdict.phrase is Phrase.REPLICATION_BROKEN
    assert "not configured as a replica" in verdict.problems[0].what


def test_standby_down() -> None:
    verdict = judge(master(), [down(standby())])
    assert verdict.phrase is Phrase.STANDBY_DOWN
    assert verdict.status is Severity.CRITICAL


def test_writable_standby_and_read_only_master() -> None:
    verdict = judge(master(server=server(read_only=True)), [standby(server=server(False))])
    whats = " | ".join(p.what for p in verdict.problems)
    assert "master is read_only" in whats
    assert "standby is writable" in whats
    assert verdict.problems[0].severity is Severity.CRITICAL


def test_binlog_off_on_master() -> None:
    verdict = judge(master(server=server(read_only=False, log_bin=False)), [standby()])
    assert "binary logging is off" in verdict.problems[0].what


def test_missing_privilege_names_it() -> None:
    missing = MissingPrivilege("SHOW SLAVE STATUS", ("SUPER", "SLAVE MONITOR"))
    verdict = judge(
        master(),
        [standby(None, replica=None, replica_checked=False, missing_privileges=(missing,))],
    )
    assert verdict.status is Severity.UNKNOWN
    assert "SLAVE MONITOR" in verdict.problems[0].what
    assert verdict.problems[0].fix.startswith("GRANT SLAVE MONITOR")


def test_byte_lag_and_drained() -> None:
    behind = replica(read_master_log_pos=1000, exec_master_log_pos=900)
    lag = standby_lag(master(position=1234), standby(behind))
    assert lag.byte_lag == 234
    assert lag.drained is False
    other_file = replica(
        master_log_file="mysql-bin.000002", relay_master_log_file="mysql-bin.000002"
    )
    assert standby_lag(master(), standby(other_file)).byte_lag is None
    assert standby_lag(down(master()), standby()).byte_lag is None


def test_exit_codes_and_order() -> None:
    assert [s.exit_code for s in Severity] == [0, 1, 2, 3]
    assert Severity.CRITICAL.rank > Severity.UNKNOWN.rank > Severity.WARNING.rank > Severity.OK.rank
