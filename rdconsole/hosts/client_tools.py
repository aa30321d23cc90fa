"""MySQL client tools (dump, load, binlog) run where they can reach a server, logged in through
an option file on that host (mode 0600, removed afterwards): passwords never reach argv.

Where a tool runs: on the server's own host over SSH when its admin login is a socket or a
loopback address of that host (and ``[*.ssh]`` is set), otherwise here, over TCP. Data flows
through this process (stdout of one tool into stdin of another), so progress can be counted and
nothing is written to disk in between.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from rdconsole.config.settings import HostConfig, MySQLEndpoint
from rdconsole.core.snapshot import option_file_text
from rdconsole.hosts.shell import STOP_GRACE_S, ShellError
from rdconsole.hosts.state import create_private

if TYPE_CHECKING:
    from rdconsole.hosts.ssh import SshShell

LOOPBACK_NAMES = frozenset({"127.0.0.1", "::1", "localhost"})
IO_TIMEOUT_S = 60.0
"""A pipe that neither reads nor writes for this long is stuck."""


class PipedProcess(Protocol):
    """A started tool with separate stdin, stdout and stderr."""

    async def read(self) -> bytes:
        """The next stdout chunk; b"" at its end."""
        ...

    async def write(self, data: bytes) -> None: ...

    async def close_stdin(self) -> None: ...

    async def wait(self) -> int | None:
        """The exit status (None: unknown, e.g. the connection was lost)."""
        ...

    def stderr_text(self) -> str:
        """What the tool wrote on stderr so far (its last 4 KiB)."""
        ...

    async def stop(self) -> None: ...


class ByteReader(Protocol):
    async def read(self, n: int = -1) -> bytes: ...


class StderrTail:
    """Keeps the last 4 KiB a tool wrote on stderr (read concurrently so it never blocks)."""

    def __init__(self) -> None:
        self.data = b""

    async def drain(self, reader: ByteReader) -> None:
        while True:
            chunk = await reader.read(4096)
            if not chunk:
                return
            self.data = (self.data + chunk)[-4096:]

    def text(self) -> str:
        return self.data.decode("utf-8", errors="replace").strip()


class _LocalPiped:
    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self._process = process
        self._stderr = StderrTail()
        assert process.stderr is not None
        self._stderr_task = asyncio.ensure_future(self._stderr.drain(process.stderr))

    async def read(self) -> bytes:
        assert self._process.stdout is not None
        return await self._process.stdout.read(262144)

    async def write(self, data: bytes) -> None:
        assert self._process.stdin is not None
        self._process.stdin.write(data)
        await self._process.stdin.drain()

    async def close_stdin(self) -> None:
        if self._process.stdin is not None:
            self._process.stdin.close()
            with contextlib.suppress(OSError):
                await self._process.stdin.wait_closed()

    async def wait(self) -> int | None:
        code = await self._process.wait()
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(asyncio.shield(self._stderr_task), 2.0)
        return code

    def stderr_text(self) -> str:
        return self._stderr.text()

    async def stop(self) -> None:
        if self._process.returncode is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, sig)
            try:
                async with asyncio.timeout(STOP_GRACE_S):
                    await self._process.wait()
                return
            except TimeoutError:
                continue


OPTION_FILE = "{option_file}"
"""Where an argv template names the option file; :meth:`ClientHost.start` fills it in."""


@dataclass
class ClientHost:
    """Where one server's client tools run, and how they get their login.

    Here: an option file in a private directory (removed by :meth:`close`, or by the next run
    after a kill). Over SSH, a tool that needs no stdin reads the option file from its stdin
    (``/dev/stdin``): nothing reaches the remote disk. Only a remote loader, whose stdin carries
    the data, gets a 0600 temporary file there, removed by :meth:`close`.
    """

    description: str
    text: bytes
    _remote: SshShell | None = None
    """When the tools run over SSH (asyncssh is imported only then)."""
    _local_dir: Path | None = None
    _option_file: str | None = None

    async def start(self, template: Sequence[str], *, stdin: bool) -> PipedProcess:
        """Start ``template`` with ``{option_file}`` filled in; ``stdin``: it reads data."""
        if self._remote is not None:
            return await self._start_remote(template, stdin=stdin)
        assert self._option_file is not None
        argv = [a.replace(OPTION_FILE, self._option_file) for a in template]
        try:
            process = await asyncio.create_subprocess_exec(
                *argv,
                stdin=asyncio.subprocess.PIPE if stdin else asyncio.subprocess.DEVNULL,
                stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.PIPE,
                start_new_session=True,
            )
        except OSError as error:
            raise ShellError(f"cannot run {argv[0]}: {error.strerror or error}") from None
        return _LocalPiped(process)

    async def _start_remote(self, template: Sequence[str], *, stdin: bool) -> PipedProcess:
        shell = self._remote
        assert shell is not None
        if stdin:
            path = self._option_file or await _remote_option_file(shell, self.text)
            self._option_file = path
            return await shell.start_piped(
                [a.replace(OPTION_FILE, path) for a in template], stdin=True
            )
        process = await shell.start_piped(
            [a.replace(OPTION_FILE, "/dev/stdin") for a in template], stdin=True
        )
        try:
            await process.write(self.text)
            await process.close_stdin()
        except BaseException:
            await process.stop()
            raise
        return process

    async def close(self) -> None:
        """Remove the option file (and close the SSH connection)."""
        if self._local_dir is not None:
            for path in self._local_dir.iterdir():
                path.unlink(missing_ok=True)
            self._local_dir.rmdir()
            self._local_dir = None
        if self._remote is not None:
            if self._option_file is not None:
                with contextlib.suppress(ShellError, TimeoutError):
                    async with asyncio.timeout(10):
                        await self._remote.run(["rm", "-f", "--", self._option_file])
            await self._remote.close()
            self._remote = None


async def _remote_option_file(shell: SshShell, text: bytes) -> str:
    """A 0600 temporary option file on the remote host (for a tool whose stdin is data)."""
    made = await shell.run(["sh", "-c", "umask 077 && mktemp -t rdconsole-XXXXXXXX.cnf"])
    path = made.stdout.decode().strip()
    if not made.ok or not path:
        raise ShellError(f"{shell.description}: mktemp failed: {made.stderr_text()}")
    wrote = await shell.run(["sh", "-c", 'cat > "$1"', "sh", path], stdin=text)
    if not wrote.ok:
        raise ShellError(f"{shell.description}: cannot write {path}: {wrote.stderr_text()}")
    return path


def runs_remotely(host: HostConfig, endpoint: MySQLEndpoint) -> bool:
    """Whether ``endpoint`` is only reachable from ``host`` itself (socket or its loopback)."""
    if host.local or host.ssh is None:
        return False
    return bool(endpoint.socket) or endpoint.host in LOOPBACK_NAMES


def _option_text(endpoint: MySQLEndpoint) -> str:
    return option_file_text(
        user=endpoint.user or "root",
        password=endpoint.password.reveal() if endpoint.password else "",
        host=endpoint.host,
        port=endpoint.port,
        socket=endpoint.socket,
    )


SCRATCH_PREFIX = "client-"


def _write_local(scratch: Path, text: bytes) -> tuple[Path, Path]:
    os.makedirs(scratch, mode=0o700, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix=SCRATCH_PREFIX, dir=scratch))  # mode 0700
    path = directory / "client.cnf"
    with create_private(path) as file:
        file.write(text)
    return directory, path


def remove_stale_option_files(scratch: Path) -> int:
    """Delete option files a killed run left in ``scratch``; returns how many."""
    removed = 0
    for directory in scratch.glob(f"{SCRATCH_PREFIX}*"):
        for path in directory.iterdir():
            path.unlink(missing_ok=True)
            removed += 1
        directory.rmdir()
    return removed


async def open_client_host(host: HostConfig, endpoint: MySQLEndpoint, scratch: Path) -> ClientHost:
    """Prepare the login of the tools for ``endpoint``: here, an option file in a private
    directory under ``scratch`` (state_dir); on ``host`` over SSH, nothing yet."""
    text = _option_text(endpoint).encode()
    if not runs_remotely(host, endpoint):
        directory, path = _write_local(scratch, text)
        return ClientHost("this host", text, _local_dir=directory, _option_file=str(path))
    from rdconsole.hosts.ssh import SshShell

    assert host.ssh is not None
    shell = SshShell(host.host, host.ssh)
    return ClientHost(shell.description, text, _remote=shell)
