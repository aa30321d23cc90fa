"""``setup``'s preview: both servers' checks and the plan for master -> standby (reads only)."""

from __future__ import annotations

import asyncio
from functools import partial

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.core.layout import Mode
from rdconsole.core.replication_plan import plan_setup
from rdconsole.core.setup_checks import check_pair
from rdconsole.hosts.shell import ShellError
from rdconsole.ops.replication_context import RunContext, promotion_marker, with_admin
from rdconsole.ops.replication_flow import (
    ReplicationPreview,
    password_note,
    read_pair,
    seed_spec,
    snapshot_commands,
)
from rdconsole.ops.switch import current_mode


async def prepare_setup(
    settings: Settings, standby_name: str | None, *, overwrite: tuple[str, ...]
) -> ReplicationPreview:
    """Setup's checks and plan for master -> standby (reads only: the run makes the password)."""
    standby = settings.standby(standby_name)
    master, replica = with_admin(settings.master), with_admin(standby)
    databases = settings.replication.databases
    master_reading, standby_reading, items = await read_pair(
        settings, (master, "master"), (replica, "standby")
    )
    if master_reading.facts is None or standby_reading.facts is None:
        return ReplicationPreview("setup", items, (), standby.name)
    source, target = master_reading.facts, standby_reading.facts
    items = await _live_standby(settings, standby) + check_pair(
        source, target, databases, overwrite_confirmed=set(databases) <= set(overwrite)
    )
    dump, load, shown = snapshot_commands(source, target, databases)
    spec = seed_spec(settings, settings.master, standby, source, shown)
    context = RunContext(
        settings,
        "setup",
        {master.name: master, replica.name: replica},
        dump={master.name: dump},
        load={replica.name: load},
    )
    return ReplicationPreview(
        "setup",
        items,
        plan_setup(spec),
        standby.name,
        (
            f"{replica.name} will replicate {', '.join(databases)} from {master.name}",
            password_note(settings),
        ),
        context,
        {
            "account": spec.account.sql_name,
            "flavor": source.flavor.value,
            "version": list(source.version),
            "expected_bytes": {master.name: master_reading.size_bytes},
        },
        partial(prepare_setup, settings, standby_name, overwrite=overwrite),
    )


async def _live_standby(settings: Settings, standby: HostConfig) -> list[ChecklistItem]:
    """Setup must never overwrite a database Rivendell runs on: a promoted or switched standby."""
    marker = promotion_marker(settings)
    if marker is not None:
        return [
            ChecklistItem(
                "promoted",
                "No promotion recorded",
                Check.BLOCK,
                f"{marker.get('standby')} was promoted at {marker.get('at')}: it is the master "
                "now and setup would overwrite its live database",
                "bring the old master back with rdconsole rejoin, then rdconsole failback",
            )
        ]
    try:
        async with asyncio.timeout(settings.console.connect_timeout * 2):
            layout = await current_mode(settings, standby.name)
    except (ShellError, TimeoutError, OSError) as error:
        return [
            ChecklistItem(
                "layout",
                f"Rivendell on {standby.name}",
                Check.WARN,
                f"its rd.conf and snd links could not be read ({error}); make sure it does not "
                "run on its standby configuration",
            )
        ]
    if layout.mode is Mode.STANDBY or layout.mode is Mode.MIXED:
        return [
            ChecklistItem(
                "layout",
                f"Rivendell on {standby.name}",
                Check.BLOCK,
                f"its links select the {layout.mode.value} configuration: its own database may "
                "be live",
                "rdconsole switch master (on the standby host) first",
            )
        ]
    if layout.mode is Mode.UNKNOWN:
        return [
            ChecklistItem(
                "layout",
                f"Rivendell on {standby.name}",
                Check.WARN,
                "its rd.conf and snd are not the expected symlinks: cannot tell which database "
                "its Rivendell uses",
                "see `rdconsole switch --dry-run master` for what is expected",
            )
        ]
    return [
        ChecklistItem(
            "layout",
            f"Rivendell on {standby.name}",
            Check.PASS,
            "links select the master configuration: its own database is not in use",
        )
    ]
