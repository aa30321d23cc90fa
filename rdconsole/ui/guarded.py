"""What the failover's and the setup/rejoin/failback's coordinators share: the workers they start
for the App, the checks under a time limit, the run's reports, its end, and holding the quit
while it goes on.

Every worker started here belongs to the App, so it outlives the screens (the run goes on when
its view is hidden); the App routes the messages to the coordinator, which hands the run's to
``stepped``, ``progressed`` and ``_end`` here. No I/O of its own: only the runner's protocol.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual.message import Message
from textual.worker import Worker, WorkerCancelled, WorkerFailed

from rdconsole.config.settings import Settings
from rdconsole.ui.messages import RunProgress, RunStepped
from rdconsole.ui.runs import ConsoleRun, RunOutcome, StepReporter, exit_word
from rdconsole.ui.screens.guarded import RunScreen
from rdconsole.ui.screens.sync import StandbyChooser

if TYPE_CHECKING:
    from rdconsole.ui.app import RdConsoleApp

RunnerT = TypeVar("RunnerT")
RunT = TypeVar("RunT", bound=ConsoleRun[Any, Any])
ResultT = TypeVar("ResultT")
PreviewT = TypeVar("PreviewT")


class GuardedControl(Generic[RunnerT, RunT]):
    """A guarded operation's key: its checks, the run started here, its view and its reports.

    A subclass opens its screen, starts the run (``_start_run``) and says what comes after it
    (``_after_end``); its messages are its own kinds (``STEPPED``, ``PROGRESS``)."""

    PREVIEW_TIMEOUT: ClassVar[float]
    """Seconds the checks may take."""
    STEPPED: ClassVar[type[RunStepped[Any]]]
    PROGRESS: ClassVar[type[RunProgress[Any]]]

    def __init__(self, app: RdConsoleApp, settings: Settings, runner: RunnerT | None) -> None:
        self._app = app
        self._settings = settings
        self.runner = runner
        self.run: RunT | None = None
        """The run started here (kept after it ended, for its view)."""
        self._asked = 0
        """Checks asked for so far: a slower, older answer is not shown over a newer one."""
        self._run_worker: Worker[None] | None = None
        self._workers: list[Worker[None]] = []

    @property
    def running(self) -> bool:
        return self.run is not None and not self.run.finished

    def _spawn(
        self, work: Coroutine[Any, Any, None], *, name: str, group: str, description: str
    ) -> Worker[None]:
        """Start ``work`` in an App worker (one per group at a time) that never takes the App
        down: its crash comes back to the App's worker handler."""
        worker = self._app.run_worker(
            work,
            name=name,
            group=group,
            description=description,
            exclusive=True,
            exit_on_error=False,
        )
        self._workers = [*self.workers, worker]
        return worker

    def _read_standing(
        self,
        read: Callable[[], Awaitable[ResultT]],
        stood: Callable[[ResultT], Message],
        *,
        name: str,
        group: str,
        description: str,
    ) -> None:
        """Read what state_dir says (in a worker) and post ``stood(standing)``."""
        self._spawn(self._post_read(read, stood), name=name, group=group, description=description)

    async def _post_read(
        self, read: Callable[[], Awaitable[ResultT]], stood: Callable[[ResultT], Message]
    ) -> None:
        self._app.post_message(stood(await read()))

    def _choose_standby(self, title: str, chosen: Callable[[str], None]) -> None:
        """``chosen(name)`` at once when there is one standby, else after the operator chose."""
        names = [standby.name for standby in self._settings.standbys]
        if len(names) == 1:
            chosen(names[0])
            return

        def answered(name: str | None) -> None:
            if name is not None:
                chosen(name)

        self._app.push_screen(StandbyChooser(names, title=title), answered)

    def _ask(self) -> int:
        """Number a new request for the checks."""
        self._asked += 1
        return self._asked

    async def _checks(
        self,
        checks: Callable[[], Awaitable[ResultT]],
        answer: Callable[[ResultT | None, str], Message],
    ) -> None:
        """Run ``checks`` within ``PREVIEW_TIMEOUT`` and post ``answer(result, failure)``."""
        try:
            async with asyncio.timeout(self.PREVIEW_TIMEOUT):
                result = await checks()
        except TimeoutError:
            failure = f"the checks did not finish within {self.PREVIEW_TIMEOUT:g} s"
            self._app.post_message(answer(None, failure))
        except Exception as error:  # shown on the screen: the operator must see why
            self._app.post_message(answer(None, repr(error)))
        else:
            self._app.post_message(answer(result, ""))

    def _go(
        self,
        label: str,
        preview: PreviewT | None,
        start: Callable[[RunnerT, PreviewT], None],
    ) -> None:
        """The screen was dismissed: ``start`` the run with the preview confirmed, unless it was
        cancelled (or a run goes on)."""
        runner = self.runner
        if preview is None or runner is None:
            self._app.log_event(f"{label}: cancelled; nothing changed")
            return
        if not self.running:
            start(runner, preview)

    # The run -------------------------------------------------------------------------------------

    def _start_run(
        self,
        state: RunT,
        work: Callable[[StepReporter[Any]], Coroutine[Any, Any, None]],
        *,
        started: str,
        name: str,
        group: str,
        description: str,
        screen: Callable[[RunT], RunScreen],
    ) -> None:
        """Start the run: ``work(reporter)`` in a worker, its view on top; ``started`` goes to
        the event log."""
        self.run = state
        reporter: StepReporter[Any] = StepReporter(self._post_step, self._post_progress)
        self._app.refresh_bindings()
        self._app.log_event(started)
        self._run_worker = self._spawn(
            work(reporter), name=name, group=group, description=description
        )
        self._run_started()
        self._app.push_screen(screen(state))

    def _run_started(self) -> None:
        """After the run's worker started, before its view is shown."""

    def _post_step(self, step: Any, status: str, detail: str, at: float) -> None:
        self._app.post_message(self.STEPPED(step, status, detail, at))

    def _post_progress(self, step: Any, text: str) -> None:
        self._app.post_message(self.PROGRESS(step, text))

    def stepped(self, message: RunStepped[Any]) -> None:
        state = self.run
        if state is None:
            return
        line = state.stepped(message.step, message.status, message.detail, message.at)
        self._app.log_event(f"{state.label}: {line}")
        self._redraw()

    def progressed(self, message: RunProgress[Any]) -> None:
        state = self.run
        if state is None or state.finished:
            return
        state.progress = message.text
        self._redraw()

    def _end(self, outcome: RunOutcome) -> None:
        state = self.run
        if state is None or state.finished:
            return
        state.outcome = outcome
        word = exit_word(outcome)
        self._app.log_event(f"{state.label}: {word}: {outcome.message}")
        self._app.notify(
            outcome.message,
            title=f"{state.headline}: {word}",
            severity="information" if state.done else "error",
            timeout=30,
            markup=False,
        )
        self._app.bell()
        self._app.refresh_bindings()
        self._redraw()
        self._after_end()

    def _after_end(self) -> None:
        """What follows a run's end (reading what it left in state_dir)."""

    def _redraw(self) -> None:
        screen = self._app.screen
        if isinstance(screen, RunScreen) and screen.state is self.run:
            screen.refresh_state()

    # Quitting -----------------------------------------------------------------------------------

    def hold_quit(self) -> bool:
        """True, with a warning, while a run started here goes on: it is never cut half-way."""
        state = self.run
        if state is None or state.finished:
            return False
        self._app.notify(
            f"a {state.kind} is running; it must finish (its steps are in the event log)",
            title=f"{state.kind} running",
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

    @property
    def workers(self) -> list[Worker[None]]:
        """The workers started here that may still run (the run is never cancelled)."""
        return [w for w in self._workers if not w.is_finished and w is not self._run_worker]
