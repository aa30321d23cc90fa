"""Prepared failover checks and a scripted failover runner for the console tests, the snapshot
and ``scripts/screenshots.py`` (this tests the console, not MySQL).

Deterministic: the checklist and plan are the real ones (``core.failover``, ``core.failover_plan``)
computed from fixed snapshots at fixed times.
"""

from __future__ import annotations

import asyncio

from textual.pilot import Pilot

from rdconsole.core.evidence import Evidence, MasterState, Witness, judge_master
from rdconsole.core.failover import (
    DataAtRisk,
    FailoverInputs,
    PromotionMarker,
    TargetCheck,
    blocking,
    checklist,
)
from rdconsole.core.failover_plan import Plan, StepKind, plan_promotion
from rdconsole.core.model import Flavor, HostSnapshot
from rdconsole.core.vocabulary import vocabulary_for
from rdconsole.ops.failover_flow import (
    FailoverExit,
    FailoverObserver,
    FailoverOutcome,
    FailoverPreview,
    Interrupted,
    Standing,
)
from rdconsole.ops.preflight import Preflight
from rdconsole.ui.app import RdConsoleApp, make_app
from rdconsole.ui.screens.failover import FailoverScreen
from tests.ui.guarded import checks_shown
from tests.ui.samples import (
    BINLOG,
    MASTER,
    POSITION,
    SCENARIOS,
    SCREEN_TIME,
    STANDBY,
    T0,
    fixed_clock,
    master_down,
    play_scenario,
    sample_settings,
    standby_duplicate_key,
    standby_retrying,
)

MARIADB = vocabulary_for(Flavor.MARIADB, (10, 11, 6))
STOP_RIVENDELL = "systemctl stop rivendell"
FENCED = "powered off at the rack"
DONE_MESSAGE = f"{STANDBY} is the master now (failover)"
PROGRESS = "0 bytes left, stalled 0 s"


def promoted_marker() -> PromotionMarker:
    return PromotionMarker(at=SCREEN_TIME, by="alice", standby=STANDBY, reason=FENCED)


def interrupted_run() -> Interrupted:
    return Interrupted(
        standby=STANDBY,
        path="failover",
        step="06-writable",
        done=("01-fence", "02-drain", "03-stop-replication", "04-record", "05-reset"),
        started_at="2026-03-14T14:01:00+00:00",
    )


def sample_plan() -> Plan:
    return plan_promotion(
        MasterState.DOWN,
        master=MASTER,
        standby=STANDBY,
        master_vocabulary=None,
        standby_vocabulary=MARIADB,
        fence="none",
        can_fence_host=False,
        master_stop_command=STOP_RIVENDELL,
        master_database_stop_command="systemctl stop mariadb",
    )


def sample_preview(
    fenced: str | None = None,
    override: str | None = None,
    *,
    standby: HostSnapshot | None = None,
    marker: PromotionMarker | None = None,
) -> FailoverPreview:
    """The master killed 2 s before the screen time; rdconsole cannot fence it (``fence =
    "none"``, no SSH), so the checklist blocks until ``fenced`` is stated."""
    settings = sample_settings()
    replica = standby if standby is not None else standby_retrying()
    no_ssh = Witness("SSH to the master", None, "not configured ([master.ssh])")
    no_rsync = Witness("master's rsync daemon", None, "the audio mirror is not configured")
    verdict = judge_master(Evidence(master_down(), replica, no_ssh, no_rsync, 2.0))
    inputs = FailoverInputs(
        verdict=verdict,
        master=master_down(),
        standby=replica,
        target=TargetCheck("/etc/rd.conf.standby", (), (), 375, STANDBY),
        at_risk=DataAtRisk(BINLOG, POSITION + 3_072, T0, BINLOG, POSITION, 3_072),
        audio=None,
        marker=marker,
        block_after_promotion=3600.0,
        another_run=None,
        fence="none",
        can_fence_host=False,
        fenced=fenced,
        now=SCREEN_TIME,
    )
    items = checklist(inputs)
    preflight = Preflight(settings.standbys[0], inputs, items, sample_plan(), None, MARIADB)
    return FailoverPreview(preflight, fenced, override, tuple(blocking(items, override)))


class FakeFailoverRunner:
    """A FailoverRunner whose checks are ``sample_preview`` (the standby's SQL thread broken
    with ``sql_error``) and whose run reports every step of the plan (``pause`` seconds each,
    with progress on the drain), then writes the marker (``standing`` reads it) unless it
    ``fails_at`` a step. ``hold`` (when given) stops the run on the drain until it is set.
    """

    def __init__(
        self,
        *,
        standing: Standing | None = None,
        sql_error: bool = False,
        refusal: FailoverOutcome | None = None,
        fails_at: str | None = None,
        hold: asyncio.Event | None = None,
        pause: float = 0.0,
    ) -> None:
        self._standing = standing or Standing(None, None)
        self.sql_error = sql_error
        self.refusal = refusal
        self.fails_at = fails_at
        self.hold = hold
        self.pause = pause
        self.previews: list[tuple[str | None, str | None, str | None]] = []
        self.runs: list[FailoverPreview] = []
        self.held = False

    async def standing(self) -> Standing:
        await asyncio.sleep(0)
        return self._standing

    async def preview(
        self, standby: str | None, *, fenced: str | None, override: str | None
    ) -> FailoverPreview | FailoverOutcome:
        self.previews.append((standby, fenced, override))
        await asyncio.sleep(0)
        if self.refusal is not None:
            return self.refusal
        replica = standby_duplicate_key() if self.sql_error else None
        return sample_preview(fenced, override, standby=replica)

    async def run(self, preview: FailoverPreview, observer: FailoverObserver) -> FailoverOutcome:
        self.runs.append(preview)
        await asyncio.sleep(0)
        for step in preview.plan.steps:
            observer.step(step, "running", "")
            if step.kind is StepKind.WAIT_DRAINED:
                observer.progress(step, PROGRESS)
                if self.hold is not None:
                    self.held = True
                    await self.hold.wait()
                    self.held = False
            await asyncio.sleep(self.pause)
            if step.id == self.fails_at:
                observer.step(step, "failed", "the standby did not read back read_only = 0")
                self._standing = Standing(None, interrupted_run())
                return FailoverOutcome(
                    FailoverExit.FAILED,
                    f"step {step.id} ({step.title}) failed. Fix the cause, then finish with "
                    "`rdconsole failover --resume`",
                )
            observer.step(step, "done", "ok")
        self._standing = Standing(promoted_marker(), None)
        return FailoverOutcome(FailoverExit.DONE, DONE_MESSAGE)


def failover_app(
    runner: FakeFailoverRunner | None = None, *, scenario: str = "master-down"
) -> RdConsoleApp:
    return make_app(
        sample_settings(),
        SCENARIOS[scenario](),
        clock=fixed_clock,
        failover=runner if runner is not None else FakeFailoverRunner(),
    )


async def open_failover(pilot: Pilot[None]) -> None:
    """Both scripted polls, then ``f``: leaves the screen showing the checks."""
    await play_scenario(pilot)
    await pilot.press("f")
    await checks_shown(pilot, FailoverScreen)
