"""The failover side of the console: the ``f`` screen (checks, typed confirmation), the run
started from it, and the standing banner (a promotion, an interrupted run).

Every worker started here belongs to the App, so it outlives the screens (the run goes on when
its view is hidden); the App routes the messages here. No I/O of its own: only the
``FailoverRunner`` protocol. The pollers keep running during a failover.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.css.query import NoMatches
from textual.worker import Worker

from rdconsole.config.settings import Settings
from rdconsole.core.failover_plan import Step
from rdconsole.ops.failover_flow import FailoverExit, FailoverOutcome, FailoverPreview, Standing
from rdconsole.ops.monitor import FailoverRunner
from rdconsole.ui.guarded import GuardedControl
from rdconsole.ui.messages import (
    FailoverFinished,
    FailoverPreviewed,
    FailoverProgress,
    FailoverStepped,
    FailoverStood,
    while_running,
)
from rdconsole.ui.panels.banner import StandingBanner
from rdconsole.ui.promotion import RunState, banner_lines
from rdconsole.ui.runs import StepReporter
from rdconsole.ui.screens.failover import FailoverRunScreen, FailoverScreen

if TYPE_CHECKING:
    from rdconsole.ui.app import RdConsoleApp
    from rdconsole.ui.replication import ReplicationControl

PREVIEW_TIMEOUT = 120.0
"""Seconds the checks may take (probes, SSH, the target login, the audio check)."""


class FailoverControl(GuardedControl[FailoverRunner, RunState]):
    """The failover key, its screens, the run and the banner."""

    PREVIEW_TIMEOUT = PREVIEW_TIMEOUT
    STEPPED = FailoverStepped
    PROGRESS = FailoverProgress

    def __init__(self, app: RdConsoleApp, settings: Settings, runner: FailoverRunner | None):
        super().__init__(app, settings, runner)
        self.banner = StandingBanner()
        self.standing = Standing(None, None)
        """What state_dir said at the last read."""
        self._screen: FailoverScreen | None = None

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
        self._read_standing(
            runner.standing,
            FailoverStood,
            name="standing",
            group="failover-standing",
            description="read the promotion marker and the failover journal",
        )

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
        self._choose_standby("promote which standby?", self._open)

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
        ask = self._ask()
        self._spawn(
            self._checks(
                partial(runner.preview, standby, fenced=fenced, override=override),
                partial(self._previewed, standby, ask),
            ),
            name=standby,
            group="failover-preview",
            description=f"failover checks for {standby}",
        )

    @staticmethod
    def _previewed(
        standby: str, ask: int, result: FailoverPreview | FailoverOutcome | None, failure: str
    ) -> FailoverPreviewed:
        return FailoverPreviewed(standby, result, failure, ask=ask)

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
        self._go(f"failover {standby}", preview, self._start)

    # The run -------------------------------------------------------------------------------------

    def _start(self, runner: FailoverRunner, preview: FailoverPreview) -> None:
        self._start_run(
            RunState(preview.standby, preview.plan),
            partial(self._run, runner, preview),
            started=(
                f"failover {preview.standby}: confirmed; {preview.plan.path} started from the "
                "console"
            ),
            name=preview.standby,
            group="failover",
            description=f"failover to {preview.standby}",
            screen=FailoverRunScreen,
        )

    def _run_started(self) -> None:
        self.show_banner()

    async def _run(
        self, runner: FailoverRunner, preview: FailoverPreview, observer: StepReporter[Step]
    ) -> None:
        outcome = await runner.run(preview, observer)
        self._app.post_message(FailoverFinished(preview.standby, outcome))

    def finished(self, message: FailoverFinished) -> None:
        self._end(message.outcome)

    def run_crashed(self, worker: Worker[None]) -> None:
        """A bug in the run (host problems come back as outcomes): its journal says where it
        stopped, and the next start (or the banner, read now) shows it."""
        self._end(FailoverOutcome(FailoverExit.FAILED, f"the run stopped: {worker.error!r}"))

    def preview_crashed(self, worker: Worker[None]) -> None:
        failure = repr(worker.error)
        self.previewed(FailoverPreviewed(worker.name, None, failure, ask=self._asked))

    def _after_end(self) -> None:
        # The marker (after DONE) or the journal (after a failure) is in state_dir now.
        self.read_standing()

    def _redraw(self) -> None:
        self.show_banner()
        super()._redraw()


class FailoverKeys:
    """The App's failover action and message handlers (mixed into ``RdConsoleApp``, which sets
    ``failover`` and ``replication``)."""

    if TYPE_CHECKING:  # provided by the App this is mixed into

        @property
        def is_running(self) -> bool: ...

    failover: FailoverControl
    replication: ReplicationControl

    def action_failover(self) -> None:
        self.failover.open()

    @while_running
    def on_failover_stood(self, message: FailoverStood) -> None:
        self.failover.stood(message)
        self.replication.read_standing()  # a promotion offers the rejoin

    @while_running
    def on_failover_previewed(self, message: FailoverPreviewed) -> None:
        self.failover.previewed(message)

    @while_running
    def on_failover_stepped(self, message: FailoverStepped) -> None:
        self.failover.stepped(message)

    @while_running
    def on_failover_progress(self, message: FailoverProgress) -> None:
        self.failover.progressed(message)

    @while_running
    def on_failover_finished(self, message: FailoverFinished) -> None:
        self.failover.finished(message)
