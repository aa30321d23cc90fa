"""Pilot tests of the failover key, its screens, the run view and the standing banner at 80x24,
with a scripted FailoverRunner (this tests the console, not MySQL)."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from textual.pilot import Pilot
from textual.widgets import Button, Input, Label

from rdconsole.config.settings import HostConfig, MySQLEndpoint
from rdconsole.core.model import Role
from rdconsole.ops.failover_flow import (
    FailoverExit,
    FailoverOutcome,
    FailoverPreview,
    Standing,
)
from rdconsole.ops.monitor import Collector
from rdconsole.ui.app import RdConsoleApp, make_app
from rdconsole.ui.messages import FailoverPreviewed
from rdconsole.ui.panels.banner import StandingBanner
from rdconsole.ui.screens.failover import FailoverRunScreen, FailoverScreen
from rdconsole.ui.screens.sync import StandbyChooser
from tests.ui.failover_samples import (
    DONE_MESSAGE,
    FENCED,
    PROGRESS,
    FakeFailoverRunner,
    failover_app,
    interrupted_run,
    open_failover,
    promoted_marker,
    sample_plan,
    sample_preview,
)
from tests.ui.guarded import confirm_button, on_top, report, run_lines, type_into, verdict
from tests.ui.samples import (
    SCENARIOS,
    STANDBY,
    ScriptedCollector,
    fixed_clock,
    play_scenario,
    sample_settings,
    scenario_app,
    standby,
    wait_until,
)
from tests.ui.test_console import event_lines

SIZE = (80, 24)
SECOND = "rd-standby2"
PROMOTED = (
    "▲ PROMOTED rd-standby at 14:03 by alice — old master rd-master must not come back "
    "writable until rejoined"
)
INTERRUPTED = (
    "✖ INTERRUPTED failover of rd-standby at step 06-writable — finish it with "
    "`rdconsole failover --resume`"
)


def failover_screen(app: RdConsoleApp) -> FailoverScreen:
    return on_top(app, FailoverScreen)


ScreenT = TypeVar("ScreenT")


async def wait_for_screen(pilot: Pilot[None], kind: type[ScreenT]) -> ScreenT:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, kind))
    screen = pilot.app.screen
    assert isinstance(screen, kind)
    return screen


def banner(app: RdConsoleApp) -> list[str]:
    widget = app.query_one(StandingBanner)
    return list(widget.lines) if widget.display else []


async def checked_again(pilot: Pilot[None], runner: FakeFailoverRunner, count: int) -> None:
    app = pilot.app
    assert isinstance(app, RdConsoleApp)
    await wait_until(pilot, lambda: len(runner.previews) >= count)
    await wait_until(pilot, lambda: not failover_screen(app).checking)
    await pilot.pause()


async def fenced_and_named(pilot: Pilot[None], runner: FakeFailoverRunner) -> None:
    """Open the screen, state the fencing (a second check), type the standby's name."""
    await open_failover(pilot)
    await type_into(pilot, "fenced", FENCED, enter=True)
    await checked_again(pilot, runner, 2)
    await type_into(pilot, "typed-name", STANDBY)


async def test_f_is_hidden_without_a_runner() -> None:
    app = scenario_app("healthy")
    async with app.run_test(size=SIZE) as pilot:
        await play_scenario(pilot)
        assert app.check_action("failover", ()) is False
        assert "f" not in app.screen.active_bindings
        await pilot.press("f")
        await pilot.pause()
        assert not isinstance(app.screen, FailoverScreen)
        assert banner(app) == []


