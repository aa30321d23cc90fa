"""Keep what an old master holds before a re-seed replaces it, for a human to review.

Two files in ``state_dir/quarantine/`` (mode 0600): the events past the standby's last executed
position, decoded with ``mariadb-binlog`` / ``mysqlbinlog`` (read over the protocol with the
admin login), counted by transaction; and a full copy of the old master's databases, which also
covers what its binlog cannot show (renamed, reset, purged or absent). Nothing is discarded and
nothing is applied: the files, the count and the GTIDs are reported and audited.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from rdconsole.config.settings import HostConfig
from rdconsole.core.model import Flavor
from rdconsole.core.snapshot import (
    Divergence,
    backup_argv,
    binlog_argv,
    quarantined_transactions,
)
from rdconsole.hosts.client_tools import (
    IO_TIMEOUT_S,
    OPTION_FILE,
    ClientHost,
    PipedProcess,
    open_client_host,
)
from rdconsole.hosts.state import create_private

QUARANTINE_DIR = "quarantine"


class QuarantineFailed(Exception):
    pass


def quarantine_path(state_dir: Path, host: str, suffix: str) -> Path:
    directory = state_dir / QUARANTINE_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    return directory / f"{stamp}-{host}{suffix}"


async def save_quarantine(
    *, old: HostConfig, flavor: Flavor, divergence: Divergence, state_dir: Path, scratch: Path
) -> dict[str, Any]:
    """Write the divergent events to a file; returns what was saved (path, count, GTIDs)."""
    if not divergence.extractable:
        summary = divergence.describe() + (
            " (the full copy of the next step keeps everything)" if divergence.diverged else ""
        )
        return {"path": None, "transactions": 0, "gtids": [], "summary": summary}
    path = quarantine_path(state_dir, old.name, ".sql")
    header = f"-- rdconsole quarantine: what {old.name} holds beyond the promoted standby\n"
    header += f"-- {divergence.describe()}\n"
    header += "-- Review before replaying anything by hand; rdconsole never applies it.\n"
    argv = binlog_argv(flavor, OPTION_FILE, divergence.since_file, divergence.since_position)
    await _tool_to_file(old, argv, path, header.encode(), scratch)
    transactions = quarantined_transactions(await asyncio.to_thread(path.read_bytes))
    trailer = f"-- rdconsole: {len(transactions)} transaction(s): {', '.join(transactions)}\n"
    await asyncio.to_thread(_append, path, trailer.encode())
    return {
        "path": str(path),
        "transactions": len(transactions),
        "gtids": transactions,
        "summary": f"{len(transactions)} transaction(s) saved to {path} ({divergence.describe()})",
    }


async def save_backup(
    *,
    old: HostConfig,
    flavor: Flavor,
    databases: tuple[str, ...],
    state_dir: Path,
    scratch: Path,
) -> dict[str, Any]:
    """A full copy of ``databases`` on ``old``, before a re-seed drops them."""
    path = quarantine_path(state_dir, old.name, "-before-rejoin.sql")
    header = f"-- rdconsole: {old.name}'s databases as they were before the rejoin\n"
    size = await _tool_to_file(
        old, backup_argv(flavor, OPTION_FILE, databases), path, header.encode(), scratch
    )
    return {"path": str(path), "bytes": size, "summary": f"{size / 1048576:.1f} MiB in {path}"}


async def _tool_to_file(
    host: HostConfig, argv: Sequence[str], path: Path, header: bytes, scratch: Path
) -> int:
    """Stream a client tool's stdout into a new 0600 file; a failure removes the file."""
    tools = await open_client_host(host, host.mysql, scratch)
    try:
        file = create_private(path)  # outside the inner try: an existing file is never removed
        try:
            with file:
                file.write(header)
                size, code, process = await _stream(tools, argv, file)
                file.flush()
                await asyncio.to_thread(os.fsync, file.fileno())  # a large copy: off the loop
            if code != 0:
                raise QuarantineFailed(
                    f"{argv[0]} exited {code}: {process.stderr_text()[-800:]} (on {host.name})"
                )
        except BaseException:
            os.unlink(path)
            raise
    finally:
        await tools.close()
    return size


async def _stream(
    tools: ClientHost, argv: Sequence[str], file: BinaryIO
) -> tuple[int, int | None, PipedProcess]:
    """Run the tool and copy its stdout into ``file``: (bytes, exit status, the process)."""
    process = await tools.start(argv, stdin=False)
    size = 0
    try:
        while chunk := await _read(process):
            file.write(chunk)
            size += len(chunk)
        async with asyncio.timeout(IO_TIMEOUT_S):
            code = await process.wait()
    except BaseException:
        await process.stop()
        raise
    return size, code, process


def _append(path: Path, data: bytes) -> None:
    with path.open("ab") as file:
        file.write(data)
        file.flush()
        os.fsync(file.fileno())


async def _read(process: PipedProcess) -> bytes:
    async with asyncio.timeout(IO_TIMEOUT_S):
        chunk: bytes = await process.read()
        return chunk
