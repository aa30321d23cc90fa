"""The live console: one async poller per host (and per watched audio mirror), a verdict,
panels that render it.

``make_app`` is the one way to build it, for the CLI and for the tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from functools import partial
from typing import Any, ClassVar

from textual.app import App, ComposeResult, SystemCommand
from textual.binding import BindingType
from textual.containers import Horizontal, Vertical
from textual.reactive import reactive
from textual.screen import Screen
from textual.widgets import Footer
from textual.worker import Worker, WorkerState

from rdconsole.config.settings import Settings
from rdconsole.core.model import HostSnapshot
from rdconsole.core.verdict import Severity, Verdict
from rdconsole.ops.monitor import (
    AudioWatcher,
    Collector,
    Drills,
    FailoverRunner,
    Journal,
    ReplicationRunner,
    SyncRunner,
)
from rdconsole.ui.collector import restore_the_collector, tame_the_collector
from rdconsole.ui.drills import DRILLS, start_drill
from rdconsole.ui.failover import FailoverControl, FailoverKeys
from rdconsole.ui.keys import KEYS
from rdconsole.ui.messages import (
    AudioPolled,
    HostPolled,
    SyncFinished,
    SyncPreviewed,
    SyncUpdate,
    while_running,
)
from rdconsole.ui.mirror import MirrorControl
from rdconsole.ui.panels import EventLog, MasterPanel, ProblemsPanel, StandbyPanel, StatusBar
from rdconsole.ui.panels.field import set_severity
from rdconsole.ui.polling import Poller
from rdconsole.ui.replication import ReplicationControl, ReplicationKeys
from rdconsole.ui.screens import HelpScreen, RsyncLogScreen
from rdconsole.ui.screens.help import AUDIO_PANELS, PANELS
from rdconsole.ui.state import ConsoleState

CLOSE_TIMEOUT = 2.0
"""Seconds each collector gets to close when the console quits."""


def _local_now() -> datetime:
    return datetime.now().astimezone()


class RdConsoleApp(FailoverKeys, ReplicationKeys, App[None]):
    """Keyboard-only, readable at 80x24 and without colour."""

    CSS_PATH = "rdconsole.tcss"
    TITLE = "rdconsole"
    # Textual annotates this as ``ClassVar[...] | None``, which mypy reads as an instance variable.
    VERTICAL_BREAKPOINTS = [(0, "-short"), (32, "-tall")]  # noqa: RUF012
    """-tall (32 rows and more) lets long error texts wrap in the host panels."""
    BINDINGS: ClassVar[list[BindingType]] = list(KEYS)
    """The console's keys (``ui.keys``), the single source of the footer and the help."""

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
        audio: Mapping[str, AudioWatcher],
        sync: SyncRunner | None,
        failover: FailoverRunner | None,
        replication: ReplicationRunner | None,
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
        self.mirror = MirrorControl(self, settings, audio, sync)
        """The audio mirrors: their pollers, panels and the syncs started here."""
        self.failover = FailoverControl(self, settings, failover)
        """The failover key, its screens, the run started here and the standing banner."""
        self._collector_thresholds = gc.get_threshold()
        """The interpreter's own, put back when the console ends (see ui.collector)."""
        self.replication = ReplicationControl(self, settings, replication)
        """Setup, rejoin and failback: their screens and the run started here."""

    def compose(self) -> ComposeResult:
        yield StatusBar(self.settings.master.name, [s.name for s in self.settings.standbys])
        yield self.failover.banner
        with Horizontal(id="hosts"):
            if self.mirror.panels:
                # The audio panels fill the room the (shorter) master panel leaves.
                with Vertical(id="master-column"):
                    yield MasterPanel(self.settings.master)
                    yield from self.mirror.panels.values()
            else:
                yield MasterPanel(self.settings.master)
            yield from self._standby_panels.values()
        yield ProblemsPanel()
        yield EventLog()
        # 80 columns fit the drill keys (demo) or the palette hint (listed in the help too).
        yield Footer(show_command_palette=self.drills is None)

    def on_mount(self) -> None:
        names = ", ".join(self._pollers)
        interval = self.settings.console.poll_interval
        self.log_event(f"console started: polling {names} every {interval:g} s")
        # No host I/O before the first frame: the pollers start once it is drawn.
        self.call_after_refresh(self._start_pollers)
        self.call_after_refresh(tame_the_collector, self)

    def log_event(self, line: str) -> None:
        """Append a timestamped line to the event log."""
        self.query_one(EventLog).add(self._clock(), line)

    def now(self) -> datetime:
        """The time shown on screen (the clock ``make_app`` was given)."""
        return self._clock()

    # Polling -----------------------------------------------------------------------------------

    def _start_pollers(self) -> None:
        for name in self._pollers:
            self._start_poller(name)
        self.mirror.start_pollers()
        self.failover.read_standing()
        self.replication.read_standing()

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

    @while_running
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
        self._judge(now)

    @while_running
    def on_audio_polled(self, message: AudioPolled) -> None:
        now = self._clock()
        self.mirror.polled(message, now)
        self._judge(now)

    def _judge(self, now: datetime) -> None:
        self.verdict = self.state.verdict(now)
        self.query_one(StatusBar).show(self.verdict, self.state.waiting_for(), now)
        self._show_host_severities(self.verdict)

    def watch_verdict(self, old: Verdict | None, new: Verdict | None) -> None:
        self.query_one(ProblemsPanel).problems = None if new is None else new.problems
        if new is None:
            return
        if old is None or old.phrase is not new.phrase:
            before = "" if old is None else f"{old.status.symbol} {old.phrase.value} → "
            self.log_event(f"status {before}{new.status.symbol} {new.phrase.value}")
        turned_critical = old is None or old.status is not Severity.CRITICAL
        if new.status is Severity.CRITICAL and turned_critical:
            self.bell()

    def _show_host_severities(self, verdict: Verdict | None) -> None:
        """Each panel's border class is the worst of its problems (audio ones on the audio
        panel, not on the standby's)."""
        now = self._clock()
        audio = {p for name in self.mirror.panels for p in self.state.audio_problems(name, now)}
        panels = {self.settings.master.name: self.query_one(MasterPanel), **self._standby_panels}
        for name, panel in panels.items():
            if verdict is None:
                set_severity(panel, None)
                continue
            ranks = [p.severity for p in verdict.problems if p.host == name and p not in audio]
            set_severity(panel, max(ranks, key=lambda s: s.rank, default=Severity.OK))
        for name, audio_panel in self.mirror.panels.items():
            set_severity(audio_panel, self.mirror.severity(name, now))

    @while_running
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
        elif worker.group.startswith("audio:"):
            self.mirror.poller_crashed(worker)
        elif worker.group in ("sync", "sync-preview"):
            self.mirror.sync_crashed(worker)
        elif worker.group == "failover":
            self.failover.run_crashed(worker)
        elif worker.group == "failover-preview":
            self.failover.preview_crashed(worker)
        elif worker.group.startswith("replication"):
            self.replication.crashed(worker)
        else:
            self.log_event(f"{worker.description or worker.name} failed: {worker.error!r}")

    def action_poll_now(self) -> None:
        self.log_event("poll now")
        for poller in self._pollers.values():
            poller.poll_now()
        self.mirror.poll_now()

    def action_problems(self) -> None:
        """Toggle the problems list between its place and the whole screen."""
        # Hiding the neighbours (inline display) costs one layout pass; Screen.maximize would
        # restyle every widget on the screen, which a busy 2-core host makes a visible lag.
        problems = self.query_one(ProblemsPanel)
        whole = not problems.has_class("-maximized")
        for neighbour in (self.query_one("#hosts"), self.query_one(EventLog)):
            neighbour.display = not whole
        problems.set_class(whole, "-maximized")
        if whole:
            problems.focus()

    # Drills, help, palette ---------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "drill":
            return self.drills is not None
        if action in ("sync", "rsync_log"):
            return self.mirror.key_state(action)
        if action == "failover":
            state = self.failover.key_state()
            return None if state and self.replication.running else state
        if action in ("rejoin", "failback"):
            return self.replication.key_state(action)
        return True

    # Audio sync --------------------------------------------------------------------------------

    def action_sync(self) -> None:
        self.mirror.start_sync()

    def action_rsync_log(self) -> None:
        self.push_screen(RsyncLogScreen(self.mirror.log))

    @while_running
    def on_sync_previewed(self, message: SyncPreviewed) -> None:
        self.mirror.previewed(message)

    @while_running
    def on_sync_update(self, message: SyncUpdate) -> None:
        self.mirror.update(message)

    @while_running
    def on_sync_finished(self, message: SyncFinished) -> None:
        self.mirror.finished(message)

    def action_drill(self, name: str) -> None:
        if self.drills is not None:
            start_drill(self, self.drills, name)

    def action_help(self) -> None:
        # Built once per set of working keys and kept installed: composing the help takes
        # long enough on a 2-core host to feel sluggish every time it is opened.
        keys = self._key_help()
        name = f"help-{abs(hash(tuple(keys))):x}"
        if not self.is_screen_installed(name):
            panels = (*PANELS, *AUDIO_PANELS) if self.mirror.panels else PANELS
            self.install_screen(HelpScreen(keys, panels), name)
        self.push_screen(name)

    def _key_help(self) -> list[tuple[str, str]]:
        """The keys that work now, from the bindings (the single source of keys)."""
        shown = [b for b in KEYS if self.check_action(b.action.partition("(")[0], ()) is not False]
        keys = [(self.get_key_display(b), b.tooltip or b.description) for b in shown]
        return [*keys, (self.COMMAND_PALETTE_DISPLAY or "ctrl+p", "command palette")]

    def get_system_commands(self, screen: Screen[Any]) -> Iterable[SystemCommand]:
        yield from super().get_system_commands(screen)
        yield SystemCommand("Poll now", "Poll every host immediately", self.action_poll_now)
        yield from self.mirror.commands()
        yield from self.failover.commands()
        yield from self.replication.commands()
        if self.drills is not None:
            for drill in DRILLS:
                yield SystemCommand(
                    f"Drill: {drill.title}", drill.what, partial(self.action_drill, drill.name)
                )

    # Quitting ----------------------------------------------------------------------------------

    async def action_quit(self) -> None:
        """Quit; never while the console's failover runs; while its sync runs, only on a
        second q (the first one warns)."""
        holds = (self.failover.hold_quit, self.replication.hold_quit, self.mirror.hold_quit)
        if not any(hold() for hold in holds):
            await super().action_quit()

    async def on_unmount(self) -> None:
        """Let a failover finish; stop the pollers (and a sync), then close every collector
        (each within a timeout)."""
        await self.failover.wait_for_run()
        await self.replication.wait_for_run()
        workers = [*self._poll_workers.values(), *self.mirror.workers, *self.failover.workers]
        workers += self.replication.workers
        for worker in workers:
            worker.cancel()
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(CLOSE_TIMEOUT):
                # wait() raises for a cancelled worker once its task has ended: that is the point.
                await asyncio.gather(*(w.wait() for w in workers), return_exceptions=True)
        closing: list[Collector | AudioWatcher] = [p.collector for p in self._pollers.values()]
        closing += [poller.watcher for poller in self.mirror.pollers.values()]
        await asyncio.gather(*(self._close(each) for each in closing), return_exceptions=True)
        restore_the_collector(self._collector_thresholds)

    async def _close(self, closable: Collector | AudioWatcher) -> None:
        async with asyncio.timeout(CLOSE_TIMEOUT):
            await closable.close()


