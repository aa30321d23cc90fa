"""Pilot tests of the console at 80x24, driven by scripted collectors (no servers)."""

from __future__ import annotations

import gc
import time
from collections.abc import Mapping
from datetime import datetime

import pytest
from textual.pilot import Pilot
from textual.widgets import Label, Static

from rdconsole.core.model import HostSnapshot
from rdconsole.ops.monitor import Collector
from rdconsole.ui.app import RdConsoleApp, make_app
from rdconsole.ui.collector import NEVER
from rdconsole.ui.panels import EventLog
from rdconsole.ui.panels.field import Row
from rdconsole.ui.screens import HelpScreen
from tests.ui.samples import (
    DUPLICATE,
    MASTER,
    STANDBY,
    HungCollector,
    ScriptedCollector,
    fixed_clock,
    master_down,
    master_up,
    replica,
    sample_settings,
    standby,
    standby_duplicate_key,
    standby_retrying,
    wait_until,
)

SIZE = (80, 24)


class FakeDrills:
    """Records which drill ran."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    async def stop_master(self) -> None:
        self.calls.append("stop_master")

    async def kill_master(self) -> None:
        self.calls.append("kill_master")

    async def break_sql_thread(self) -> None:
        self.calls.append("break_sql_thread")

    async def stop_io_thread(self) -> None:
        self.calls.append("stop_io_thread")

    async def restore(self) -> None:
        self.calls.append("restore")


class FakeJournal:
    def __init__(self) -> None:
        self.recorded: list[HostSnapshot] = []

    async def record(self, snapshot: HostSnapshot) -> None:
        self.recorded.append(snapshot)


class CrashingOnceCollector(ScriptedCollector):
    """A collector with a bug: its first collect raises."""

    async def collect(self) -> HostSnapshot:
        if self.polls == 0:
            self.polls += 1
            raise RuntimeError("collector bug")
        return await super().collect()


def scripted(master: list[HostSnapshot], standbys: list[HostSnapshot]) -> dict[str, Collector]:
    return {
        MASTER: ScriptedCollector(MASTER, master),
        STANDBY: ScriptedCollector(STANDBY, standbys),
    }


def console(
    collectors: Mapping[str, Collector],
    *,
    drills: FakeDrills | None = None,
    journal: FakeJournal | None = None,
) -> RdConsoleApp:
    return make_app(
        sample_settings(), collectors, drills=drills, journal=journal, clock=fixed_clock
    )


def header(app: RdConsoleApp) -> str:
    return str(app.query_one("#status", Static).content)


def field(app: RdConsoleApp, panel: str, name: str) -> str:
    return app.query_one(f"#{panel} #{name}", Row).value


def event_lines(app: RdConsoleApp) -> str:
    return "\n".join(app.query_one(EventLog).lines)


def problems(app: RdConsoleApp) -> str:
    return "\n".join(str(label.content) for label in app.query("#problems Label").results(Label))


async def received(pilot: Pilot[None], count: int) -> None:
    app = pilot.app
    assert isinstance(app, RdConsoleApp)
    await wait_until(pilot, lambda: app.state.received >= count)
    await pilot.pause()


async def test_healthy_shows_healthy_and_yes() -> None:
    app = console(scripted([master_up()], [standby()]))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        assert "✔ HEALTHY" in header(app)
        assert "rd-master → rd-standby" in header(app)
        assert "polled 14:03:22" in header(app)
        assert field(app, "standby-0", "io") == "✔ Yes (running)"
        assert field(app, "standby-0", "sql") == "✔ Yes (running)"
        assert field(app, "standby-0", "behind") == "✔ 0 s"
        assert field(app, "master", "binlog") == "mysql-bin.000012:4512337"
        assert "no problems" in problems(app)


async def test_master_down_shows_phrase_and_error_kind() -> None:
    app = console(scripted([master_down()], [standby_retrying()]))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        assert "✖ MASTER DOWN" in header(app)
        state = field(app, "master", "state")
        assert state.startswith("✖ unreachable: refused (2003)")
        assert field(app, "master", "binlog") == "—"
        assert field(app, "standby-0", "io") == "▲ Connecting (retrying the master)"


async def test_sql_error_shows_replication_broken_with_errno_and_text() -> None:
    app = console(scripted([master_up()], [standby_duplicate_key()]))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        assert "✖ REPLICATION BROKEN" in header(app)
        assert field(app, "standby-0", "sql") == "✖ No (stopped)"
        assert field(app, "standby-0", "sql-error") == f"✖ 1062: {DUPLICATE}"
        assert "error 1062" in problems(app)
        assert "Duplicate entry '100042'" in problems(app)
        assert "fix:" in problems(app)


async def test_null_seconds_behind_shows_unknown_never_zero() -> None:
    null_lag = standby(replica(seconds_behind_master=None))
    app = console(scripted([master_up()], [standby(), null_lag]))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        await pilot.press("r")
        await received(pilot, 4)
        behind = field(app, "standby-0", "behind")
        assert behind == "? UNKNOWN (NULL)"
        assert "0" not in behind
        assert app.state.lag_history(STANDBY) == (0, None)
        assert "1 unknown" in str(app.query_one("#lag-summary", Label).content)


async def test_state_change_appears_in_event_log() -> None:
    app = console(scripted([master_up()], [standby(), standby_duplicate_key()]))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        assert "status ✔ HEALTHY" in event_lines(app)
        await pilot.press("r")
        await received(pilot, 4)
        log = event_lines(app)
        assert "14:03:22 rd-standby: SQL thread Yes (running) → No (stopped), error 1062" in log
        assert "status ✔ HEALTHY → ✖ REPLICATION BROKEN" in log


async def test_bell_rings_once_on_turning_critical(monkeypatch: pytest.MonkeyPatch) -> None:
    app = console(scripted([master_up(), master_down()], [standby(), standby_retrying()]))
    rings: list[datetime] = []
    monkeypatch.setattr(app, "bell", lambda: rings.append(fixed_clock()))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        assert rings == []
        await pilot.press("r")
        await received(pilot, 4)
        assert "MASTER DOWN" in header(app)
        assert len(rings) == 1
        await pilot.press("r")
        await received(pilot, 6)
        assert len(rings) == 1, "still critical: no new bell"


async def test_drill_keys_hidden_without_drills() -> None:
    app = console(scripted([master_up()], [standby()]))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        keys = app.active_bindings
        assert "r" in keys and "q" in keys and "question_mark" in keys
        assert not {"1", "2", "3", "4", "0"} & set(keys)
        await pilot.press("1")
        assert "drill" not in event_lines(app)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Poll now" in titles
        assert not [title for title in titles if title.startswith("Drill")]


async def test_drill_keys_run_the_drills() -> None:
    drills = FakeDrills()
    app = console(scripted([master_up()], [standby()]), drills=drills)
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        assert {"1", "2", "3", "4", "0"} <= set(app.active_bindings)
        await pilot.press("1", "3", "0")
        await wait_until(pilot, lambda: event_lines(app).count("drill done") == 3)
        assert drills.calls == ["stop_master", "break_sql_thread", "restore"]
        log = event_lines(app)
        assert "drill: stop the master (clean shutdown)" in log
        assert "drill done: restore master and replication" in log
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Drill: Kill master" in titles


async def test_help_opens_with_question_mark_and_closes() -> None:
    app = console(scripted([master_up()], [standby()]))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(
            [str(label.content) for label in app.screen.query(Label).results(Label)]
            + [f"{row.key} {row.value}" for row in app.screen.query(Row).results(Row)]
        )
        assert "poll every host now" in text and "UNKNOWN (NULL)" in text
        assert "stop the master" not in text, "no drills, so none in the help"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("q")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        assert app.is_running, "q closes the help, not the console"


async def test_panels_keep_updating_behind_the_help() -> None:
    app = console(scripted([master_up()], [standby(), standby_duplicate_key()]))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        await pilot.press("question_mark")
        await pilot.pause()
        app.action_poll_now()  # the pollers run on the App, not on a screen
        await received(pilot, 4)
        assert isinstance(app.screen, HelpScreen)
        assert field(app, "standby-0", "sql") == "✖ No (stopped)"
        assert "REPLICATION BROKEN" in header(app)


async def test_p_shows_the_problems_on_the_whole_screen_and_back() -> None:
    app = console(scripted([master_up()], [standby_duplicate_key()]))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        problems_panel = app.query_one("#problems")
        assert problems_panel.size.height <= 5
        await pilot.press("p")
        await pilot.pause()
        assert problems_panel.has_class("-maximized")
        assert not app.query_one("#hosts").display
        assert problems_panel.size.height > 5
        await pilot.press("p")
        await pilot.pause()
        assert not problems_panel.has_class("-maximized")
        assert app.query_one("#hosts").display
        await pilot.press("p", "escape")
        await pilot.pause()
        assert not problems_panel.has_class("-maximized")
        assert app.query_one("#hosts").display


async def test_q_quits_and_closes_collectors() -> None:
    collectors = scripted([master_up()], [standby()])
    app = console(collectors)
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running
    assert all(isinstance(c, ScriptedCollector) and c.closed for c in collectors.values())


async def test_closing_while_polls_stream_in_raises_nothing() -> None:
    # The pollers keep posting while the screens are taken apart: a snapshot handled then must
    # not look for panels that are gone (a NoMatches here failed a CI run).
    for _ in range(3):
        collectors = scripted([master_up()], [standby()])
        settings = sample_settings(poll_interval=0.001)
        app = make_app(settings, collectors, clock=fixed_clock)
        async with app.run_test(size=SIZE) as pilot:
            await received(pilot, 10)
        assert app.return_code in (None, 0)


async def test_hung_host_does_not_stop_the_other() -> None:
    hung = HungCollector(MASTER)
    collectors: dict[str, Collector] = {
        MASTER: hung,
        STANDBY: ScriptedCollector(STANDBY, [standby(), standby_duplicate_key()]),
    }
    app = console(collectors)
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 1)
        assert field(app, "standby-0", "sql") == "✔ Yes (running)"
        assert "waiting for rd-master" in header(app)
        await pilot.press("r")
        await received(pilot, 2)
        assert field(app, "standby-0", "sql") == "✖ No (stopped)"
        # The hung master is given up on after connect + query timeout + 1 s.
        await received(pilot, 3)
        assert field(app, "master", "state").startswith("✖ unreachable: timeout")
        assert "MASTER DOWN" in header(app)
    assert hung.closed


async def test_crashed_poller_is_logged_and_restarted() -> None:
    collectors: dict[str, Collector] = {
        MASTER: CrashingOnceCollector(MASTER, [master_up()]),
        STANDBY: ScriptedCollector(STANDBY, [standby()]),
    }
    app = console(collectors)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "poller for rd-master failed" in event_lines(app))
        assert "RuntimeError('collector bug')" in event_lines(app)
        assert "restarting in 1 s" in event_lines(app)
        await received(pilot, 2)  # after the 1 s backoff
        assert "HEALTHY" in header(app)


async def test_journal_records_every_snapshot() -> None:
    journal = FakeJournal()
    app = console(scripted([master_up()], [standby()]), journal=journal)
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        await wait_until(pilot, lambda: len(journal.recorded) == 2)
    assert {snapshot.name for snapshot in journal.recorded} == {MASTER, STANDBY}


async def test_startup_is_fast_and_says_it_is_waiting() -> None:
    collectors = scripted([master_up()], [standby()])
    app = console(collectors)
    started = time.perf_counter()
    async with app.run_test(size=SIZE) as pilot:
        assert time.perf_counter() - started < 1.0
        assert "waiting for" in header(app)
        await received(pilot, 2)


async def test_no_color_still_reads_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_COLOR", "1")
    app = console(scripted([master_up()], [standby_duplicate_key()]))
    assert app.no_color
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        assert "✖ REPLICATION BROKEN" in header(app)
        assert field(app, "standby-0", "sql") == "✖ No (stopped)"
        assert field(app, "standby-0", "read-only") == "ON"


def test_make_app_wants_a_collector_per_host() -> None:
    with pytest.raises(ValueError, match="missing rd-standby"):
        make_app(sample_settings(), {MASTER: ScriptedCollector(MASTER, [master_up()])})


async def test_full_collections_run_on_a_timer_while_the_console_runs_then_as_before() -> None:
    before = gc.get_threshold()
    app = console(scripted([master_up()], [standby()]))
    async with app.run_test(size=SIZE) as pilot:
        await received(pilot, 2)
        assert gc.get_threshold()[2] == NEVER and gc.get_threshold()[:2] == before[:2]
        assert gc.get_freeze_count() > 10_000  # Textual and the console, never walked again
    assert gc.get_threshold() == before and gc.get_freeze_count() == 0
