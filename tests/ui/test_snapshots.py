"""SVG snapshots of the console (pytest-textual-snapshot); accept changes with --snapshot-update.

Deterministic: scripted hosts, a fixed clock, two polls each (``samples.play_scenario``). Every
console has its failover key, as the real one does (a scripted runner).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from rdconsole.ops.console_replication import Stage
from rdconsole.ops.failover_flow import Standing
from rdconsole.ui.app import RdConsoleApp
from tests.ui.failover_samples import FakeFailoverRunner, open_failover, promoted_marker
from tests.ui.replication_samples import (
    FakeReplicationRunner,
    open_replication,
    replication_app,
)
from tests.ui.samples import (
    FakeSyncRunner,
    play_scenario,
    play_sync,
    wait_until,
)
from tests.ui.samples import audio_app as _audio_app
from tests.ui.samples import scenario_app as _scenario_app

SnapCompare = Callable[..., bool]


def scenario_app(name: str) -> RdConsoleApp:
    return _scenario_app(name, failover=FakeFailoverRunner())


def audio_app(sync: FakeSyncRunner) -> RdConsoleApp:
    return _audio_app(sync=sync, failover=FakeFailoverRunner())


@pytest.fixture(autouse=True)
def _colour(monkeypatch: pytest.MonkeyPatch) -> None:
    """Textual reads (and removes) NO_COLOR when an App is built: keep the pictures stable."""
    monkeypatch.delenv("NO_COLOR", raising=False)


def test_healthy(snap_compare: SnapCompare) -> None:
    assert snap_compare(scenario_app("healthy"), terminal_size=(80, 24), run_before=play_scenario)


def test_master_down(snap_compare: SnapCompare) -> None:
    app = scenario_app("master-down")
    assert snap_compare(app, terminal_size=(80, 24), run_before=play_scenario)


def test_replication_broken(snap_compare: SnapCompare) -> None:
    app = scenario_app("replication-broken")
    assert snap_compare(app, terminal_size=(80, 24), run_before=play_scenario)


def test_replication_broken_tall(snap_compare: SnapCompare) -> None:
    """At 120x40 the panels grow and long error texts wrap."""
    app = scenario_app("replication-broken")
    assert snap_compare(app, terminal_size=(120, 40), run_before=play_scenario)


def test_help(snap_compare: SnapCompare) -> None:
    app = scenario_app("healthy")
    assert snap_compare(
        app, terminal_size=(80, 24), run_before=play_scenario, press=["question_mark"]
    )


def test_audio_sync_running(snap_compare: SnapCompare) -> None:
    """A sync started from the console, held mid-run: the audio panel under the master."""
    app = audio_app(sync=FakeSyncRunner(hold=asyncio.Event()))
    assert snap_compare(app, terminal_size=(80, 24), run_before=play_sync)


def test_sync_dry_run_summary(snap_compare: SnapCompare) -> None:
    async def preview(pilot: Pilot[None]) -> None:
        await play_scenario(pilot)
        await wait_until(pilot, lambda: app.state.audio_received >= 1)
        await pilot.press("s")
        await wait_until(pilot, lambda: type(pilot.app.screen).__name__ == "SyncPreviewScreen")
        await pilot.pause()

    app = audio_app(sync=FakeSyncRunner())
    assert snap_compare(app, terminal_size=(80, 24), run_before=preview)


def test_failover_checks(snap_compare: SnapCompare) -> None:
    """The f screen: the checklist blocks until the fencing is stated; Cancel has the focus."""
    app = _scenario_app("master-down", failover=FakeFailoverRunner())
    assert snap_compare(app, terminal_size=(80, 24), run_before=open_failover)


def test_promoted_banner(snap_compare: SnapCompare) -> None:
    """After a promotion the banner stands above the panels (read from the marker)."""
    runner = FakeFailoverRunner(standing=Standing(promoted_marker(), None))
    app = _scenario_app("master-down", failover=runner)

    async def shown(pilot: Pilot[None]) -> None:
        await play_scenario(pilot)
        await wait_until(pilot, lambda: app.has_class("-standing"))
        await pilot.pause()

    assert snap_compare(app, terminal_size=(80, 24), run_before=shown)


def test_setup_screen(snap_compare: SnapCompare) -> None:
    """Set up replication (from the palette): the standby's database holds data, so the checks
    block until its name is typed in 'overwrite'; Cancel has the focus."""

    async def opened(pilot: Pilot[None]) -> None:
        await open_replication(pilot)

    app = replication_app(FakeReplicationRunner(data=True))
    assert snap_compare(app, terminal_size=(80, 24), run_before=opened)


def test_rejoin_screen(snap_compare: SnapCompare) -> None:
    """After a promotion, j: the old master's divergent events go to quarantine (a warning)."""

    async def opened(pilot: Pilot[None]) -> None:
        await open_replication(pilot, "j")

    app = replication_app(FakeReplicationRunner(stage=Stage.PROMOTED), scenario="master-down")
    assert snap_compare(app, terminal_size=(80, 24), run_before=opened)
