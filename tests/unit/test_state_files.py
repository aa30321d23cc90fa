"""Locks, state files and the audit log on the local filesystem."""

from __future__ import annotations

import asyncio
import os
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from rdconsole.hosts import state
from rdconsole.hosts.state import (
    AuditLog,
    BackgroundStateWriter,
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


def stuck_writes(
    monkeypatch: pytest.MonkeyPatch,
) -> tuple[threading.Event, list[Mapping[str, Any]]]:
    """State-file writes (without fsync) that wait for the event, then record the document."""
    released = threading.Event()
    written: list[Mapping[str, Any]] = []

    def stuck_write(path: Path, document: Mapping[str, Any], *, durable: bool = True) -> None:
        assert not durable
        released.wait(5)
        written.append(document)

    monkeypatch.setattr(state, "write_state_file", stuck_write)
    return released, written


async def test_progress_is_written_off_the_event_loop_newest_document_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A write stuck on the file system's journal must not stop the loop; what was submitted
    # meanwhile collapses to the newest document, written next.
    released, written = stuck_writes(monkeypatch)
    writer = BackgroundStateWriter(tmp_path / "sync.json")
    writer.submit({"n": 1})
    for n in (2, 3):
        await asyncio.sleep(0.01)  # the loop runs while the first write is stuck
        writer.submit({"n": n})
    assert written == []
    released.set()
    await writer.settle()
    assert written == [{"n": 1}, {"n": 3}]


async def test_a_failed_progress_write_is_kept_and_the_next_one_tried(tmp_path: Path) -> None:
    path = tmp_path / "sync.json"
    path.mkdir()  # a directory where the file goes: the rename fails, also for root
    writer = BackgroundStateWriter(path)
    writer.submit({"n": 1})
    await writer.settle()
    assert isinstance(writer.error, IsADirectoryError)
    path.rmdir()
    writer.submit({"n": 2})
    await writer.settle()
    assert read_state_file(path) == {"n": 2}
    assert os.listdir(tmp_path) == ["sync.json"]  # no temporary file left


async def test_cancelled_while_settling_it_waits_for_the_write_in_flight_and_drops_the_rest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Quitting the console cancels a sync twice: a progress write still running afterwards
    # could land after a later document (the result, or the next run's).
    released, written = stuck_writes(monkeypatch)
    writer = BackgroundStateWriter(tmp_path / "sync.json")
    writer.submit({"n": 1})
    await asyncio.sleep(0.01)
    writer.submit({"n": 2})
    settling = asyncio.create_task(writer.settle())
    await asyncio.sleep(0.01)
    settling.cancel()
    await asyncio.sleep(0.01)
    assert not settling.done()  # still waiting for the write in flight
    released.set()
    with pytest.raises(asyncio.CancelledError):
        await settling
    assert written == [{"n": 1}]


async def test_any_failure_of_a_progress_write_is_kept_not_raised(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken_write(path: Path, document: Mapping[str, Any], *, durable: bool = True) -> None:
        raise TypeError(f"cannot serialise {document}")

    monkeypatch.setattr(state, "write_state_file", broken_write)
    writer = BackgroundStateWriter(tmp_path / "sync.json")
    writer.submit({"n": 1})
    await writer.settle()
    assert isinstance(writer.error, TypeError)
