"""SVG snapshots of the console (pytest-textual-snapshot); accept changes with --snapshot-update.

Deterministic: scripted hosts, a fixed clock, two polls each (``samples.play_scenario``).
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.ui.samples import play_scenario, scenario_app

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
