"""The failover side of the console: the ``f`` screen (checks, typed confirmation), the run
started from it, and the standing banner (a promotion, an interrupted run).

Every worker started here belongs to the App, so it outlives the screens (the run goes on when
its view is hidden); the App routes the messages here. No I/O of its own: only the
``FailoverRunner`` protocol. The pollers keep running during a failover.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.css.query import NoMatches
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from rdconsole.config.settings import Settings
from rdconsole.core.failover_plan import Step
from rdconsole.ops.failover_flow import FailoverExit, FailoverOutcome, FailoverPreview, Standing
from rdconsole.ops.monitor import FailoverRunner
from rdconsole.ui.messages import (
    FailoverFinished,
    FailoverPreviewed,
    FailoverProgress,
    FailoverStepped,
    FailoverStood,
)
from rdconsole.ui.panels.banner import StandingBanner
from rdconsole.ui.promotion import ConsoleObserver, RunState, banner_lines, exit_word
from rdconsole.ui.screens.failover import FailoverRunScreen, FailoverScreen
from rdconsole.ui.screens.sync import StandbyChooser

if TYPE_CHECKING:
    from rdconsole.ui.app import RdConsoleApp
    from rdconsole.ui.replication import ReplicationControl

PREVIEW_TIMEOUT = 120.0
"""Seconds the checks may take (probes, SSH, the target login, the audio check)."""


class FailoverControl:
    """The failover key, its screens, the run and the banner."""

    def __init__(self, app: RdConsoleApp, settings: Settings, runner: FailoverRunner | None):
        self._app = app
        self._settings = settings
        self.runner = runner
        self.banner = StandingBanner()
        self.standing = Standing(None, None)
        """What state_dir said at the last read."""
        self.run: RunState | None = None
        """The failover started here (kept after it ended, for its view)."""
        self._screen: FailoverScreen | None = None
        self._asked = 0
        """Checks asked for so far: a slower, older answer is not shown over a newer one."""
        self._run_worker: Worker[None] | None = None
        self._workers: list[Worker[None]] = []

    @property
    def running(self) -> bool:
        return self.run is not None and not self.run.finished

    def key_state(self) -> bool | None:
        """For the App's ``check_action``: hidden without a runner, dimmed while one runs."""
        if self.runner is None:
            return False
        return None if self.running else True

    def commands(self) -> Iterator[SystemCommand]:
        if self.runner is not None and not self.running:
            yield SystemCommand(
                "Failover", "Checklist, plan and typed confirmation to promote a standby", self.open
            )

    # Standing: the marker and an interrupted run ------------------------------------------------

    def read_standing(self) -> None:
        """Read state_dir (in a worker): at start-up and after a run."""
        runner = self.runner
        if runner is None:
            return
        self._track(
            self._app.run_worker(
                self._read(runner),
                name="standing",
                group="failover-standing",
                description="read the promotion marker and the failover journal",
                exclusive=True,
                exit_on_error=False,
            )
        )

    async def _read(self, runner: FailoverRunner) -> None:
        self._app.post_message(FailoverStood(await runner.standing()))

    def stood(self, message: FailoverStood) -> None:
        old, new = self.standing, message.standing
        self.standing = new
        if new.problem and new.problem != old.problem:
            self._app.log_event(f"failover: {new.problem}")
        if new.interrupted is not None and new.interrupted != old.interrupted:
            self._app.log_event(f"failover: {new.interrupted.refusal()}")
            self._app.bell()
        if new.marker is not None and new.marker != old.marker:
            self._app.log_event(
                f"failover: {new.marker.standby} was promoted by {new.marker.by} "
                f"({new.marker.reason})"
            )
        self.show_banner()

    def show_banner(self) -> None:
        with contextlib.suppress(NoMatches):  # the console is closing
            self.banner.show(
                banner_lines(
                    marker=self.standing.marker,
                    interrupted=self.standing.interrupted,
                    run=self.run,
                    master=self._settings.master.name,
                    now=self._app.now(),
                )
            )

    # The screen: choose, check, confirm ----------------------------------------------------------

    def open(self) -> None:
        if self.runner is None or self.running or self._screen is not None:
            return
        names = [standby.name for standby in self._settings.standbys]
        if len(names) == 1:
            self._open(names[0])
            return

        def chosen(name: str | None) -> None:
            if name is not None:
                self._open(name)

        self._app.push_screen(StandbyChooser(names, title="promote which standby?"), chosen)

    def _open(self, standby: str) -> None:
        screen = FailoverScreen(standby, self._settings.master.name, partial(self._check, standby))
        self._screen = screen
        self._app.log_event(f"failover {standby}: checking (changes nothing)")
        self._app.push_screen(screen, partial(self._confirmed, standby))
        self._check(standby, None, None)

    def _check(self, standby: str, fenced: str | None, override: str | None) -> None:
        runner = self.runner
        if runner is None:
            return
        self._asked += 1
        self._track(
            self._app.run_worker(
                self._preview(runner, standby, fenced, override, self._asked),
                name=standby,
                group="failover-preview",
                description=f"failover checks for {standby}",
                exclusive=True,
                exit_on_error=False,
            )
        )

    async def _preview(
        self,
        runner: FailoverRunner,
        standby: str,
        fenced: str | None,
        override: str | None,
        ask: int,
    ) -> None:
        try:
            async with asyncio.timeout(PREVIEW_TIMEOUT):
                result = await runner.preview(standby, fenced=fenced, override=override)
        except TimeoutError:
            failure = f"the checks did not finish within {PREVIEW_TIMEOUT:g} s"
            self._app.post_message(FailoverPreviewed(standby, None, failure, ask=ask))
        except Exception as error:  # shown on the screen: the operator must see why
            self._app.post_message(FailoverPreviewed(standby, None, repr(error), ask=ask))
        else:
            self._app.post_message(FailoverPreviewed(standby, result, ask=ask))

    def previewed(self, message: FailoverPreviewed) -> None:
        if message.ask != self._asked:
            return  # a newer check was asked for (with other statements)
        screen, result = self._screen, message.result
        if result is None:
            self._app.log_event(f"failover {message.standby}: checks failed: {message.failure}")
        elif isinstance(result, FailoverOutcome):
            self._app.log_event(f"failover {message.standby}: refused: {result.message}")
        else:
            word = "BLOCKED" if result.blocks else "could go"
            self._app.log_event(
                f"failover {message.standby}: master {result.verdict.state.value}, "
                f"{result.plan.path} of {len(result.plan.steps)} steps, {word}"
            )
        if screen is None or screen.standby != message.standby or not screen.is_attached:
            return
        if result is None:
            screen.show_failure(message.failure)
        else:
            screen.show(result)

    def _confirmed(self, standby: str, preview: FailoverPreview | None) -> None:
        self._screen = None
        runner = self.runner
        if preview is None or runner is None:
            self._app.log_event(f"failover {standby}: cancelled; nothing changed")
            return
        if self.running:
            return
        self._start(runner, preview)

    # The run -------------------------------------------------------------------------------------

    def _start(self, runner: FailoverRunner, preview: FailoverPreview) -> None:
        state = RunState(preview.standby, preview.plan)
        self.run = state
        observer = ConsoleObserver(self._post_step, self._post_progress)
        self._app.refresh_bindings()
        self._app.log_event(
            f"failover {preview.standby}: confirmed; {preview.plan.path} started from the console"
        )
        worker = self._app.run_worker(
            self._run(runner, preview, observer),
            name=preview.standby,
            group="failover",
            description=f"failover to {preview.standby}",
            exclusive=True,
            exit_on_error=False,
        )
        self._run_worker = worker
        self._track(worker)
        self.show_banner()
        self._app.push_screen(FailoverRunScreen(state))

    def _post_step(self, step: Step, status: str, detail: str, at: float) -> None:
        self._app.post_message(FailoverStepped(step, status, detail, at))

    def _post_progress(self, step: Step, text: str) -> None:
        self._app.post_message(FailoverProgress(step, text))

    async def _run(
        self, runner: FailoverRunner, preview: FailoverPreview, observer: ConsoleObserver
    ) -> None:
        outcome = await runner.run(preview, observer)
        self._app.post_message(FailoverFinished(preview.standby, outcome))

    def stepped(self, message: FailoverStepped) -> None:
        state = self.run
        if state is None:
            return
        line = state.stepped(message.step, message.status, message.detail, message.at)
        self._app.log_event(f"failover {state.standby}: {line}")
        self._redraw()

    def progressed(self, message: FailoverProgress) -> None:
        state = self.run
        if state is None or state.finished:
            return
        state.progress = message.text
        self._redraw()

    def finished(self, message: FailoverFinished) -> None:
        self._end(message.outcome)

    def run_crashed(self, worker: Worker[None]) -> None:
        """A bug in the run (host problems come back as outcomes): its journal says where it
        stopped, and the next start (or the banner, read now) shows it."""
        self._end(FailoverOutcome(FailoverExit.FAILED, f"the run stopped: {worker.error!r}"))

    def preview_crashed(self, worker: Worker[None]) -> None:
        failure = repr(worker.error)
        self.previewed(FailoverPreviewed(worker.name, None, failure, ask=self._asked))

    def _end(self, outcome: FailoverOutcome) -> None:
        state = self.run
        if state is None or state.finished:
            return
        state.outcome = outcome
        word = exit_word(outcome)
        self._app.log_event(f"failover {state.standby}: {word}: {outcome.message}")
        self._app.notify(
            outcome.message,
            title=f"failover to {state.standby}: {word}",
            severity="information" if state.done else "error",
            timeout=30,
            markup=False,
        )
        self._app.bell()
        self._app.refresh_bindings()
        self._redraw()
        # The marker (after DONE) or the journal (after a failure) is in state_dir now.
        self.read_standing()

    def _redraw(self) -> None:
        self.show_banner()
        screen = self._app.screen
        if isinstance(screen, FailoverRunScreen) and screen.state is self.run:
            screen.refresh_state()

    # Quitting -----------------------------------------------------------------------------------

    def hold_quit(self) -> bool:
        """True, with a warning, while the console's failover runs: it is never cut half-way."""
        if not self.running:
            return False
        self._app.notify(
            "a failover is running; it must finish (its steps are in the event log)",
            title="failover running",
            severity="warning",
            markup=False,
        )
        return True

    async def wait_for_run(self) -> None:
        """Let a running failover finish when the console closes anyway (terminal lost)."""
        worker = self._run_worker
        if worker is not None and not worker.is_finished:
            with contextlib.suppress(WorkerCancelled, WorkerFailed):
                await worker.wait()

    def _track(self, worker: Worker[None]) -> None:
        self._workers = [*self.workers, worker]

    @property
    def workers(self) -> list[Worker[None]]:
        """The workers started here that may still run (the run is never cancelled)."""
        return [w for w in self._workers if not w.is_finished and w is not self._run_worker]


class FailoverKeys:
    """The App's failover action and message handlers (mixed into ``RdConsoleApp``, which sets
    ``failover`` and ``replication``)."""

    failover: FailoverControl
    replication: ReplicationControl

    def action_failover(self) -> None:
        self.failover.open()

    def on_failover_stood(self, message: FailoverStood) -> None:
        self.failover.stood(message)
        self.replication.read_standing()  # a promotion offers the rejoin

    def on_failover_previewed(self, message: FailoverPreviewed) -> None:
        self.failover.previewed(message)

    def on_failover_stepped(self, message: FailoverStepped) -> None:
        self.failover.stepped(message)

    def on_failover_progress(self, message: FailoverProgress) -> None:
        self.failover.progressed(message)

    def on_failover_finished(self, message: FailoverFinished) -> None:
        self.failover.finished(message)