async def test_screen_lists_the_checklist_the_risk_and_the_plan() -> None:
    runner = FakeFailoverRunner()
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        assert "f" in app.screen.active_bindings
        await open_failover(pilot)
        lines = report(app)
        assert lines[0] == "master rd-master: DOWN"
        assert lines[1].startswith("at risk: ▲ up to 3072 bytes / 2s of writes may be lost")
        assert any(
            line.startswith("✔ PASS  Master is down: MySQL probe: refused") for line in lines
        )
        assert '✖ BLOCK Fencing: rdconsole cannot fence the old master itself (fence = "none")' in (
            lines
        )
        assert 'fix: state how it is kept from coming back writable: --fenced "powered off" ' in (
            "\n".join(lines) + " "
        )
        assert "plan: failover, 9 steps (nothing runs before Confirm)" in lines
        assert "01-fence [rd-master] Record how the old master is fenced" in lines
        assert "05-reset [rd-standby] Forget the old master" in lines
        assert "RESET SLAVE ALL" in lines
        assert "SET GLOBAL read_only = OFF; SELECT @@GLOBAL.read_only AS read_only" in lines
        assert verdict(app).startswith("BLOCKED: Fencing: rdconsole cannot fence")
        screen = failover_screen(app)
        assert app.focused is screen.query_one("#cancel", Button)
        assert screen.query_one("#fenced-row").display
        assert not screen.query_one("#override-row").display
        assert confirm_button(app).disabled
        assert runner.previews == [(STANDBY, None, None)]
        assert "failover rd-standby: master DOWN, failover of 9 steps, BLOCKED" in event_lines(app)


def two_standby_app(runner: FakeFailoverRunner) -> RdConsoleApp:
    """The master-down scenario with a second standby, ``rd-standby2``, healthy."""
    settings = sample_settings()
    second = HostConfig(SECOND, Role.STANDBY, "10.0.0.3", mysql=MySQLEndpoint("10.0.0.3"))
    settings = replace(settings, standbys=(*settings.standbys, second))
    collectors: dict[str, Collector] = {
        **SCENARIOS["master-down"](),
        SECOND: ScriptedCollector(SECOND, [standby()]),
    }
    return make_app(settings, collectors, clock=fixed_clock, failover=runner)


async def test_with_two_standbys_f_asks_which_one_and_checks_that_one() -> None:
    runner = FakeFailoverRunner()
    app = two_standby_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await wait_until(pilot, lambda: app.state.received >= 3)
        await pilot.press("f")
        chooser = await wait_for_screen(pilot, StandbyChooser)
        assert chooser.query_one("#chooser-dialog").border_title == "promote which standby?"
        assert [b.name for b in chooser.query(Button).results(Button)] == [STANDBY, SECOND]
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, (StandbyChooser, FailoverScreen))
        assert runner.previews == []  # Esc chose none: nothing was even checked
        await pilot.press("f")
        await wait_for_screen(pilot, StandbyChooser)
        await pilot.press("down", "enter")
        await wait_until(pilot, lambda: len(runner.previews) == 1)
        assert isinstance(app.screen, FailoverScreen)
        assert runner.previews == [(SECOND, None, None)]
        assert runner.runs == []


async def test_a_block_keeps_confirm_disabled_even_with_the_right_name() -> None:
    runner = FakeFailoverRunner()
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_failover(pilot)
        await type_into(pilot, "typed-name", STANDBY)
        name = failover_screen(app).query_one("#typed-name", Input)
        assert name.value == STANDBY
        assert name.is_valid
        assert confirm_button(app).disabled
        await pilot.press("enter")  # Enter in the name field never promotes
        await pilot.pause()
        assert isinstance(app.screen, FailoverScreen)
        assert runner.runs == []


async def test_the_fencing_statement_checks_again() -> None:
    runner = FakeFailoverRunner()
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_failover(pilot)
        await type_into(pilot, "fenced", FENCED, enter=True)
        await checked_again(pilot, runner, 2)
        assert runner.previews[-1] == (STANDBY, FENCED, None)
        assert f"✔ PASS  Fencing: operator states: {FENCED!r}" in report(app)
        assert verdict(app) == "ready: type rd-standby below, then Confirm promotes it"
        assert confirm_button(app).disabled  # the name is not typed yet


async def test_wrong_name_keeps_confirm_disabled_the_right_one_enables_it() -> None:
    runner = FakeFailoverRunner()
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_failover(pilot)
        await type_into(pilot, "fenced", FENCED, enter=True)
        await checked_again(pilot, runner, 2)
        await type_into(pilot, "typed-name", "rd-standb")
        assert confirm_button(app).disabled
        assert not failover_screen(app).query_one("#typed-name", Input).is_valid
        await type_into(pilot, "typed-name", "yy")
        assert confirm_button(app).disabled  # "rd-standbyy"
        await pilot.press("backspace", "backspace", "y")
        await pilot.pause()
        assert not confirm_button(app).disabled
        await pilot.press("backspace")
        await pilot.pause()
        assert confirm_button(app).disabled
        assert runner.runs == []


