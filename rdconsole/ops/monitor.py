"""Collectors and drills as the console and the CLI see them.

The console (``rdconsole.ui``) and ``rdconsole status`` depend only on these protocols, so tests
can drive the console with scripted snapshots while integration tests use the real collectors.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.model import HostSnapshot

if TYPE_CHECKING:
    from rdconsole.ops.console_replication import Procedure, ReplicationStanding
    from rdconsole.ops.failover_flow import (
        FailoverObserver,
        FailoverOutcome,
        FailoverPreview,
        Standing,
    )
    from rdconsole.ops.replication_context import RunObserver
    from rdconsole.ops.replication_flow import Outcome, ReplicationPreview
    from rdconsole.ops.sync import SyncObserver, SyncOutcome


class Collector(Protocol):
    """Reads one host. ``collect`` never raises for host problems: they land in the snapshot."""

    @property
    def name(self) -> str: ...

    async def collect(self) -> HostSnapshot: ...

    async def close(self) -> None: ...


class Drills(Protocol):
    """Lab actions that ``rdconsole demo`` offers, so newcomers can watch the console react."""

    async def stop_master(self) -> None: ...

    async def kill_master(self) -> None: ...

    async def break_sql_thread(self) -> None: ...

    async def stop_io_thread(self) -> None: ...

    async def restore(self) -> None:
        """Bring everything back to healthy: master running, replication threads running."""
        ...


class Journal(Protocol):
    """Durable record of each poll's positions, read later to estimate data at risk."""

    async def record(self, snapshot: HostSnapshot) -> None:
        """Append the positions in ``snapshot``; never raises for I/O problems."""
        ...


class AudioWatcher(Protocol):
    """Watches one standby's audio mirror (``rdconsole.ops.audio.AudioCollector``)."""

    @property
    def name(self) -> str: ...

    async def collect(self, *, force: bool = False) -> AudioSnapshot: ...

    async def close(self) -> None: ...


class SyncRunner(Protocol):
    """Runs the guarded mirror for a standby (``rdconsole.ops.sync.run_sync`` bound to settings).

    ``dry_run=True`` only previews: the exact command and what would change.
    """

    async def __call__(
        self, standby: str, *, dry_run: bool, observer: SyncObserver | None
    ) -> SyncOutcome: ...


class FailoverRunner(Protocol):
    """The guarded promotion for the console (``rdconsole.ops.failover_flow.ConsoleFailover``):
    the same flow as ``rdconsole failover``, and what state_dir says stands.

    None of these raises for host problems: refusals come back as outcomes.
    """

    async def standing(self) -> Standing:
        """The promotion marker and an interrupted run, if any (read from state_dir)."""
        ...

    async def preview(
        self, standby: str | None, *, fenced: str | None, override: str | None
    ) -> FailoverPreview | FailoverOutcome:
        """The checklist and the plan (changes nothing), or why there is none (an
        interrupted run awaits ``--resume``)."""
        ...

    async def run(self, preview: FailoverPreview, observer: FailoverObserver) -> FailoverOutcome:
        """Promote as ``preview`` showed, after checking again under the failover lock: refused
        with nothing changed if it blocks now or the situation changed."""
        ...


class ReplicationRunner(Protocol):
    """Setup, rejoin and failback for the console (``ops.console_replication.ConsoleReplication``):
    the same flow as ``rdconsole setup``, ``rejoin`` and ``failback``, and the stage the
    promotion marker records.

    None of these raises for host problems: they come back as BLOCK items or outcomes.
    """

    async def standing(self) -> ReplicationStanding:
        """Whether a promotion waits for a rejoin, or a rejoin for the failback."""
        ...

    async def preview(
        self, procedure: Procedure, standby: str | None, *, overwrite: tuple[str, ...]
    ) -> ReplicationPreview:
        """The checks and the plan (changes nothing); ``overwrite``: the standby databases the
        operator typed to let setup replace them."""
        ...

    async def run(self, preview: ReplicationPreview, observer: RunObserver) -> Outcome:
        """Run ``preview``'s plan under the failover lock (refused if it blocks, another run
        holds the lock, or an unfinished run waits for ``--resume``)."""
        ...
