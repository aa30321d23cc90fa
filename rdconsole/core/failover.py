"""The pre-flight checklist and the promotion plan (pure: inputs gathered by ops.failover).

Each checklist item is PASS, WARN or BLOCK with why and how to fix. Some blocks may be lifted by
an operator's typed reason (``--override``): an SQL thread error, a stalled drain, the
anti-flapping window. Others never: the master up and writable (use the switchover), an unusable
target configuration, another failover running, fencing not stated.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime

from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.durations import format_duration
from rdconsole.core.evidence import MasterState, MasterVerdict
from rdconsole.core.model import HostSnapshot, ThreadState


class Check(enum.StrEnum):
    PASS = "pass"
    WARN = "warn"
    BLOCK = "block"

    @property
    def symbol(self) -> str:
        return {"pass": "✔", "warn": "▲", "block": "✖"}[self.value]


@dataclass(frozen=True)
class ChecklistItem:
    key: str
    title: str
    state: Check
    why: str
    fix: str = ""
    overridable: bool = False


@dataclass(frozen=True)
class TargetCheck:
    """rd.conf.standby and what its own credentials see on the standby database."""

    rd_conf: str
    problems: tuple[str, ...]
    """Each a reason the standby configuration is not usable; empty when it is."""
    warnings: tuple[str, ...] = ()
    schema: int | None = None
    station: str | None = None


@dataclass(frozen=True)
class DataAtRisk:
    master_file: str | None
    master_position: int | None
    master_seen_at: datetime | None
    received_file: str | None
    received_position: int | None
    bytes: int | None
    """None: unknown (different binlog files, or never seen)."""


@dataclass(frozen=True)
class PromotionMarker:
    at: datetime
    by: str
    standby: str
    reason: str
    rejoined_at: datetime | None = None
    """When ``rdconsole rejoin`` made the old master a replica of the promoted standby (the
    marker stays until ``failback`` archives it)."""


@dataclass(frozen=True)
class FailoverInputs:
    verdict: MasterVerdict
    master: HostSnapshot
    standby: HostSnapshot
    target: TargetCheck
    at_risk: DataAtRisk
    audio: AudioSnapshot | None
    marker: PromotionMarker | None
    block_after_promotion: float
    another_run: str | None
    """Who holds the failover lock, when it is held."""
    fence: str
    can_fence_host: bool
    """fence = "stop" and SSH to the master host works."""
    fenced: str | None
    """The operator's statement of how the old master is fenced (``--fenced``)."""
    now: datetime


def _master_item(inputs: FailoverInputs) -> ChecklistItem:
    verdict = inputs.verdict
    why = "; ".join(verdict.reasons)
    if verdict.state is MasterState.UP:
        if inputs.master.server is not None and not inputs.master.server.read_only:
            return ChecklistItem(
                "master",
                "Master is up: switchover",
                Check.PASS,
                f"{why}. The plan makes it read-only first, waits for the standby to catch up, "
                "then promotes: no data is lost",
            )
        return ChecklistItem("master", "Master is up (read-only): switchover", Check.PASS, why)
    if verdict.state is MasterState.DOWN:
        return ChecklistItem("master", "Master is down", Check.PASS, why)
    if inputs.fenced:
        return ChecklistItem(
            "master",
            "Master state uncertain: attested",
            Check.WARN,
            f"{why}. Operator states: {inputs.fenced!r}",
        )
    return ChecklistItem(
        "master",
        "Master state uncertain",
        Check.BLOCK,
        why,
        "find out whether the master is really gone; if you are sure and it cannot come back "
        'writable, state how it is fenced (--fenced "powered off")',
    )


def _fence_item(inputs: FailoverInputs) -> ChecklistItem:
    if inputs.verdict.state is MasterState.UP:
        action = "stop its Rivendell daemons over SSH" if inputs.fence == "stop" else ""
        return ChecklistItem(
            "fence",
            "Fencing",
            Check.PASS,
            "the master will be set read_only and read back"
            + (f", and {action}" if action else ""),
        )
    if inputs.can_fence_host:
        return ChecklistItem(
            "fence",
            "Fencing",
            Check.PASS,
            "the master host answers over SSH: its Rivendell daemons and database will be stopped",
        )
    if inputs.fenced:
        return ChecklistItem("fence", "Fencing", Check.PASS, f"operator states: {inputs.fenced!r}")
    return ChecklistItem(
        "fence",
        "Fencing",
        Check.BLOCK,
        "rdconsole cannot fence the old master itself"
        + (' (fence = "none")' if inputs.fence == "none" else ""),
        'state how it is kept from coming back writable: --fenced "powered off" (recorded)',
    )


