"""``rdconsole status``: one bounded check of every host.

Each standby's Rivendell mode comes from its audio check when its mirror is watched, else from a
probe of its links (``layouts``), within the same budget; the promotion marker from state_dir.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping, Sequence
from datetime import UTC, datetime

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.audio import AudioSnapshot, audio_problems, mixed_problem
from rdconsole.core.failover import PromotionMarker
from rdconsole.core.layout import Layout, Mode
from rdconsole.core.model import ErrorKind, HostError, HostSnapshot
from rdconsole.core.report import StatusReport
from rdconsole.core.verdict import judge
from rdconsole.hosts.shell import ShellError
from rdconsole.ops.audio import AudioCollector
from rdconsole.ops.monitor import Collector
from rdconsole.ops.preflight import read_marker

LayoutProbe = Callable[[], Awaitable[Layout]]
"""Reads one standby's links (``rdconsole.ops.switch.current_mode`` bound to it)."""

# Leave room for process start-up and printing inside the promised 2 x connect timeout.
_MARGIN_S = 0.3


async def check_once(
    settings: Settings,
    collectors: Mapping[str, Collector],
    audio: Sequence[AudioCollector] = (),
    layouts: Mapping[str, LayoutProbe] | None = None,
) -> StatusReport:
    """Poll all hosts (and audio mirrors, and the links of the standbys in ``layouts``)
    concurrently; each is cut off at 2 x connect_timeout minus a margin, so a black-holed host
    cannot hold the answer back."""
    budget = max(0.5, 2 * settings.console.connect_timeout - _MARGIN_S)
    probes = dict(layouts or {})
    snapshots, mirrors, probed = await asyncio.gather(
        asyncio.gather(*(_bounded(h, collectors[h.name], budget) for h in settings.hosts)),
        asyncio.gather(*(_bounded_audio(a, budget) for a in audio)),
        asyncio.gather(*(_bounded_layout(probe, budget) for probe in probes.values())),
    )
    closable: list[Collector | AudioCollector] = [*collectors.values(), *audio]
    await asyncio.gather(*(_close(c) for c in closable))
    master, *standbys = snapshots
    now = datetime.now(UTC)
    by_name = {m.standby: m for m in mirrors if m is not None}
    stale = {s.name: s.audio.stale_after for s in settings.standbys}
    extra = [p for m in by_name.values() for p in audio_problems(m, stale[m.standby], now)]
    modes = dict(zip(probes, probed, strict=True))
    # A mixed layout seen by the link probe (no audio check to report it) is an error too.
    extra += [
        mixed_problem(name)
        for name, mode in modes.items()
        if mode is Mode.MIXED and name not in by_name
    ]
    modes.update({name: snapshot.mode for name, snapshot in by_name.items()})
    return StatusReport(
        checked_at=now,
        master=master,
        standbys=tuple(standbys),
        verdict=judge(master, standbys, settings.console.thresholds, extra),
        audio=by_name,
        modes=modes,
        promotion=_marker(settings),
    )


def _marker(settings: Settings) -> PromotionMarker | None:
    try:
        return read_marker(settings)
    except OSError:
        return None


async def _bounded_layout(probe: LayoutProbe, budget: float) -> Mode | None:
    try:
        async with asyncio.timeout(budget):
            return (await probe()).mode
    except (ShellError, TimeoutError, OSError):
        return None


async def _bounded_audio(collector: AudioCollector, budget: float) -> AudioSnapshot | None:
    try:
        async with asyncio.timeout(budget):
            return await collector.collect(force=True)
    except TimeoutError:
        return None


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


async def _close(collector: Collector | AudioCollector) -> None:
    try:
        async with asyncio.timeout(0.5):
            await collector.close()
    except (TimeoutError, OSError):
        pass
