"""Run commands on a host: here (asyncio subprocess) or over SSH (asyncssh), one interface.

Commands are argv lists; over SSH they are quoted with ``shlex.join``. A started command runs in
its own process group so that stopping it stops rsync's children too. Stopping is verified: over
OpenSSH, signal requests for root sessions are refused, so the remote command first prints its
PID and is stopped with ``kill`` on a second channel, then checked gone.
"""

from __future__ import annotations

import asyncio
import os
import shlex
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from rdconsole.config.settings import HostConfig, SshConfig

STOP_GRACE_S = 5.0
"""How long a stopped command gets between SIGTERM and SIGKILL."""


@dataclass(frozen=True)
class CommandResult:
    exit_status: int | None
    """None when the command did not report one (killed by a signal, connection lost)."""
    stdout: bytes
    stderr: bytes

    @property
    def ok(self) -> bool:
        return self.exit_status == 0

    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", errors="replace").strip()


class ShellError(Exception):
    """The host could not be reached or the command could not be started."""


class RunningCommand(Protocol):
    """A started command whose output (stdout and stderr merged) is read in chunks."""

    async def read(self) -> bytes:
        """The next chunk; b"" at end of output."""
        ...

    async def wait(self) -> int | None: ...

    async def stop(self) -> bool:
        """Stop the whole process group (TERM, then KILL); True when it is proven gone."""
        ...


class Shell(Protocol):
    description: str

    async def run(self, command: Sequence[str], *, stdin: bytes | None = None) -> CommandResult:
        """Run to completion; callers bound it with ``asyncio.timeout`` (cancel stops it)."""
        ...

    async def start(
        self, command: Sequence[str], *, env: Mapping[str, str] | None = None
    ) -> RunningCommand: ...

    async def close(self) -> None: ...


class _LocalCommand:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process

    async def read(self) -> bytes:
        assert self._process.stdout is not None
        return await self._process.stdout.read(65536)

    async def wait(self) -> int | None:
        return await self._process.wait()

    async def stop(self) -> bool:
        if self._process.returncode is not None:
            return True
        group = self._process.pid
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(group, sig)
            except ProcessLookupError:
                break
            try:
                async with asyncio.timeout(STOP_GRACE_S):
                    await self._process.wait()
                break
            except TimeoutError:
                continue
        return self._process.returncode is not None and not _group_alive(group)


def _group_alive(group: int) -> bool:
    try:
        os.killpg(group, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class LocalShell:
    """Commands on this host."""

    description = "this host"

    async def run(self, command: Sequence[str], *, stdin: bytes | None = None) -> CommandResult:
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.PIPE if stdin is not None else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            raise ShellError(f"cannot run {command[0]}: {error.strerror or error}") from None
        try:
            stdout, stderr = await process.communicate(stdin)
        except asyncio.CancelledError:
            await _LocalCommand(process).stop()
            raise
        return CommandResult(process.returncode, stdout, stderr)

    async def start(
        self, command: Sequence[str], *, env: Mapping[str, str] | None = None
    ) -> RunningCommand:
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        except OSError as error:
            raise ShellError(f"cannot run {command[0]}: {error.strerror or error}") from None
        return _LocalCommand(process)

    async def close(self) -> None:
        return None


def remote_command(command: Sequence[str], env: Mapping[str, str] | None = None) -> str:
    """The shell line that prints its PID, then becomes ``command`` (same PID, same group)."""
    assignments = [f"{key}={shlex.quote(value)}" for key, value in (env or {}).items()]
    prefix = f"export {' '.join(assignments)}; " if assignments else ""
    return f"echo $$; {prefix}exec {shlex.join(command)}"


def shell_for(host: HostConfig) -> Shell:
    """This host's shell when rdconsole runs on it, else SSH (``[*.ssh]``, then ~/.ssh/config).

    asyncssh is imported only when a remote host needs it: it costs a tenth of a second at
    start-up, which a cron-run ``sync`` of a local standby should not pay.
    """
    if host.local:
        return LocalShell()
    from rdconsole.hosts.ssh import SshShell

    return SshShell(host.host, host.ssh or SshConfig())
