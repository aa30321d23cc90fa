"""Read-only checks of the audio mirror, shared by ``sync``, ``status`` and the console."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rdconsole.config.settings import HostConfig
from rdconsole.core.layout import Layout, judge_layout
from rdconsole.core.rsync_output import RsyncMessage, parse_record
from rdconsole.core.sync_plan import (
    MirrorSource,
    classify_guard_exit,
    guard_command,
    guard_listed,
)
from rdconsole.hosts.links import read_links
from rdconsole.hosts.rsync import RSYNC_ENV
from rdconsole.hosts.shell import RunningCommand, Shell

PROBE_TIMEOUT_S = 10.0


async def probe_layout(shell: Shell, standby: HostConfig) -> Layout:
    """Where the standby's rd.conf and /var/snd links point; raises ShellError if unreadable."""
    paths = standby.rivendell
    mirror = str(standby.audio.dir)
    probed = [
        str(p)
        for p in (
            paths.rd_conf,
            paths.rd_conf_master,
            paths.rd_conf_standby,
            paths.snd,
            paths.snd_master,
            paths.snd_standby,
        )
    ] + [mirror]
    return judge_layout(
        await read_links(shell, probed, PROBE_TIMEOUT_S),
        rd_conf=str(paths.rd_conf),
        rd_conf_master=str(paths.rd_conf_master),
        rd_conf_standby=str(paths.rd_conf_standby),
        snd=str(paths.snd),
        snd_master=str(paths.snd_master),
        snd_standby=str(paths.snd_standby),
        mirror_dir=mirror,
    )


@dataclass(frozen=True)
class GuardCheck:
    present: bool | None
    """None: the master's rsync service could not be asked."""
    detail: str


async def probe_guard(
    shell: Shell,
    source: MirrorSource,
    budget: float | None = None,
    *,
    finishing: set[asyncio.Task[None]] | None = None,
) -> GuardCheck:
    """Ask the master's rsync service whether the guard file exists (from the standby).

    With ``finishing``, a present guard is reported as soon as rsync lists it, and the end of
    rsync's session (about 0.06 s on loopback) runs on in a task added to ``finishing``: the
    caller awaits those tasks before it closes ``shell``. A missing guard or an unreachable master
    is reported from the exit code, as without it.
    """
    budget = budget or float(source.contimeout + source.timeout + 5)
    if finishing is not None:
        return await _probe_guard_streamed(shell, source, budget, finishing)
    try:
        async with asyncio.timeout(budget):
            result = await shell.run(guard_command(source))
    except TimeoutError:
        return GuardCheck(None, _no_answer(budget))
    present, why = classify_guard_exit(result.exit_status)
    first = result.stderr_text().splitlines()
    return GuardCheck(present, why if present or not first else f"{why}: {first[0]}")


GUARD_OUTPUT_LIMIT = 65536
"""Bytes of the guard command's output kept for the reason of a failure."""


def _no_answer(budget: float) -> str:
    return f"the master's rsync service did not answer within {budget:g} s"


async def _probe_guard_streamed(
    shell: Shell, source: MirrorSource, budget: float, finishing: set[asyncio.Task[None]]
) -> GuardCheck:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + budget
    try:
        async with asyncio.timeout_at(deadline):
            running = await shell.start(guard_command(source), env=RSYNC_ENV)
    except TimeoutError:
        return GuardCheck(None, _no_answer(budget))
    output = bytearray()
    scanned = 0
    try:
        async with asyncio.timeout_at(deadline):
            while chunk := await running.read():
                if len(output) < GUARD_OUTPUT_LIMIT:
                    output += chunk
                end = output.rfind(b"\n") + 1
                lines = output[scanned:end].decode("ascii", errors="replace").splitlines()
                scanned = max(scanned, end)
                if any(guard_listed(line, source) for line in lines):
                    task = asyncio.create_task(_finish(running, deadline))
                    finishing.add(task)
                    task.add_done_callback(finishing.discard)
                    return GuardCheck(True, "guard file present")
            code = await running.wait()
    except TimeoutError:
        await running.stop()
        return GuardCheck(None, _no_answer(budget))
    except asyncio.CancelledError:
        await asyncio.shield(running.stop())
        raise
    present, why = classify_guard_exit(code)
    if present:
        return GuardCheck(present, why)
    text = output.decode("utf-8", errors="replace").splitlines()
    messages = [e.text for e in map(parse_record, text) if isinstance(e, RsyncMessage)]
    first = messages or [line for line in text if line.strip()]
    return GuardCheck(present, f"{why}: {first[0]}" if first else why)


async def _finish(running: RunningCommand, deadline: float) -> None:
    """Let a guard command that already listed the guard end its session, within its budget."""
    try:
        async with asyncio.timeout_at(deadline):
            while await running.read():
                pass
            await running.wait()
    except TimeoutError:
        await running.stop()
    except asyncio.CancelledError:
        await asyncio.shield(running.stop())
        raise


async def list_audio_files(shell: Shell, standby: HostConfig) -> set[str]:
    """Names of the non-empty audio files in the standby's mirror."""
    command = [
        "find",
        str(standby.audio.dir),
        "-maxdepth",
        "1",
        "-type",
        "f",
        "-size",
        "+0",
        "-name",
        f"*.{standby.audio.extension}",
        "-printf",
        "%f\\n",
    ]
    async with asyncio.timeout(PROBE_TIMEOUT_S * 3):
        result = await shell.run(command)
    return set(result.stdout.decode("utf-8", errors="surrogateescape").splitlines())
