"""The failover flow shared by ``rdconsole failover`` and the console.

Preview: an interrupted run refuses at once (it is finished with ``--resume``, never started
over); otherwise the checklist and the plan are gathered and the blocks left after the
operator's override are listed. Run: ``failover-start`` in the audit log, the journaled steps,
``failover-end``. A blocked preview is refused (``failover-refused``) and changes nothing.
Resume (CLI only): ``failover-resume``, the steps left, ``failover-end``.

The CLI holds the failover lock from before the preview until the end of the run. The console
cannot hold it while the operator reads the screen, so ``ConsoleFailover`` takes it for the run
and checks again under it: a run whose situation changed since the preview (master state, plan,
new blocks) is refused with nothing changed.

Light to import: asyncmy and asyncssh load only when a preview or a run starts, so the console
imports the types below without them.
"""

from __future__ import annotations

import asyncio
import enum
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from rdconsole.config.settings import Settings
from rdconsole.core.evidence import MasterVerdict
from rdconsole.core.failover import (
    Check,
    ChecklistItem,
    DataAtRisk,
    FailoverInputs,
    PromotionMarker,
    blocking,
)
from rdconsole.core.failover_plan import Plan, Step
from rdconsole.hosts.state import AuditLog, LockBusy, RunLock

if TYPE_CHECKING:
    from rdconsole.ops.monitor import FailoverRunner
    from rdconsole.ops.preflight import Preflight

LOCK_NAME = "failover.lock"


class FailoverExit(enum.IntEnum):
    """``rdconsole failover`` exit codes (documented in the README)."""

    DONE = 0
    REFUSED = 1
    """Blocked by the checklist: nothing was changed."""
    FAILED = 2
    """A step failed half-way: the message says what state the hosts are in and what to do."""
    CONFIG = 3


@dataclass(frozen=True)
class FailoverOutcome:
    exit: FailoverExit
    message: str


class FailoverObserver(Protocol):
    def step(self, step: Step, status: str, detail: str) -> None: ...

    def progress(self, step: Step, text: str) -> None: ...


Switcher = Callable[[str], Awaitable[tuple[int, str]]]
"""``switch standby``: returns (exit code, message); 0 means switched (or already there)."""

FENCE_KEYS = frozenset({"master", "fence"})
"""Checklist items that an operator's statement of the fencing (``--fenced``) can satisfy."""


@dataclass(frozen=True)
class FailoverPreview:
    """The checklist and the plan for one standby, and what still blocks the run."""

    preflight: Preflight
    fenced: str | None
    """The operator's statement of how the old master is fenced, as gathered with."""
    override: str | None
    """The operator's reason lifting the overridable blocks."""
    blocks: tuple[ChecklistItem, ...]
    """The blocks left after the override: the run may go only when empty."""

    @property
    def standby(self) -> str:
        return self.preflight.standby.name

    @property
    def items(self) -> Sequence[ChecklistItem]:
        return self.preflight.items

    @property
    def plan(self) -> Plan:
        return self.preflight.plan

    @property
    def inputs(self) -> FailoverInputs:
        return self.preflight.inputs

    @property
    def verdict(self) -> MasterVerdict:
        return self.preflight.inputs.verdict

    @property
    def at_risk(self) -> DataAtRisk:
        return self.preflight.inputs.at_risk

    @property
    def allowed(self) -> bool:
        return not self.blocks

    @property
    def asks_fenced(self) -> bool:
        """A statement of the fencing is missing (the master or the fence item blocks)."""
        return any(i.key in FENCE_KEYS and i.state is Check.BLOCK for i in self.items)

    @property
    def overridable(self) -> bool:
        """Some block may be lifted by a typed reason (whether one was given or not)."""
        return any(i.state is Check.BLOCK and i.overridable for i in self.items)

    def refusal(self) -> str:
        """Why the run may not go ("blocked: title: why; ..."), empty when it may."""
        if not self.blocks:
            return ""
        return "blocked: " + "; ".join(f"{b.title}: {b.why}" for b in self.blocks)


