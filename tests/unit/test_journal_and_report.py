"""The position journal on disk and the status report shapes."""

from __future__ import annotations

import json
from pathlib import Path

from rdconsole.core.model import ThreadState
from rdconsole.core.report import StatusReport, report_json, report_text
from rdconsole.core.verdict import judge
from rdconsole.hosts.state import FileJournal
from tests.unit.snapshots import NOW, down, master, replica, standby


def report_of(*snapshots: object) -> StatusReport:
    primary, *others = snapshots
    return StatusReport(NOW, primary, tuple(others), judge(primary, others))  # type: ignore[arg-type]


async def test_journal_appends_and_rotates(tmp_path: Path) -> None:
    journal = FileJournal(tmp_path / "state", max_bytes=600)
    for position in range(10):
        await journal.record(master(position=position))
    entries = journal.read()
    assert [e["pos"] for e in entries][-1] == 9
    assert (tmp_path / "state" / "journal.jsonl.1").exists()
    assert (tmp_path / "state" / "journal.jsonl").stat().st_size <= 600
    assert journal.last_error is None


async def test_journal_write_failure_is_reported_not_raised(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    journal = FileJournal(blocker / "state")
    await journal.record(master())
    assert journal.last_error is not None
    assert "cannot write" in journal.last_error


def test_json_document_names_and_unreachable_nulls() -> None:
    broken = replica(
        sql_running=ThreadState.NO,
        seconds_behind_master=None,
        last_sql_errno=1062,
        last_sql_error="Duplicate entry",
        exec_master_log_pos=1100,
    )
    document = report_json(report_of(master(), standby(broken)))
    assert document["status"] == "CRITICAL"
    assert document["checked_at"] == "2026-11-27T03:12:09Z"
    assert list(document["master"]) == [
        "name",
        "reachable",
        "error",
        "flavor",
        "version",
        "binlog_file",
        "binlog_position",
        "gtid_binlog_pos",
        "read_only",
    ]
    (entry,) = document["standbys"]
    assert entry["sql_running"] == "No"
    assert entry["byte_lag"] == 0
    assert entry["drained"] is False
    assert document["problems"][0]["severity"] == "CRITICAL"
    unreachable = report_json(report_of(down(master()), standby()))["master"]
    assert unreachable["reachable"] is False
    assert unreachable["error"].startswith("refused (2003)")
    assert all(unreachable[k] is None for k in ("flavor", "version", "binlog_file", "read_only"))
    json.dumps(document)


def test_text_summary_first_line_is_nagios_style() -> None:
    lines = report_text(report_of(down(master()), standby()))
    assert lines[0].startswith("CRITICAL - MASTER DOWN: cannot reach the database")
    assert any(line.strip().startswith("fix:") for line in lines)
    assert report_text(report_of(master(), standby()))[0] == "OK - HEALTHY: replication healthy"
