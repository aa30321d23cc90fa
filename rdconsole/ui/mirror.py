"""The audio side of the console: a poller and a panel per watched standby, and the syncs
started from the console (dry run, confirmation, live progress, outcome).

Every worker started here belongs to the App, so it outlives any screen; the App routes the
messages here. No I/O of its own: only the ``AudioWatcher`` and ``SyncRunner`` protocols.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator, Mapping
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.css.query import NoMatches
from textual.timer import Timer
from textual.worker import Worker

from rdconsole.config.settings import Settings
from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.rsync_progress import SyncProgress
from rdconsole.core.verdict import Severity
from rdconsole.ops.monitor import AudioWatcher, SyncRunner
from rdconsole.ops.sync import SyncExit, SyncOutcome
from rdconsole.ui.messages import AudioPolled, SyncFinished, SyncPreviewed, SyncUpdate
from rdconsole.ui.panels.audio import AudioPanel
from rdconsole.ui.panels.audio_words import RunView
from rdconsole.ui.polling import AudioPoller
from rdconsole.ui.screens.sync import RsyncLogScreen, StandbyChooser, SyncPreviewScreen
from rdconsole.ui.syncing import ConsoleObserver, SyncLog

if TYPE_CHECKING:
    from rdconsole.ui.app import RdConsoleApp

PREVIEW_TIMEOUT = 300.0
"""Seconds the dry run may take (rsync lists the whole store) before the console gives up."""
QUIT_WINDOW = 5.0
"""Seconds within which a second q quits while the console's sync runs."""
RENDER_EVERY = 0.1
"""Seconds between two renderings of the console's run: rsync reports far more often, and
drawing each report would starve the keys and slow the run (they share the event loop)."""


