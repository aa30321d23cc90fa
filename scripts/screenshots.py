"""Write the console screenshots in ``screenshots/`` (80x24, scripted hosts, fixed clock).

Usage: ``python scripts/screenshots.py``. Uses the same scripted scenarios as the snapshot tests
(``tests/ui/samples.py``), so the pictures show exactly what the tests check.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path

from textual.pilot import Pilot

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from rdconsole.ui.app import RdConsoleApp  # noqa: E402
from tests.ui.samples import (  # noqa: E402
    SCENARIOS,
    FakeSyncRunner,
    audio_app,
    play_scenario,
    play_sync,
    scenario_app,
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


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name in SCENARIOS:
        print(await shoot(name, scenario_app(name), play_scenario))
    # A sync started from the console, held mid-run (the runner is a scripted fake).
    syncing = audio_app(sync=FakeSyncRunner(hold=asyncio.Event()))
    print(await shoot("audio-sync", syncing, play_sync))


if __name__ == "__main__":
    asyncio.run(main())
