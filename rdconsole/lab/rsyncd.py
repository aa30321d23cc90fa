"""The master's audio store as Rivendell's hot standby sees it: an rsync daemon on loopback.

Also home of the small process-tree helpers the audio lab shares with :mod:`rdconsole.lab.sshd`
(both servers fork a child per connection, and a stopped lab must leave none behind).
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import time
from pathlib import Path

from rdconsole.lab.audio import GUARD_NAME
from rdconsole.lab.client import LabError
from rdconsole.lab.process import (
    LOOPBACK,
    Lifecycle,
    descendants,
    log_tail,
    signal_processes,
    stop_tree,
    wait_for_greeting,
)
from rdconsole.lab.server import free_ports


class RsyncDaemon(Lifecycle):
    """``rsync --daemon`` on 127.0.0.1 serving ``store`` read-only as ``module``.

    Its files live in ``root`` (``rsyncd.conf``, ``rsyncd.pid``, ``rsyncd.lock``, ``rsyncd.log``,
    and ``rsyncd.secrets`` with mode 0600 when ``secrets`` maps user names to passwords: the
    module then requires daemon authentication, e.g. ``RSYNC_PASSWORD`` with
    ``rsync://USER@127.0.0.1:PORT/rivendell/``). The port is fixed at construction (a free one
    unless given), so :attr:`url` is valid before :meth:`start` and across restarts.
    """

    def __init__(
        self,
        root: Path,
        store: Path,
        *,
        module: str = "rivendell",
        port: int | None = None,
        secrets: dict[str, str] | None = None,
        startup_timeout: float = 10.0,
    ) -> None:
        rsync = shutil.which("rsync")
        if rsync is None:
            raise LabError("rsync not found: install the Debian package rsync")
        for user, password in (secrets or {}).items():
            if not user or any(c in user for c in ":, \t\n") or "\n" in password:
                raise ValueError(f"unusable rsync daemon user or password for {user!r}")
        self._rsync = rsync
        self.root = root
        self.store = store
        self.module = module
        self.secrets = dict(secrets or {})
        self.startup_timeout = startup_timeout
        self._port = port if port is not None else free_ports(1)[0]
        self.config_path = root / "rsyncd.conf"
        self.startup_seconds: float | None = None
        """Seconds the last :meth:`start` took until the daemon sent its ``@RSYNCD:`` greeting."""
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        """``rsync://127.0.0.1:PORT/MODULE/``, the directory form of the module."""
        return f"rsync://{LOOPBACK}:{self._port}/{self.module}/"

    @property
    def log_path(self) -> Path:
        """The daemon's log: connections, transfers (``transfer logging``) and start-up errors."""
        return self.root / "rsyncd.log"

    @property
    def pid(self) -> int | None:
        """PID of the listening daemon while it runs (or is hung), else None."""
        return self._process.pid if self._process and self._process.poll() is None else None

    def start(self) -> RsyncDaemon:
        """Write the configuration, start the daemon and wait for its greeting; on failure stop
        it and raise LabError with the end of its log. No-op while running."""
        if self.pid is not None:
            return self
        began = time.monotonic()
        self.root.mkdir(parents=True, exist_ok=True)
        self._write_config()
        atexit.register(self.stop)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self._rsync, "--daemon", "--no-detach", f"--config={self.config_path}"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        try:
            wait_for_greeting(
                "rsync", self._process, self._port, b"@RSYNCD:", self.startup_timeout, self.log_path
            )
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """End the daemon and its per-connection children: running pulls fail with code 20, or
        12 if no file had started yet. Idempotent; also registered with ``atexit``."""
        if self._process is not None:
            stop_tree(self._process)
        atexit.unregister(self.stop)

    def hang(self) -> None:
        """SIGSTOP the daemon and its children: a hung host. The kernel still completes new TCP
        connections, so ``--contimeout`` does not fire; only ``--timeout`` or a watchdog ends a
        client."""
        self._signal_all(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after :meth:`hang` (harmless otherwise)."""
        self._signal_all(signal.SIGCONT)

    def remove_guard(self) -> None:
        """Delete ``repl.chk`` from the store: the probe then fails with code 23."""
        (self.store / GUARD_NAME).unlink(missing_ok=True)

    def restore_guard(self) -> None:
        """Create the empty ``repl.chk`` again."""
        (self.store / GUARD_NAME).touch()

    def log_tail(self, lines: int = 20) -> str:
        return log_tail(self.log_path, lines)

    def _signal_all(self, signum: signal.Signals) -> None:
        process = self._process
        if process is not None and process.poll() is None:
            tree = descendants(process.pid)
            process.send_signal(signum)
            signal_processes(tree, signum)

    def _write_config(self) -> None:
        module = [
            f"[{self.module}]",
            f"path = {self.store}",
            "read only = true",
            "comment = Rivendell audio store (rdconsole lab)",
        ]
        if self.secrets:
            secrets_path = self.root / "rsyncd.secrets"
            secrets_path.touch(mode=0o600)
            secrets_path.chmod(0o600)  # rsync refuses a secrets file others can read
            lines = "".join(f"{user}:{password}\n" for user, password in self.secrets.items())
            secrets_path.write_text(lines, encoding="utf-8")
            module += [f"auth users = {', '.join(self.secrets)}", f"secrets file = {secrets_path}"]
        config = [
            f"port = {self._port}",
            f"address = {LOOPBACK}",
            f"pid file = {self.root / 'rsyncd.pid'}",
            f"lock file = {self.root / 'rsyncd.lock'}",  # for max connections; default is in /run
            f"log file = {self.log_path}",
            "use chroot = false",
            "max connections = 8",
            "transfer logging = true",
            # Run as the caller: a root daemon would otherwise switch to nobody, who cannot read a
            # store below pytest's mode-0700 temporary directories.
            f"uid = {os.getuid()}",
            f"gid = {os.getgid()}",
            *module,
        ]
        self.config_path.write_text("\n".join(config) + "\n", encoding="utf-8")