def _drain_item(inputs: FailoverInputs) -> ChecklistItem:
    replica = inputs.standby.replica
    if not inputs.standby.reachable:
        return ChecklistItem(
            "drain",
            "Relay log drained",
            Check.BLOCK,
            f"the standby database cannot be read: {inputs.standby.error}",
            "start the standby's database first",
        )
    if replica is None:
        return ChecklistItem(
            "drain",
            "Relay log drained",
            Check.BLOCK,
            "the standby is not a replica (nothing to promote)",
            "check SHOW SLAVE STATUS; was it already promoted? (--resume)",
        )
    if replica.last_sql_errno or replica.sql_running is not ThreadState.YES:
        return ChecklistItem(
            "drain",
            "Relay log drained",
            Check.BLOCK,
            f"the SQL thread is stopped (error {replica.last_sql_errno}: "
            f"{replica.last_sql_error}): received changes would be lost",
            "repair the failing event and START SLAVE SQL_THREAD, or --override with a reason",
            overridable=True,
        )
    backlog = replica.relay_backlog_bytes
    if replica.drained:
        return ChecklistItem(
            "drain", "Relay log drained", Check.PASS, "the standby executed everything it received"
        )
    return ChecklistItem(
        "drain",
        "Relay log drained",
        Check.WARN,
        f"{backlog if backlog is not None else 'an unknown number of'} bytes received but not yet "
        "executed: the plan waits while it progresses",
    )


def _risk_item(inputs: FailoverInputs) -> ChecklistItem:
    risk = inputs.at_risk
    if inputs.verdict.state is MasterState.UP:
        return ChecklistItem("risk", "Data at risk", Check.PASS, "none: switchover waits")
    if risk.master_position is None:
        return ChecklistItem(
            "risk", "Data at risk", Check.WARN, "unknown: the journal never saw the master"
        )
    seen = (
        f" (master last seen at {risk.master_file}:{risk.master_position} "
        f"{risk.master_seen_at:%H:%M:%S})"
        if risk.master_seen_at
        else ""
    )
    if risk.bytes == 0:
        return ChecklistItem(
            "risk", "Data at risk", Check.PASS, f"the standby received all the master wrote{seen}"
        )
    lost = f"up to {risk.bytes} bytes" if risk.bytes is not None else "an unknown amount"
    seconds = ""
    if risk.master_seen_at is not None:
        seconds = f" / {format_duration((inputs.now - risk.master_seen_at).total_seconds())}"
    return ChecklistItem(
        "risk",
        "Data at risk",
        Check.WARN,
        f"{lost}{seconds} of writes may be lost{seen}; the standby received up to "
        f"{risk.received_file}:{risk.received_position}",
    )


def _target_item(inputs: FailoverInputs) -> ChecklistItem:
    target = inputs.target
    if target.problems:
        return ChecklistItem(
            "target",
            "Target configuration",
            Check.BLOCK,
            "; ".join(target.problems),
            f"fix {target.rd_conf} and the standby",
        )
    detail = f"{target.rd_conf}: schema {target.schema}, station {target.station}"
    if target.warnings:
        return ChecklistItem(
            "target", "Target configuration", Check.WARN, f"{detail}; " + "; ".join(target.warnings)
        )
    return ChecklistItem("target", "Target configuration", Check.PASS, detail)


def _audio_item(inputs: FailoverInputs) -> ChecklistItem:
    audio = inputs.audio
    if audio is None:
        return ChecklistItem("audio", "Audio", Check.WARN, "the audio mirror is not configured")
    parts = []
    if audio.last is not None and audio.last.ended_at is not None:
        age = format_duration((inputs.now - audio.last.ended_at).total_seconds())
        parts.append(f"last mirror {age} ago ({'ok' if audio.last.ok else 'failed'})")
    else:
        parts.append("the mirror never completed")
    if audio.missing_cuts is not None:
        parts.append(f"{audio.missing_cuts} cut(s) without audio on the standby")
    fine = audio.missing_cuts == 0 and audio.last is not None and audio.last.ok
    # Audio gaps warn; they never block: dead air on some cuts is better than no station.
    return ChecklistItem("audio", "Audio", Check.PASS if fine else Check.WARN, "; ".join(parts))


def _flapping_item(inputs: FailoverInputs) -> ChecklistItem:
    marker = inputs.marker
    if marker is None:
        return ChecklistItem("flapping", "Anti-flapping", Check.PASS, "no recent promotion")
    age = (inputs.now - marker.at).total_seconds()
    if age >= inputs.block_after_promotion:
        return ChecklistItem(
            "flapping", "Anti-flapping", Check.PASS, f"last promotion {format_duration(age)} ago"
        )
    return ChecklistItem(
        "flapping",
        "Anti-flapping",
        Check.BLOCK,
        f"{marker.standby} was promoted {format_duration(age)} ago by {marker.by} "
        f"({marker.reason!r}); a second promotion within "
        f"{format_duration(inputs.block_after_promotion)} needs a reason",
        '--override "why a second promotion now"',
        overridable=True,
    )


def _lock_item(inputs: FailoverInputs) -> ChecklistItem:
    if inputs.another_run:
        return ChecklistItem(
            "lock",
            "Lock",
            Check.BLOCK,
            f"another failover is running: {inputs.another_run}",
            "wait for it, or finish an interrupted one with --resume",
        )
    return ChecklistItem("lock", "Lock", Check.PASS, "no other failover running")


def checklist(inputs: FailoverInputs) -> list[ChecklistItem]:
    return [
        _master_item(inputs),
        _fence_item(inputs),
        _drain_item(inputs),
        _risk_item(inputs),
        _target_item(inputs),
        _audio_item(inputs),
        _flapping_item(inputs),
        _lock_item(inputs),
    ]


def blocking(items: list[ChecklistItem], override: str | None) -> list[ChecklistItem]:
    """The blocks that stop the run; overridable ones are lifted by a typed reason."""
    return [
        item for item in items if item.state is Check.BLOCK and not (item.overridable and override)
    ]
