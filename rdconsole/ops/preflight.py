"""Gathering what the failover checklist needs from the hosts, the journal and state_dir."""

from __future__ import annotations

import asyncio
import socket
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from asyncmy.errors import MySQLError

from rdconsole.config.settings import HostConfig, Secret, Settings
from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.evidence import Evidence, MasterState, Witness, judge_master
from rdconsole.core.failover import (
    ChecklistItem,
    DataAtRisk,
    FailoverInputs,
    PromotionMarker,
    TargetCheck,
    checklist,
)
from rdconsole.core.failover_plan import Plan, plan_promotion
from rdconsole.core.layout import Mode
from rdconsole.core.model import HostSnapshot
from rdconsole.core.rdconf import parse_rdconf
from rdconsole.core.vocabulary import Vocabulary, parse_version, vocabulary_for
from rdconsole.hosts.mysql import MySQLCollector, MySQLSession, PrivilegeDenied
from rdconsole.hosts.shell import Shell, ShellError, shell_for
from rdconsole.hosts.ssh import SshShell
from rdconsole.hosts.state import FileJournal, read_state_file
from rdconsole.ops.audio import AudioCollector
from rdconsole.ops.mirror_checks import probe_guard, probe_layout
from rdconsole.ops.switch_checks import switch_refusals
from rdconsole.ops.sync import mirror_source

MARKER_NAME = "promoted.json"


@dataclass(frozen=True)
class Preflight:
    """Everything decided before anything changes: shown by --dry-run and the console."""

    standby: HostConfig
    inputs: FailoverInputs
    items: list[ChecklistItem]
    plan: Plan
    master_vocabulary: Vocabulary | None
    standby_vocabulary: Vocabulary


def marker_path(settings: Settings) -> Path:
    return settings.console.state_dir / MARKER_NAME


def read_marker(settings: Settings) -> PromotionMarker | None:
    document = read_state_file(marker_path(settings))
    if not document:
        return None
    try:
        return PromotionMarker(
            at=datetime.fromisoformat(str(document["at"])),
            by=str(document.get("by", "?")),
            standby=str(document.get("standby", "?")),
            reason=str(document.get("reason", "")),
            rejoined_at=(
                datetime.fromisoformat(str(document["rejoined_at"]))
                if document.get("rejoined_at")
                else None
            ),
        )
    except (KeyError, ValueError):
        return None


async def _witness_ssh(master: HostConfig, budget: float) -> Witness:
    if master.ssh is None:
        return Witness("SSH to the master", None, "not configured ([master.ssh])")
    shell = SshShell(master.host, master.ssh)
    try:
        async with asyncio.timeout(budget):
            result = await shell.run(["true"])
    except (ShellError, TimeoutError) as error:
        return Witness("SSH to the master", False, str(error) or "no answer in time")
    finally:
        await shell.close()
    return Witness("SSH to the master", result.ok, "the host answers over SSH")


async def _witness_rsync(
    settings: Settings, standby: HostConfig, shell: Shell, budget: float
) -> Witness:
    if not standby.audio.enabled:
        return Witness("master's rsync daemon", None, "the audio mirror is not configured")
    guard = await probe_guard(shell, mirror_source(settings.master), budget=budget)
    if guard.present is None:
        return Witness("master's rsync daemon", False, guard.detail)
    return Witness("master's rsync daemon", True, f"answers ({guard.detail})")


def data_at_risk(
    journal: list[dict[str, Any]], master: str, standby: HostSnapshot
) -> tuple[DataAtRisk, float | None, int | None]:
    """(the estimate, seconds since the master was last seen, its last known schema)."""
    seen = [e for e in journal if e.get("host") == master and e.get("reachable") and "pos" in e]
    replica = standby.replica
    received_file = replica.master_log_file if replica else None
    received_pos = replica.read_master_log_pos if replica else None
    schemas = [e["schema"] for e in journal if e.get("host") == master and "schema" in e]
    schema = int(schemas[-1]) if schemas else None
    if not seen:
        return DataAtRisk(None, None, None, received_file, received_pos, None), None, schema
    last = seen[-1]
    seen_at = datetime.fromisoformat(str(last["t"]))
    age = (datetime.now(UTC) - seen_at).total_seconds()
    lost = None
    if received_file == last.get("file") and received_pos is not None:
        lost = max(0, int(last["pos"]) - received_pos)
    return (
        DataAtRisk(
            str(last.get("file")), int(last["pos"]), seen_at, received_file, received_pos, lost
        ),
        age,
        schema,
    )


async def read_target_file(shell: Shell, path: Path) -> str | None:
    """A file on the standby host (through its shell, here or over SSH); None if unreadable."""
    async with asyncio.timeout(10):
        result = await shell.run(["cat", "--", str(path)])
    return result.stdout.decode("utf-8", errors="replace") if result.ok else None


