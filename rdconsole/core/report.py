"""Shapes a status check for scripts: the JSON document and the one-line Nagios summary."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from rdconsole.core.audio import AudioSnapshot, audio_json
from rdconsole.core.failover import PromotionMarker
from rdconsole.core.layout import Mode
from rdconsole.core.model import HostSnapshot
from rdconsole.core.verdict import Verdict, standby_lag


@dataclass(frozen=True)
class StatusReport:
    checked_at: datetime
    master: HostSnapshot
    standbys: tuple[HostSnapshot, ...]
    verdict: Verdict
    audio: Mapping[str, AudioSnapshot] = field(default_factory=dict)
    """Per standby name; absent when the mirror was not checked."""
    modes: Mapping[str, Mode | None] = field(default_factory=dict)
    """Per standby name: the configuration its Rivendell links select; None or absent when
    they could not be read."""
    promotion: PromotionMarker | None = None
    """The marker of the last promotion (until ``failback`` restores the original roles)."""


def _timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _error(snapshot: HostSnapshot) -> str | None:
    return str(snapshot.error) if snapshot.error is not None else None


def master_json(master: HostSnapshot) -> dict[str, Any]:
    server, binlog = master.server, master.binlog
    return {
        "name": master.name,
        "reachable": master.reachable,
        "error": _error(master),
        "flavor": server.flavor.value if server else None,
        "version": server.version if server else None,
        "binlog_file": binlog.file if binlog else None,
        "binlog_position": binlog.position if binlog else None,
        "gtid_binlog_pos": binlog.gtid_position if binlog else None,
        "read_only": server.read_only if server else None,
    }


def standby_json(master: HostSnapshot, standby: HostSnapshot) -> dict[str, Any]:
    server, replica = standby.server, standby.replica
    lag = standby_lag(master, standby)
    return {
        "name": standby.name,
        "reachable": standby.reachable,
        "error": _error(standby),
        "read_only": server.read_only if server else None,
        "io_running": replica.io_running.value if replica else None,
        "sql_running": replica.sql_running.value if replica else None,
        "seconds_behind_master": replica.seconds_behind_master if replica else None,
        "master_log_file": replica.master_log_file if replica else None,
        "read_master_log_pos": replica.read_master_log_pos if replica else None,
        "relay_master_log_file": replica.relay_master_log_file if replica else None,
        "exec_master_log_pos": replica.exec_master_log_pos if replica else None,
        "byte_lag": lag.byte_lag,
        "drained": lag.drained,
        "last_io_errno": replica.last_io_errno if replica else None,
        "last_io_error": replica.last_io_error if replica else None,
        "last_sql_errno": replica.last_sql_errno if replica else None,
        "last_sql_error": replica.last_sql_error if replica else None,
    }


def report_json(report: StatusReport) -> dict[str, Any]:
    """The ``rdconsole status --json`` document (field names are a public contract)."""
    return {
        "status": report.verdict.status.value,
        "checked_at": _timestamp(report.checked_at),
        "master": master_json(report.master),
        "standbys": [
            {
                **standby_json(report.master, s),
                "mode": _mode(report.modes.get(s.name)),
                "audio": audio_json(report.audio[s.name], report.checked_at)
                if s.name in report.audio
                else None,
            }
            for s in report.standbys
        ],
        "problems": [
            {"severity": p.severity.value, "host": p.host, "what": p.what, "fix": p.fix}
            for p in report.verdict.problems
        ],
        "promotion": promotion_json(report.promotion),
    }


def _mode(mode: Mode | None) -> str | None:
    """ "master", "standby", "mixed" (the links disagree), "unknown" (a link is no symlink or
    points elsewhere); None when the links could not be read."""
    return mode.value if mode is not None else None


def promotion_json(marker: PromotionMarker | None) -> dict[str, Any] | None:
    """The ``promotion`` object of ``status --json``: who promoted which standby, when, why."""
    if marker is None:
        return None
    return {
        "at": _timestamp(marker.at),
        "by": marker.by,
        "standby": marker.standby,
        "reason": marker.reason,
        "rejoined_at": _timestamp(marker.rejoined_at) if marker.rejoined_at else None,
    }


def report_text(report: StatusReport) -> Sequence[str]:
    """Human lines: a Nagios-style first line, then each problem with its fix."""
    verdict = report.verdict
    first = verdict.problems[0].what if verdict.problems else "replication healthy"
    lines = [f"{verdict.status.value} - {verdict.phrase.value}: {first}"]
    for problem in verdict.problems:
        lines.append(
            f"  {problem.severity.symbol} {problem.severity.value} {problem.host}: {problem.what}"
        )
        lines.append(f"      fix: {problem.fix}")
    return lines
