"""Setup, rejoin and failback as the CLI and the console run them: preview, then execute.

A preview reads both servers (admin logins), runs the pure checks and builds the plan; it
changes nothing. Executing takes the same lock as a failover (one topology change at a time),
audits the start and the end, and runs the journaled steps (``replication_run``).
"""

from __future__ import annotations

import asyncio
import enum
import shlex
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any

from rdconsole.config.settings import HostConfig, Secret, Settings
from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.core.layout import Mode
from rdconsole.core.replication_plan import (
    ReplicaAccount,
    SeedSpec,
    Step,
    plan_failback,
    plan_rejoin,
    plan_setup,
)
from rdconsole.core.setup_checks import ServerFacts, check_pair
from rdconsole.core.snapshot import binlog_argv, dump_argv, find_divergence, load_argv
from rdconsole.core.vocabulary import vocabulary_for
from rdconsole.hosts.shell import ShellError
from rdconsole.hosts.state import AuditLog, LockBusy, read_state_file, who
from rdconsole.ops.failover_flow import lock_for, switcher_for
from rdconsole.ops.preflight import marker_path
from rdconsole.ops.replication_facts import (
    Reading,
    read_server,
    replication_endpoint,
    replication_password,
    secret_path,
)
from rdconsole.ops.replication_run import (
    RunContext,
    RunObserver,
    execute_run,
    new_journal,
    unfinished,
    with_admin,
)
from rdconsole.ops.switch import current_mode

OPTION_FILE = "{option_file}"


class ReplicationExit(enum.IntEnum):
    """Exit codes of ``setup``, ``rejoin`` and ``failback``."""

    DONE = 0
    REFUSED = 1
    """Nothing was changed: blocked by a check, not confirmed, or an unfinished run waits."""
    FAILED = 2
    """Failed half-way: the message says what is done; ``--resume`` finishes."""
    CONFIG = 3
    BUSY = 4
    """Another setup, rejoin, failback or failover holds the lock."""


@dataclass(frozen=True)
class Outcome:
    exit: ReplicationExit
    message: str


@dataclass(frozen=True)
class ReplicationPreview:
    procedure: str
    items: list[ChecklistItem]
    steps: tuple[Step, ...]
    confirm_word: str
    """What the operator types to go ahead."""
    summary: tuple[str, ...] = ()
    context: RunContext | None = None
    """None when the servers could not be read: nothing can run."""
    facts: dict[str, Any] = field(default_factory=dict)
    """Journal facts the steps need (account, flavour, expected sizes, executed position)."""
    recheck: Callable[[], Awaitable[ReplicationPreview]] | None = None
    """The same preparation again: run under the lock, so what was confirmed still holds."""

    @property
    def allowed(self) -> bool:
        return self.context is not None and not any(i.state is Check.BLOCK for i in self.items)

    @property
    def refusal(self) -> str:
        blocks = [f"{i.title}: {i.why}" for i in self.items if i.state is Check.BLOCK]
        return "; ".join(blocks) or "the servers could not be read"


def _unreachable(reading: Reading, role: str) -> ChecklistItem:
    return ChecklistItem(
        f"reach-{role}",
        f"Admin login to the {role}",
        Check.BLOCK,
        reading.error or "unreadable",
        "check the [*.admin] login (user, socket or host/port) and that the server runs",
    )


def _commands(
    source: ServerFacts, target_flavor: ServerFacts, databases: tuple[str, ...]
) -> tuple[list[str], list[str], str]:
    dump = dump_argv(source.flavor, source.version, OPTION_FILE, databases)
    load = load_argv(target_flavor.flavor, OPTION_FILE)
    shown = f"{shlex.join(dump)} | {shlex.join(load)}".replace(OPTION_FILE, "<option file>")
    return dump, load, shown


def _seed_spec(
    settings: Settings, source: HostConfig, target: HostConfig, facts: ServerFacts, shown: str
) -> SeedSpec:
    vocabulary = vocabulary_for(facts.flavor, facts.version)
    replication = settings.replication
    return SeedSpec(
        source=source.name,
        target=target.name,
        source_endpoint=replication_endpoint(source),
        account=ReplicaAccount(replication.user, replication.account_host),
        flavor=facts.flavor,
        version=facts.version,
        super_read_only=vocabulary.super_read_only,
        snapshot_command=shown,
        connect_retry=replication.connect_retry,
        probe_database=replication.databases[0],
        stop_replica=vocabulary.stop_replica,
        reset_replica_all=vocabulary.reset_replica_all,
    )