async def test_escape_cancels_and_nothing_runs() -> None:
    runner = FakeFailoverRunner()
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await fenced_and_named(pilot, runner)
        assert not confirm_button(app).disabled
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, FailoverScreen)
        assert runner.runs == []
        assert "failover rd-standby: cancelled; nothing changed" in event_lines(app)
        assert app.check_action("failover", ()) is True


async def test_an_overridable_block_offers_the_override_field() -> None:
    runner = FakeFailoverRunner(sql_error=True)
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_failover(pilot)
        screen = failover_screen(app)
        assert screen.query_one("#override-row").display
        assert "give a reason in 'override'" in verdict(app)
        await type_into(pilot, "fenced", FENCED, enter=True)
        await checked_again(pilot, runner, 2)
        assert verdict(app).startswith("BLOCKED: Relay log drained: the SQL thread is stopped")
        await type_into(pilot, "override", "event repaired by hand", enter=True)
        await checked_again(pilot, runner, 3)
        assert runner.previews[-1] == (STANDBY, FENCED, "event repaired by hand")
        assert any("Relay log drained (overridden)" in line for line in report(app))
        await type_into(pilot, "typed-name", STANDBY)
        assert not confirm_button(app).disabled


async def test_an_older_answer_never_replaces_the_newest_check() -> None:
    runner = FakeFailoverRunner()
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_failover(pilot)
        # The answer to an earlier request (with other statements), arriving late.
        app.post_message(FailoverPreviewed(STANDBY, sample_preview(FENCED), ask=0))
        await pilot.pause()
        assert verdict(app).startswith("BLOCKED: Fencing")
        assert failover_screen(app).preview == sample_preview()


async def test_a_refused_check_is_shown_and_cannot_be_confirmed() -> None:
    refusal = FailoverOutcome(FailoverExit.REFUSED, interrupted_run().refusal())
    runner = FakeFailoverRunner(refusal=refusal)
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_failover(pilot)
        assert verdict(app).startswith("REFUSED: a failover of rd-standby was interrupted after")
        await type_into(pilot, "typed-name", STANDBY)
        assert confirm_button(app).disabled


async def test_checks_that_crash_are_shown_not_raised(monkeypatch: pytest.MonkeyPatch) -> None:
    runner = FakeFailoverRunner()

    async def broken(*args: Any, **kwargs: Any) -> FailoverPreview:
        raise OSError("state_dir is gone")

    monkeypatch.setattr(runner, "preview", broken)
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await open_failover(pilot)
        assert verdict(app).startswith("CHECKS FAILED: OSError('state_dir is gone')")
        assert confirm_button(app).disabled


async def confirm(pilot: Pilot[None]) -> None:
    """Confirm by keyboard: Enter in the name field moves to Confirm, Enter presses it."""
    app = pilot.app
    assert isinstance(app, RdConsoleApp)
    await pilot.press("enter")
    await pilot.pause()
    assert app.focused is confirm_button(app)
    await pilot.press("enter")
    await wait_until(pilot, lambda: isinstance(app.screen, FailoverRunScreen))
    await pilot.pause()


async def test_confirm_runs_the_steps_logs_the_outcome_and_raises_the_banner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = FakeFailoverRunner()
    app = failover_app(runner)
    notes: list[tuple[str, dict[str, Any]]] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append((message, kw)))
    async with app.run_test(size=SIZE) as pilot:
        await fenced_and_named(pilot, runner)
        await confirm(pilot)
        run = app.failover.run
        assert run is not None
        await wait_until(pilot, lambda: run.finished)
        await wait_until(pilot, lambda: banner(app) == [PROMOTED])
        await pilot.pause()
        assert len(runner.runs) == 1
        assert runner.runs[0].fenced == FENCED
        lines = run_lines(app)
        assert len(lines) == len(sample_plan().steps)
        assert all(line.startswith("✔ ") for line in lines)
        assert lines[0].startswith("✔ 01-fence Record how the old master is fenced (")
        assert lines[0].endswith(" s): ok")
        result = str(app.screen.query_one("#run-result .value", Label).content)
        assert result == f"DONE: {DONE_MESSAGE}"
        log = event_lines(app)
        assert "failover rd-standby: confirmed; failover started from the console" in log
        assert "failover rd-standby: ✔ 02-drain Wait until the relay log is executed (" in log
        assert f"failover rd-standby: DONE: {DONE_MESSAGE}" in log
        assert "failover: rd-standby was promoted by alice (powered off at the rack)" in log
        assert notes == [
            (
                DONE_MESSAGE,
                {
                    "title": "failover to rd-standby: DONE",
                    "severity": "information",
                    "timeout": 30,
                    "markup": False,
                },
            )
        ]
        assert app.check_action("failover", ()) is True
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, FailoverRunScreen)
        assert banner(app) == [PROMOTED]


