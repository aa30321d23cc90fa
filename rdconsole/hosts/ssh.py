"""SSH to a host with asyncssh: host keys always verified, keepalives on, bounded connect.

Unset options follow ``~/.ssh/config`` and the agent, as OpenSSH does; ``known_hosts`` is never
disabled (asyncssh would skip verification if given None, so it is simply not passed then).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
from collections.abc import Mapping, Sequence
from typing import Any

import asyncssh

from rdconsole.config.settings import SshConfig
from rdconsole.hosts.shell import (
    STOP_GRACE_S,
    CommandResult,
    ShellError,
    remote_command,
)


def connect_options(ssh: SshConfig) -> dict[str, Any]:
    """asyncssh.connect keyword arguments for ``ssh`` (never ``known_hosts=None``)."""
    options: dict[str, Any] = {
        "connect_timeout": ssh.connect_timeout,
        "keepalive_interval": ssh.keepalive_interval,
        "keepalive_count_max": 3,
    }
    if ssh.user:
        options["username"] = ssh.user
    if ssh.port:
        options["port"] = ssh.port
    if ssh.known_hosts is not None:
        options["known_hosts"] = str(ssh.known_hosts)
    if ssh.identity_files:
        options["client_keys"] = [str(path) for path in ssh.identity_files]
    return options


def describe_ssh_error(host: str, error: BaseException) -> str:
    """A message that says what failed and what to do."""
    if isinstance(error, asyncssh.HostKeyNotVerifiable):
        return (
            f"SSH to {host}: the host key is not trusted ({error}); verify its fingerprint and "
            f"add it to known_hosts (e.g. connect once with `ssh {host}`)"
        )
    if isinstance(error, asyncssh.PermissionDenied):
        return f"SSH to {host}: permission denied; check the user and the key ({error})"
    if isinstance(error, TimeoutError):
        return f"SSH to {host}: no answer in time"
    if isinstance(error, OSError):
        return f"SSH to {host}: {error.strerror or error}"
    return f"SSH to {host}: {error}"


class _RemoteCommand:
    def __init__(
        self, shell: SshShell, process: asyncssh.SSHClientProcess[bytes], pid: int, pending: bytes
    ) -> None:
        self._shell = shell
        self._process = process
        self.pid = pid
        self._pending = pending
        self._lost = False

    async def read(self) -> bytes:
        if self._pending:
            chunk, self._pending = self._pending, b""
            return chunk
        try:
            return await self._process.stdout.read(65536)
        except (asyncssh.Error, OSError):
            self._lost = True
            return b""

    async def wait(self) -> int | None:
        """The exit status; None when the connection was lost (the command may still run)."""
        if self._lost:
            return None
        try:
            completed = await self._process.wait()
        except (asyncssh.Error, OSError):
            return None
        return completed.exit_status

    async def stop(self) -> bool:
        group = f"-{self.pid}"
        for sig in ("TERM", "KILL"):
            async with asyncio.timeout(STOP_GRACE_S):
                await self._shell.run(["kill", f"-{sig}", "--", group])
            for _ in range(int(STOP_GRACE_S / 0.1)):
                async with asyncio.timeout(STOP_GRACE_S):
                    probe = await self._shell.run(["kill", "-0", "--", group])
                if probe.exit_status not in (0, None):
                    self._process.close()
                    return True
                await asyncio.sleep(0.1)
        self._process.close()
        return False


class _RemotePiped:
    """A remote tool with separate streams (implements hosts.client_tools.PipedProcess)."""

    def __init__(
        self, shell: SshShell, process: asyncssh.SSHClientProcess[bytes], pid: int, stderr: bytes
    ) -> None:
        from rdconsole.hosts.client_tools import StderrTail

        self._shell = shell
        self._process = process
        self._pid = pid
        self._stderr = StderrTail()
        self._stderr.data = stderr
        self._stderr_task = asyncio.ensure_future(self._stderr.drain(process.stderr))

    async def read(self) -> bytes:
        try:
            return await self._process.stdout.read(262144)
        except (asyncssh.Error, OSError):
            return b""

    async def write(self, data: bytes) -> None:
        self._process.stdin.write(data)
        await self._process.stdin.drain()

    async def close_stdin(self) -> None:
        self._process.stdin.write_eof()

    async def wait(self) -> int | None:
        try:
            completed = await self._process.wait()
        except (asyncssh.Error, OSError):
            return None
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._stderr_task), 2.0)
        return completed.exit_status

    def stderr_text(self) -> str:
        return self._stderr.text()

    async def stop(self) -> None:
        """Kill the remote process group by PID (OpenSSH ignores signal requests for root)."""
        with contextlib.suppress(ShellError, TimeoutError):
            async with asyncio.timeout(STOP_GRACE_S):
                await self._shell.run(["kill", "-KILL", "--", f"-{self._pid}"])
        self._process.close()


class SshShell:
    """Commands on a remote host over one SSH connection (re-opened when lost)."""

    def __init__(self, host: str, ssh: SshConfig) -> None:
        self._host = host
        self._ssh = ssh
        self._connection: asyncssh.SSHClientConnection | None = None
        login = f"{ssh.user}@" if ssh.user else ""
        self.description = f"ssh {login}{host}" + (f":{ssh.port}" if ssh.port else "")

    async def _connect(self) -> asyncssh.SSHClientConnection:
        if self._connection is not None and not self._connection.is_closed():
            return self._connection
        try:
            async with asyncio.timeout(self._ssh.connect_timeout + 1):
                self._connection = await asyncssh.connect(self._host, **connect_options(self._ssh))
        except (OSError, asyncssh.Error, TimeoutError) as error:
            raise ShellError(describe_ssh_error(self._host, error)) from None
        return self._connection

    def _drop(self) -> None:
        if self._connection is not None:
            self._connection.abort()
        self._connection = None

    async def run(self, command: Sequence[str], *, stdin: bytes | None = None) -> CommandResult:
        connection = await self._connect()
        process: asyncssh.SSHClientProcess[bytes] | None = None
        try:
            process = await connection.create_process(
                shlex.join(command), input=stdin, encoding=None
            )
            result = await process.wait()
        except asyncio.CancelledError:
            if process is not None:
                process.close()
            raise
        except (OSError, asyncssh.Error) as error:
            self._drop()
            raise ShellError(describe_ssh_error(self._host, error)) from None
        stdout = result.stdout if isinstance(result.stdout, bytes) else b""
        stderr = result.stderr if isinstance(result.stderr, bytes) else b""
        # A silently dropped connection can end a command without an exit status.
        return CommandResult(result.exit_status, stdout, stderr)

    async def start(
        self, command: Sequence[str], *, env: Mapping[str, str] | None = None
    ) -> _RemoteCommand:
        """``command`` with stderr merged into stdout (its PID comes first on stdout)."""
        line = remote_command(command, env)
        process, pid, rest = await self._start_with_pid(command, line, stderr_is_stdout=True)
        return _RemoteCommand(self, process, pid, rest)

    async def start_piped(self, command: Sequence[str], *, stdin: bool) -> _RemotePiped:
        """``command`` with separate stdin/stdout/stderr; it prints its PID on stderr first."""
        line = f"echo $$ >&2; exec {shlex.join(command)}" + ("" if stdin else " </dev/null")
        process, pid, rest = await self._start_with_pid(command, line, stderr_is_stdout=False)
        return _RemotePiped(self, process, pid, rest)

    async def _start_with_pid(
        self, command: Sequence[str], line: str, *, stderr_is_stdout: bool
    ) -> tuple[asyncssh.SSHClientProcess[bytes], int, bytes]:
        """Start ``line`` and read the PID it prints first (so a stop can kill its group)."""
        connection = await self._connect()
        try:
            if stderr_is_stdout:
                process = await connection.create_process(
                    line, stderr=asyncssh.STDOUT, encoding=None
                )
            else:
                process = await connection.create_process(line, encoding=None)
            reader = process.stdout if stderr_is_stdout else process.stderr
            first = b""
            async with asyncio.timeout(self._ssh.connect_timeout):
                while b"\n" not in first:
                    chunk = await reader.read(4096)
                    if not chunk:
                        break
                    first += chunk
        except (OSError, asyncssh.Error, TimeoutError) as error:
            self._drop()
            raise ShellError(describe_ssh_error(self._host, error)) from None
        pid, _, rest = first.partition(b"\n")
        if not pid.strip().isdigit():
            process.close()
            raise ShellError(f"{self.description}: could not start {command[0]}: {first[:200]!r}")
        return process, int(pid), rest

    async def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            try:
                async with asyncio.timeout(2):
                    await self._connection.wait_closed()
            except TimeoutError:
                self._connection.abort()
        self._connection = None
