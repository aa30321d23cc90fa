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


READ_SIZE = 65536


class _LocalCommand:
    """A local command whose merged output comes through a pipe of our own (``output``, the
    non-blocking read end). The pipe is watched only while a read waits, so a reader that pauses
    between reads is not woken by every write of the command: rsync writes a progress record
    every few milliseconds, which asyncio's pipe transport would read one by one."""

    def __init__(self, process: asyncio.subprocess.Process, output: int = -1) -> None:
        self._process = process
        self._output = output

    async def read(self) -> bytes:
        while self._output >= 0:
            try:
                data = os.read(self._output, READ_SIZE)
            except BlockingIOError:
                await _readable(self._output)
                continue
            if not data:
                self._close_output()
            return data
        return b""

    def _close_output(self) -> None:
        if self._output >= 0:
            os.close(self._output)
            self._output = -1

    async def wait(self) -> int | None:
        return await self._process.wait()

    async def stop(self) -> bool:
        group = self._process.pid
        try:
            for sig in (signal.SIGTERM, signal.SIGKILL):
                if self._process.returncode is not None and not _group_alive(group):
                    break
                try:
                    os.killpg(group, sig)
                except ProcessLookupError:
                    break
                try:
                    async with asyncio.timeout(STOP_GRACE_S):
                        await self._process.wait()
                        # rsync's forked half shares the group: it is stopped too. Nothing
                        # signals the end of a group that is not our child: poll.
                        while _group_alive(group):  # noqa: ASYNC110
                            await asyncio.sleep(0.01)
                    break
                except TimeoutError:
                    continue
        finally:
            self._close_output()
        return self._process.returncode is not None and not _group_alive(group)


async def _readable(fd: int) -> None:
    """Wait until ``fd`` can be read (or is at its end)."""
    loop = asyncio.get_running_loop()
    ready: asyncio.Future[None] = loop.create_future()

    def wake() -> None:
        if not ready.done():
            ready.set_result(None)

    loop.add_reader(fd, wake)
    try:
        await ready
    finally:
        loop.remove_reader(fd)


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
        output, write_end = os.pipe()
        os.set_blocking(output, False)
        try:
            process = await asyncio.create_subprocess_exec(
                *command,
                stdin=asyncio.subprocess.DEVNULL,
                stdout=write_end,
                stderr=asyncio.subprocess.STDOUT,
                start_new_session=True,
                env={**os.environ, **(env or {})},
            )
        except OSError as error:
            os.close(output)
            raise ShellError(f"cannot run {command[0]}: {error.strerror or error}") from None
        except BaseException:
            os.close(output)
            raise
        finally:
            os.close(write_end)
        return _LocalCommand(process, output)

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
