"""Durable local state in ``state_dir``: the position journal (and later audit log, locks).

The journal is JSON lines, one per poll and host, each fsync'd so that a crash or power loss
keeps what was seen up to the last poll. It is bounded: past ``max_bytes`` the file is rotated to
``journal.jsonl.1`` (one generation kept).
"""

from __future__ import annotations

import asyncio
import json
import os
from pathlib import Path
from typing import Any

from rdconsole.core.model import HostSnapshot

JOURNAL_NAME = "journal.jsonl"
DEFAULT_MAX_BYTES = 8 * 1024 * 1024


def journal_entry(snapshot: HostSnapshot) -> dict[str, Any]:
    """The positions worth keeping from one snapshot."""
    entry: dict[str, Any] = {
        "t": snapshot.checked_at.isoformat(timespec="milliseconds"),
        "host": snapshot.name,
        "role": snapshot.role.value,
        "reachable": snapshot.reachable,
    }
    if snapshot.error is not None:
        entry["error"] = snapshot.error.kind.value
    if snapshot.binlog is not None:
        entry["file"] = snapshot.binlog.file
        entry["pos"] = snapshot.binlog.position
        if snapshot.binlog.gtid_position:
            entry["gtid"] = snapshot.binlog.gtid_position
    if snapshot.replica is not None:
        replica = snapshot.replica
        entry.update(
            read_file=replica.master_log_file,
            read_pos=replica.read_master_log_pos,
            exec_file=replica.relay_master_log_file,
            exec_pos=replica.exec_master_log_pos,
            io=replica.io_running.value,
            sql=replica.sql_running.value,
        )
        if replica.gtid_io_pos:
            entry["gtid_io"] = replica.gtid_io_pos
    return entry


class FileJournal:
    """Implements ops.monitor.Journal on a local file."""

    def __init__(self, state_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> None:
        self.path = state_dir / JOURNAL_NAME
        self._max_bytes = max_bytes
        self.last_error: str | None = None
        """Why the last write failed (e.g. state_dir not writable), for display."""

    async def record(self, snapshot: HostSnapshot) -> None:
        line = json.dumps(journal_entry(snapshot), separators=(",", ":")) + "\n"
        try:
            await asyncio.to_thread(self._append, line.encode())
        except OSError as error:
            self.last_error = f"cannot write {self.path}: {error.strerror or error}"
        else:
            self.last_error = None

    def _append(self, data: bytes) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        try:
            if self.path.stat().st_size + len(data) > self._max_bytes:
                os.replace(self.path, self.path.with_name(JOURNAL_NAME + ".1"))
        except FileNotFoundError:
            pass
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, data)
            os.fsync(fd)
        finally:
            os.close(fd)

    def read(self) -> list[dict[str, Any]]:
        """All entries, oldest first (rotated generation included); bad lines are skipped."""
        entries: list[dict[str, Any]] = []
        for path in (self.path.with_name(JOURNAL_NAME + ".1"), self.path):
            try:
                text = path.read_text(encoding="utf-8", errors="replace")
            except FileNotFoundError:
                continue
            for line in text.splitlines():
                try:
                    value = json.loads(line)
                except json.JSONDecodeError:
                    continue
                if isinstance(value, dict):
                    entries.append(value)
        return entries
