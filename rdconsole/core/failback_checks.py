"""Whether the original master may take the master role back (pure).

The failback makes the promoted standby read-only first, then waits for the original master to
execute the standby's last position: anything that would stall that wait must block before it,
or the station's database sits read-only until someone notices.
"""

from __future__ import annotations

from rdconsole.core.failover import Check, ChecklistItem
from rdconsole.core.model import ReplicaStatus, ThreadState
from rdconsole.core.setup_checks import ServerFacts


def check_failback(
    original: ServerFacts,
    replica: ReplicaStatus | None,
    *,
    standby: str,
    expected_source: str,
    lag_limit: int,
) -> list[ChecklistItem]:
    """``original`` must replicate from ``expected_source`` (``host:port``), healthy and
    caught up within ``lag_limit`` seconds, with its own binlog on."""
    title = f"{original.name} replicates from {standby}"
    items: list[ChecklistItem] = []
    if replica is None:
        items.append(
            ChecklistItem(
                "original-replicates",
                title,
                Check.BLOCK,
                f"{original.name} replicates from nobody: it may lack the latest writes",
                "run rdconsole rejoin again",
            )
        )
    else:
        items.append(_health(original.name, replica, title, expected_source, lag_limit))
    if not original.flag("log_bin"):
        items.append(
            ChecklistItem(
                "original-binlog",
                f"Binary log on {original.name}",
                Check.BLOCK,
                f"log_bin is OFF: {standby} could not replicate from it afterwards",
                "add under [mysqld] in its option file, then restart it: log-bin = mysql-bin",
            )
        )
    return items


def _health(
    name: str, replica: ReplicaStatus, title: str, expected_source: str, lag_limit: int
) -> ChecklistItem:
    source = f"{replica.master_host}:{replica.master_port}"
    if source != expected_source:
        return ChecklistItem(
            "original-replicates",
            title,
            Check.BLOCK,
            f"it replicates from {source}, not from {expected_source}",
            "run rdconsole rejoin again",
        )
    if replica.last_io_errno or replica.last_sql_errno:
        error = replica.last_sql_error or replica.last_io_error
        return ChecklistItem(
            "original-replicates",
            title,
            Check.BLOCK,
            f"replication error {replica.last_sql_errno or replica.last_io_errno}: {error}",
            "fix the error (rdconsole status shows it), or run rdconsole rejoin again",
        )
    running = (replica.io_running, replica.sql_running)
    if running != (ThreadState.YES, ThreadState.YES):
        return ChecklistItem(
            "original-replicates",
            title,
            Check.BLOCK,
            f"IO thread {replica.io_running.value}, SQL thread {replica.sql_running.value}",
            f"START SLAVE on {name}, then wait until both run",
        )
    lag = replica.seconds_behind_master
    if lag is None or lag > lag_limit:
        return ChecklistItem(
            "original-replicates",
            title,
            Check.BLOCK,
            f"{'lag unknown' if lag is None else f'{lag} s behind'}: the standby would stay "
            "read-only while it catches up",
            "wait until it has caught up, then run failback again",
        )
    return ChecklistItem(
        "original-replicates", title, Check.PASS, f"from {source}, {lag} s behind, no error"
    )
