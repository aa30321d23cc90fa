"""The poll loop for one host, run by the App as an async worker (never a thread).

Plain asyncio (no textual): the App hands in ``deliver`` to turn snapshots into messages.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

from rdconsole.config.settings import ConsoleConfig, HostConfig
from rdconsole.core.model import HostSnapshot
from rdconsole.ops.monitor import Collector, Journal
from rdconsole.ui.state import timed_out

MAX_BACKOFF = 20.0
"""Seconds: the longest wait before restarting a poller that crashed."""


class Poller:
    """Polls one host forever: collect within a budget, deliver, journal, sleep."""

    def __init__(
        self,
        host: HostConfig,
        collector: Collector,
        console: ConsoleConfig,
        *,
        deliver: Callable[[HostSnapshot], None],
        journal: Journal | None,
        clock: Callable[[], datetime],
    ) -> None:
        self.host = host
        self.collector = collector
        self.interval = console.poll_interval
        self.budget = console.connect_timeout + console.query_timeout + 1
        """Seconds one collect (or journal write) may take before the host counts as timed out."""
        self.failures = 0
        """Crashes since the last good poll, for the restart backoff."""
        self._deliver = deliver
        self._journal = journal
        self._clock = clock
        self._wake = asyncio.Event()

    def poll_now(self) -> None:
        """Cut the current sleep short."""
        self._wake.set()

    def crashed(self) -> float:
        """Count a crash; returns the seconds to wait before restarting: 1, 2, 4, … 20."""
        delay = min(2.0**self.failures, MAX_BACKOFF)
        self.failures += 1
        return delay

    async def run(self) -> None:
        """The worker body; only bugs (not host problems) escape from it."""
        loop = asyncio.get_running_loop()
        while True:
            self._wake.clear()
            started = loop.time()
            try:
                async with asyncio.timeout(self.budget):
                    snapshot = await self.collector.collect()
            except TimeoutError:
                snapshot = timed_out(self.host, self.budget, self._clock())
            self._deliver(snapshot)
            self.failures = 0
            if self._journal is not None:
                async with asyncio.timeout(self.budget):
                    await self._journal.record(snapshot)
            remaining = self.interval - (loop.time() - started)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(max(remaining, 0.0)):
                    await self._wake.wait()
