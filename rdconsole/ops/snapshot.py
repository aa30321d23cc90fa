"""Stream a dump from one server's tools into another's client, counting and reading it.

Nothing is written to disk in between: chunks go from the dump's stdout to the loader's stdin
through this process, which counts bytes for progress and reads the source's coordinates from
the dump's comment lines as they pass. Each read and write is bounded; any failure stops both
tools.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from rdconsole.core.snapshot import DumpCoordinates, LineSplitter
from rdconsole.hosts.client_tools import IO_TIMEOUT_S, ClientHost, PipedProcess

HEADER_BYTES = 1 << 20
"""The coordinates are in the dump's first lines (the GTID one may be near the end on MariaDB,
so the tail is scanned too)."""


class SnapshotFailed(Exception):
    pass


@dataclass(frozen=True)
class SnapshotProgress:
    bytes: int
    expected: int | None
    """The source's data + index size: a rough guide, a dump is usually a bit larger."""
    elapsed_s: float

    def describe(self) -> str:
        mib = self.bytes / 1048576
        rate = mib / self.elapsed_s if self.elapsed_s > 0 else 0.0
        of = f" of ~{self.expected / 1048576:.0f} MiB" if self.expected else ""
        return f"{mib:.1f} MiB{of} at {rate:.1f} MiB/s"


@dataclass(frozen=True)
class SnapshotResult:
    coordinates: DumpCoordinates
    bytes: int
    seconds: float


async def copy_snapshot(
    source: ClientHost,
    target: ClientHost,
    dump_argv: Sequence[str],
    load_argv: Sequence[str],
    *,
    expected: int | None,
    on_progress: Callable[[SnapshotProgress], None],
    progress_every_s: float = 0.5,
) -> SnapshotResult:
    """Pipe ``dump_argv`` (run by ``source``) into ``load_argv`` (run by ``target``)."""
    began = time.monotonic()
    dump = await source.start(dump_argv, stdin=False)
    try:
        load = await target.start(load_argv, stdin=True)
    except BaseException:
        await dump.stop()
        raise
    coordinates = DumpCoordinates()
    total = 0
    try:
        total = await _pump(dump, load, coordinates, expected, on_progress, began, progress_every_s)
        dump_code = await _bounded_wait(dump)
        if dump_code != 0:
            # A dump cut short (error, lost connection): the loader must not see a clean end
            # of input and commit what it has; it is stopped instead.
            await load.stop()
            status = "with no status (connection lost)" if dump_code is None else dump_code
            raise SnapshotFailed(f"the dump exited {status}: {dump.stderr_text()[-800:]}")
        await load.close_stdin()
        load_code = await _bounded_wait(load)
    except BaseException:
        await asyncio.gather(dump.stop(), load.stop(), return_exceptions=True)
        raise
    if load_code != 0:
        raise SnapshotFailed(f"the load exited {load_code}: {load.stderr_text()[-800:]}")
    if coordinates.file is None or coordinates.position is None:
        raise SnapshotFailed("the dump holds no binlog coordinates (is log_bin on at the source?)")
    return SnapshotResult(coordinates, total, time.monotonic() - began)


async def _pump(
    dump: PipedProcess,
    load: PipedProcess,
    coordinates: DumpCoordinates,
    expected: int | None,
    on_progress: Callable[[SnapshotProgress], None],
    began: float,
    every_s: float,
) -> int:
    splitter = LineSplitter()
    total = 0
    shown = 0.0
    tail = b""
    while True:
        async with asyncio.timeout(IO_TIMEOUT_S):
            chunk = await dump.read()
        if not chunk:
            break
        if total < HEADER_BYTES:
            for line in splitter.feed(chunk):
                coordinates.feed(line)
        tail = (tail + chunk)[-8192:]
        total += len(chunk)
        try:
            async with asyncio.timeout(IO_TIMEOUT_S):
                await load.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            raise SnapshotFailed(f"the load stopped reading: {load.stderr_text()[-800:]}") from None
        now = time.monotonic()
        if now - shown >= every_s:
            shown = now
            on_progress(SnapshotProgress(total, expected, now - began))
    for line in tail.split(b"\n"):
        if coordinates.gtid is None:
            coordinates.feed(line)
    on_progress(SnapshotProgress(total, expected, time.monotonic() - began))
    return total


async def _bounded_wait(process: PipedProcess) -> int | None:
    async with asyncio.timeout(IO_TIMEOUT_S * 5):
        return await process.wait()
