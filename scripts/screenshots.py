"""Write the console screenshots in ``screenshots/`` (80x24, scripted hosts, fixed clock).

Usage: ``python scripts/screenshots.py``. Uses the same scripted scenarios as the snapshot tests
(``tests/ui/samples.py``), so the pictures show exactly what the tests check.
"""

from __future__ import annotations

import asyncio
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.ui.samples import SCENARIOS, play_scenario, scenario_app  # noqa: E402

OUT = ROOT / "screenshots"
SIZE = (80, 24)


async def shoot(name: str) -> Path:
    app = scenario_app(name)
    async with app.run_test(size=SIZE) as pilot:
        await play_scenario(pilot)
        path = OUT / f"{name}.svg"
        path.write_text(app.export_screenshot(title=f"rdconsole: {name}"), encoding="utf-8")
    return path


async def main() -> None:
    OUT.mkdir(exist_ok=True)
    for name in SCENARIOS:
        print(await shoot(name))


if __name__ == "__main__":
    asyncio.run(main())
