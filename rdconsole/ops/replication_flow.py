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
from typing import Any

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.core.replication_plan import (
    ReplicaAccount,
    SeedSpec,
    Step,
)
from rdconsole.core.setup_checks import ServerFacts
from rdconsole.core.snapshot import dump_argv, load_argv
from rdconsole.core.vocabulary import vocabulary_for
from rdconsole.hosts.client_tools import OPTION_FILE
from rdconsole.hosts.state import AuditLog, LockBusy, who
from rdconsole.ops.failover_flow import lock_for, switcher_for
from rdconsole.ops.replication_context import (
    RunContext,
    RunObserver,
    new_journal,
    unfinished,
    with_admin,
)
from rdconsole.ops.replication_facts import (
    Reading,
    read_server,
    replication_endpoint,
    replication_password,
    secret_path,
)
from rdconsole.ops.replication_run import execute_run


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


def unreachable(reading: Reading, role: str) -> ChecklistItem:
    return ChecklistItem(
        f"reach-{role}",
        f"Admin login to the {role}",
        Check.BLOCK,
        reading.error or "unreadable",
        "check the [*.admin] login (user, socket or host/port) and that the server runs",
    )


async def read_pair(
    settings: Settings, first: tuple[HostConfig, str], second: tuple[HostConfig, str]
) -> tuple[Reading, Reading, list[ChecklistItem]]:
    """Both servers read together (admin logins), and a BLOCK for each one that could not be
    read, named by its role."""
    databases = settings.replication.databases
    one, two = await asyncio.gather(
        read_server(first[0], settings.console, databases),
        read_server(second[0], settings.console, databases),
    )
    items = [
        unreachable(reading, role)
        for reading, role in ((one, first[1]), (two, second[1]))
        if reading.facts is None
    ]
    return one, two, items


def snapshot_commands(
    source: ServerFacts, target_flavor: ServerFacts, databases: tuple[str, ...]
) -> tuple[list[str], list[str], str]:
    online = not source.non_transactional
    dump = dump_argv(source.flavor, source.version, OPTION_FILE, databases, online=online)
    load = load_argv(target_flavor.flavor, OPTION_FILE)
    shown = f"{shlex.join(dump)} | {shlex.join(load)}".replace(OPTION_FILE, "<option file>")
    return dump, load, shown


def seed_spec(
    settings: Settings, source: HostConfig, target: HostConfig, facts: ServerFacts, shown: str
) -> SeedSpec:
    replication = settings.replication
    return SeedSpec(
        source=source.name,
        target=target.name,
        source_endpoint=replication_endpoint(source),
        account=ReplicaAccount(replication.user, replication.account_host),
        words=vocabulary_for(facts.flavor, facts.version),
        snapshot_command=shown,
        connect_retry=replication.connect_retry,
        probe_database=replication.databases[0],
        online=not facts.non_transactional,
    )


def password_note(settings: Settings) -> str:
    """Whether the run will use a password that exists or generate one (a preview never
    creates it)."""
    if replication_password(settings, create=False) is not None:
        return "the replication password is set"
    return f"a replication password will be generated into {secret_path(settings)}"


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


HARD_ON_RESUME = frozenset({"promoted", "layout"})
"""Blocks a resumed setup still obeys: it must never overwrite a live database."""


def run_waits(procedure: str, pending: dict[str, Any]) -> Outcome:
    """The refusal while an unfinished run of ``procedure`` waits for ``--resume``."""
    return Outcome(
        ReplicationExit.REFUSED,
        f"an unfinished {procedure} run from {pending.get('started_at')} waits: "
        f"finish it with `rdconsole {procedure} --resume`",
    )


async def execute(preview: ReplicationPreview, observer: RunObserver | None) -> Outcome:
    """Run ``preview`` under the lock, after reading both servers again."""
    if preview.context is None:
        return Outcome(ReplicationExit.REFUSED, f"refused, nothing changed: {preview.refusal}")
    context = preview.context
    settings = context.settings
    pending = unfinished(settings, preview.procedure)
    if pending is not None:
        return run_waits(preview.procedure, pending)
    if not preview.allowed:
        return Outcome(ReplicationExit.REFUSED, f"refused, nothing changed: {preview.refusal}")
    facts = {
        **preview.facts,
        "hosts": list(context.hosts),
        "dump": context.dump,
        "load": context.load,
    }
    journal = new_journal(preview.procedure, preview.steps, **facts)
    return await _locked_run(context, journal, observer, preview)


async def resume(
    settings: Settings,
    procedure: str,
    preview: ReplicationPreview | None,
    observer: RunObserver | None,
) -> Outcome:
    """Finish the unfinished run of ``procedure`` from its journal (its own hosts, commands and
    coordinates); ``preview``'s hard blocks still apply."""
    pending = unfinished(settings, procedure)
    if pending is None:
        return Outcome(ReplicationExit.REFUSED, f"no unfinished {procedure} run to resume")
    hard = [
        i
        for i in (preview.items if preview else ())
        if i.state is Check.BLOCK and i.key in HARD_ON_RESUME
    ]
    if hard:
        why = "; ".join(f"{i.title}: {i.why}" for i in hard)
        return Outcome(ReplicationExit.REFUSED, f"refused, nothing changed: {why}")
    return await _locked_run(context_from_journal(settings, pending), pending, observer, None)


def context_from_journal(settings: Settings, journal: dict[str, Any]) -> RunContext:
    """The run's context rebuilt from its journal and today's settings (KeyError: a host the
    journal names is no longer configured, or has no admin login)."""

    def configured(name: str) -> HostConfig:
        return settings.master if name == settings.master.name else settings.standby(name)

    standby = journal.get("switch_standby")
    return RunContext(
        settings,
        str(journal["procedure"]),
        {name: with_admin(configured(name)) for name in journal.get("hosts", [])},
        dump=dict(journal.get("dump", {})),
        load=dict(journal.get("load", {})),
        switcher=switcher_for(settings, str(standby)) if standby else None,
    )


async def _locked_run(
    context: RunContext,
    journal: dict[str, Any],
    observer: RunObserver | None,
    preview: ReplicationPreview | None,
) -> Outcome:
    settings = context.settings
    procedure = context.procedure
    lock = lock_for(settings)
    try:
        lock.acquire()
    except LockBusy as busy:
        return Outcome(ReplicationExit.BUSY, str(busy))
    audit = AuditLog(settings.console.state_dir)
    resumed = preview is None
    try:
        if preview is not None and (changed := await _changed_since(preview)):
            return Outcome(ReplicationExit.REFUSED, f"refused, nothing changed: {changed}")
        password = replication_password(settings, create=procedure != "failback")
        if password is None:
            return Outcome(
                ReplicationExit.CONFIG,
                f"no replication password in {secret_path(settings)}: set [replication] "
                "password or password_file",
            )
        context = replace(context, password=password)
        audit.write(f"{procedure}-start", resumed=resumed, **who())
        outcome = await execute_run(context, journal, observer)
        audit.write(f"{procedure}-end", ok=outcome.ok, message=outcome.message)
    finally:
        lock.release()
    if outcome.ok:
        return Outcome(ReplicationExit.DONE, outcome.message)
    code = ReplicationExit.FAILED if outcome.changed else ReplicationExit.REFUSED
    return Outcome(code, outcome.message)