def _password(settings: Settings, create: bool) -> tuple[Secret, str]:
    secret = replication_password(settings, create=create)
    if secret is not None:
        return secret, "the replication password is set"
    return Secret(""), f"a replication password will be generated into {secret_path(settings)}"


async def prepare_setup(
    settings: Settings, standby_name: str | None, *, overwrite: tuple[str, ...], create: bool
) -> ReplicationPreview:
    """Setup's checks and plan for master -> standby (``create``: make the password if new)."""
    standby = settings.standby(standby_name)
    master, replica = with_admin(settings.master), with_admin(standby)
    databases = settings.replication.databases
    master_reading = await read_server(master, settings.console, databases)
    standby_reading = await read_server(replica, settings.console, databases)
    items = [
        _unreachable(reading, role)
        for reading, role in ((master_reading, "master"), (standby_reading, "standby"))
        if reading.facts is None
    ]
    if master_reading.facts is None or standby_reading.facts is None:
        return ReplicationPreview("setup", items, (), standby.name)
    source, target = master_reading.facts, standby_reading.facts
    items = await _live_standby(settings, standby) + check_pair(
        source, target, databases, overwrite_confirmed=set(databases) <= set(overwrite)
    )
    dump, load, shown = _commands(source, target, databases)
    spec = _seed_spec(settings, settings.master, standby, source, shown)
    password, password_note = _password(settings, create)
    context = RunContext(
        settings,
        "setup",
        {master.name: master, replica.name: replica},
        password,
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
            password_note,
        ),
        context,
        {
            "account": spec.account.sql_name,
            "flavor": source.flavor.value,
            "expected_bytes": {master.name: master_reading.size_bytes},
        },
        partial(prepare_setup, settings, standby_name, overwrite=overwrite, create=False),
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


def promotion_marker(settings: Settings) -> dict[str, Any] | None:
    return read_state_file(marker_path(settings))


