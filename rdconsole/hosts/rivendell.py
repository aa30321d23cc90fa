"""Rivendell on a standby host, through a Shell (here or over SSH): its processes, its service
commands and their verification, its links, and the atomic replacement of a link. Every command is
bounded; running out of time is a ShellError like any other failure to get an answer."""

from __future__ import annotations

import asyncio
import posixpath
import time
from collections.abc import Sequence
from dataclasses import dataclass

from rdconsole.config.settings import HostConfig
from rdconsole.core.layout import LinkKind, LinkState
from rdconsole.core.switch import (
    DAEMONS,
    GUI_MODULES,
    PROCESS_SCAN,
    ServiceCommands,
    SwitchPaths,
    link_command,
    running_named,
)
from rdconsole.hosts.links import read_links
from rdconsole.hosts.shell import CommandResult, Shell, ShellError

CHECK_TIMEOUT_S = 10.0
"""For reads, the check command and one link replacement (a dead NFS mount must not hang us)."""
WRITABLE_SCRIPT = 'for d; do [ -w "$d" ] || printf "%s\\n" "$d"; done'


@dataclass(frozen=True)
class Check:
    ok: bool
    detail: str
    """What was seen, with the command and its exit status."""


def switch_paths(standby: HostConfig) -> SwitchPaths:
    paths = standby.rivendell
    return SwitchPaths(
        rd_conf=str(paths.rd_conf),
        rd_conf_master=str(paths.rd_conf_master),
        rd_conf_standby=str(paths.rd_conf_standby),
        snd=str(paths.snd),
        snd_master=str(paths.snd_master),
        snd_standby=str(paths.snd_standby),
        mirror_dir=str(standby.audio.dir),
    )


def service_commands(standby: HostConfig) -> ServiceCommands:
    paths = standby.rivendell
    return ServiceCommands(paths.stop_command, paths.start_command, paths.check_command)


class LinkError(Exception):
    """A link was not replaced (or not as planned); the message says which and why."""


def _text(data: bytes) -> str:
    return data.decode("utf-8", errors="surrogateescape")


async def run_line(shell: Shell, line: str, limit_s: float) -> CommandResult:
    """``sh -c LINE``: an operator-configured command line or a step of the plan."""
    try:
        async with asyncio.timeout(limit_s):
            return await shell.run(["sh", "-c", line])
    except TimeoutError:
        raise ShellError(f"`{line}` did not finish within {limit_s:g} s") from None


async def scan_processes(shell: Shell) -> str:
    """PROCESS_SCAN's output: one line per process of the host."""
    return _text((await run_line(shell, PROCESS_SCAN, CHECK_TIMEOUT_S)).stdout)


async def _read(shell: Shell, command: list[str], what: str) -> str:
    try:
        async with asyncio.timeout(CHECK_TIMEOUT_S):
            result = await shell.run(command)
    except TimeoutError:
        raise ShellError(f"{what} took over {CHECK_TIMEOUT_S:g} s") from None
    return _text(result.stdout)


async def probe(shell: Shell, paths: Sequence[str]) -> dict[str, LinkState]:
    """Kind and resolved target of each path (core.layout's probe)."""
    return await read_links(shell, paths, CHECK_TIMEOUT_S)


async def probe_links(shell: Shell, paths: SwitchPaths) -> dict[str, LinkState]:
    """The two links, the four targets, the mirror, and where each target symlink leads (so a
    dangling target is told from an existing one)."""
    states = await probe(shell, [paths.rd_conf, paths.snd, *paths.targets, paths.mirror_dir])
    ends = {
        state.target
        for path in paths.targets
        if (state := states.get(path)) is not None and state.kind is LinkKind.SYMLINK
    }
    if ends - states.keys():
        states |= await probe(shell, sorted(ends - states.keys()))
    return states


async def unwritable_dirs(shell: Shell, links: Sequence[str]) -> list[str]:
    """The directories holding ``links`` in which this user cannot create a link."""
    directories = sorted({posixpath.dirname(link) or "." for link in links})
    command = ["sh", "-c", WRITABLE_SCRIPT, "rdconsole-writable", *directories]
    return (await _read(shell, command, f"checking {', '.join(directories)}")).splitlines()


