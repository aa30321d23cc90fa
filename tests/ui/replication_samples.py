"""Canned setup, rejoin and failback previews and a scripted ReplicationRunner for the console
tests, the snapshots and ``scripts/screenshots.py`` (this tests the console, not MySQL).

Deterministic: the checks and plans are the real ones (``core.setup_checks``,
``core.replication_plan``) computed from fixed server facts.
"""

from __future__ import annotations

import asyncio
import shlex
from collections.abc import Mapping

from textual.pilot import Pilot

from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.core.model import Flavor
from rdconsole.core.replication_plan import (
    Action,
    Endpoint,
    ReplicaAccount,
    SeedSpec,
    plan_failback,
    plan_rejoin,
    plan_setup,
)
from rdconsole.core.setup_checks import ServerFacts, check_pair
from rdconsole.core.snapshot import dump_argv, load_argv
from rdconsole.core.vocabulary import vocabulary_for
from rdconsole.ops.console_replication import Procedure, ReplicationStanding, Stage
from rdconsole.ops.replication_context import RunContext, RunObserver
from rdconsole.ops.replication_flow import Outcome, ReplicationExit, ReplicationPreview
from rdconsole.ops.snapshot import SnapshotProgress
from rdconsole.ui.app import RdConsoleApp, make_app
from rdconsole.ui.screens.replication import ReplicationScreen
from tests.ui.failover_samples import FakeFailoverRunner
from tests.ui.guarded import checks_shown
from tests.ui.samples import (
    MASTER,
    SCENARIOS,
    STANDBY,
    fixed_clock,
    play_scenario,
    sample_settings,
    wait_until,
)

VERSION = "10.11.6-MariaDB-0+deb12u1-log"
DATABASES = ("Rivendell",)
SYSTEM = ("information_schema", "mysql", "performance_schema", "sys")
ACCOUNT = ReplicaAccount("repl", "%")
PROGRESS = SnapshotProgress(52_428_800, 209_715_200, 4.0).describe()
"""What the snapshot step reports while it runs (50 MiB of ~200 MiB)."""
FAILED_DETAIL = "SQL thread error 1146: Table 'Rivendell.CART' doesn't exist"
PASSWORD_NOTE = "a replication password will be generated into /var/lib/rdconsole/repl.secret"

VARIABLES = {
    "version": VERSION,
    "log_bin": "ON",
    "log_bin_basename": "/var/lib/mysql/mysql-bin",
    "relay_log": "relay-bin",
    "log_slave_updates": "ON",
    "expire_logs_days": "10.000000",
    "binlog_expire_logs_seconds": "864000",
    "replicate_do_db": "",
    "replicate_wild_do_table": "",
}


def facts(name: str, server_id: int, *, read_only: bool, tables: Mapping[str, int]) -> ServerFacts:
    variables = {
        **VARIABLES,
        "hostname": name,
        "server_id": str(server_id),
        "read_only": "ON" if read_only else "OFF",
    }
    databases = (*SYSTEM, *tables)
    return ServerFacts(name, variables, tables=dict(tables), databases=databases)


def snapshot_command() -> str:
    dump = dump_argv(Flavor.MARIADB, (10, 11, 6), "<option file>", DATABASES)
    load = load_argv(Flavor.MARIADB, "<option file>")
    return f"{shlex.join(dump)} | {shlex.join(load)}"


def seed_spec(source: str, target: str, host: str) -> SeedSpec:
    return SeedSpec(
        source=source,
        target=target,
        source_endpoint=Endpoint(host, 3306),
        account=ACCOUNT,
        words=vocabulary_for(Flavor.MARIADB, (10, 11, 6)),
        snapshot_command=snapshot_command(),
        connect_retry=10,
        probe_database="Rivendell",
    )


def _context(procedure: str) -> RunContext:
    return RunContext(sample_settings(), procedure, {}, dump={}, load={})


def setup_preview(*, data: bool = False, overwrite: tuple[str, ...] = ()) -> ReplicationPreview:
    """Setup rd-master -> rd-standby; ``data``: the standby's Rivendell already holds tables
    (blocks until the operator types ``Rivendell`` in 'overwrite')."""
    master = facts(MASTER, 1, read_only=False, tables={"Rivendell": 84})
    standby = facts(STANDBY, 2, read_only=True, tables={"Rivendell": 84} if data else {})
    confirmed = set(DATABASES) <= set(overwrite)
    items = check_pair(master, standby, DATABASES, overwrite_confirmed=confirmed)
    return ReplicationPreview(
        "setup",
        items,
        plan_setup(seed_spec(MASTER, STANDBY, "10.0.0.1")),
        STANDBY,
        (f"{STANDBY} will replicate Rivendell from {MASTER}", PASSWORD_NOTE),
        _context("setup"),
    )


