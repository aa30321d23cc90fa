"""After a promotion: ``rejoin`` (the old master becomes a replica of the promoted standby)
and ``failback`` (the original roles back). Previews only: they read, they change nothing."""

from __future__ import annotations

import shlex
from functools import partial
from typing import Any

from rdconsole.config.settings import Settings
from rdconsole.core.failback_checks import check_failback
from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.core.replication_plan import ReplicaAccount, plan_failback, plan_rejoin
from rdconsole.core.setup_checks import check_pair
from rdconsole.core.snapshot import backup_argv, binlog_argv, find_divergence
from rdconsole.core.vocabulary import vocabulary_for
from rdconsole.hosts.client_tools import OPTION_FILE
from rdconsole.ops.failover_flow import switcher_for
from rdconsole.ops.replication_context import RunContext, promotion_marker, with_admin
from rdconsole.ops.replication_facts import (
    replication_endpoint,
    replication_password,
    secret_path,
)
from rdconsole.ops.replication_flow import (
    ReplicationPreview,
    password_note,
    read_pair,
    seed_spec,
    snapshot_commands,
)


async def prepare_rejoin(settings: Settings) -> ReplicationPreview:
    """After a promotion: the old master becomes a replica of the promoted standby."""
    marker = promotion_marker(settings)
    old_host = settings.master
    if marker is None:
        return _nothing("rejoin", old_host.name, "no promotion is recorded: nothing to rejoin")
    if marker.get("rejoined_at"):
        return _nothing(
            "rejoin",
            old_host.name,
            f"{old_host.name} was rejoined at {marker['rejoined_at']}; next: rdconsole failback",
        )
    new_host = settings.standby(str(marker.get("standby")))
    new, old = with_admin(new_host), with_admin(old_host)
    databases = settings.replication.databases
    new_reading, old_reading, items = await read_pair(
        settings, (new, "promoted standby"), (old, "old master")
    )
    if new_reading.facts is None or old_reading.facts is None:
        return ReplicationPreview("rejoin", items, (), old_host.name)
    source, target = new_reading.facts, old_reading.facts
    coordinates = marker.get("final_coordinates") or {}
    executed_file = coordinates.get("relay_master_log_file")
    executed_position = coordinates.get("exec_master_log_pos")
    items = check_pair(source, target, databases, overwrite_confirmed=True)
    items = [i for i in items if i.key != "replicating"]
    summary = [f"{old.name} will be re-seeded from {new.name} and replicate from it"]
    facts: dict[str, Any] = {
        "flavor": source.flavor.value,
        "version": list(source.version),
        "expected_bytes": {new.name: new_reading.size_bytes},
    }
    executed = (
        (str(executed_file), int(executed_position))
        if executed_file is not None and executed_position is not None
        else None
    )
    facts["executed"] = {"file": executed[0], "position": executed[1]} if executed else None
    divergence = find_divergence(
        executed=executed,
        old_end=old_reading.binlog_end,
        old_binlogs=old_reading.binlogs,
        old_gtid_binlog_pos=old_reading.gtid_binlog_pos,
        new_gtid_slave_pos=new_reading.gtid_slave_pos,
    )
    kept = (
        " — saved to a quarantine file for review, never applied"
        if divergence.extractable
        else f" — {old.name}'s whole database is kept in state_dir/quarantine before the re-seed"
    )
    items.append(
        ChecklistItem(
            "divergence",
            "What the old master holds beyond the standby",
            Check.WARN if divergence.diverged else Check.PASS,
            divergence.describe() + (kept if divergence.diverged else ""),
        )
    )
    if target.replicating_from is not None:
        items.append(
            ChecklistItem(
                "old-replicating",
                f"{old.name} already replicates",
                Check.WARN,
                f"from {target.replicating_from}: the rejoin stops it and re-seeds it",
            )
        )
    dump, load, shown = snapshot_commands(source, target, databases)
    spec = seed_spec(settings, new_host, old_host, source, shown)
    quarantine = (
        shlex.join(binlog_argv(target.flavor, OPTION_FILE, *executed)).replace(
            OPTION_FILE, "<option file>"
        )
        + " > state_dir/quarantine/…"
        if divergence.extractable and executed
        else f"(nothing to read from the binlog: {divergence.describe()})"
    )
    backup = shlex.join(backup_argv(target.flavor, OPTION_FILE, databases)).replace(
        OPTION_FILE, "<option file>"
    )
    context = RunContext(
        settings,
        "rejoin",
        {new.name: new, old.name: old},
        dump={new.name: dump},
        load={old.name: load},
    )
    facts["account"] = spec.account.sql_name
    return ReplicationPreview(
        "rejoin",
        items,
        plan_rejoin(
            spec,
            quarantine_command=quarantine,
            backup_command=backup + " > state_dir/quarantine/…",
            diverged=divergence.diverged,
        ),
        old_host.name,
        (*summary, password_note(settings)),
        context,
        facts,
        partial(prepare_rejoin, settings),
    )


async def prepare_failback(settings: Settings) -> ReplicationPreview:
    """After a rejoin: hand the master role back to the original master."""
    marker = promotion_marker(settings)
    original_host = settings.master
    if marker is None:
        return _nothing("failback", original_host.name, "no promotion is recorded: nothing to undo")
    if not marker.get("rejoined_at"):
        return _nothing(
            "failback",
            original_host.name,
            f"{original_host.name} has not rejoined yet: run rdconsole rejoin first",
        )
    standby_host = settings.standby(str(marker.get("standby")))
    original, standby = with_admin(original_host), with_admin(standby_host)
    original_reading, standby_reading, items = await read_pair(
        settings, (original, "original master"), (standby, "standby")
    )
    if original_reading.facts is None or standby_reading.facts is None:
        return ReplicationPreview("failback", items, (), original_host.name)
    facts = original_reading.facts
    expected = replication_endpoint(standby_host)
    items += check_failback(
        facts,
        original_reading.replica,
        standby=standby.name,
        expected_source=f"{expected.host}:{expected.port}",
        lag_limit=settings.console.thresholds.lag_warning,
    )
    replication = settings.replication
    steps = plan_failback(
        original=original.name,
        standby=standby.name,
        original_endpoint=replication_endpoint(original_host),
        account=ReplicaAccount(replication.user, replication.account_host),
        words=vocabulary_for(facts.flavor, facts.version),
        connect_retry=replication.connect_retry,
        probe_database=replication.databases[0],
    )
    if replication_password(settings, create=False) is None:
        items.append(
            ChecklistItem(
                "password",
                "Replication password",
                Check.BLOCK,
                f"none in the config or {secret_path(settings)}: {standby.name} could not log "
                f"in to {original.name}",
                "set [replication] password_file to the password the account was created with",
            )
        )
    context = RunContext(
        settings,
        "failback",
        {original.name: original, standby.name: standby},
        dump={},
        load={},
        switcher=switcher_for(settings, standby.name),
    )
    return ReplicationPreview(
        "failback",
        items,
        steps,
        original_host.name,
        (f"{original.name} becomes the master again; {standby.name} replicates from it",),
        context,
        {
            "flavor": facts.flavor.value,
            "version": list(facts.version),
            "switch_standby": standby.name,
        },
        partial(prepare_failback, settings),
    )


def _nothing(procedure: str, word: str, why: str) -> ReplicationPreview:
    item = ChecklistItem("state", "Promotion state", Check.BLOCK, why)
    return ReplicationPreview(procedure, [item], (), word)