class MirrorControl:
    """Pollers, panels and console-started syncs of the audio mirrors."""

    def __init__(
        self,
        app: RdConsoleApp,
        settings: Settings,
        watchers: Mapping[str, AudioWatcher],
        runner: SyncRunner | None,
    ) -> None:
        self._app = app
        self._settings = settings
        self.runner = runner
        names = [standby.name for standby in settings.standbys if standby.name in watchers]
        self.pollers = {
            name: AudioPoller(watchers[name], settings.console, deliver=self._deliver)
            for name in names
        }
        self.panels = {
            name: AudioPanel(name, settings.standby(name).audio.stale_after, id=f"audio-{index}")
            for index, name in enumerate(names)
        }
        self.log = SyncLog()
        """rsync's lines from the console's runs, for the log screen."""
        self.previewing: str | None = None
        """The standby whose dry run is under way."""
        self.syncing: str | None = None
        """The standby the console's sync runs to."""
        self._live: RunView | None = None
        self._rendered_at = float("-inf")
        self._render_timer: Timer | None = None
        self._failing: set[str] = set()
        self._workers: list[Worker[None]] = []
        self._quit_armed = False

    @property
    def can_sync(self) -> bool:
        return self.runner is not None and bool(self.panels)

    @property
    def busy(self) -> bool:
        return self.previewing is not None or self.syncing is not None

    def key_state(self, action: str) -> bool | None:
        """For the App's ``check_action``: hidden (False) without a runner or a watched mirror;
        ``sync`` dimmed (None) while the console's own dry run or sync is under way."""
        if action == "sync" and self.can_sync and self.busy:
            return None
        return self.can_sync

    def commands(self) -> Iterator[SystemCommand]:
        """For the command palette, when the keys are there."""
        if self.can_sync:
            yield SystemCommand(
                "Sync audio", "Dry run, then confirm, a sync of the audio mirror", self.start_sync
            )
            yield SystemCommand(
                "Rsync log", "rsync's lines from the syncs started here", self._app.action_rsync_log
            )

    # Polling -----------------------------------------------------------------------------------

    def start_pollers(self) -> None:
        if self.pollers:
            self._app.log_event(f"watching the audio mirror of {', '.join(self.pollers)}")
        for name in self.pollers:
            self.start_poller(name)

    def start_poller(self, name: str) -> None:
        poller = self.pollers[name]
        self._track(
            self._app.run_worker(
                poller.run,
                name=name,
                group=f"audio:{name}",
                description=f"check the audio mirror of {name} every {poller.interval:g} s",
                exclusive=True,
                exit_on_error=False,
            )
        )

    def _deliver(self, name: str, snapshot: AudioSnapshot | None, failure: str) -> None:
        self._app.post_message(AudioPolled(name, snapshot, failure))

    def poll_now(self) -> None:
        """Check every mirror now, slow checks included."""
        for poller in self.pollers.values():
            poller.poll_now(force=True)

    def polled(self, message: AudioPolled, now: datetime) -> None:
        name, snapshot = message.standby, message.snapshot
        panel = self.panels[name]
        if snapshot is None:
            if name not in self._failing:
                self._failing.add(name)
                self._app.log_event(f"{name} audio: check failed: {message.failure}")
            panel.show_failure(message.failure)
            return
        if name in self._failing:
            self._failing.discard(name)
            self._app.log_event(f"{name} audio: checked again")
        for line in self._app.state.record_audio(snapshot):
            self._app.log_event(line)
        panel.show(snapshot, self._run_view(name, snapshot), now)

    def _run_view(self, name: str, snapshot: AudioSnapshot | None) -> RunView | None:
        """The console's own run (live), else any run the state file reports."""
        if name == self.syncing:
            return self._live
        if snapshot is not None and snapshot.running is not None:
            return RunView.from_state(snapshot.running)
        return None

    def poller_crashed(self, worker: Worker[None]) -> None:
        delay = self.pollers[worker.name].crashed()
        self._app.log_event(
            f"audio poller for {worker.name} failed ({worker.error!r}); restarting in {delay:g} s"
        )
        self._app.set_timer(delay, partial(self.start_poller, worker.name))

    # Syncs started here ------------------------------------------------------------------------

    def start_sync(self) -> None:
        """Ask which standby when several are watched; then preview the sync."""
        if not self.can_sync or self.busy:
            return
        names = list(self.panels)
        if len(names) == 1:
            self._preview(names[0])
            return

        def chosen(name: str | None) -> None:
            if name is not None:
                self._preview(name)

        self._app.push_screen(StandbyChooser(names), chosen)

    def _preview(self, name: str) -> None:
        runner = self.runner
        if runner is None or self.busy:
            return
        self.previewing = name
        self._app.refresh_bindings()
        self._app.log_event(f"sync {name}: dry run (changes nothing)")
        self._track(
            self._app.run_worker(
                self._dry_run(name, runner),
                name=name,
                group="sync-preview",
                description=f"dry run of the audio sync to {name}",
                exclusive=True,
                exit_on_error=False,
            )
        )

    async def _dry_run(self, name: str, runner: SyncRunner) -> None:
        try:
            async with asyncio.timeout(PREVIEW_TIMEOUT):
                outcome = await runner(name, dry_run=True, observer=None)
        except TimeoutError:
            outcome = SyncOutcome(
                SyncExit.REFUSED, f"the dry run did not finish within {PREVIEW_TIMEOUT:g} s"
            )
        self._app.post_message(SyncPreviewed(name, outcome))

    def previewed(self, message: SyncPreviewed) -> None:
        name, outcome = message.standby, message.outcome
        self.previewing = None
        self._app.refresh_bindings()
        if outcome.exit is SyncExit.OK:
            counts = (
                f"{len(outcome.would_transfer)} to transfer, {len(outcome.would_delete)} to delete"
            )
            self._app.log_event(f"sync {name}: dry run ok: {counts}")
        else:
            self._app.log_event(f"sync {name}: dry run {_exit_word(outcome)}: {outcome.message}")
        delete = self._settings.standby(name).audio.delete
        self._app.push_screen(
            SyncPreviewScreen(name, outcome, delete=delete), partial(self._confirmed, name)
        )

    def _confirmed(self, name: str, confirmed: bool | None) -> None:
        runner = self.runner
        if not confirmed or runner is None:
            self._app.log_event(f"sync {name}: not started; nothing changed")
            return
        if self.busy:
            return
        self.syncing = name
        self._live = RunView.live("starting", None)
        self.panels[name].show_run(self._live)
        self.log.add(f"=== sync to {name}, started from the console")
        observer = ConsoleObserver(self.log, partial(self._post_update, name))
        self._app.refresh_bindings()
        self._app.log_event(f"sync {name}: started from the console")
        self._track(
            self._app.run_worker(
                self._run(name, runner, observer),
                name=name,
                group="sync",
                description=f"audio sync to {name}",
                exclusive=True,
                exit_on_error=False,
            )
        )

    def _post_update(self, name: str, phase: str, progress: SyncProgress | None) -> None:
        self._app.post_message(SyncUpdate(name, phase, progress))

    async def _run(self, name: str, runner: SyncRunner, observer: ConsoleObserver) -> None:
        outcome = await runner(name, dry_run=False, observer=observer)
        self._app.post_message(SyncFinished(name, outcome))

    def update(self, message: SyncUpdate) -> None:
        """Keep the newest state; draw it now, or at most ``RENDER_EVERY`` after the last time."""
        if message.standby != self.syncing:
            return  # queued before the run finished
        self._live = RunView.live(message.phase, message.progress)
        if self._render_timer is not None:
            return
        wait = self._rendered_at + RENDER_EVERY - time.monotonic()
        if wait <= 0:
            self._render()
        else:
            self._render_timer = self._app.set_timer(wait, self._render, name="render sync")

    def _render(self) -> None:
        self._render_timer = None
        self._rendered_at = time.monotonic()
        name = self.syncing
        if name is None:
            return
        with contextlib.suppress(NoMatches):  # the console is closing: its widgets are going
            self.panels[name].show_run(self._live)
            self._catch_up_log()

    def finished(self, message: SyncFinished) -> None:
        name, outcome = message.standby, message.outcome
        self._end_run(name, f"{_exit_word(outcome)}: {outcome.message}")
        ok = outcome.exit is SyncExit.OK
        self._app.notify(
            outcome.message,
            title=f"sync to {name}: {_exit_word(outcome)}",
            severity="information" if ok else "error",
            markup=False,
        )

    def sync_crashed(self, worker: Worker[None]) -> None:
        """A bug in the preview or the run (host problems come back as outcomes)."""
        name = worker.name
        if worker.group == "sync-preview":
            self.previewing = None
            self._app.refresh_bindings()
            self._app.log_event(f"sync {name}: dry run failed: {worker.error!r}")
            return
        self._end_run(name, f"failed: {worker.error!r}")
        self._app.notify(
            repr(worker.error), title=f"sync to {name} failed", severity="error", markup=False
        )

    def _end_run(self, name: str, result: str) -> None:
        self.syncing = None
        self._live = None
        if self._render_timer is not None:
            self._render_timer.stop()
            self._render_timer = None
        self.log.add(f"=== sync to {name}: {result}")
        self._catch_up_log()
        self.panels[name].show_run(self._run_view(name, None))
        self._app.refresh_bindings()
        self._app.log_event(f"sync {name}: {result}")
        # The state file now holds the result: read it without the slow checks.
        self.pollers[name].poll_now(force=False)

    def _catch_up_log(self) -> None:
        screen = self._app.screen
        if isinstance(screen, RsyncLogScreen):
            screen.catch_up()

    # Quitting ----------------------------------------------------------------------------------

    def hold_quit(self) -> bool:
        """True, with a warning, for the first q while the console's sync runs."""
        if self.syncing is None or self._quit_armed:
            return False
        self._quit_armed = True
        self._app.set_timer(QUIT_WINDOW, self._disarm_quit)
        self._app.notify(
            f"the audio sync to {self.syncing} is running: press q again within "
            f"{QUIT_WINDOW:g} s to stop it and quit",
            title="sync running",
            severity="warning",
            markup=False,
        )
        return True

    def _disarm_quit(self) -> None:
        self._quit_armed = False

    def _track(self, worker: Worker[None]) -> None:
        self._workers = [*self.workers, worker]

    @property
    def workers(self) -> list[Worker[None]]:
        """The workers started here that may still run."""
        return [worker for worker in self._workers if not worker.is_finished]

    def severity(self, name: str, now: datetime) -> Severity | None:
        """Of the audio panel of ``name``: the worst of its problems; None before a check."""
        state = self._app.state
        if state.audio(name) is None:
            return None
        if name in self._failing:
            return Severity.UNKNOWN
        problems = state.audio_problems(name, now)
        return max((p.severity for p in problems), key=lambda s: s.rank, default=Severity.OK)


def _exit_word(outcome: SyncOutcome) -> str:
    return outcome.exit.name.replace("_", " ")