async def check_target(
    settings: Settings, standby: HostConfig, shell: Shell, master_schema: int | None
) -> TargetCheck:
    """rd.conf.standby parses; its own credentials see the right schema and station row."""
    path = standby.rivendell.rd_conf_standby
    problems: list[str] = []
    text = await read_target_file(shell, path)
    if text is None:
        return TargetCheck(str(path), (f"{path} cannot be read",))
    conf = parse_rdconf(text)
    station = conf.get("Identity", "StationName") or (
        socket.gethostname().split(".")[0] if standby.local else standby.name
    )
    database = conf.mysql_database
    host = standby.mysql
    login = HostConfig(
        name=standby.name,
        role=standby.role,
        host=standby.host,
        local=standby.local,
        mysql=type(host)(
            host.host, host.port, host.socket, conf.mysql_user, Secret(conf.mysql_password)
        ),
    )
    session = MySQLSession(login, settings.console)
    schema: int | None = None
    try:
        quoted = database.replace("`", "``")
        rows = await session.query(f"SELECT DB FROM `{quoted}`.VERSION")
        schema = int(rows[0]["DB"]) if rows else None
        stations = await session.query(
            f"SELECT NAME FROM `{quoted}`.STATIONS WHERE NAME = '{station.replace(chr(39), '')}'"
        )
        if not stations:
            problems.append(f"no STATIONS row for {station!r}: Rivendell would refuse to start")
    except (PrivilegeDenied, MySQLError, TimeoutError, OSError) as error:
        problems.append(f"{path}'s [mySQL] login ({conf.mysql_user}) fails: {error}")
    finally:
        await session.close()
    if schema is not None and master_schema is not None and schema != master_schema:
        problems.append(f"schema {schema} differs from the master's last known {master_schema}")
    try:
        layout = await probe_layout(shell, standby)
        if not layout.mirror_present:
            problems.append(f"the mirror directory {standby.audio.dir} does not exist")
        problems += await switch_refusals(shell, standby, Mode.STANDBY)
    except (ShellError, TimeoutError) as error:
        problems.append(f"cannot inspect the standby's files: {error}")
    return TargetCheck(str(path), tuple(problems), conf.warnings, schema, station)


async def _audio(
    watcher: AudioCollector, standby: HostConfig, budget: float
) -> AudioSnapshot | None:
    if not standby.audio.enabled:
        return None
    try:
        async with asyncio.timeout(budget * 3):
            return await watcher.collect(force=True)
    except TimeoutError:
        return None


def _vocabulary(snapshot: HostSnapshot) -> Vocabulary | None:
    if snapshot.server is None:
        return None
    flavor, numbers = parse_version(snapshot.server.version)
    return vocabulary_for(flavor, numbers)


async def gather(
    settings: Settings,
    standby_name: str | None,
    *,
    fenced: str | None,
    another_run: str | None,
) -> Preflight:
    standby = settings.standby(standby_name)
    console = settings.console
    master_probe = MySQLCollector(settings.master, console)
    standby_probe = MySQLCollector(standby, console)
    shell = shell_for(standby)
    # Witnesses are asked together and briefly: a hung or powered-off master must not hold
    # the checklist (every probe would wait its own timeout one after the other).
    budget = console.connect_timeout
    watcher = AudioCollector(settings, standby, guard_budget=budget)
    try:
        master, replica, ssh, rsync, audio = await asyncio.gather(
            master_probe.collect(),
            standby_probe.collect(),
            _witness_ssh(settings.master, budget),
            _witness_rsync(settings, standby, shell, budget),
            _audio(watcher, standby, budget),
        )
        journal = await asyncio.to_thread(FileJournal(console.state_dir).read)
        at_risk, last_seen, schema = data_at_risk(journal, settings.master.name, replica)
        master_schema = master.rivendell_schema or schema or replica.rivendell_schema
        target = await check_target(settings, standby, shell, master_schema)
    finally:
        await asyncio.gather(
            master_probe.close(), standby_probe.close(), shell.close(), watcher.close()
        )
    verdict = judge_master(Evidence(master, replica, ssh, rsync, last_seen))
    failover = settings.failover
    can_fence_host = failover.fence == "stop" and bool(ssh.answered)
    inputs = FailoverInputs(
        verdict=verdict,
        master=master,
        standby=replica,
        target=target,
        at_risk=at_risk,
        audio=audio,
        marker=read_marker(settings),
        block_after_promotion=failover.block_after_promotion,
        another_run=another_run,
        fence=failover.fence,
        can_fence_host=can_fence_host,
        fenced=fenced,
        now=datetime.now(UTC),
    )
    master_vocabulary = _vocabulary(master)
    standby_vocabulary = _vocabulary(replica) or vocabulary_for(*parse_version("10.11.0-MariaDB"))
    plan = plan_promotion(
        verdict.state if verdict.state is not MasterState.UNCERTAIN else MasterState.DOWN,
        master=settings.master.name,
        standby=standby.name,
        master_vocabulary=master_vocabulary,
        standby_vocabulary=standby_vocabulary,
        fence=failover.fence,
        can_fence_host=can_fence_host,
        master_stop_command=failover.master_stop_command or standby.rivendell.stop_command,
        master_database_stop_command=failover.master_database_stop_command,
    )
    return Preflight(
        standby, inputs, checklist(inputs), plan, master_vocabulary, standby_vocabulary
    )


def marker_document(
    settings: Settings, standby: str, reason: str, by: str, coordinates: dict[str, Any]
) -> dict[str, Any]:
    return {
        "at": datetime.now(UTC).isoformat(timespec="seconds"),
        "by": by,
        "standby": standby,
        "master": settings.master.name,
        "reason": reason,
        "final_coordinates": coordinates,
    }