@dataclass(frozen=True)
class Interrupted:
    """A run whose journal is not finished: shown, and finished with ``--resume``."""

    standby: str
    path: str
    """``failover`` or ``switchover``."""
    step: str
    """The first step not done (the one that was running or failed)."""
    done: tuple[str, ...]
    started_at: str

    @classmethod
    def from_journal(cls, document: Mapping[str, Any]) -> Interrupted:
        steps = [s for s in document.get("steps", ()) if isinstance(s, Mapping)]
        done = tuple(str(s.get("id")) for s in steps if s.get("status") == "done")
        left = [str(s.get("id")) for s in steps if s.get("status") != "done"]
        return cls(
            standby=str(document.get("standby", "?")),
            path=str(document.get("path", "failover")),
            step=left[0] if left else "?",
            done=done,
            started_at=str(document.get("started_at", "?")),
        )

    def refusal(self) -> str:
        """Why no new run may start (the CLI's wording)."""
        return (
            f"a {self.path} of {self.standby} was interrupted after "
            f"{', '.join(self.done) or 'no step'}: finish it with `rdconsole failover --resume`"
        )


@dataclass(frozen=True)
class Standing:
    """What state_dir says stands: the last promotion, an interrupted run."""

    marker: PromotionMarker | None
    interrupted: Interrupted | None
    problem: str | None = None
    """Why state_dir could not be read (then both are unknown, shown as None)."""


def read_standing(settings: Settings) -> Standing:
    """The promotion marker and an unfinished run journal, from state_dir."""
    from rdconsole.ops.failover import unfinished_run
    from rdconsole.ops.preflight import read_marker

    try:
        pending = unfinished_run(settings)
        marker = read_marker(settings)
    except OSError as error:
        return Standing(None, None, f"cannot read {settings.console.state_dir}: {error}")
    return Standing(marker, Interrupted.from_journal(pending) if pending else None)


def lock_for(settings: Settings) -> RunLock:
    return RunLock(settings.console.state_dir / LOCK_NAME)


async def prepare(
    settings: Settings,
    standby: str | None,
    *,
    fenced: str | None,
    override: str | None,
    another_run: str | None,
) -> FailoverPreview | FailoverOutcome:
    """The preview, or the refusal when an interrupted run awaits ``--resume``."""
    from rdconsole.ops.failover import unfinished_run
    from rdconsole.ops.preflight import gather

    pending = unfinished_run(settings)
    if pending is not None:
        return FailoverOutcome(FailoverExit.REFUSED, Interrupted.from_journal(pending).refusal())
    preflight = await gather(settings, standby, fenced=fenced, another_run=another_run)
    blocks = tuple(blocking(preflight.items, override))
    return FailoverPreview(preflight, fenced, override, blocks)


def refuse(settings: Settings, preview: FailoverPreview, *, audit: bool) -> FailoverOutcome:
    """The outcome of a blocked preview; ``failover-refused`` goes to the audit log if asked."""
    if audit:
        reasons = "; ".join(f"{b.title}: {b.why}" for b in preview.blocks)
        AuditLog(settings.console.state_dir).write(
            "failover-refused", standby=preview.standby, reasons=reasons
        )
    return FailoverOutcome(FailoverExit.REFUSED, preview.refusal())


async def execute(
    settings: Settings,
    preview: FailoverPreview,
    observer: FailoverObserver | None,
    switcher: Switcher,
    *,
    via: str | None = None,
) -> FailoverOutcome:
    """Run an allowed preview's plan, between ``failover-start`` and ``failover-end``.

    ``via`` (e.g. "console") is added to both audit entries when given.
    """
    from rdconsole.ops.failover import execute_run, new_journal

    audit = AuditLog(settings.console.state_dir)
    origin = {"via": via} if via else {}
    preflight = preview.preflight
    journal = new_journal(preflight, preview.fenced, preview.override)
    audit.write(
        "failover-start",
        standby=preview.standby,
        path=preview.plan.path,
        master_state=preview.verdict.state.value,
        evidence=list(preview.verdict.reasons),
        fenced=preview.fenced,
        override=preview.override,
        checklist=[{"item": i.title, "state": i.state.value, "why": i.why} for i in preview.items],
        **origin,
    )
    outcome = await execute_run(settings, journal, observer, switcher)
    audit.write(
        "failover-end",
        standby=preview.standby,
        exit_code=int(outcome.exit),
        message=outcome.message,
        **origin,
    )
    return outcome


