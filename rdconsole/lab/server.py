"""One mariadbd of the lab: option file, data directory, process, and root SQL over its socket.

Root logs in over the unix socket without a password (``mariadb-install-db
--auth-root-authentication-method=normal``), so the lab needs no password of its own.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from rdconsole.lab.client import HeldSession, LabError, Row, client_env, parse_batch, redact

_SBIN_DIRS = ("/usr/sbin", "/usr/local/sbin", "/sbin")
_INSTALL_HINT = "install the Debian package mariadb-server (apt-get install mariadb-server)"
_MAX_SOCKET_PATH = 107
"""sun_path holds 108 bytes including the terminating NUL."""
_STOP_GRACE = 5.0
"""Seconds between SIGTERM and SIGKILL."""


@dataclass(frozen=True)
class Tools:
    """Absolute paths of the MariaDB programs the lab runs."""

    mariadbd: str
    install_db: str
    client: str
    dump: str


def find_tools(search_path: str | None = None) -> Tools:
    """Locate the MariaDB programs on ``search_path`` (default: ``$PATH`` plus the sbin dirs)."""
    if search_path is None:
        search_path = os.pathsep.join([os.environ.get("PATH", os.defpath), *_SBIN_DIRS])
    found: dict[str, str] = {}
    for name in ("mariadbd", "mariadb-install-db", "mariadb", "mariadb-dump"):
        path = shutil.which(name, path=search_path)
        if path is None:
            raise LabError(f"{name} not found: {_INSTALL_HINT}")
        found[name] = path
    return Tools(
        mariadbd=found["mariadbd"],
        install_db=found["mariadb-install-db"],
        client=found["mariadb"],
        dump=found["mariadb-dump"],
    )


def free_ports(count: int) -> list[int]:
    """``count`` distinct free TCP ports on 127.0.0.1, chosen by the kernel (binding port 0)."""
    held: list[socket.socket] = []
    try:
        while len(held) < count:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            held.append(sock)
        return [sock.getsockname()[1] for sock in held]
    finally:
        for sock in held:
            sock.close()


def kill_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGKILL the session leader ``process`` (started with ``start_new_session``) and all its
    group, such as the bootstrap mariadbd under ``mariadb-install-db``; wait for the leader.
    No-op once it has exited."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


class MariaDBServer:
    """One mariadbd under ``root/name``: ``my.cnf``, ``data/``, ``run/mysqld.sock``, ``log/``,
    ``tmp/``, listening on ``port``; ``options`` are its further ``[mariadbd]`` settings.

    Only processes this object started are ever signalled, through their ``Popen``, and every
    one is waited for, so no zombie is left behind.
    """

    def __init__(
        self, name: str, root: Path, port: int, options: Mapping[str, str], tools: Tools
    ) -> None:
        self.name = name
        self.port = port
        self.dir = root / name
        self.datadir = self.dir / "data"
        self.socket = self.dir / "run" / "mysqld.sock"
        self.error_log = self.dir / "log" / "error.log"
        self.config = self.dir / "my.cnf"
        self.tmpdir = self.dir / "tmp"
        self._options = dict(options)
        self._tools = tools
        self._process: subprocess.Popen[bytes] | None = None
        if len(os.fsencode(self.socket)) > _MAX_SOCKET_PATH:
            raise LabError(
                f"{name}: socket path {self.socket} is longer than {_MAX_SOCKET_PATH} bytes; "
                "give the lab a shorter root directory"
            )

    @property
    def pid(self) -> int | None:
        """The PID of the running (or paused) mariadbd, None when it is not running."""
        return self._process.pid if self.running and self._process else None

    @property
    def running(self) -> bool:
        """mariadbd was started and has not exited (it may be paused by :meth:`pause`)."""
        return self._process is not None and self._process.poll() is None

    def begin_install(self) -> subprocess.Popen[bytes]:
        """Write ``my.cnf`` and start ``mariadb-install-db``; finish with :meth:`end_install`."""
        for directory in (self.datadir, self.socket.parent, self.error_log.parent, self.tmpdir):
            directory.mkdir(parents=True, exist_ok=True)
        options = {
            "datadir": self.datadir,
            "socket": self.socket,
            "pid-file": self.socket.parent / "mysqld.pid",
            "log-error": self.error_log,
            # Its own tmpdir: bootstraps sharing /tmp have failed on each other's temporary tables.
            "tmpdir": self.tmpdir,
            "port": self.port,
            **self._options,
        }
        lines = ["[mariadbd]", *(f"{key}={value}" for key, value in options.items())]
        self.config.write_text("\n".join(lines) + "\n", encoding="utf-8")
        with (self.dir / "log" / "install.log").open("wb") as log:
            return subprocess.Popen(
                [
                    self._tools.install_db,
                    f"--defaults-file={self.config}",
                    *self._user_option(),
                    "--auth-root-authentication-method=normal",
                    "--skip-test-db",
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                env=client_env(),
                start_new_session=True,
            )

    def end_install(self, process: subprocess.Popen[bytes], timeout: float) -> None:
        """Wait for ``mariadb-install-db``; raise LabError with its output if it failed."""
        try:
            returncode = process.wait(timeout)
        except subprocess.TimeoutExpired:
            kill_process_group(process)
            raise LabError(f"{self.name}: mariadb-install-db took over {timeout:g} s") from None
        if returncode != 0:
            # The bootstrap's own messages land in error.log; install.log is mostly boilerplate.
            raise LabError(
                f"{self.name}: mariadb-install-db exited {returncode} (output in "
                f"{self.dir / 'log' / 'install.log'}); {self.error_log} ends with:\n"
                + self.log_tail()
            )

    def launch(self) -> None:
        """Start mariadbd without waiting; :meth:`wait_ready` waits."""
        if self.running:
            return
        # stdout/stderr go to error.log too: mariadbd reports some failures (running as root
        # without --user) before it opens its log file.
        with self.error_log.open("ab") as log:
            self._process = subprocess.Popen(
                [self._tools.mariadbd, f"--defaults-file={self.config}", *self._user_option()],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                env=client_env(),
                start_new_session=True,
            )

    def wait_ready(self, timeout: float) -> None:
        """Wait until mariadbd sends its protocol greeting on the unix socket."""
        deadline = time.monotonic() + timeout
        while not self._greets():
            process = self._process
            if process is None or process.poll() is not None:
                code = None if process is None else process.returncode
                raise LabError(
                    f"{self.name}: mariadbd exited with status {code} during start-up; "
                    f"{self.error_log} ends with:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise LabError(
                    f"{self.name}: mariadbd not ready on {self.socket} after {timeout:g} s; "
                    f"{self.error_log} ends with:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def start(self, timeout: float) -> None:
        """Start mariadbd (if not running) and wait until it accepts connections."""
        self.launch()
        self.wait_ready(timeout)

    def stop(self) -> None:
        """SIGTERM (and SIGCONT, in case it is paused), SIGKILL after a grace; wait. Idempotent."""
        process = self._process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        process.send_signal(signal.SIGCONT)
        try:
            process.wait(_STOP_GRACE)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill(self) -> None:
        """SIGKILL mariadbd and wait for it: a crash."""
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait()

    def pause(self) -> None:
        """SIGSTOP mariadbd: connections are accepted by the kernel but never answered."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT mariadbd (harmless when it is not paused)."""
        if self._process is not None and self._process.poll() is None:
            self._process.send_signal(signal.SIGCONT)

    def client_command(self, *options: str) -> list[str]:
        """argv of the ``mariadb`` client logged in as root over the unix socket."""
        return [
            self._tools.client,
            "--no-defaults",
            f"--socket={self.socket}",
            "--user=root",
            "--batch",
            "--raw",
            "--connect-timeout=5",
            *options,
        ]

    def dump_command(self, *options: str) -> list[str]:
        """argv of ``mariadb-dump`` logged in as root over the unix socket."""
        return [
            self._tools.dump,
            "--no-defaults",
            f"--socket={self.socket}",
            "--user=root",
            *options,
        ]

    def sql(self, sql: str, timeout: float = 10.0) -> list[Row]:
        """Run ``sql`` as root and return the rows of its result.

        ``sql`` is one statement, optionally preceded by statements that return no rows (such as
        ``SET sql_log_bin=0;``): the client prints result sets back to back. Values must not
        contain tabs or newlines (``--raw``); the string ``NULL`` reads as None.
        """
        try:
            result = subprocess.run(
                self.client_command(),
                input=sql.encode(),
                capture_output=True,
                timeout=timeout,
                env=client_env(),
                check=False,
            )
        except subprocess.TimeoutExpired:
            raise LabError(
                f"{self.name}: no answer within {timeout:g} s to: {redact(sql)}"
            ) from None
        if result.returncode != 0:
            error = result.stderr.decode(errors="replace").strip()
            raise LabError(f"{self.name}: {redact(error)} (running: {redact(sql)})")
        return parse_batch(result.stdout.decode(errors="replace"))

    def held_session(self) -> HeldSession:
        """A root session kept open between statements, for locks that die with their session."""
        return HeldSession(self.name, self.client_command("--unbuffered"))

    def log_tail(self, lines: int = 20) -> str:
        return _tail(self.error_log, lines)

    def _greets(self) -> bool:
        """True when the server sends a protocol-10 handshake (a 4-byte header, then 0x0a)."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(1.0)
            try:
                sock.connect(os.fspath(self.socket))
                header = sock.recv(5)
            except OSError:
                return False
        return len(header) == 5 and header[4] == 10

    @staticmethod
    def _user_option() -> list[str]:
        # As root, mariadbd refuses to start without --user=root.
        return ["--user=root"] if os.geteuid() == 0 else []


def _tail(path: Path, lines: int) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        return f"(cannot read {path}: {error})"
    return "\n".join(text.splitlines()[-lines:])