def rejoin_preview() -> ReplicationPreview:
    """After the promotion: rd-master holds 3 events the standby never received."""
    new = facts(STANDBY, 2, read_only=False, tables={"Rivendell": 84})
    old = facts(MASTER, 1, read_only=True, tables={"Rivendell": 84})
    items = check_pair(new, old, DATABASES, overwrite_confirmed=True)
    items = [item for item in items if item.key != "replicating"]
    items.append(
        ChecklistItem(
            "divergence",
            "What the old master holds beyond the standby",
            Check.WARN,
            "3 events in mysql-bin.000012 past 4512337 — saved to a quarantine file for "
            "review, never applied",
        )
    )
    quarantine = "mariadb-binlog --start-position=4512337 mysql-bin.000012"
    steps = plan_rejoin(
        seed_spec(STANDBY, MASTER, "10.0.0.2"),
        quarantine_command=quarantine + " > state_dir/quarantine/…",
        backup_command="mariadb-dump --single-transaction --databases Rivendell > state_dir/…",
        diverged=True,
    )
    summary = (f"{MASTER} will be re-seeded from {STANDBY} and replicate from it", PASSWORD_NOTE)
    return ReplicationPreview("rejoin", items, steps, MASTER, summary, _context("rejoin"))


def failback_preview() -> ReplicationPreview:
    items = [
        ChecklistItem(
            "original-replicates",
            f"{MASTER} replicates from {STANDBY}",
            Check.PASS,
            "from 10.0.0.2:3306",
        )
    ]
    steps = plan_failback(
        original=MASTER,
        standby=STANDBY,
        original_endpoint=Endpoint("10.0.0.1", 3306),
        account=ACCOUNT,
        words=vocabulary_for(Flavor.MARIADB, (10, 11, 6)),
        connect_retry=10,
        probe_database="Rivendell",
    )
    summary = (f"{MASTER} becomes the master again; {STANDBY} replicates from it",)
    return ReplicationPreview("failback", items, steps, MASTER, summary, _context("failback"))


class FakeReplicationRunner:
    """A ReplicationRunner with the canned previews, whose run reports every step (progress on
    the snapshot), then moves the stage on (rejoin: REJOINED, failback: NONE) unless it
    ``fails_at`` a step. ``hold`` (when given) stops the run on the snapshot until it is set.
    ``data``: setup finds the standby's database holding data."""

    def __init__(
        self,
        *,
        stage: Stage = Stage.NONE,
        data: bool = False,
        blocked: ChecklistItem | None = None,
        fails_at: str | None = None,
        hold: asyncio.Event | None = None,
    ) -> None:
        self.stage = stage
        self.data = data
        self.blocked = blocked
        """An extra item every preview shows."""
        self.fails_at = fails_at
        self.hold = hold
        self.held = False
        self.previews: list[tuple[Procedure, str | None, tuple[str, ...]]] = []
        self.runs: list[ReplicationPreview] = []

    async def standing(self) -> ReplicationStanding:
        await asyncio.sleep(0)
        standby = None if self.stage is Stage.NONE else STANDBY
        return ReplicationStanding(self.stage, standby)

    async def preview(
        self, procedure: Procedure, standby: str | None, *, overwrite: tuple[str, ...]
    ) -> ReplicationPreview:
        self.previews.append((procedure, standby, overwrite))
        await asyncio.sleep(0)
        if procedure == "setup":
            preview = setup_preview(data=self.data, overwrite=overwrite)
        elif procedure == "rejoin":
            preview = rejoin_preview()
        else:
            preview = failback_preview()
        if self.blocked is not None:
            preview.items.append(self.blocked)
        return preview

    async def run(self, preview: ReplicationPreview, observer: RunObserver) -> Outcome:
        self.runs.append(preview)
        await asyncio.sleep(0)
        for step in preview.steps:
            observer.step(step, "running", "")
            if step.action is Action.SNAPSHOT:
                observer.progress(step, PROGRESS)
                if self.hold is not None:
                    self.held = True
                    await self.hold.wait()
                    self.held = False
            await asyncio.sleep(0)
            if step.id == self.fails_at:
                observer.step(step, "failed", FAILED_DETAIL)
                return Outcome(
                    ReplicationExit.FAILED,
                    f"step {step.id} ({step.title}) failed: {FAILED_DETAIL}. Fix the cause, "
                    f"then finish with `rdconsole {preview.procedure} --resume`",
                )
            observer.step(step, "done", "ok")
        if preview.procedure == "rejoin":
            self.stage = Stage.REJOINED
        elif preview.procedure == "failback":
            self.stage = Stage.NONE
        return Outcome(ReplicationExit.DONE, f"{preview.procedure} done")


def replication_app(
    runner: FakeReplicationRunner | None = None, *, scenario: str = "healthy"
) -> RdConsoleApp:
    return make_app(
        sample_settings(),
        SCENARIOS[scenario](),
        clock=fixed_clock,
        failover=FakeFailoverRunner(),
        replication=runner if runner is not None else FakeReplicationRunner(),
    )


async def open_replication(pilot: Pilot[None], key: str | None = None) -> ReplicationScreen:
    """Both scripted polls, then ``key`` (or the palette's "Set up replication…"): leaves the
    screen showing the checks."""
    app = pilot.app
    assert isinstance(app, RdConsoleApp)
    await play_scenario(pilot)
    if key is None:
        app.replication.open("setup")
    else:
        await wait_until(pilot, lambda: app.replication.standing.stage is not Stage.NONE)
        await pilot.press(key)
    return await checks_shown(pilot, ReplicationScreen)
