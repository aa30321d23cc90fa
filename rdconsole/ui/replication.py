"""Setup, rejoin and failback in the console: the palette entries and keys, their screens
(checks, typed confirmation), the run started from one, and what the promotion marker says may
come next.

Every worker started here belongs to the App, so it outlives the screens (the run goes on when
its view is hidden); the App routes the messages here through ``ReplicationKeys``. No I/O of its
own: only the ``ReplicationRunner`` protocol. The pollers keep running during a run.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import partial
from typing import TYPE_CHECKING

from textual.app import SystemCommand
from textual.worker import Worker

from rdconsole.config.settings import Settings
from rdconsole.core.replication_plan import Step
from rdconsole.ops.console_replication import Procedure, ReplicationStanding, Stage
from rdconsole.ops.monitor import ReplicationRunner
from rdconsole.ui.guarded import GuardedControl
from rdconsole.ui.messages import (
    ReplicationFinished,
    ReplicationPreviewed,
    ReplicationProgress,
    ReplicationStepped,
    ReplicationStood,
    while_running,
)
from rdconsole.ui.replicating import PALETTE, ReplicationRun, dialog_title
from rdconsole.ui.runs import StepReporter
from rdconsole.ui.screens.replication import ReplicationRunScreen, ReplicationScreen

if TYPE_CHECKING:
    # The replication flow loads the database driver: only when a runner first uses it.
    from rdconsole.ops.replication_flow import ReplicationPreview
    from rdconsole.ui.app import RdConsoleApp

PREVIEW_TIMEOUT = 120.0
"""Seconds the checks may take (two admin logins, the databases' sizes)."""

STAGE_OF: dict[str, Stage | None] = {
    "setup": None,
    "rejoin": Stage.PROMOTED,
    "failback": Stage.REJOINED,
}
"""When each procedure is offered (None: always)."""


class ReplicationControl(GuardedControl[ReplicationRunner, ReplicationRun]):
    """The setup entry, the rejoin and failback keys, their screens and the run."""

    PREVIEW_TIMEOUT = PREVIEW_TIMEOUT
    STEPPED = ReplicationStepped
    PROGRESS = ReplicationProgress

    def __init__(self, app: RdConsoleApp, settings: Settings, runner: ReplicationRunner | None):
        super().__init__(app, settings, runner)
        self.standing = ReplicationStanding(Stage.NONE)
        """What the promotion marker said at the last read."""
        self._screen: ReplicationScreen | None = None

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
        self._read_standing(
            runner.standing,
            ReplicationStood,
            name="replication standing",
            group="replication-standing",
            description="read the promotion marker",
        )

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
        self._choose_standby("set up which standby?", partial(self._open, procedure))

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
        ask = self._ask()
        target = standby if procedure == "setup" else None
        self._spawn(
            self._checks(
                partial(runner.preview, procedure, target, overwrite=overwrite),
                partial(self._previewed, procedure, ask),
            ),
            name=procedure,
            group="replication-preview",
            description=f"{procedure} checks",
        )

    @staticmethod
    def _previewed(
        procedure: str, ask: int, preview: ReplicationPreview | None, failure: str
    ) -> ReplicationPreviewed:
        return ReplicationPreviewed(procedure, preview, failure, ask=ask)

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
        self._go(procedure, preview, partial(self._start, title=title))

    # The run -------------------------------------------------------------------------------------

    def _start(self, runner: ReplicationRunner, preview: ReplicationPreview, *, title: str) -> None:
        self._start_run(
            ReplicationRun(preview, title),
            partial(self._run, runner, preview),
            started=f"{preview.procedure}: confirmed; started from the console",
            name=preview.procedure,
            group="replication",
            description=title,
            screen=ReplicationRunScreen,
        )

    async def _run(
        self, runner: ReplicationRunner, preview: ReplicationPreview, reporter: StepReporter[Step]
    ) -> None:
        outcome = await runner.run(preview, reporter)
        self._app.post_message(ReplicationFinished(preview.procedure, outcome))

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

    def _after_end(self) -> None:
        # A rejoin or failback changed the promotion marker: the keys and the banner follow it.
        self.read_standing()
        self._app.failover.read_standing()


class ReplicationKeys:
    """The App's replication actions and message handlers (mixed into ``RdConsoleApp``, which
    sets ``replication``)."""

    if TYPE_CHECKING:  # provided by the App this is mixed into

        @property
        def is_running(self) -> bool: ...

    replication: ReplicationControl

    def action_setup(self) -> None:
        self.replication.open("setup")

    def action_rejoin(self) -> None:
        self.replication.open("rejoin")

    def action_failback(self) -> None:
        self.replication.open("failback")

    @while_running
    def on_replication_stood(self, message: ReplicationStood) -> None:
        self.replication.stood(message)

    @while_running
    def on_replication_previewed(self, message: ReplicationPreviewed) -> None:
        self.replication.previewed(message)

    @while_running
    def on_replication_stepped(self, message: ReplicationStepped) -> None:
        self.replication.stepped(message)

    @while_running
    def on_replication_progress(self, message: ReplicationProgress) -> None:
        self.replication.progressed(message)

    @while_running
    def on_replication_finished(self, message: ReplicationFinished) -> None:
        self.replication.finished(message)
