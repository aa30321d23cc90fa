"""Read-only checks of the audio mirror, shared by ``sync``, ``status`` and the console."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from rdconsole.config.settings import HostConfig
from rdconsole.core.layout import Layout, judge_layout, parse_probe, probe_command
from rdconsole.core.sync_plan import MirrorSource, classify_guard_exit, guard_command
from rdconsole.hosts.shell import Shell

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
    async with asyncio.timeout(PROBE_TIMEOUT_S):
        result = await shell.run(probe_command(probed))
    return judge_layout(
        parse_probe(result.stdout.decode("utf-8", errors="surrogateescape")),
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
    shell: Shell, source: MirrorSource, budget: float | None = None
) -> GuardCheck:
    """Ask the master's rsync service whether the guard file exists (from the standby)."""
    budget = budget or float(source.contimeout + source.timeout + 5)
    try:
        async with asyncio.timeout(budget):
            result = await shell.run(guard_command(source))
    except TimeoutError:
        return GuardCheck(None, f"the master's rsync service did not answer within {budget:g} s")
    present, why = classify_guard_exit(result.exit_status)
    first = result.stderr_text().splitlines()
    return GuardCheck(present, why if present or not first else f"{why}: {first[0]}")


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
