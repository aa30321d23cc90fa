"""Write the console screenshots in ``screenshots/`` (80x24, scripted hosts, fixed clock).

Usage: ``python scripts/screenshots.py [NAME ...]`` (default: every one, e.g. ``setup rejoin``).
Uses the same scripted scenarios as the snapshot tests (``tests/ui/samples.py``,
``failover_samples.py``, ``replication_samples.py``), so the pictures show exactly what the tests
check.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rdconsole.ops.console_replication import Stage  # noqa: E402
from rdconsole.ui.app import RdConsoleApp  # noqa: E402
from rdconsole.ui.screens.failover import FailoverReport, FailoverScreen  # noqa: E402
from tests.ui.failover_samples import FENCED, FakeFailoverRunner, open_failover  # noqa: E402
from tests.ui.replication_samples import (  # noqa: E402
    FakeReplicationRunner,
    open_replication,
    replication_app,
)
from tests.ui.samples import (  # noqa: E402
    SCENARIOS,
    FakeSyncRunner,
    audio_app,
    play_scenario,
    play_sync,
    scenario_app,
    wait_until,
)

OUT = ROOT / "screenshots"
SIZE = (80, 24)


async def shoot(
    name: str, app: RdConsoleApp, play: Callable[[Pilot[None]], Awaitable[None]]
) -> Path:
    async with app.run_test(size=SIZE) as pilot:
        await play(pilot)
        path = OUT / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"rdconsole: {name}"), encoding="utf-8")
    return path


async def failover_ready(pilot: Pilot[None]) -> None:
    """The f screen once the fencing is stated: the end of the checklist and the plan."""
    await open_failover(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, FailoverScreen)
    fenced = screen.query_one("#fenced")
    fenced.focus()
    await pilot.press(*[{" ": "space"}.get(c, c) for c in FENCED], "enter")
    await wait_until(pilot, lambda: not screen.checking)
    screen.query_one("#cancel").focus()
    await pilot.pause()
    report = screen.query_one(FailoverReport)
    labels = list(report.children)
    first = next(i for i, text in enumerate(report.texts) if "Target configuration" in text)
    report.scroll_to_widget(labels[first], top=True, animate=False, immediate=True)
    await pilot.pause()


async def scroll_report_to(pilot: Pilot[None], start: str) -> None:
    """Scroll the open screen's checks so the line starting with ``start`` is at the top."""
    report = pilot.app.screen.query_one(FailoverReport)
    first = next(i for i, text in enumerate(report.texts) if text.startswith(start))
    labels = list(report.children)
    report.scroll_to_widget(labels[first], top=True, animate=False, immediate=True)
    await pilot.pause()


async def setup_ready(pilot: Pilot[None]) -> None:
    """Set up replication (palette): the end of the checks and the plan."""
    await open_replication(pilot)
    await scroll_report_to(pilot, "✔ PASS  Binlog and log_slave_updates")


async def rejoin_ready(pilot: Pilot[None]) -> None:
    """After a promotion, j: the divergence (quarantined) and the plan."""
    await open_replication(pilot, "j")
    await scroll_report_to(pilot, "▲ WARN  Databases on rd-master")


async def main(names: list[str]) -> None:
    OUT.mkdir(exist_ok=True)

    def wanted(name: str) -> bool:
        return not names or name in names

    # The real console always has its failover key (here a scripted runner).
    for name in filter(wanted, SCENARIOS):
        app = scenario_app(name, failover=FakeFailoverRunner())
        print(await shoot(name, app, play_scenario))
    if wanted("audio-sync"):
        # A sync started from the console, held mid-run (the runner is a scripted fake).
        sync = FakeSyncRunner(hold=asyncio.Event())
        syncing = audio_app(sync=sync, failover=FakeFailoverRunner())
        print(await shoot("audio-sync", syncing, play_sync))
    if wanted("failover"):
        # The failover screen: checklist and plan (master down, fencing stated by the operator).
        failover = scenario_app("master-down", failover=FakeFailoverRunner())
        print(await shoot("failover", failover, failover_ready))
    if wanted("setup"):
        print(await shoot("setup", replication_app(), setup_ready))
    if wanted("rejoin"):
        runner = FakeReplicationRunner(stage=Stage.PROMOTED)
        rejoin = replication_app(runner, scenario="master-down")
        print(await shoot("rejoin", rejoin, rejoin_ready))


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
