"""Is the master really down? Independent witnesses and a verdict (pure).

With one standby, the witnesses mostly share one network path (failover.md §1.1), so the verdict
is advisory and conservative: UP as soon as anything shows the database answering, DOWN only when
rdconsole's own probe fails and the standby's IO thread has lost the master too, UNCERTAIN
otherwise. Whether the master *host* still answers (SSH, rsync) decides how it can be fenced.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from rdconsole.core.model import ErrorKind, HostSnapshot, ThreadState


class MasterState(enum.StrEnum):
    DOWN = "DOWN"
    UP = "UP"
    UNCERTAIN = "UNCERTAIN"


@dataclass(frozen=True)
class Witness:
    """One independent observation of the master."""

    name: str
    answered: bool | None
    """True: the master answered; False: it did not; None: not configured or not asked."""
    detail: str


@dataclass(frozen=True)
class Evidence:
    master: HostSnapshot
    """rdconsole's own MySQL probe of the master."""
    standby: HostSnapshot
    """The standby, with its IO thread's view of the master."""
    ssh: Witness
    rsync: Witness
    last_seen_age_s: float | None
    """Seconds since the journal last recorded the master reachable; None: never."""


@dataclass(frozen=True)
class MasterVerdict:
    state: MasterState
    reasons: tuple[str, ...]
    host_answers: bool
    """Some witness reached the master *host*: it can (and must) be fenced by rdconsole."""


def witnesses(evidence: Evidence) -> list[Witness]:
    """All witnesses in display order, the MySQL probe and the standby's IO thread included."""
    master, standby = evidence.master, evidence.standby
    if master.reachable:
        probe = Witness("MySQL probe", True, "the master's database answers")
    elif master.error is not None and master.error.kind.server_alive:
        probe = Witness("MySQL probe", True, f"the server answers but refuses: {master.error}")
    else:
        probe = Witness("MySQL probe", False, str(master.error) if master.error else "no answer")
    replica = standby.replica
    if replica is None:
        io = Witness("standby IO thread", None, "the standby is not replicating or unreadable")
    elif replica.io_running is ThreadState.YES:
        io = Witness("standby IO thread", True, "still connected to the master (Yes)")
    else:
        errno = f", Last_IO_Errno {replica.last_io_errno}" if replica.last_io_errno else ""
        io = Witness(
            "standby IO thread",
            False,
            f"{replica.io_running.value} ({replica.io_running.meaning}{errno})",
        )
    return [probe, io, evidence.ssh, evidence.rsync]


def judge_master(evidence: Evidence) -> MasterVerdict:
    probe, io, ssh, rsync = witnesses(evidence)
    host_answers = bool(ssh.answered or rsync.answered) or (
        evidence.master.error is not None and evidence.master.error.kind is ErrorKind.REFUSED
    )
    reasons = [f"{w.name}: {w.detail}" for w in (probe, io, ssh, rsync) if w.answered is not None]
    if evidence.last_seen_age_s is not None:
        reasons.append(f"last seen reachable {evidence.last_seen_age_s:.0f} s ago (journal)")
    if probe.answered:
        return MasterVerdict(MasterState.UP, tuple(reasons), True)
    if io.answered:
        reasons.append("the standby still receives from the master: a partition, not a death")
        return MasterVerdict(MasterState.UNCERTAIN, tuple(reasons), host_answers)
    if io.answered is None:
        reasons.append("the standby cannot confirm: its replication state is unknown")
        return MasterVerdict(MasterState.UNCERTAIN, tuple(reasons), host_answers)
    return MasterVerdict(MasterState.DOWN, tuple(reasons), host_answers)
