"""The console's plain-Python parts: wording, state over polls, poller backoff."""

from __future__ import annotations

import pytest

from rdconsole.core.verdict import Phrase, Severity, StandbyLag, Thresholds
from rdconsole.ui.panels import words
from rdconsole.ui.polling import Poller
from rdconsole.ui.state import ConsoleState
from tests.ui.samples import (
    MASTER,
    REFUSED,
    STANDBY,
    ScriptedCollector,
    fixed_clock,
    master_down,
    master_up,
    replica,
    sample_settings,
    standby,
)


@pytest.mark.parametrize(
    ("count", "text"),
    [(0, "0 B"), (1023, "1023 B"), (1536, "1.5 KiB"), (3 * 1024**2, "3.0 MiB")],
)
def test_human_bytes(count: int, text: str) -> None:
    assert words.human_bytes(count) == text


def test_null_lag_reads_unknown_never_zero() -> None:
    status = replica(seconds_behind_master=None)
    lag = StandbyLag(seconds=None, byte_lag=0, drained=True)
    assert words.behind(lag, status, Thresholds()) == ("? UNKNOWN (NULL)", Severity.UNKNOWN)


def test_lag_thresholds() -> None:
    status = replica()
    thresholds = Thresholds(lag_warning=30, lag_critical=300)
    for seconds, severity in [(0, Severity.OK), (30, Severity.WARNING), (300, Severity.CRITICAL)]:
        lag = StandbyLag(seconds=seconds, byte_lag=0, drained=True)
        assert words.behind(lag, status, thresholds)[1] is severity


def test_lag_summary_counts_unknown_polls() -> None:
    assert words.lag_summary([]) == "no data yet"
    assert words.lag_summary([None, None]) == "2 unknown"
    assert words.lag_summary([3, None, 12]) == "max 12 s, 1 unknown"


def test_state_waits_for_every_host_then_judges() -> None:
    state = ConsoleState(sample_settings())
    state.record(master_up())
    assert state.verdict(fixed_clock()) is None
    assert state.waiting_for() == [STANDBY]
    state.record(standby())
    verdict = state.verdict(fixed_clock())
    assert verdict is not None and verdict.phrase is Phrase.HEALTHY
    lines = state.record(master_down())
    assert lines == [f"{MASTER}: unreachable: refused (2003): {REFUSED}"]
    verdict = state.verdict(fixed_clock())
    assert verdict is not None and verdict.phrase is Phrase.MASTER_DOWN


def test_state_keeps_lag_history_with_unknowns() -> None:
    state = ConsoleState(sample_settings())
    state.record(master_up())
    state.record(standby(replica(seconds_behind_master=4)))
    state.record(standby(replica(seconds_behind_master=None)))
    assert state.lag_history(STANDBY) == (4, None)


def test_master_rate_from_the_last_two_polls() -> None:
    state = ConsoleState(sample_settings())
    assert state.master_rate() is None
    state.record(master_up(1000))
    state.record(master_up(5000, after=2))
    assert state.master_rate() == 2000.0


def test_poller_backoff_doubles_up_to_20_s() -> None:
    poller = Poller(
        sample_settings().master,
        ScriptedCollector(MASTER, [master_up()]),
        sample_settings().console,
        deliver=lambda snapshot: None,
        journal=None,
        clock=fixed_clock,
    )
    assert [poller.crashed() for _ in range(7)] == [1, 2, 4, 8, 16, 20, 20]
    assert poller.budget == pytest.approx(1.4)
