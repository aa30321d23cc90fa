"""``rdconsole status``: one bounded check of every host."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import UTC, datetime

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.model import ErrorKind, HostError, HostSnapshot
from rdconsole.core.report import StatusReport
from rdconsole.core.verdict import judge
from rdconsole.ops.monitor import Collector

# Leave room for process start-up and printing inside the promised 2 x connect timeout.
_MARGIN_S = 0.3


async def check_once(settings: Settings, collectors: Mapping[str, Collector]) -> StatusReport:
    """Poll all hosts concurrently; each is cut off at 2 x connect_timeout minus a margin."""
    budget = max(0.5, 2 * settings.console.connect_timeout - _MARGIN_S)
    snapshots = await asyncio.gather(
        *(_bounded(host, collectors[host.name], budget) for host in settings.hosts)
    )
    await asyncio.gather(*(_close(c) for c in collectors.values()))
    master, *standbys = snapshots
    return StatusReport(
        checked_at=datetime.now(UTC),
        master=master,
        standbys=tuple(standbys),
        verdict=judge(master, standbys, settings.console.thresholds),
    )


async def _bounded(host: HostConfig, collector: Collector, budget: float) -> HostSnapshot:
    try:
        async with asyncio.timeout(budget):
            return await collector.collect()
    except TimeoutError:
        return HostSnapshot(
            name=host.name,
            role=host.role,
            address=host.mysql.address,
            checked_at=datetime.now(UTC),
            reachable=False,
            error=HostError(ErrorKind.TIMEOUT, None, f"no answer within {budget:.1f} s"),
        )


async def _close(collector: Collector) -> None:
    try:
        async with asyncio.timeout(0.5):
            await collector.close()
    except (TimeoutError, OSError):
        pass
