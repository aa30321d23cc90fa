"""Setup, rejoin and failback in the console: the palette entries and keys, their screens
(checks, typed confirmation), the run started from one, and what the promotion marker says may
come next.

Every worker started here belongs to the App, so it outlives the screens (the run goes on when
its view is hidden); the App routes the messages here through ``ReplicationKeys``. No I/O of its
own: only the ``ReplicationRunner`` protocol. The pollers keep running during a run.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from rdconsole.config.settings import Settings
from rdconsole.core.replication_plan import Step
from rdconsole.ops.console_replication import Procedure, ReplicationStanding, Stage
from rdconsole.ops.monitor import ReplicationRunner
from rdconsole.ui.messages import (
    ReplicationFinished,
    ReplicationPreviewed,
    ReplicationProgress,
    ReplicationStepped,
    ReplicationStood,
)
from rdconsole.ui.replicating import PALETTE, ReplicationRun, RunReporter, dialog_title, exit_word
from rdconsole.ui.screens.replication import ReplicationRunScreen, ReplicationScreen
from rdconsole.ui.screens.sync import StandbyChooser

if TYPE_CHECKING:
    # The replication flow loads the database driver: only when a runner first uses it.
    from rdconsole.ops.replication_flow import Outcome, ReplicationPreview
    from rdconsole.ui.app import RdConsoleApp

PREVIEW_TIMEOUT = 120.0
"""Seconds the checks may take (two admin logins, the databases' sizes)."""

STAGE_OF: dict[str, Stage | None] = {
    "setup": None,
    "rejoin": Stage.PROMOTED,
    "failback": Stage.REJOINED,
}
"""When each procedure is offered (None: always)."""


class ReplicationControl:
    """The setup entry, the rejoin and failback keys, their screens and the run."""

    def __init__(self, app: RdConsoleApp, settings: Settings, runner: ReplicationRunner | None):
        self._app = app
        self._settings = settings
        self.runner = runner
        self.standing = ReplicationStanding(Stage.NONE)
        """What the promotion marker said at the last read."""
        self.run: ReplicationRun | None = None
        """The run started here (kept after it ended, for its view)."""
        self._screen: ReplicationScreen | None = None
        self._asked = 0
        """Checks asked for so far: a slower, older answer is not shown over a newer one."""
        self._run_worker: Worker[None] | None = None
        self._workers: list[Worker[None]] = []

    @property
    def running(self) -> bool:
        return self.run is not None and not self.run.finished

    def offered(self, procedure: str) -> bool:
        stage = STAGE_OF[procedure]
        return self.runner is not None and (stage is None or self.standing.stage is stage)

    def key_state(self, procedure: str) -> bool | None:
        """For the App's ``check_action``: hidden when not offered, dimmed while a run (this one
        or a failover) goes on."""
        if not self.offered(procedure):
            return False
        return None if self.running or self._app.failover.running else True

    def commands(self) -> Iterator[SystemCommand]:
        if self.running or self._app.failover.running:
            return
        for procedure, (title, help_text) in PALETTE.items():
            if self.offered(procedure):
                yield SystemCommand(title, help_text, partial(self.open, procedure))

    # Standing: the promotion marker -------------------------------------------------------------

    def read_standing(self) -> None:
        """Read the promotion marker (in a worker): at start-up and after any run."""
        runner = self.runner
        if runner is None:
            return
        self._track(
            self._app.run_worker(
                self._read(runner),
                name="replication standing",
                group="replication-standing",
                description="read the promotion marker",
                exclusive=True,
                exit_on_error=False,
            )
        )

    async def _read(self, runner: ReplicationRunner) -> None:
        self._app.post_message(ReplicationStood(await runner.standing()))

    def stood(self, message: ReplicationStood) -> None:
        old, new = self.standing, message.standing
        self.standing = new
        if new.problem and new.problem != old.problem:
            self._app.log_event(f"replication: {new.problem}")
        if new.stage is not old.stage:
            self._app.refresh_bindings()

    # The screen: choose, check, confirm ----------------------------------------------------------

    def open(self, procedure: Procedure) -> None:
        if not self.offered(procedure) or self.running or self._screen is not None:
            return
        if procedure != "setup":
            self._open(procedure, self.standing.standby or "?")
            return
        names = [standby.name for standby in self._settings.standbys]
        if len(names) == 1:
            self._open(procedure, names[0])
            return

        def chosen(name: str | None) -> None:
            if name is not None:
                self._open(procedure, name)

        self._app.push_screen(StandbyChooser(names, title="set up which standby?"), chosen)

    def _open(self, procedure: Procedure, standby: str) -> None:
        master = self._settings.master.name
        word = standby if procedure == "setup" else master
        title = dialog_title(procedure, master, standby)
        check = partial(self._check, procedure, standby)
        screen = ReplicationScreen(procedure, title, word, check)
        self._screen = screen
        self._app.log_event(f"{procedure}: checking (changes nothing)")
        self._app.push_screen(screen, partial(self._confirmed, procedure, title))
        check(())

    def _check(self, procedure: Procedure, standby: str, overwrite: tuple[str, ...]) -> None:
        runner = self.runner
        if runner is None:
            return
        self._asked += 1
        target = standby if procedure == "setup" else None
        self._track(
            self._app.run_worker(
                self._preview(runner, procedure, target, overwrite, self._asked),
                name=procedure,
                group="replication-preview",
                description=f"{procedure} checks",
                exclusive=True,
                exit_on_error=False,
            )
        )

    async def _preview(
        self,
        runner: ReplicationRunner,
        procedure: Procedure,
        standby: str | None,
        overwrite: tuple[str, ...],
        ask: int,
    ) -> None:
        try:
            async with asyncio.timeout(PREVIEW_TIMEOUT):
                preview = await runner.preview(procedure, standby, overwrite=overwrite)
        except TimeoutError:
            failure = f"the checks did not finish within {PREVIEW_TIMEOUT:g} s"
            self._app.post_message(ReplicationPreviewed(procedure, None, failure, ask=ask))
        except Exception as error:  # shown on the screen: the operator must see why
            self._app.post_message(ReplicationPreviewed(procedure, None, repr(error), ask=ask))
        else:
            self._app.post_message(ReplicationPreviewed(procedure, preview, ask=ask))

    def previewed(self, message: ReplicationPreviewed) -> None:
        if message.ask != self._asked:
            return  # a newer check was asked for
        screen, preview = self._screen, message.preview
        if preview is None:
            self._app.log_event(f"{message.procedure}: checks failed: {message.failure}")
        else:
            word = "could go" if preview.allowed else "BLOCKED"
            self._app.log_event(f"{message.procedure}: {len(preview.steps)} steps, {word}")
        if screen is None or screen.procedure != message.procedure or not screen.is_attached:
            return
        if preview is None:
            screen.show_failure(message.failure)
        else:
            screen.show(preview)

    def _confirmed(self, procedure: str, title: str, preview: ReplicationPreview | None) -> None:
        self._screen = None
        runner = self.runner
        if preview is None or runner is None:
            self._app.log_event(f"{procedure}: cancelled; nothing changed")
            return
        if not self.running:
            self._start(runner, preview, title)

    # The run -------------------------------------------------------------------------------------

    def _start(self, runner: ReplicationRunner, preview: ReplicationPreview, title: str) -> None:
        state = ReplicationRun(preview, title)
        self.run = state
        reporter = RunReporter(self._post_step, self._post_progress)
        self._app.refresh_bindings()
        self._app.log_event(f"{preview.procedure}: confirmed; started from the console")
        self._run_worker = self._app.run_worker(
            self._run(runner, preview, reporter),
            name=preview.procedure,
            group="replication",
            description=title,
            exclusive=True,
            exit_on_error=False,
        )
        self._track(self._run_worker)
        self._app.push_screen(ReplicationRunScreen(state))

    def _post_step(self, step: Step, status: str, detail: str, at: float) -> None:
        self._app.post_message(ReplicationStepped(step, status, detail, at))

    def _post_progress(self, step: Step, text: str) -> None:
        self._app.post_message(ReplicationProgress(step, text))

    async def _run(
        self, runner: ReplicationRunner, preview: ReplicationPreview, reporter: RunReporter
    ) -> None:
        outcome = await runner.run(preview, reporter)
        self._app.post_message(ReplicationFinished(preview.procedure, outcome))

    def stepped(self, message: ReplicationStepped) -> None:
        state = self.run
        if state is None:
            return
        line = state.stepped(message.step, message.status, message.detail, message.at)
        self._app.log_event(f"{state.procedure}: {line}")
        self._redraw()

    def progressed(self, message: ReplicationProgress) -> None:
        state = self.run
        if state is None or state.finished:
            return
        state.progress = message.text
        self._redraw()

    def finished(self, message: ReplicationFinished) -> None:
        self._end(message.outcome)

    def crashed(self, worker: Worker[None]) -> None:
        """A bug in a worker (host problems come back as outcomes or BLOCK items)."""
        if worker.group == "replication":
            from rdconsole.ops.replication_flow import Outcome, ReplicationExit

            # Its journal says where it stopped: ``rdconsole <procedure> --resume`` finishes it.
            self._end(Outcome(ReplicationExit.FAILED, f"the run stopped: {worker.error!r}"))
        elif worker.group == "replication-preview":
            failure = repr(worker.error)
            self.previewed(ReplicationPreviewed(worker.name, None, failure, ask=self._asked))
        else:
            self._app.log_event(f"{worker.description} failed: {worker.error!r}")

    def _end(self, outcome: Outcome) -> None:
        state = self.run
        if state is None or state.finished:
            return
        state.outcome = outcome
        word = exit_word(outcome)
        self._app.log_event(f"{state.procedure}: {word}: {outcome.message}")
        self._app.notify(
            outcome.message,
            title=f"{state.procedure}: {word}",
            severity="information" if state.done else "error",
            timeout=30,
            markup=False,
        )
        self._app.bell()
        self._app.refresh_bindings()
        self._redraw()
        # A rejoin or failback changed the promotion marker: the keys and the banner follow it.
        self.read_standing()
        self._app.failover.read_standing()

    def _redraw(self) -> None:
        screen = self._app.screen
        if isinstance(screen, ReplicationRunScreen) and screen.state is self.run:
            screen.refresh_state()

    # Quitting -----------------------------------------------------------------------------------

    def hold_quit(self) -> bool:
        """True, with a warning, while a run started here goes on: it is never cut half-way."""
        if not self.running or self.run is None:
            return False
        self._app.notify(
            f"a {self.run.procedure} is running; it must finish (its steps are in the event log)",
            title=f"{self.run.procedure} running",
            severity="warning",
            markup=False,
        )
        return True

    async def wait_for_run(self) -> None:
        """Let a running run finish when the console closes anyway (terminal lost)."""
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


class ReplicationKeys:
    """The App's replication actions and message handlers (mixed into ``RdConsoleApp``, which
    sets ``replication``)."""

    replication: ReplicationControl

    def action_setup(self) -> None:
        self.replication.open("setup")

    def action_rejoin(self) -> None:
        self.replication.open("rejoin")

    def action_failback(self) -> None:
        self.replication.open("failback")

    def on_replication_stood(self, message: ReplicationStood) -> None:
        self.replication.stood(message)

    def on_replication_previewed(self, message: ReplicationPreviewed) -> None:
        self.replication.previewed(message)

    def on_replication_stepped(self, message: ReplicationStepped) -> None:
        self.replication.stepped(message)

    def on_replication_progress(self, message: ReplicationProgress) -> None:
        self.replication.progressed(message)

    def on_replication_finished(self, message: ReplicationFinished) -> None:
        self.replication.finished(message)
