"""Pilot tests of the audio panel and the sync key at 80x24, with scripted watchers and a fake
sync runner (this tests the console, not rsync)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Label, Log

from rdconsole.config.settings import AudioConfig, HostConfig, MySQLEndpoint
from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.model import Role
from rdconsole.ops.monitor import Collector
from rdconsole.ops.sync import SyncObserver, SyncOutcome
from rdconsole.ui.app import RdConsoleApp, make_app
from rdconsole.ui.messages import AudioPolled
from rdconsole.ui.panels.audio import AudioPanel, SyncLine
from rdconsole.ui.panels.field import Row
from rdconsole.ui.screens import HelpScreen, RsyncLogScreen, SyncPreviewScreen
from rdconsole.ui.screens.sync import StandbyChooser
from tests.ui.samples import (
    MASTER,
    SCENARIOS,
    STANDBY,
    SYNC_FILES,
    SYNC_TOTAL,
    FakeSyncRunner,
    ScriptedCollector,
    ScriptedWatcher,
    audio_app,
    audio_guard_missing,
    audio_ok,
    audio_running_elsewhere,
    audio_stale,
    fixed_clock,
    master_up,
    preview_refused,
    sample_settings,
    standby,
    wait_until,
)
from tests.ui.test_console import event_lines, header, problems

SIZE = (80, 24)


def audio_field(app: RdConsoleApp, name: str) -> str:
    return app.query_one(f"#audio-0 #{name}", Row).value


def panel(app: RdConsoleApp) -> AudioPanel:
    return app.query_one("#audio-0", AudioPanel)


async def checked(pilot: Pilot[None], count: int = 1) -> None:
    """Every host polled once and the mirror checked ``count`` times."""
    app = pilot.app
    assert isinstance(app, RdConsoleApp)
    await wait_until(pilot, lambda: app.state.received >= 2)
    await wait_until(pilot, lambda: app.state.audio_received >= count)
    await pilot.pause()


async def open_preview(pilot: Pilot[None]) -> SyncPreviewScreen:
    app = pilot.app
    await pilot.press("s")
    await wait_until(pilot, lambda: isinstance(app.screen, SyncPreviewScreen))
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, SyncPreviewScreen)
    return screen


def dialog_text(screen: SyncPreviewScreen) -> str:
    return "\n".join(str(label.content) for label in screen.query(Label).results(Label))


async def test_panel_shows_guard_mirror_last_run_and_cuts() -> None:
    app = audio_app([audio_ok()])
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        assert audio_field(app, "guard") == "✔ present (14:03:20)"
        assert audio_field(app, "mirror") == "✔ ACTIVE, mode master"
        assert audio_field(app, "last") == "✔ ok 25m ago: 12 files, 142.0 MiB, 0 deleted"
        assert audio_field(app, "cuts") == "✔ none missing of 1,234"
        assert panel(app).border_subtitle == "checked 14:03:22"
        assert panel(app).has_class("-ok")
        assert not panel(app).has_class("-running")
        assert "✔ HEALTHY" in header(app)
        assert "rd-standby audio: first check: guard present, mirror ACTIVE" in event_lines(app)


async def test_guard_missing_pauses_the_mirror_and_degrades_the_verdict() -> None:
    app = audio_app([audio_ok(), audio_guard_missing()])
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        assert "✔ HEALTHY" in header(app)
        await pilot.press("r")
        await checked(pilot, 2)
        assert audio_field(app, "guard") == "▲ MISSING (14:03:20)"
        assert audio_field(app, "mirror") == (
            "▲ PAUSED: guard file missing on the master (mode master)"
        )
        assert "▲ DEGRADED" in header(app)
        assert "the mirror is paused: guard file missing" in problems(app)
        log = event_lines(app)
        assert "rd-standby audio: guard file present → missing" in log
        assert "status ✔ HEALTHY → ▲ DEGRADED" in log
        # The problem is the mirror's: its panel carries it, the standby's stays OK.
        assert panel(app).has_class("-warning")
        assert app.query_one("#standby-0").has_class("-ok")


async def test_stale_last_run_and_missing_cuts_are_warned() -> None:
    app = audio_app([audio_stale()])
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        assert audio_field(app, "last").startswith("▲ STALE: ok 3h05m ago (> 2h00m)")
        assert audio_field(app, "cuts") == "▲ 4 missing: 010023_001, 010024_001, 010031_001, …"
        assert "▲ DEGRADED" in header(app)
        assert "the last good audio sync is 3h05m old" in problems(app)


async def test_r_forces_the_slow_audio_checks() -> None:
    watcher = ScriptedWatcher([audio_ok()])
    app = make_app(
        sample_settings(audio=True),
        SCENARIOS["healthy"](),
        clock=fixed_clock,
        audio={STANDBY: watcher},
    )
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        await pilot.press("r")
        await checked(pilot, 2)
        assert watcher.forced == [False, True]
    assert watcher.closed


async def test_a_run_started_elsewhere_shows_from_the_state_file() -> None:
    app = audio_app([audio_running_elsewhere()])
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        assert panel(app).has_class("-running")
        assert panel(app).border_subtitle == "pid 4321 syncing, checked 14:03:22"
        assert audio_field(app, "sync-file") == "010044_001.wav (40%)"
        assert app.query_one(SyncLine).counts == "15 left, 4 done"
        assert app.query_one(SyncLine).percent == pytest.approx(62.5)


async def test_sync_keys_hidden_without_a_runner_or_without_audio() -> None:
    app = audio_app([audio_ok()], sync=None)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        assert app.query("#audio-0"), "the panel shows without a runner"
        assert not {"s", "l"} & set(app.active_bindings)
        await pilot.press("s")
        await pilot.pause()
        assert not isinstance(app.screen, SyncPreviewScreen)
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert "Sync audio" not in titles
    plain = make_app(sample_settings(), SCENARIOS["healthy"](), sync=FakeSyncRunner())
    async with plain.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not plain.query(AudioPanel)
        assert not {"s", "l"} & set(plain.active_bindings)


async def test_s_shows_the_dry_run_and_escape_cancels() -> None:
    runner = FakeSyncRunner()
    app = audio_app(sync=runner)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        assert app.active_bindings["s"].enabled
        titles = [command.title for command in app.get_system_commands(app.screen)]
        assert {"Sync audio", "Rsync log"} <= set(titles)
        screen = await open_preview(pilot)
        text = dialog_text(screen)
        assert "rsync --recursive" in text and "rsync://10.0.0.1:873/rivendell/" in text
        assert "8 file(s): 010040_001.wav" in text and "(3 more)" in text
        assert "none, delete is off; gone from the master, they stay: 2 file(s)" in text
        assert screen.focused is not None and screen.focused.id == "cancel"
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, SyncPreviewScreen)
        assert runner.calls == [(STANDBY, True)], "only the dry run ran"
        assert "sync rd-standby: not started; nothing changed" in event_lines(app)
        await open_preview(pilot)
        await pilot.press("enter")  # on Cancel, which has the focus
        await pilot.pause()
        assert runner.calls == [(STANDBY, True), (STANDBY, True)]


async def test_a_refused_dry_run_offers_only_close() -> None:
    runner = FakeSyncRunner(preview_refused())
    app = audio_app(sync=runner)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        screen = await open_preview(pilot)
        buttons = [str(button.label) for button in screen.query(Button).results(Button)]
        assert buttons == ["Close (Esc)"]
        assert "✖ REFUSED: guard file missing on the master" in dialog_text(screen)
        await pilot.press("y")
        await pilot.pause()
        assert isinstance(app.screen, SyncPreviewScreen), "y does nothing here"
        await pilot.press("escape")
        await pilot.pause()
        assert runner.calls == [(STANDBY, True)]
        assert "dry run REFUSED: guard file missing" in event_lines(app)


async def test_confirmed_sync_streams_progress_and_logs_the_outcome(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hold = asyncio.Event()
    runner = FakeSyncRunner(hold=hold)
    app = audio_app(sync=runner)
    notes: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append((message, kw)))
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        await open_preview(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: panel(app).has_class("-running"))
        assert app.active_bindings["s"].enabled is False, "dimmed while the sync runs"
        assert runner.calls == [(STANDBY, True), (STANDBY, False)]
        await wait_until(pilot, lambda: runner.held)  # in the middle of the last file
        done = len(SYNC_FILES) - 1
        counts = f"{SYNC_TOTAL - done} left, {done} done"
        # Drawn at most every 0.1 s: wait for the newest state.
        await wait_until(pilot, lambda: audio_field(app, "sync-file") == f"{SYNC_FILES[-1]} (66%)")
        assert app.query_one(SyncLine).counts == counts
        assert audio_field(app, "sync-rate") == "10.5 MiB/s, file ETA 3s"
        assert app.query_one(SyncLine).percent == pytest.approx(100 * done / SYNC_TOTAL)
        assert str(panel(app).border_subtitle).startswith("console syncing")
        await pilot.press("s")  # dimmed: nothing happens
        await pilot.pause()
        assert runner.calls == [(STANDBY, True), (STANDBY, False)]
        hold.set()
        await wait_until(pilot, lambda: "sync rd-standby: OK" in event_lines(app))
        assert "sync rd-standby: OK: mirrored 8 file(s), 0 moved to trash" in event_lines(app)
        assert not panel(app).has_class("-running")
        assert app.active_bindings["s"].enabled
        assert notes == [
            (
                "mirrored 8 file(s), 0 moved to trash",
                {"title": "sync to rd-standby: OK", "severity": "information", "markup": False},
            )
        ]


async def test_rsync_log_screen_shows_the_runs_lines() -> None:
    hold = asyncio.Event()
    runner = FakeSyncRunner(hold=hold)
    app = audio_app(sync=runner)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, RsyncLogScreen)
        assert "no sync started from this console yet" in app.screen.query_one(Log).lines
        await pilot.press("l")
        await pilot.pause()
        await open_preview(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: runner.events >= 4)
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, RsyncLogScreen)
        log = app.screen.query_one(Log)
        await wait_until(pilot, lambda: runner.held)
        hold.set()
        await wait_until(
            pilot,
            lambda: any(line.startswith("=== sync to") and "OK" in line for line in log.lines),
        )
        lines = list(log.lines)
        assert lines[0] == "=== sync to rd-standby, started from the console"
        assert "— mirroring" in lines
        assert SYNC_FILES[0] in lines and SYNC_FILES[-1] in lines
        assert "deleting 009001_001.wav" in lines
        assert '▲ file has vanished: "010099_001.wav"' in lines
        assert lines.count(SYNC_FILES[0]) == 1, "each line once, live or not"


async def test_keys_answer_while_a_sync_streams() -> None:
    """4,000 events about 1 ms apart: the help opens while the run is still streaming.

    A functional check (the timing benchmark belongs in benchmarks/): keys are handled between
    progress updates, which are drawn at most every 0.1 s instead of once per event.
    """
    files = tuple(f"{n:06d}_001.wav" for n in range(1000))
    runner = FakeSyncRunner(files=files, pause=0.001)
    total = len(files) * (runner.records + 2) + 2
    app = audio_app(sync=runner)
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        await open_preview(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: runner.events >= 100)
        opened: list[int] = []

        async def watch() -> None:
            while not isinstance(app.screen, HelpScreen):  # noqa: ASYNC110 - polls the app
                await asyncio.sleep(0.001)
            opened.append(runner.events)

        watcher = asyncio.create_task(watch())
        await pilot.press("question_mark")
        async with asyncio.timeout(20):
            await watcher
        assert opened[0] < total, "the help opened while the sync streamed"
        await pilot.press("escape")
        await wait_until(pilot, lambda: runner.streamed)
        await wait_until(pilot, lambda: "sync rd-standby: OK" in event_lines(app))


async def test_q_during_a_sync_warns_first() -> None:
    runner = FakeSyncRunner(hold=asyncio.Event())
    app = audio_app(sync=runner)
    async with app.run_test(size=SIZE, notifications=True) as pilot:
        await checked(pilot)
        await open_preview(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: runner.streaming)
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running, "the first q only warns"
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_several_standbys_ask_which_one() -> None:
    settings = sample_settings(audio=True)
    second = HostConfig(
        "rd-standby2",
        Role.STANDBY,
        "10.0.0.3",
        mysql=MySQLEndpoint("10.0.0.3"),
        audio=AudioConfig(enabled=True),
    )
    settings = type(settings)(settings.console, settings.master, (*settings.standbys, second))
    collectors: dict[str, Collector] = {
        MASTER: ScriptedCollector(MASTER, [master_up()]),
        STANDBY: ScriptedCollector(STANDBY, [standby()]),
        "rd-standby2": ScriptedCollector("rd-standby2", [standby()]),
    }
    runner = FakeSyncRunner()
    watchers: dict[str, ScriptedWatcher] = {
        STANDBY: ScriptedWatcher([audio_ok()]),
        "rd-standby2": ScriptedWatcher([audio_ok(standby="rd-standby2")], "rd-standby2"),
    }
    app = make_app(settings, collectors, clock=fixed_clock, audio=watchers, sync=runner)
    async with app.run_test(size=(120, 40)) as pilot:
        await wait_until(pilot, lambda: app.state.audio_received >= 2)
        await pilot.press("s")
        await pilot.pause()
        assert isinstance(app.screen, StandbyChooser)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: isinstance(app.screen, SyncPreviewScreen))
        assert runner.calls == [("rd-standby2", True)]


def test_make_app_wants_audio_for_standbys_only() -> None:
    with pytest.raises(ValueError, match="no standby: rd-master"):
        make_app(
            sample_settings(audio=True),
            SCENARIOS["healthy"](),
            audio={MASTER: ScriptedWatcher([audio_ok()], MASTER)},
        )


async def test_help_explains_the_audio_panel_and_keys() -> None:
    app = audio_app(sync=FakeSyncRunner())
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        text = "\n".join(
            [str(label.content) for label in app.screen.query(Label).results(Label)]
            + [f"{row.key} {row.value}" for row in app.screen.query(Row).results(Row)]
        )
        assert "shows its dry run first" in text and "rsync's lines" in text
        assert "guard: the master's guard file" in text and "STALE" in text


async def test_a_failed_check_keeps_the_values_and_says_so() -> None:
    app = audio_app([audio_ok()])
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        app.post_message(AudioPolled(STANDBY, None, "no answer within 60 s"))
        await wait_until(pilot, lambda: panel(app).has_class("-unknown"))
        assert panel(app).border_subtitle == "? check failed, showing 14:03:22"
        assert audio_field(app, "guard") == "✔ present (14:03:20)"
        assert "rd-standby audio: check failed: no answer within 60 s" in event_lines(app)
        await pilot.press("r")
        await checked(pilot, 2)
        assert panel(app).has_class("-ok")
        assert "rd-standby audio: checked again" in event_lines(app)


class CrashingOnceWatcher(ScriptedWatcher):
    async def collect(self, *, force: bool = False) -> AudioSnapshot:
        if not self.forced:
            self.forced.append(force)
            raise RuntimeError("watcher bug")
        return await super().collect(force=force)


async def test_a_crashed_audio_poller_is_logged_and_restarted() -> None:
    watcher = CrashingOnceWatcher([audio_ok()])
    app = make_app(
        sample_settings(audio=True),
        SCENARIOS["healthy"](),
        clock=fixed_clock,
        audio={STANDBY: watcher},
    )
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: "audio poller for rd-standby failed" in event_lines(app))
        assert "RuntimeError('watcher bug')" in event_lines(app)
        await checked(pilot)  # after the 1 s backoff
        assert audio_field(app, "guard") == "✔ present (14:03:20)"


class CrashingRunner(FakeSyncRunner):
    async def __call__(
        self, standby: str, *, dry_run: bool, observer: SyncObserver | None
    ) -> SyncOutcome:
        if not dry_run:
            self.calls.append((standby, dry_run))
            raise RuntimeError("runner bug")
        return await super().__call__(standby, dry_run=dry_run, observer=observer)


async def test_a_crashed_sync_is_logged_and_the_key_comes_back(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = CrashingRunner()
    app = audio_app(sync=runner)
    notes: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(kw["title"]))
    async with app.run_test(size=SIZE) as pilot:
        await checked(pilot)
        await open_preview(pilot)
        await pilot.press("y")
        await wait_until(pilot, lambda: "sync rd-standby: failed" in event_lines(app))
        assert "RuntimeError('runner bug')" in event_lines(app)
        assert notes == ["sync to rd-standby failed"]
        assert app.active_bindings["s"].enabled
        assert not panel(app).has_class("-running")