async def test_during_the_run_steps_stream_polls_go_on_and_q_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    hold = asyncio.Event()
    runner = FakeFailoverRunner(hold=hold)
    app = failover_app(runner)
    notes: list[str] = []
    monkeypatch.setattr(app, "notify", lambda message, **kw: notes.append(message))
    async with app.run_test(size=SIZE) as pilot:
        await fenced_and_named(pilot, runner)
        await confirm(pilot)
        await wait_until(pilot, lambda: runner.held)
        await wait_until(pilot, lambda: run_lines(app)[1].startswith("… 02-drain"))
        lines = run_lines(app)
        assert lines[0].startswith("✔ 01-fence")
        assert lines[2] == "· 03-stop-replication Stop replication"
        phase = str(app.screen.query_one("#run-phase", Label).content)
        assert phase.startswith("… 02-drain Wait until the relay log is executed (")
        assert phase.endswith(f"s): {PROGRESS}")
        assert app.check_action("failover", ()) is None  # dimmed
        assert banner(app)[0].startswith("… FAILOVER RUNNING to rd-standby: … 02-drain")
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running
        assert notes == ["a failover is running; it must finish (its steps are in the event log)"]
        # Hidden, the run goes on; the pollers keep polling.
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, FailoverRunScreen)
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running
        assert len(notes) == 2
        polls = app.state.received
        await pilot.press("r")
        await wait_until(pilot, lambda: app.state.received >= polls + 2)
        await pilot.press("f")  # dimmed: nothing opens
        await pilot.pause()
        assert not isinstance(app.screen, FailoverScreen)
        hold.set()
        run = app.failover.run
        assert run is not None
        await wait_until(pilot, lambda: run.finished)
        assert run.done
        assert app.check_action("failover", ()) is True


async def test_a_failed_run_is_shown_and_leaves_the_interrupted_banner(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runner = FakeFailoverRunner(fails_at="06-writable")
    app = failover_app(runner)
    monkeypatch.setattr(app, "notify", lambda message, **kw: None)
    async with app.run_test(size=SIZE) as pilot:
        await fenced_and_named(pilot, runner)
        await confirm(pilot)
        run = app.failover.run
        assert run is not None
        await wait_until(pilot, lambda: run.finished)
        await wait_until(pilot, lambda: banner(app) == [INTERRUPTED])
        await pilot.pause()
        lines = run_lines(app)
        assert lines[5].startswith("✖ 06-writable Make the standby writable (")
        assert lines[5].endswith("s): the standby did not read back read_only = 0")
        assert lines[6] == "· 07-switch Switch Rivendell to its standby configuration"
        assert "failover rd-standby: FAILED: step 06-writable" in event_lines(app)


async def test_interrupted_run_and_promotion_are_shown_at_start_up() -> None:
    runner = FakeFailoverRunner(standing=Standing(promoted_marker(), interrupted_run()))
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await play_scenario(pilot)
        await wait_until(pilot, lambda: bool(banner(app)))
        assert banner(app) == [INTERRUPTED, PROMOTED]
        log = event_lines(app)
        assert (
            "failover: a failover of rd-standby was interrupted after 01-fence, 02-drain, "
            "03-stop-replication, 04-record, 05-reset: finish it with `rdconsole failover "
            "--resume`" in log
        )
        assert app.has_class("-standing") and app.has_class("-standing-more")
        # The console never resumes by itself.
        assert runner.runs == []


async def test_unreadable_state_dir_is_logged() -> None:
    runner = FakeFailoverRunner(standing=Standing(None, None, "cannot read /var/lib/x: denied"))
    app = failover_app(runner)
    async with app.run_test(size=SIZE) as pilot:
        await play_scenario(pilot)
        await wait_until(pilot, lambda: "cannot read" in event_lines(app))
        assert "failover: cannot read /var/lib/x: denied" in event_lines(app)
        assert banner(app) == []
