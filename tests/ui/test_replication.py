"""Pilot tests of the setup screen (command palette), the rejoin and failback screens (keys
offered by the promotion marker's stage) and their run view at 80x24, with a scripted
ReplicationRunner (this tests the console, not MySQL)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import timedelta

import pytest
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Button, Input, Label

from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.ops.console_replication import Stage
from rdconsole.ui.app import RdConsoleApp
from rdconsole.ui.promotion import promoted_line
from rdconsole.ui.screens.replication import ReplicationRunScreen, ReplicationScreen
from tests.ui.failover_samples import promoted_marker
from tests.ui.guarded import KEYS, confirm_button, on_top, report, type_into, verdict
from tests.ui.replication_samples import (
    FAILED_DETAIL,
    PROGRESS,
    FakeReplicationRunner,
    open_replication,
    replication_app,
)
from tests.ui.samples import (
    MASTER,
    SCREEN_TIME,
    STANDBY,
    play_scenario,
    scenario_app,
    wait_until,
)
from tests.ui.test_console import event_lines

SIZE = (80, 24)


def screen_of(app: RdConsoleApp) -> ReplicationScreen:
    return on_top(app, ReplicationScreen)


async def confirm(pilot: Pilot[None], word: str) -> ReplicationRunScreen:
    app = pilot.app
    assert isinstance(app, RdConsoleApp)
    await type_into(pilot, "typed-word", word, enter=True)
    assert app.focused is confirm_button(app)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, ReplicationRunScreen))
    screen = app.screen
    assert isinstance(screen, ReplicationRunScreen)
    return screen


async def test_setup_opens_from_the_command_palette() -> None:
    runner = FakeReplicationRunner()
    app = replication_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await play_scenario(pilot)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*[KEYS.get(c, c) for c in "set up repl"])
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplicationScreen))
        screen = screen_of(app)
        await wait_until(pilot, lambda: not screen.checking)
        assert runner.previews == [("setup", STANDBY, ())]
        assert app.focused is screen.query_one("#cancel", Button)
        lines = report(app)
        assert lines[0] == f"{STANDBY} will replicate Rivendell from {MASTER}"
        assert "✔ PASS  Unique server_id: rd-master 1, rd-standby 2" in lines
        assert "plan: setup, 7 steps (nothing runs before Confirm)" in lines
        assert any(line.startswith("04-snapshot [rd-standby] Snapshot rd-master") for line in lines)
        assert verdict(app) == f"ready: type {STANDBY} below, then Confirm sets up replication"
        assert not screen.query_one("#overwrite-row").display
        assert confirm_button(app).disabled


async def test_typing_the_wrong_word_keeps_confirm_disabled() -> None:
    runner = FakeReplicationRunner()
    app = replication_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_replication(pilot)
        await type_into(pilot, "typed-word", STANDBY[:-1])
        assert confirm_button(app).disabled
        await type_into(pilot, "typed-word", "x")
        assert confirm_button(app).disabled
        await pilot.press("backspace")
        assert confirm_button(app).disabled
        await type_into(pilot, "typed-word", STANDBY[-1])
        assert not confirm_button(app).disabled
        await type_into(pilot, "typed-word", "y")
        assert confirm_button(app).disabled
        assert runner.runs == []


@pytest.mark.parametrize("data", [False, True])
async def test_a_block_keeps_confirm_disabled(data: bool) -> None:
    """The standby's database holds data (setup's own block), or any other BLOCK item."""
    block = None if data else ChecklistItem("versions", "Server versions", Check.BLOCK, "differ")
    runner = FakeReplicationRunner(data=data, blocked=block)
    app = replication_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_replication(pilot)
        await type_into(pilot, "typed-word", STANDBY, enter=True)
        assert confirm_button(app).disabled
        assert verdict(app).startswith("BLOCKED: ")
        assert any(line.startswith("✖ BLOCK ") for line in report(app))
        assert app.focused is screen_of(app).query_one("#typed-word", Input)
        assert screen_of(app).query_one("#overwrite-row").display is data
        assert runner.runs == []


async def test_typing_the_databases_lifts_the_overwrite_block() -> None:
    runner = FakeReplicationRunner(data=True)
    app = replication_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_replication(pilot)
        assert "(type the database names in 'overwrite', then Enter)" in verdict(app)
        assert any(
            line.startswith("✖ BLOCK Standby databases") or "already hold data" in line
            for line in report(app)
        )
        await type_into(pilot, "typed-word", STANDBY)
        await type_into(pilot, "overwrite", "Rivendell", enter=True)
        await wait_until(pilot, lambda: len(runner.previews) == 2 and not screen_of(app).checking)
        await pilot.pause()
        assert runner.previews[-1] == ("setup", STANDBY, ("Rivendell",))
        assert any("will be replaced by the snapshot" in line for line in report(app))
        assert verdict(app).startswith("ready: 1 warning(s) above; type rd-standby")
        assert not confirm_button(app).disabled


async def test_escape_cancels_and_changes_nothing() -> None:
    runner = FakeReplicationRunner()
    app = replication_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_replication(pilot)
        await type_into(pilot, "typed-word", STANDBY)
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ReplicationScreen))
        assert runner.runs == []
        assert "setup: cancelled; nothing changed" in event_lines(app)


async def test_steps_and_progress_stream_during_a_run_and_q_is_refused() -> None:
    hold = asyncio.Event()
    runner = FakeReplicationRunner(hold=hold)
    app = replication_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_replication(pilot)
        run = await confirm(pilot, STANDBY)
        await wait_until(pilot, lambda: runner.held)
        await pilot.pause()
        texts = run.texts
        assert texts[0].startswith("✔ 01-account Replication account on rd-master (")
        assert texts[0].endswith(": ok")
        assert texts[3].startswith("… 04-snapshot Snapshot rd-master online into rd-standby")
        assert texts[4] == "· 05-point Point rd-standby at rd-master and start replicating"
        phase = str(run.query_one("#run-phase", Label).content)
        assert phase.startswith("… 04-snapshot") and phase.endswith(f": {PROGRESS}")
        assert app.check_action("failover", ()) is None  # dimmed while the setup runs
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and app.screen is run
        hold.set()
        await wait_until(
            pilot, lambda: app.replication.run is not None and app.replication.run.done
        )
        await pilot.pause()
        assert all(text.startswith("✔ ") for text in run.texts)
        assert not run.query_one("#run-phase", Label).display
        result = run.query_one("#run-result .value", Label)
        assert str(result.content) == "DONE: setup done"
        log = event_lines(app)
        assert "setup: confirmed; started from the console" in log
        assert "setup: ✔ 07-probe Prove a write on rd-master reaches rd-standby" in log
        assert "setup: DONE: setup done" in log
        await pilot.press("escape")
        await pilot.press("q")
        await pilot.pause()
        assert not app.is_running


async def test_a_failed_step_says_how_to_finish() -> None:
    runner = FakeReplicationRunner(fails_at="05-point")
    app = replication_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_replication(pilot)
        run = await confirm(pilot, STANDBY)
        await wait_until(pilot, lambda: app.replication.run is not None)
        await wait_until(
            pilot, lambda: app.replication.run is not None and app.replication.run.finished
        )
        await pilot.pause()
        assert run.texts[4].startswith("✖ 05-point Point rd-standby at rd-master")
        assert run.texts[4].endswith(f": {FAILED_DETAIL}")
        result = str(run.query_one("#run-result .value", Label).content)
        assert result.startswith("FAILED: step 05-point")
        assert result.endswith("`rdconsole setup --resume`")


async def test_rejoin_is_offered_after_a_promotion_then_failback() -> None:
    runner = FakeReplicationRunner(stage=Stage.PROMOTED)
    app = replication_app(runner, scenario="master-down")
    async with app.run_test(size=SIZE) as pilot:
        screen = await open_replication(pilot, "j")
        assert screen.title_text == f"rejoin: {MASTER} becomes a replica of {STANDBY}"
        assert runner.previews == [("rejoin", None, ())]
        lines = report(app)
        assert any(line.startswith("▲ WARN  What the old master holds beyond") for line in lines)
        assert any(line.startswith("03-quarantine [rd-master] Save what") for line in lines)
        await type_into(pilot, "typed-word", STANDBY)
        assert confirm_button(app).disabled  # the old master's name is the word
        screen.query_one("#typed-word", Input).value = ""
        await confirm(pilot, MASTER)
        await wait_until(pilot, lambda: app.replication.standing.stage is Stage.REJOINED)
        await pilot.pause()
        assert app.check_action("rejoin", ()) is False
        assert app.check_action("failback", ()) is True
        await pilot.press("escape")
        await pilot.pause()
        bindings = app.screen.active_bindings
        assert "b" in bindings and "j" not in bindings
        await pilot.press("b")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplicationScreen))
        assert screen_of(app).title_text.startswith(f"failback: {MASTER} becomes the master")


@pytest.mark.parametrize(
    ("stage", "shown"),
    [(Stage.NONE, set()), (Stage.PROMOTED, {"j"}), (Stage.REJOINED, {"b"})],
)
async def test_keys_and_palette_follow_the_stage(stage: Stage, shown: set[str]) -> None:
    app = replication_app(FakeReplicationRunner(stage=stage))
    async with app.run_test(size=SIZE) as pilot:
        await play_scenario(pilot)
        await wait_until(pilot, lambda: app.replication.standing.stage is stage)
        await pilot.pause()
        assert {"j", "b"} & set(app.screen.active_bindings) == shown
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Set up replication…" in titles
        assert ("Rejoin the old master…" in titles) is (stage is Stage.PROMOTED)
        assert ("Switch back (failback)…" in titles) is (stage is Stage.REJOINED)


async def test_nothing_without_a_runner() -> None:
    app = scenario_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await play_scenario(pilot)
        titles = {command.title for command in app.get_system_commands(app.screen)}
        assert "Set up replication…" not in titles
        assert app.check_action("rejoin", ()) is False
        await pilot.press("j")
        await pilot.pause()
        assert not isinstance(app.screen, ReplicationScreen)


def test_the_banner_says_when_the_old_master_rejoined() -> None:
    marker = replace(promoted_marker(), rejoined_at=SCREEN_TIME + timedelta(hours=1))
    assert promoted_line(marker, MASTER, SCREEN_TIME.tzinfo) == (
        "▲ PROMOTED rd-standby at 14:03 by alice — old master rd-master rejoined as its replica "
        "at 15:03; the failback switches the roles back"
    )
