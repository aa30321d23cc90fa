"""The live console: one async poller per host, a verdict, panels that render it.

``make_app`` is the one way to build it, for the CLI and for the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import Binding, BindingType
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from rdconsole.config.settings import Settings
from rdconsole.core.model import HostSnapshot
from rdconsole.core.verdict import Severity, Verdict
from rdconsole.ops.monitor import Collector, Drills, Journal
from rdconsole.ui.drills import DRILLS, DRILLS_BY_NAME, Drill
from rdconsole.ui.messages import HostPolled
from rdconsole.ui.panels import EventLog, MasterPanel, ProblemsPanel, StandbyPanel, StatusBar
from rdconsole.ui.panels.field import set_severity
from rdconsole.ui.polling import Poller
from rdconsole.ui.screens import HelpScreen
from rdconsole.ui.state import ConsoleState

CLOSE_TIMEOUT = 2.0
"""Seconds each collector gets to close when the console quits."""


_DRILL_GROUP = Binding.Group("Drills")
"""One footer entry (``1 2 3 4 0 Drills``) so the footer fits 80 columns; ? lists each drill."""


def _local_now() -> datetime:
    return datetime.now().astimezone()


class RdConsoleApp(App[None]):
    """Keyboard-only, readable at 80x24 and without colour."""

    CSS_PATH = "rdconsole.tcss"
    TITLE = "rdconsole"
    # Textual annotates this as ``ClassVar[...] | None``, which mypy reads as an instance variable.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012
    """-tall (32 rows and more) lets long error texts wrap in the host panels."""
    ALLOW_IN_MAXIMIZED_VIEW = "#status, Footer"
    """The status bar stays in view while the problems fill the screen."""
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding(
            "question_mark",
            "help",
            "Help",
            key_display="?",
            tooltip="show the keys and what the panels mean",
            id="help",
        ),
        Binding("q", "quit", "Quit", tooltip="quit (nothing on the hosts changes)", id="quit"),
        Binding("r", "poll_now", "Poll now", tooltip="poll every host now", id="poll-now"),
        Binding(
            "p",
            "problems",
            "Problems",
            tooltip="all problems and fixes on the whole screen (p or Esc returns)",
            id="problems",
        ),
        *(
            Binding(
                drill.key,
                f"drill('{drill.name}')",
                drill.title,
                tooltip=drill.what,
                id=f"drill-{drill.name.replace('_', '-')}",
                group=_DRILL_GROUP,
            )
            for drill in DRILLS
        ),
    ]

    verdict: reactive[Verdict | None] = reactive(None, init=False)
    """None until every host has been polled once."""

    def __init__(
        self,
        settings: Settings,
        collectors: Mapping[str, Collector],
        *,
        journal: Journal | None,
        drills: Drills | None,
        clock: Callable[[], datetime],
    ) -> None:
        super().__init__()
        self.settings = settings
        self.drills = drills
        self.state = ConsoleState(settings)
        self._clock = clock
        self._pollers = {
            host.name: Poller(
                host,
                collectors[host.name],
                settings.console,
                deliver=self._deliver,
                journal=journal,
                clock=clock,
            )
            for host in settings.hosts
        }
        self._poll_workers: dict[str, Worker[None]] = {}
        self._standby_panels = {
            standby.name: StandbyPanel(standby, settings.console.thresholds, id=f"standby-{index}")
            for index, standby in enumerate(settings.standbys)
        }

    def compose(self) -> ComposeResult:
        yield StatusBar(self.settings.master.name, [s.name for s in self.settings.standbys])
        with Horizontal(id="hosts"):
            yield MasterPanel(self.settings.master)
            yield from self._standby_panels.values()
        yield ProblemsPanel()
        yield EventLog()
        yield Footer()

    def on_mount(self) -> None:
        names = ", ".join(self._pollers)
        interval = self.settings.console.poll_interval
        self.log_event(f"console started: polling {names} every {interval:g} s")
        # No host I/O before the first frame: the pollers start once it is drawn.
        self.call_after_refresh(self._start_pollers)

    def log_event(self, line: str) -> None:
        """Append a timestamped line to the event log."""
        self.query_one(EventLog).add(self._clock(), line)

    # Polling -----------------------------------------------------------------------------------

    def _start_pollers(self) -> None:
        for name in self._pollers:
            self._start_poller(name)

    def _start_poller(self, name: str) -> None:
        poller = self._pollers[name]
        self._poll_workers[name] = self.run_worker(
            poller.run,
            name=name,
            group=f"poll:{name}",
            description=f"poll {name} every {poller.interval:g} s",
            exclusive=True,
            exit_on_error=False,
        )

    def _deliver(self, snapshot: HostSnapshot) -> None:
        self.post_message(HostPolled(snapshot))

    def on_host_polled(self, message: HostPolled) -> None:
        snapshot = message.snapshot
        now = self._clock()
        for line in self.state.record(snapshot):
            self.log_event(line)
        master = self.state.master
        if snapshot.name == self.settings.master.name:
            self.query_one(MasterPanel).show(snapshot, self.state.master_rate(), now)
        elif snapshot.name in self._standby_panels:
            self._standby_panels[snapshot.name].show(
                snapshot, master, self.state.lag_history(snapshot.name), now
            )
        self.verdict = self.state.verdict()
        self.query_one(StatusBar).show(self.verdict, self.state.waiting_for(), now)

    def watch_verdict(self, old: Verdict | None, new: Verdict | None) -> None:
        self.query_one(ProblemsPanel).problems = None if new is None else new.problems
        self._show_host_severities(new)
        if new is None:
            return
        if old is None or old.phrase is not new.phrase:
            before = "" if old is None else f"{old.status.symbol} {old.phrase.value} → "
            self.log_event(f"status {before}{new.status.symbol} {new.phrase.value}")
        turned_critical = old is None or old.status is not Severity.CRITICAL
        if new.status is Severity.CRITICAL and turned_critical:
            self.bell()

    def _show_host_severities(self, verdict: Verdict | None) -> None:
        """Each host panel's border class is the worst of its problems."""
        panels = {self.settings.master.name: self.query_one(MasterPanel), **self._standby_panels}
        for name, panel in panels.items():
            if verdict is None:
                set_severity(panel, None)
                continue
            ranks = [p.severity for p in verdict.problems if p.host == name]
            set_severity(panel, max(ranks, key=lambda s: s.rank, default=Severity.OK))

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """The one place worker failures land: log them, restart crashed pollers."""
        worker = event.worker
        if event.state is not WorkerState.ERROR:
            return
        if worker.group.startswith("poll:"):
            delay = self._pollers[worker.name].crashed()
            self.log_event(
                f"poller for {worker.name} failed ({worker.error!r}); restarting in {delay:g} s"
            )
            self.set_timer(delay, partial(self._start_poller, worker.name))
        else:
            self.log_event(f"{worker.description or worker.name} failed: {worker.error!r}")

    def action_poll_now(self) -> None:
        self.log_event("poll now")
        for poller in self._pollers.values():
            poller.poll_now()

    def action_problems(self) -> None:
        """Toggle the problems list between its place and the whole screen."""
        screen = self.screen
        problems = self.query_one(ProblemsPanel)
        if screen.maximized is problems:
            screen.minimize()
        else:
            problems.focus()
            screen.maximize(problems, container=False)

    # Drills, help, palette ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "drill":
            return self.drills is not None
        return True

    def action_drill(self, name: str) -> None:
        drills = self.drills
        drill = DRILLS_BY_NAME.get(name)
        if drills is None or drill is None:
            return
        self.log_event(f"drill: {drill.what}")
        self.run_worker(
            self._run_drill(drill, drills),
            name=drill.name,
            group="drill",
            description=f"drill {drill.what}",
            exit_on_error=False,
        )

    async def _run_drill(self, drill: Drill, drills: Drills) -> None:
        await drill.start(drills)
        self.log_event(f"drill done: {drill.what}")

    def action_help(self) -> None:
        self.push_screen(HelpScreen(self._key_help()))

    def _key_help(self) -> list[tuple[str, str]]:
        """The keys that work now, from the bindings (the single source of keys)."""
        keys = []
        for binding in self.BINDINGS:
            assert isinstance(binding, Binding)
            action, _, _ = binding.action.partition("(")
            if self.check_action(action, ()) is not False:
                keys.append((self.get_key_display(binding), binding.tooltip or binding.description))
        keys.append((self.COMMAND_PALETTE_DISPLAY or "ctrl+p", "command palette"))
        return keys

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Poll now", "Poll every host immediately", self.action_poll_now)
        if self.drills is not None:
            for drill in DRILLS:
                yield SystemCommand(
                    f"Drill: {drill.title}", drill.what, partial(self.action_drill, drill.name)
                )

    # Quitting ----------------------------------------------------------------------------------

    async def on_unmount(self) -> None:
        """Stop the pollers, then close every collector (each within a timeout)."""
        workers = list(self._poll_workers.values())
        for worker in workers:
            worker.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                # wait() raises for a cancelled worker once its task has ended: that is the point.
                await asyncio.gather(*(w.wait() for w in workers), return_exceptions=True)
        await asyncio.gather(
            *(self._close(poller) for poller in self._pollers.values()), return_exceptions=True
        )

    async def _close(self, poller: Poller) -> None:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await poller.collector.close()


def make_app(
    settings: Settings,
    collectors: Mapping[str, Collector],
    *,
    journal: Journal | None = None,
    drills: Drills | None = None,
    clock: Callable[[], datetime] | None = None,
) -> RdConsoleApp:
    """The console for ``settings``, reading each host through ``collectors[host name]``.

    ``clock`` gives every time shown on screen (default: local wall time); ``drills`` enables
    the demo keys. Raises ValueError when collectors and configured hosts do not match.
    """
    configured = {host.name for host in settings.hosts}
    if set(collectors) != configured:
        missing = ", ".join(sorted(configured - set(collectors))) or "none"
        extra = ", ".join(sorted(set(collectors) - configured)) or "none"
        raise ValueError(f"collectors do not match the hosts: missing {missing}; unknown {extra}")
    return RdConsoleApp(
        settings, collectors, journal=journal, drills=drills, clock=clock or _local_now
    )
