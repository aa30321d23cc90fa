"""Messages the console's workers post to the App."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import TYPE_CHECKING, Generic, Protocol, TypeVar

from textual.message import Message

from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.failover_plan import Step
from rdconsole.core.model import HostSnapshot
from rdconsole.core.replication_plan import Step as ReplicationStep
from rdconsole.core.rsync_progress import SyncProgress
from rdconsole.ops.console_replication import ReplicationStanding
from rdconsole.ops.failover_flow import FailoverOutcome, FailoverPreview, Standing
from rdconsole.ops.sync import SyncOutcome
from rdconsole.ui.runs import StepT

if TYPE_CHECKING:
    # The replication flow loads the database driver: only when a runner first uses it.
    from rdconsole.ops.replication_flow import Outcome, ReplicationPreview

MessageT = TypeVar("MessageT", bound=Message)


class Pump(Protocol):
    """What ``while_running`` needs of the App (or a mixin of it)."""

    @property
    def is_running(self) -> bool: ...


PumpT = TypeVar("PumpT", bound=Pump)


def while_running(
    handler: Callable[[PumpT, MessageT], None],
) -> Callable[[PumpT, MessageT], None]:
    """Drop a worker's message handled while the console shuts down: its screens are being
    taken apart by then, and the panels the message would update are going. (A run's journal
    and audit are written by the run itself, not by these handlers.)"""

    @wraps(handler)
    def handle(app: PumpT, message: MessageT) -> None:
        if app.is_running:
            handler(app, message)

    return handle


class HostPolled(Message, bubble=False):
    """A poller read its host (or gave up on it within the budget)."""

    def __init__(self, snapshot: HostSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot


class AudioPolled(Message, bubble=False):
    """An audio poller read a standby's mirror, or gave up on it (``snapshot`` None)."""

    def __init__(self, standby: str, snapshot: AudioSnapshot | None, failure: str = "") -> None:
        super().__init__()
        self.standby = standby
        self.snapshot = snapshot
        self.failure = failure
        """Why there is no snapshot (empty when there is one)."""


class SyncPreviewed(Message, bubble=False):
    """The dry run the sync key starts came back (or was refused)."""

    def __init__(self, standby: str, outcome: SyncOutcome) -> None:
        super().__init__()
        self.standby = standby
        self.outcome = outcome


class SyncUpdate(Message, bubble=False):
    """How a console-started sync stands; a newer one replaces an unhandled older one.

    New rsync lines are not carried here (a replaced message would lose them): they wait in the
    run's bounded ``SyncLog``, which the handler reads.
    """

    def __init__(self, standby: str, phase: str, progress: SyncProgress | None) -> None:
        super().__init__()
        self.standby = standby
        self.phase = phase
        self.progress = progress
        """None until rsync printed its first event."""

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, SyncUpdate) and message.standby == self.standby


class SyncFinished(Message, bubble=False):
    """A console-started sync ended; posted after its last update."""

    def __init__(self, standby: str, outcome: SyncOutcome) -> None:
        super().__init__()
        self.standby = standby
        self.outcome = outcome


class RunStepped(Message, Generic[StepT], bubble=False):
    """A step of a run started from the console changed state (never replaced: each one is
    shown). Posted as the failover's or the replication's own kind."""

    def __init__(self, step: StepT, status: str, detail: str, at: float) -> None:
        super().__init__()
        self.step = step
        self.status = status
        """``running``, ``done`` or ``failed``."""
        self.detail = detail
        self.at = at
        """``time.monotonic()`` when the runner reported it."""


class RunProgress(Message, Generic[StepT], bubble=False):
    """How a long step of a run stands; a newer one (of the same kind, for the same step)
    replaces an unhandled older one."""

    def __init__(self, step: StepT, text: str) -> None:
        super().__init__()
        self.step = step
        self.text = text

    def can_replace(self, message: Message) -> bool:
        return isinstance(message, type(self)) and message.step.id == self.step.id


class FailoverStood(Message, bubble=False):
    """state_dir was read: the promotion marker and an interrupted run, if any."""

    def __init__(self, standing: Standing) -> None:
        super().__init__()
        self.standing = standing


class FailoverPreviewed(Message, bubble=False):
    """The failover screen's checks came back: a preview, a refusal (an interrupted run), or
    ``failure`` (they could not be made)."""

    def __init__(
        self,
        standby: str,
        result: FailoverPreview | FailoverOutcome | None,
        failure: str = "",
        *,
        ask: int = 0,
    ) -> None:
        super().__init__()
        self.standby = standby
        self.result = result
        self.failure = failure
        self.ask = ask
        """Which request it answers: only the newest one is shown."""


class FailoverStepped(RunStepped[Step], bubble=False):
    """A step of the console's failover changed state (never replaced: each one is shown)."""


class FailoverProgress(RunProgress[Step], bubble=False):
    """How a waiting step stands (the drain); a newer one replaces an unhandled older one."""


class FailoverFinished(Message, bubble=False):
    """The console's failover ended; posted after its last step."""

    def __init__(self, standby: str, outcome: FailoverOutcome) -> None:
        super().__init__()
        self.standby = standby
        self.outcome = outcome


class ReplicationStood(Message, bubble=False):
    """The promotion marker was read: whether a rejoin or a failback may come next."""

    def __init__(self, standing: ReplicationStanding) -> None:
        super().__init__()
        self.standing = standing


class ReplicationPreviewed(Message, bubble=False):
    """A setup, rejoin or failback screen's checks came back, or ``failure`` (they could not be
    made)."""

    def __init__(
        self, procedure: str, preview: ReplicationPreview | None, failure: str = "", *, ask: int
    ) -> None:
        super().__init__()
        self.procedure = procedure
        self.preview = preview
        self.failure = failure
        self.ask = ask
        """Which request it answers: only the newest one is shown."""


class ReplicationStepped(RunStepped[ReplicationStep], bubble=False):
    """A step of the console's setup, rejoin or failback changed state (never replaced)."""


class ReplicationProgress(RunProgress[ReplicationStep], bubble=False):
    """How a long step stands (the snapshot's bytes); a newer one replaces an older one."""


class ReplicationFinished(Message, bubble=False):
    """The console's setup, rejoin or failback ended; posted after its last step."""

    def __init__(self, procedure: str, outcome: Outcome) -> None:
        super().__init__()
        self.procedure = procedure
        self.outcome = outcome