async def prepare_rejoin(settings: Settings, *, create: bool) -> ReplicationPreview:
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
    new_reading = await read_server(new, settings.console, databases)
    old_reading = await read_server(old, settings.console, databases)
    items = [
        _unreachable(reading, role)
        for reading, role in ((new_reading, "promoted standby"), (old_reading, "old master"))
        if reading.facts is None
    ]
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
        "expected_bytes": {new.name: new_reading.size_bytes},
    }
    diverged = True
    if executed_file is None or executed_position is None:
        items.append(
            ChecklistItem(
                "divergence",
                "What the old master holds beyond the standby",
                Check.BLOCK,
                "the promotion recorded no final coordinates: what diverged cannot be told",
                f"save {old.name}'s binlogs by hand, then rebuild it with rdconsole setup",
            )
        )
    else:
        facts["executed"] = {"file": executed_file, "position": int(executed_position)}
        end = old_reading.binlog_end or (str(executed_file), int(executed_position))
        divergence = find_divergence(
            executed=(str(executed_file), int(executed_position)),
            old_end=end,
            old_gtid_binlog_pos=old_reading.gtid_binlog_pos,
            new_gtid_slave_pos=new_reading.gtid_slave_pos,
        )
        diverged = divergence.diverged
        items.append(
            ChecklistItem(
                "divergence",
                "What the old master holds beyond the standby",
                Check.WARN if diverged else Check.PASS,
                divergence.describe()
                + (" — saved to a quarantine file for review, never applied" if diverged else ""),
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
    dump, load, shown = _commands(source, target, databases)
    spec = _seed_spec(settings, new_host, old_host, source, shown)
    quarantine = shlex.join(
        binlog_argv(source.flavor, OPTION_FILE, str(executed_file), int(executed_position or 0))
    ).replace(OPTION_FILE, "<option file>")
    password, password_note = _password(settings, create)
    context = RunContext(
        settings,
        "rejoin",
        {new.name: new, old.name: old},
        password,
        dump={new.name: dump},
        load={old.name: load},
    )
    facts["account"] = spec.account.sql_name
    return ReplicationPreview(
        "rejoin",
        items,
        plan_rejoin(
            spec, quarantine_command=quarantine + " > state_dir/quarantine/…", diverged=diverged
        ),
        old_host.name,
        (*summary, password_note),
        context,
        facts,
        partial(prepare_rejoin, settings, create=False),
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
    databases = settings.replication.databases
    original_reading = await read_server(original, settings.console, databases)
    standby_reading = await read_server(standby, settings.console, databases)
    items = [
        _unreachable(reading, role)
        for reading, role in ((original_reading, "original master"), (standby_reading, "standby"))
        if reading.facts is None
    ]
    if original_reading.facts is None or standby_reading.facts is None:
        return ReplicationPreview("failback", items, (), original_host.name)
    facts = original_reading.facts
    expected = replication_endpoint(standby_host)
    source = facts.replicating_from
    if source is None:
        items.append(
            ChecklistItem(
                "original-replicates",
                f"{original.name} replicates from {standby.name}",
                Check.BLOCK,
                f"{original.name} replicates from nobody: it may lack the latest writes",
                "run rdconsole rejoin again",
            )
        )
    else:
        items.append(
            ChecklistItem(
                "original-replicates",
                f"{original.name} replicates from {standby.name}",
                Check.PASS if source == f"{expected.host}:{expected.port}" else Check.WARN,
                f"from {source}",
            )
        )
    vocabulary = vocabulary_for(facts.flavor, facts.version)
    replication = settings.replication
    steps = plan_failback(
        original=original.name,
        standby=standby.name,
        original_endpoint=replication_endpoint(original_host),
        account=ReplicaAccount(replication.user, replication.account_host),
        flavor=facts.flavor,
        super_read_only=vocabulary.super_read_only,
        connect_retry=replication.connect_retry,
        probe_database=replication.databases[0],
    )
    password = replication_password(settings, create=False)
    if password is None:
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
        password or Secret(""),
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
        {"flavor": facts.flavor.value},
        partial(prepare_failback, settings),
    )


def _nothing(procedure: str, word: str, why: str) -> ReplicationPreview:
    item = ChecklistItem("state", "Promotion state", Check.BLOCK, why)
    return ReplicationPreview(procedure, [item], (), word)


async def _changed_since(preview: ReplicationPreview) -> str:
    """Why ``preview`` no longer holds (empty when it still does), read again under the lock."""
    if preview.recheck is None:
        return ""
    now = await preview.recheck()
    if not now.allowed:
        return f"since the preview: {now.refusal}"
    if [s.text() for s in now.steps] != [s.text() for s in preview.steps] or [
        s.expect for s in now.steps
    ] != [s.expect for s in preview.steps]:
        return "the plan changed since the preview; review it again"
    return ""


async def execute(
    preview: ReplicationPreview, observer: RunObserver | None, *, resume: bool = False
) -> Outcome:
    """Run ``preview`` (or finish its unfinished run with ``resume``) under the lock."""
    if preview.context is None:
        return Outcome(ReplicationExit.REFUSED, f"refused, nothing changed: {preview.refusal}")
    context = preview.context
    settings = context.settings
    pending = unfinished(settings, preview.procedure)
    if resume and pending is None:
        return Outcome(ReplicationExit.REFUSED, f"no unfinished {preview.procedure} run to resume")
    if pending is not None and not resume:
        return Outcome(
            ReplicationExit.REFUSED,
            f"an unfinished {preview.procedure} run from {pending.get('started_at')} waits: "
            f"finish it with `rdconsole {preview.procedure} --resume`",
        )
    if not resume and not preview.allowed:
        return Outcome(ReplicationExit.REFUSED, f"refused, nothing changed: {preview.refusal}")
    lock = lock_for(settings)
    try:
        lock.acquire()
    except LockBusy as busy:
        return Outcome(ReplicationExit.BUSY, str(busy))
    audit = AuditLog(settings.console.state_dir)
    try:
        if pending is None and (changed := await _changed_since(preview)):
            return Outcome(ReplicationExit.REFUSED, f"refused, nothing changed: {changed}")
        password = replication_password(settings, create=preview.procedure != "failback")
        if password is None:
            return Outcome(
                ReplicationExit.CONFIG,
                f"no replication password in {secret_path(settings)}: set [replication] "
                "password or password_file",
            )
        context = replace(context, password=password)
        journal = pending or new_journal(preview.procedure, preview.steps, **preview.facts)
        audit.write(f"{preview.procedure}-start", resumed=pending is not None, **who())
        outcome = await execute_run(context, journal, observer)
        audit.write(f"{preview.procedure}-end", ok=outcome.ok, message=outcome.message)
    finally:
        lock.release()
    if outcome.ok:
        return Outcome(ReplicationExit.DONE, outcome.message)
    code = ReplicationExit.FAILED if outcome.changed else ReplicationExit.REFUSED
    return Outcome(code, outcome.message)