async def replace_link(shell: Shell, link: str, target: str) -> Check:
    """Point the symlink ``link`` at ``target``: new link under a temp name, then ``mv -T``
    (rename(2), atomic). Re-checked just before (still a symlink, else left untouched) and
    verified after with the probe. Raises LinkError or ShellError."""
    before = await probe(shell, [link])
    kind = before.get(link, LinkState(link, LinkKind.MISSING, "")).kind
    if kind is not LinkKind.SYMLINK:
        raise LinkError(f"{link} is no longer a symlink ({kind.value}): left untouched")
    result = await run_line(shell, link_command(link, target), CHECK_TIMEOUT_S)
    if not result.ok:
        why = result.stderr_text() or f"exit {result.exit_status}"
        raise LinkError(f"could not replace {link}: {why}")
    after = await probe(shell, [link, target])
    now, wanted = after.get(link), after.get(target)
    if now is None or now.kind is not LinkKind.SYMLINK or wanted is None:
        raise LinkError(f"{link} is not a symlink after its replacement")
    if now.target != wanted.target:
        raise LinkError(f"{link} resolves to {now.target}, not to {target} ({wanted.target})")
    return Check(True, f"{link} -> {target}")


class RivendellService:
    """Rivendell's daemons on one host, driven by the operator's stop/start/check lines."""

    def __init__(self, shell: Shell, commands: ServiceCommands, service_timeout_s: float) -> None:
        self.shell = shell
        self.commands = commands
        self.service_timeout_s = service_timeout_s

    async def check_gui(self, force: bool) -> Check:
        """Fails while a GUI module runs, unless ``force`` (then it only names them)."""
        modules = running_named(await scan_processes(self.shell), GUI_MODULES)
        if not modules:
            return Check(True, "no Rivendell GUI module runs")
        listed = ", ".join(modules)
        if force:
            return Check(True, f"forced (--force) past running GUI modules: {listed}")
        return Check(False, f"Rivendell GUI modules are running: {listed}")

    async def is_running(self) -> Check:
        result = await run_line(self.shell, self.commands.check, CHECK_TIMEOUT_S)
        return Check(result.ok, f"`{self.commands.check}` exit {result.exit_status}")

    async def run(self, command: str) -> Check:
        """The stop or start line; only its exit status is judged here."""
        result = await run_line(self.shell, command, self.service_timeout_s)
        first = result.stderr_text().splitlines()[:1]
        return Check(result.ok, ": ".join([f"`{command}` exit {result.exit_status}", *first]))

    async def verify_stopped(self, wait_s: float, poll_s: float) -> Check:
        """Stopped: the check line fails (with an exit status) and no daemon of §7 runs; waits up
        to ``wait_s`` for the stop to show."""
        deadline = time.monotonic() + wait_s
        while True:
            left = running_named(await scan_processes(self.shell), DAEMONS)
            result = await run_line(self.shell, self.commands.check, CHECK_TIMEOUT_S)
            seen = f"`{self.commands.check}` exit {result.exit_status}"
            if result.exit_status in (0, None):
                left.insert(0, seen)
            if not left:
                return Check(True, f"{seen}, no daemon runs")
            if time.monotonic() >= deadline:
                return Check(False, f"not stopped after {wait_s:g} s: {', '.join(left)}")
            await asyncio.sleep(poll_s)

    async def verify_started(self, settle_s: float, samples: int) -> Check:
        """Up: the check line exits 0 at each of ``samples`` samples spread over ``settle_s``
        (a start line returns 0 as soon as rdservice forks, even if it then crash-loops)."""
        started = time.monotonic()
        for _ in range(samples):
            await asyncio.sleep(settle_s / samples)
            check = await self.is_running()
            if not check.ok:
                after = time.monotonic() - started
                return Check(False, f"{check.detail} {after:.1f} s after the start")
        return Check(
            True, f"`{self.commands.check}` exit 0 at {samples} samples over {settle_s:g} s"
        )