def make_app(
    settings: Settings,
    collectors: Mapping[str, Collector],
    *,
    journal: Journal | None = None,
    drills: Drills | None = None,
    clock: Callable[[], datetime] | None = None,
    audio: Mapping[str, AudioWatcher] | None = None,
    sync: SyncRunner | None = None,
    failover: FailoverRunner | None = None,
    replication: ReplicationRunner | None = None,
) -> RdConsoleApp:
    """The console for ``settings``, reading each host through ``collectors[host name]``.

    ``clock`` gives every time shown on screen (default: local wall time); ``drills`` enables
    the demo keys. ``audio`` watches the audio mirror of the standbys it names (an audio panel
    each); ``sync`` lets the ``s`` key run a sync to one of them; ``failover`` enables the
    ``f`` key and the standing banner (a promotion, an interrupted run); ``replication`` the
    setup screen (palette) and, after a promotion, the rejoin then failback ones. Raises
    ValueError when collectors and configured hosts do not match, or ``audio`` names a host that
    is no standby.
    """
    configured = {host.name for host in settings.hosts}
    if set(collectors) != configured:
        missing = ", ".join(sorted(configured - set(collectors))) or "none"
        extra = ", ".join(sorted(set(collectors) - configured)) or "none"
        raise ValueError(f"collectors do not match the hosts: missing {missing}; unknown {extra}")
    standbys = {standby.name for standby in settings.standbys}
    if audio and not set(audio) <= standbys:
        unknown = ", ".join(sorted(set(audio) - standbys))
        raise ValueError(f"audio watchers for hosts that are no standby: {unknown}")
    return RdConsoleApp(
        settings,
        collectors,
        journal=journal,
        drills=drills,
        clock=clock or _local_now,
        audio=audio or {},
        sync=sync,
        failover=failover,
        replication=replication,
    )
