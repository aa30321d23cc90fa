"""The demo drills: keys, names and which ``Drills`` method each one runs."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from rdconsole.ops.monitor import Drills

if TYPE_CHECKING:
    from rdconsole.ui.app import RdConsoleApp


@dataclass(frozen=True)
class Drill:
    key: str
    name: str
    """The parameter of the App's ``drill`` action."""
    title: str
    """Short, for the footer."""
    what: str
    """Longer, for the help screen, the palette and the event log."""
    start: Callable[[Drills], Awaitable[None]]


DRILLS = (
    Drill(
        "1",
        "stop_master",
        "Stop master",
        "stop the master (clean shutdown)",
        lambda d: d.stop_master(),
    ),
    Drill(
        "2",
        "kill_master",
        "Kill master",
        "kill -9 the master's mariadbd",
        lambda d: d.kill_master(),
    ),
    Drill(
        "3",
        "break_sql",
        "Break SQL",
        "break the standby's SQL thread",
        lambda d: d.break_sql_thread(),
    ),
    Drill("4", "stop_io", "Stop IO", "stop the standby's IO thread", lambda d: d.stop_io_thread()),
    Drill("0", "restore", "Restore", "restore master and replication", lambda d: d.restore()),
)
DRILLS_BY_NAME = {drill.name: drill for drill in DRILLS}


def start_drill(app: RdConsoleApp, drills: Drills, name: str) -> None:
    """Run the drill ``name`` in an App worker; the event log says when it starts and ends."""
    drill = DRILLS_BY_NAME.get(name)
    if drill is None:
        return
    app.log_event(f"drill: {drill.what}")

    async def run() -> None:
        await drill.start(drills)
        app.log_event(f"drill done: {drill.what}")

    app.run_worker(
        run(),
        name=drill.name,
        group="drill",
        description=f"drill {drill.what}",
        exit_on_error=False,
    )
