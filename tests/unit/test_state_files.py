"""Locks, state files and the audit log on the local filesystem."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rdconsole.hosts.state import (
    AuditLog,
    LockBusy,
    RunLock,
    read_state_file,
    write_state_file,
)
from tests.helpers import killed_lock_holder


def test_lock_is_exclusive_and_reports_the_holder(tmp_path: Path) -> None:
    path = tmp_path / "sync.lock"
    with RunLock(path):
        assert path.read_text().strip() == str(os.getpid())
        with pytest.raises(LockBusy) as busy:
            RunLock(path).acquire()
        assert busy.value.holder == os.getpid()
    RunLock(path).acquire().release()


def test_lock_of_a_killed_process_is_taken_over_and_reported(tmp_path: Path) -> None:
    path = tmp_path / "sync.lock"
    with RunLock(path), pytest.raises(LockBusy):
        RunLock(path).acquire()
    holder = killed_lock_holder(path)
    lock = RunLock(path).acquire()
    assert lock.previous_holder == holder
    lock.release()


def test_state_file_is_replaced_atomically(tmp_path: Path) -> None:
    path = tmp_path / "state" / "sync-backup.json"
    write_state_file(path, {"running": True})
    write_state_file(path, {"running": False, "last": {"ok": True}})
    assert read_state_file(path) == {"running": False, "last": {"ok": True}}
    assert [p.name for p in path.parent.iterdir()] == ["sync-backup.json"]
    path.write_text("{broken")
    assert read_state_file(path) is None


def test_audit_log_appends_who_and_what(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUDO_USER", "engineer")
    audit = AuditLog(tmp_path)
    audit.write("sync", standby="backup", exit_code=0)
    audit.write("sync", standby="backup", exit_code=1)
    first, second = audit.read()
    assert first["who"]["sudo_user"] == "engineer"
    assert [first["exit_code"], second["exit_code"]] == [0, 1]
    assert (tmp_path / "audit.jsonl").stat().st_mode & 0o777 == 0o600
