"""The console's ``ReplicationRunner``: setup, rejoin and failback through the same flow as
``rdconsole setup``, ``rejoin`` and ``failback`` (``ops.replication_flow``), and what the
promotion marker says may come next.

Previews never create the replication password (they change nothing); the run does, as the CLI's.
The flow (and the database and SSH drivers) load when first used, not when the console starts.
"""

from __future__ import annotations

import asyncio
import enum
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from rdconsole.config.settings import Settings
from rdconsole.core.failover import Check, ChecklistItem

if TYPE_CHECKING:
    from rdconsole.ops.replication_context import RunObserver
    from rdconsole.ops.replication_flow import Outcome, ReplicationPreview

Procedure = Literal["setup", "rejoin", "failback"]


class Stage(enum.Enum):
    """Where the station stands between a promotion and the original roles."""

    NONE = "no promotion recorded"
    """Setup only."""
    PROMOTED = "promoted, old master not rejoined"
    """The old master may be rejoined as a replica of the promoted standby."""
    REJOINED = "old master rejoined"
    """The roles may be switched back (failback)."""


@dataclass(frozen=True)
class ReplicationStanding:
    stage: Stage
    standby: str | None = None
    """The promoted standby (PROMOTED, REJOINED)."""
    problem: str | None = None
    """Why state_dir could not be read (the stage is then NONE)."""


def read_replication_standing(settings: Settings) -> ReplicationStanding:
    """The stage, from the promotion marker in state_dir."""
    from rdconsole.ops.replication_context import promotion_marker

    try:
        marker = promotion_marker(settings)
    except OSError as error:
        return ReplicationStanding(
            Stage.NONE, problem=f"cannot read {settings.console.state_dir}: {error}"
        )
    if marker is None:
        return ReplicationStanding(Stage.NONE)
    standby = str(marker.get("standby", "?"))
    stage = Stage.REJOINED if marker.get("rejoined_at") else Stage.PROMOTED
    return ReplicationStanding(stage, standby)


def _blocked(procedure: Procedure, word: str, title: str, why: str, fix: str) -> ReplicationPreview:
    from rdconsole.ops.replication_flow import ReplicationPreview

    return ReplicationPreview(
        procedure, [ChecklistItem(procedure, title, Check.BLOCK, why, fix)], (), word
    )


class ConsoleReplication:
    """``ops.monitor.ReplicationRunner`` bound to ``settings``."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings

    async def standing(self) -> ReplicationStanding:
        return await asyncio.to_thread(read_replication_standing, self._settings)

    async def preview(
        self, procedure: Procedure, standby: str | None, *, overwrite: tuple[str, ...]
    ) -> ReplicationPreview:
        from rdconsole.ops.rejoin import prepare_failback, prepare_rejoin
        from rdconsole.ops.replication_context import unfinished
        from rdconsole.ops.replication_setup import prepare_setup

        settings = self._settings
        word = standby or settings.master.name
        try:
            if procedure == "setup":
                preview = await prepare_setup(settings, standby, overwrite=overwrite)
            elif procedure == "rejoin":
                preview = await prepare_rejoin(settings)
            else:
                preview = await prepare_failback(settings)
        except KeyError as error:  # no [*.admin] login, or a standby not configured
            why = str(error.args[0]) if error.args else repr(error)
            return _blocked(procedure, word, "Configuration", why, "edit the configuration file")
        pending = await asyncio.to_thread(unfinished, settings, procedure)
        if pending is None:
            return preview
        item = ChecklistItem(
            "unfinished",
            f"Unfinished {procedure} run",
            Check.BLOCK,
            f"a {procedure} run from {pending.get('started_at', '?')} stopped half-way",
            f"finish it in a shell: rdconsole {procedure} --resume",
        )
        return replace(preview, items=[*preview.items, item])

    async def run(self, preview: ReplicationPreview, observer: RunObserver) -> Outcome:
        from rdconsole.ops.replication_flow import execute

        return await execute(preview, observer)


def replication_runner(settings: Settings) -> ConsoleReplication:
    """The console's setup, rejoin and failback screens, bound to ``settings``."""
    return ConsoleReplication(settings)