async def resume(
    settings: Settings,
    pending: dict[str, Any],
    observer: FailoverObserver | None,
    switcher: Switcher,
) -> FailoverOutcome:
    """Finish an interrupted run (done steps are skipped), between ``failover-resume`` and
    ``failover-end``, so the incident report shows how it ended."""
    from rdconsole.ops.failover import execute_run

    audit = AuditLog(settings.console.state_dir)
    left = [s["id"] for s in pending["steps"] if s["status"] != "done"]
    audit.write("failover-resume", standby=pending["standby"], steps_left=left)
    outcome = await execute_run(settings, pending, observer, switcher)
    audit.write(
        "failover-end",
        standby=pending["standby"],
        exit_code=int(outcome.exit),
        message=outcome.message,
        resumed=True,
    )
    return outcome


def switcher_for(settings: Settings, standby: str) -> Switcher:
    """``rdconsole switch standby`` as the run's SWITCH step calls it."""

    async def switch(mode: str) -> tuple[int, str]:
        from rdconsole.ops.switch import switch_for_failover

        return await switch_for_failover(settings, standby, mode)

    return switch


def changed_since(before: FailoverPreview, now: FailoverPreview) -> str:
    """What makes ``before`` out of date (empty when the run may go as previewed)."""
    old, new = before.verdict.state, now.verdict.state
    if old is not new:
        return f"the master was {old.value} and is {new.value} now"
    if before.plan != now.plan:
        return "the plan is not the one shown"
    return ""


class ConsoleFailover:
    """The console's ``FailoverRunner``: the shared flow, with the lock taken for the run."""

    def __init__(
        self,
        settings: Settings,
        *,
        switcher: Callable[[Settings, str], Switcher] = switcher_for,
    ) -> None:
        self._settings = settings
        self._switcher = switcher

    async def standing(self) -> Standing:
        return await asyncio.to_thread(read_standing, self._settings)

    async def preview(
        self, standby: str | None, *, fenced: str | None, override: str | None
    ) -> FailoverPreview | FailoverOutcome:
        lock = lock_for(self._settings)
        another: str | None = None
        try:
            lock.acquire()
        except LockBusy as busy:
            another = str(busy)
        except OSError as error:
            return FailoverOutcome(FailoverExit.CONFIG, f"cannot lock: {error}")
        else:
            lock.release()
        return await prepare(
            self._settings, standby, fenced=fenced, override=override, another_run=another
        )

    async def run(self, preview: FailoverPreview, observer: FailoverObserver) -> FailoverOutcome:
        settings = self._settings
        lock = lock_for(settings)
        try:
            lock.acquire()
        except LockBusy as busy:
            return FailoverOutcome(
                FailoverExit.REFUSED, f"another failover is running: {busy}; nothing changed"
            )
        except OSError as error:
            return FailoverOutcome(FailoverExit.CONFIG, f"cannot lock: {error}")
        try:
            fresh = await prepare(
                settings,
                preview.standby,
                fenced=preview.fenced,
                override=preview.override,
                another_run=None,
            )
            if isinstance(fresh, FailoverOutcome):
                return fresh
            if fresh.blocks:
                return refuse(settings, fresh, audit=True)
            changed = changed_since(preview, fresh)
            if changed:
                AuditLog(settings.console.state_dir).write(
                    "failover-refused", standby=fresh.standby, reasons=changed, via="console"
                )
                return FailoverOutcome(
                    FailoverExit.REFUSED,
                    f"{changed}: nothing was changed; check again before promoting",
                )
            switcher = self._switcher(settings, fresh.standby)
            return await execute(settings, fresh, observer, switcher, via="console")
        finally:
            lock.release()


def failover_runner(settings: Settings) -> FailoverRunner:
    """The console's failover key, bound to ``settings`` (``ops.monitor.FailoverRunner``)."""
    return ConsoleFailover(settings)
