"""SVG snapshots of the console (pytest-textual-snapshot); accept changes with --snapshot-update.

Deterministic: scripted hosts, a fixed clock, two polls each (``samples.play_scenario``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
from textual.pilot import Pilot

from tests.ui.samples import (
    FakeSyncRunner,
    audio_app,
    play_scenario,
    play_sync,
    scenario_app,
    wait_until,
)

SnapCompare = Callable[..., bool]


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
