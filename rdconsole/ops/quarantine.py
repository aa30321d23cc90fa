"""Save what an old master holds beyond the promoted standby, for a human to review.

The events past the standby's last executed position are decoded with ``mariadb-binlog`` /
``mysqlbinlog`` (read over the protocol with the admin login, from an option file) into a file
in ``state_dir/quarantine/`` (mode 0600). Nothing is discarded: the file, its transaction count
and their GTIDs are reported and audited.
"""

from __future__ import annotations

import asyncio
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from rdconsole.config.settings import HostConfig
from rdconsole.core.model import Flavor
from rdconsole.core.snapshot import binlog_argv, find_divergence, quarantined_transactions
from rdconsole.hosts.client_tools import IO_TIMEOUT_S, open_client_host

QUARANTINE_DIR = "quarantine"


class QuarantineFailed(Exception):
    pass


async def save_quarantine(
    *,
    old: HostConfig,
    flavor: Flavor,
    executed: tuple[str, int],
    old_end: tuple[str, int],
    old_gtid: str | None,
    new_slave_pos: str | None,
    state_dir: Path,
    scratch: Path,
) -> dict[str, Any]:
    """Write the divergent events to a file; returns what was saved (path, count, GTIDs)."""
    divergence = find_divergence(
        executed=executed,
        old_end=old_end,
        old_gtid_binlog_pos=old_gtid,
        new_gtid_slave_pos=new_slave_pos,
    )
    if not divergence.diverged:
        return {"path": None, "transactions": 0, "gtids": [], "summary": divergence.describe()}
    tools = await open_client_host(old, old.mysql, scratch)
    try:
        process = await tools.start(
            binlog_argv(flavor, tools.option_file, executed[0], executed[1]), stdin=False
        )
        chunks: list[bytes] = []
        try:
            while True:
                async with asyncio.timeout(IO_TIMEOUT_S):
                    chunk = await process.read()
                if not chunk:
                    break
                chunks.append(chunk)
            async with asyncio.timeout(IO_TIMEOUT_S):
                code = await process.wait()
        except BaseException:
            await process.stop()
            raise
    finally:
        await tools.close()
    if code != 0:
        raise QuarantineFailed(
            f"{binlog_argv(flavor, 'OPTIONS', *executed)[0]} exited {code}: "
            f"{process.stderr_text()[-800:]}"
        )
    text = b"".join(chunks)
    transactions = quarantined_transactions(text)
    directory = state_dir / QUARANTINE_DIR
    directory.mkdir(mode=0o700, parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"{stamp}-{old.name}.sql"
    header = (
        f"-- rdconsole quarantine: what {old.name} holds beyond the promoted standby\n"
        f"-- {divergence.describe()}\n"
        f"-- {len(transactions)} transaction(s): {', '.join(transactions) or 'none counted'}\n"
        "-- Review before replaying anything by hand; rdconsole never applies it.\n"
    ).encode()
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as file:
        file.write(header + text)
        file.flush()
        os.fsync(file.fileno())
    return {
        "path": str(path),
        "transactions": len(transactions),
        "gtids": transactions,
        "summary": f"{len(transactions)} transaction(s) saved to {path} ({divergence.describe()})",
    }
