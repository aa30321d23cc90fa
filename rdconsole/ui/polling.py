"""The poll loops, run by the App as async workers (never threads): one per host, one per
watched audio mirror.

Plain asyncio (no textual): the App hands in ``deliver`` to turn snapshots into messages.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from datetime import datetime

from rdconsole.config.settings import ConsoleConfig, HostConfig
from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.model import HostSnapshot
from rdconsole.ops.monitor import AudioWatcher, Collector, Journal
from rdconsole.ui.state import timed_out

MAX_BACKOFF = 20.0
"""Seconds: the longest wait before restarting a poller that crashed."""

AUDIO_BUDGET = 60.0
"""Seconds one audio check may take: its slow checks (links over SSH, the guard file through
rsync, the cut list in SQL) run one after another, each bounded by its own timeout."""


class _Loop:
    """What both poll loops share: sleep until the next poll (or ``poll_now``), crash backoff."""

    def __init__(self, interval: float) -> None:
        self.interval = interval
        self.failures = 0
        """Crashes since the last good poll, for the restart backoff."""
        self._wake = asyncio.Event()

    def poll_now(self) -> None:
        """Cut the current sleep short."""
        self._wake.set()

    def crashed(self) -> float:
        """Count a crash; returns the seconds to wait before restarting: 1, 2, 4, … 20."""
        delay = min(2.0**self.failures, MAX_BACKOFF)
        self.failures += 1
        return delay

    async def _sleep(self, started: float) -> None:
        """Until ``interval`` after ``started`` (loop time), or until ``poll_now``."""
        remaining = self.interval - (asyncio.get_running_loop().time() - started)
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(max(remaining, 0.0)):
                await self._wake.wait()


class Poller(_Loop):
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
        super().__init__(console.poll_interval)
        self.host = host
        self.collector = collector
        self.budget = console.connect_timeout + console.query_timeout + 1
        """Seconds one collect (or journal write) may take before the host counts as timed out."""
        self._deliver = deliver
        self._journal = journal
        self._clock = clock

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
            await self._sleep(started)


class AudioPoller(_Loop):
    """Checks one standby's audio mirror forever, every poll interval.

    The watcher reads the sync state file on every call and runs its slow checks only every so
    often (or when forced), so polling it as often as the hosts costs little.
    """

    def __init__(
        self,
        watcher: AudioWatcher,
        console: ConsoleConfig,
        *,
        deliver: Callable[[str, AudioSnapshot | None, str], None],
        budget: float = AUDIO_BUDGET,
    ) -> None:
        super().__init__(console.poll_interval)
        self.watcher = watcher
        self.budget = budget
        self._deliver = deliver
        self._force = False

    def poll_now(self, *, force: bool = True) -> None:
        """Check now; ``force`` also reruns the watcher's slow checks."""
        self._force = self._force or force
        super().poll_now()

    async def run(self) -> None:
        """The worker body; only bugs (not mirror problems) escape from it."""
        loop = asyncio.get_running_loop()
        name = self.watcher.name
        while True:
            self._wake.clear()
            force, self._force = self._force, False
            started = loop.time()
            try:
                async with asyncio.timeout(self.budget):
                    snapshot = await self.watcher.collect(force=force)
            except TimeoutError:
                self._deliver(name, None, f"no answer within {self.budget:g} s")
            else:
                self._deliver(name, snapshot, "")
            self.failures = 0
            await self._sleep(started)
