"""The promotion plan: ordered, idempotent steps with their exact SQL and commands (pure).

Failover (master DOWN or attested): fence -> drain gate (a stall aborts with nothing changed)
-> stop replication -> record final coordinates -> RESET SLAVE ALL -> read_only OFF (read back)
-> switch Rivendell to standby -> post-check with rd.conf.standby's credentials -> marker.
Switchover (master UP): read_only ON on the master (read back) -> [stop its Rivendell] -> its
final position -> wait until the standby executed it -> the same promotion steps. Nothing
restarts the IO thread or the server, or resets, before the drain is proven.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from rdconsole.core.evidence import MasterState
from rdconsole.core.vocabulary import Vocabulary


class StepKind(enum.StrEnum):
    ATTEST = "attest"
    """Record the operator's statement of how the old master is fenced."""
    MASTER_SQL = "master_sql"
    MASTER_COMMAND = "master_command"
    """A shell command on the master host, over SSH."""
    STANDBY_SQL = "standby_sql"
    RECORD_MASTER_POSITION = "record_master_position"
    WAIT_CAUGHT_UP = "wait_caught_up"
    WAIT_DRAINED = "wait_drained"
    RECORD_COORDINATES = "record_coordinates"
    SWITCH = "switch"
    POST_CHECK = "post_check"
    MARKER = "marker"


@dataclass(frozen=True)
class Step:
    id: str
    kind: StepKind
    host: str
    title: str
    statements: tuple[str, ...] = ()
    """SQL, run in order; for read-backs the last one is a SELECT."""
    command: str | None = None
    expect: str = ""
    """What proves the step is done (how it is verified and why re-running it is safe)."""

    def text(self) -> str:
        """The exact SQL or command, for the dry run and the audit log."""
        if self.statements:
            return "; ".join(self.statements)
        return self.command or ""


@dataclass(frozen=True)
class Plan:
    path: str
    """``failover`` or ``switchover``."""
    steps: tuple[Step, ...]


def _promotion(standby: str, vocabulary: Vocabulary, *, start: int) -> list[Step]:
    steps = [
        Step(
            "stop-replication",
            StepKind.STANDBY_SQL,
            standby,
            "Stop replication",
            (vocabulary.stop_replica,),
            expect="no replication thread runs",
        ),
        Step(
            "record",
            StepKind.RECORD_COORDINATES,
            standby,
            "Record the standby's final coordinates (for the rejoin)",
            (vocabulary.replica_status,),
            expect="saved in the step journal",
        ),
        Step(
            "reset",
            StepKind.STANDBY_SQL,
            standby,
            "Forget the old master",
            (vocabulary.reset_replica_all,),
            expect=f"{vocabulary.replica_status} is empty (RESET ... ALL, never plain RESET)",
        ),
        Step(
            "writable",
            StepKind.STANDBY_SQL,
            standby,
            "Make the standby writable",
            ("SET GLOBAL read_only = OFF", "SELECT @@GLOBAL.read_only AS read_only"),
            expect="read back: read_only = 0",
        ),
        Step(
            "switch",
            StepKind.SWITCH,
            standby,
            "Switch Rivendell to its standby configuration",
            command="rdconsole switch standby",
            expect="rd.conf and /var/snd point at the standby files; daemons stayed up",
        ),
        Step(
            "post-check",
            StepKind.POST_CHECK,
            standby,
            "Log in with rd.conf.standby's credentials",
            ("SELECT DB FROM VERSION", "SELECT @@GLOBAL.read_only AS read_only"),
            expect="Rivendell's own account sees its schema on a writable server",
        ),
        Step(
            "marker",
            StepKind.MARKER,
            standby,
            "Record the promotion marker",
            expect="promoted.json in state_dir; another promotion needs a reason for a while",
        ),
    ]
    return [
        Step(f"{index:02d}-{s.id}", s.kind, s.host, s.title, s.statements, s.command, s.expect)
        for index, s in enumerate(steps, start=start)
    ]


def plan_promotion(
    state: MasterState,
    *,
    master: str,
    standby: str,
    master_vocabulary: Vocabulary | None,
    standby_vocabulary: Vocabulary,
    fence: str,
    can_fence_host: bool,
    master_stop_command: str,
    master_database_stop_command: str,
) -> Plan:
    """The steps for ``state`` (UNCERTAIN is planned as a failover: the checklist demands the
    operator's attestation before it may run)."""
    steps: list[Step] = []
    if state is MasterState.UP:
        vocabulary = master_vocabulary or standby_vocabulary
        fence_sql = ["SET GLOBAL read_only = ON"]
        if vocabulary.super_read_only:
            fence_sql.append("SET GLOBAL super_read_only = ON")
        steps.append(
            Step(
                "fence",
                StepKind.MASTER_SQL,
                master,
                "Make the master read-only",
                (*fence_sql, "SELECT @@GLOBAL.read_only AS read_only"),
                expect="read back: read_only = 1 (Rivendell can no longer write)",
            )
        )
        if fence == "stop" and can_fence_host:
            steps.append(
                Step(
                    "stop-master-rivendell",
                    StepKind.MASTER_COMMAND,
                    master,
                    "Stop Rivendell on the master",
                    command=master_stop_command,
                    expect="the command exits 0",
                )
            )
        steps.append(
            Step(
                "final-position",
                StepKind.RECORD_MASTER_POSITION,
                master,
                "Read the master's final binlog position",
                (vocabulary.binlog_status,),
                expect="recorded; it no longer moves",
            )
        )
        steps.append(
            Step(
                "caught-up",
                StepKind.WAIT_CAUGHT_UP,
                standby,
                "Wait until the standby executed the final position",
                (standby_vocabulary.replica_status,),
                expect="Read = Exec = the master's final position",
            )
        )
    else:
        if can_fence_host:
            steps.append(
                Step(
                    "fence",
                    StepKind.MASTER_COMMAND,
                    master,
                    "Stop Rivendell and the database on the old master",
                    command=f"{master_stop_command}; {master_database_stop_command}",
                    expect="the command exits 0",
                )
            )
        else:
            steps.append(
                Step(
                    "fence",
                    StepKind.ATTEST,
                    master,
                    "Record how the old master is fenced",
                    expect="the operator's statement, in the audit log",
                )
            )
        steps.append(
            Step(
                "drain",
                StepKind.WAIT_DRAINED,
                standby,
                "Wait until the relay log is executed",
                (standby_vocabulary.replica_status,),
                expect="same file, Read = Exec, no SQL error; a stall aborts with nothing "
                "changed (the IO thread has nothing to receive from a dead master)",
            )
        )
    numbered = [
        Step(f"{index:02d}-{s.id}", s.kind, s.host, s.title, s.statements, s.command, s.expect)
        for index, s in enumerate(steps, start=1)
    ]
    promotion = _promotion(standby, standby_vocabulary, start=len(numbered) + 1)
    return Plan(
        "switchover" if state is MasterState.UP else "failover", tuple(numbered + promotion)
    )
