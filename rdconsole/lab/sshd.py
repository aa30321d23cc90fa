"""A standby reachable over SSH: OpenSSH's sshd on loopback with keys of its own.

Host keys are always verified: the lab writes a ``known_hosts`` file for its host key and hands
it to every client (asyncssh ``known_hosts=``, OpenSSH ``UserKnownHostsFile``). OpenSSH refuses
signal requests for root sessions (lab.md §5), so code that must stop a remote command needs its
own kill path; :meth:`SshServer.kill_sessions` drops connections from the server side.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import signal
import subprocess
import time
from pathlib import Path

from rdconsole.lab.client import LabError
from rdconsole.lab.process import (
    LOOPBACK,
    STOP_GRACE,
    Lifecycle,
    ProcessInfo,
    descendants,
    log_tail,
    signal_processes,
    stop_tree,
    wait_for_greeting,
    wait_gone,
)
from rdconsole.lab.server import free_ports

HOST_ALIAS = "rdlab-standby"
"""The ``Host`` name of the client stanza :meth:`SshServer.ssh_config` writes."""
PRIVSEP_DIR = Path("/run/sshd")
"""sshd refuses to start without it: ``Missing privilege separation directory: /run/sshd``."""
_SBIN_PATH = os.pathsep.join(("/usr/sbin", "/usr/local/sbin", "/sbin"))


class SshServer(Lifecycle):
    """``/usr/sbin/sshd -D -e`` on 127.0.0.1, accepting :attr:`client_key` for the current user.

    Everything lives in ``root`` (mode 0700): host and client ed25519 keys (made once, kept
    across restarts), ``authorized_keys``, ``known_hosts``, ``sshd_config``, ``sshd.pid`` and
    ``sshd.log`` (sshd's stderr at ``LogLevel VERBOSE``). The port is fixed at construction.
    """

    def __init__(
        self, root: Path, *, port: int | None = None, startup_timeout: float = 10.0
    ) -> None:
        sshd = shutil.which("sshd", path=_SBIN_PATH)
        if sshd is None:
            raise LabError("sshd not found: install the Debian package openssh-server")
        keygen = shutil.which("ssh-keygen")
        if keygen is None:
            raise LabError("ssh-keygen not found: install the Debian package openssh-client")
        # sshd re-executes itself and so must be started by an absolute path.
        self._sshd = os.path.abspath(sshd)
        self._keygen = keygen
        self.root = root
        self.startup_timeout = startup_timeout
        self._port = port if port is not None else free_ports(1)[0]
        self.user = pwd.getpwuid(os.getuid()).pw_name
        """The login name clients use: the user running the lab (sshd runs as that user)."""
        self.host_key = root / "ssh_host_ed25519_key"
        self.config_path = root / "sshd_config"
        self.banner: str | None = None
        """The server's identification line, e.g. ``SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u10``."""
        self.startup_seconds: float | None = None
        """Seconds the last :meth:`start` took, key generation included, until the banner."""
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def port(self) -> int:
        return self._port

    @property
    def client_key(self) -> Path:
        """The private key (no passphrase) that ``authorized_keys`` accepts."""
        return self.root / "client_key"

    @property
    def known_hosts(self) -> Path:
        """One line, ``[127.0.0.1]:PORT ssh-ed25519 ...``: the only key clients should trust."""
        return self.root / "known_hosts"

    @property
    def log_path(self) -> Path:
        return self.root / "sshd.log"

    @property
    def pid(self) -> int | None:
        """PID of the listening sshd while it runs, else None."""
        return self._process.pid if self._process and self._process.poll() is None else None

    def start(self) -> SshServer:
        """Prepare keys and configuration, check it with ``sshd -t``, start sshd and wait for
        its banner; on failure stop it and raise LabError. No-op while running."""
        if self.pid is not None:
            return self
        began = time.monotonic()
        self._prepare()
        atexit.register(self.stop)
        with self.log_path.open("ab") as log:
            self._process = subprocess.Popen(
                [self._sshd, "-D", "-e", "-f", str(self.config_path)],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        try:
            banner = wait_for_greeting(
                "sshd", self._process, self._port, b"SSH-", self.startup_timeout, self.log_path
            )
        except BaseException:
            self.stop()
            raise
        self.banner = banner.decode(errors="replace")
        self.startup_seconds = time.monotonic() - began
        return self

    def stop(self) -> None:
        """End the listener, every connection and the commands they run. Idempotent; also
        registered with ``atexit``."""
        if self._process is not None:
            stop_tree(self._process)
        atexit.unregister(self.stop)

    def session_processes(self) -> list[ProcessInfo]:
        """The per-connection sshd processes below the listener (not the commands they run)."""
        pid = self.pid
        return [p for p in descendants(pid) if p.comm == "sshd"] if pid is not None else []

    def kill_sessions(self) -> int:
        """SIGKILL every per-connection sshd, not the listener, and return how many there were.

        Clients see their connection closed at once (a dropped link both ends notice, not a
        silent partition) and new connections still work. The commands the sessions ran are
        left alone, as after a real drop: they end when their pipes break.
        """
        sessions = self.session_processes()
        signal_processes(sessions, signal.SIGKILL)
        if wait_gone(sessions, STOP_GRACE):
            raise LabError("per-connection sshd processes survived SIGKILL")
        return len(sessions)

    def ssh_config(self, path: Path, host: str = HOST_ALIAS) -> Path:
        """Write an OpenSSH client configuration (mode 0600) with one ``Host host`` stanza for
        this server, for ``ssh -F path host`` or ``rsync -e 'ssh -F path'``; return ``path``."""
        lines = [
            f"Host {host}",
            f"    HostName {LOOPBACK}",
            f"    Port {self._port}",
            f"    User {self.user}",
            f'    IdentityFile "{self.client_key}"',
            f'    UserKnownHostsFile "{self.known_hosts}"',
            "    IdentitiesOnly yes",
            "    StrictHostKeyChecking yes",
            "    BatchMode yes",
        ]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        path.chmod(0o600)  # ssh rejects a config file others may write
        return path

    def log_tail(self, lines: int = 20) -> str:
        return log_tail(self.log_path, lines)

    def _prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.root.chmod(0o700)
        for key, comment in ((self.host_key, "rdlab host"), (self.client_key, "rdlab client")):
            if not key.exists():
                self._run([self._keygen, "-q", "-t", "ed25519", "-N", "", "-C", comment, "-f"], key)
        public_client = Path(f"{self.client_key}.pub").read_text(encoding="utf-8")
        (self.root / "authorized_keys").write_text(public_client, encoding="utf-8")
        key_type, key_data = Path(f"{self.host_key}.pub").read_text(encoding="utf-8").split()[:2]
        self.known_hosts.write_text(
            f"[{LOOPBACK}]:{self._port} {key_type} {key_data}\n", encoding="utf-8"
        )
        settings = [
            f"Port {self._port}",
            f"ListenAddress {LOOPBACK}",
            f'HostKey "{self.host_key}"',
            f'PidFile "{self.root / "sshd.pid"}"',
            f'AuthorizedKeysFile "{self.root / "authorized_keys"}"',
            "PermitRootLogin prohibit-password",
            "PubkeyAuthentication yes",
            "PasswordAuthentication no",
            "KbdInteractiveAuthentication no",
            "UsePAM no",
            "StrictModes no",  # keys below /tmp (mode 1777) fail the ownership checks
            "AcceptEnv LANG LC_*",
            "Subsystem sftp internal-sftp",
            "LogLevel VERBOSE",
            "ClientAliveInterval 5",
        ]
        self.config_path.write_text("\n".join(settings) + "\n", encoding="utf-8")
        if not PRIVSEP_DIR.is_dir():
            try:
                PRIVSEP_DIR.mkdir(parents=True)
                PRIVSEP_DIR.chmod(0o755)
            except OSError as error:
                raise LabError(f"cannot create {PRIVSEP_DIR} (run as root): {error}") from None
        self._run([self._sshd, "-t", "-f"], self.config_path)

    def _run(self, command: list[str], path: Path) -> None:
        """Run ``command`` with ``path`` appended; raise LabError with its output if it fails."""
        result = subprocess.run([*command, str(path)], capture_output=True, timeout=30, check=False)
        if result.returncode != 0:
            output = (result.stderr or result.stdout).decode(errors="replace").strip()
            raise LabError(f"{command[0]} failed for {path} ({result.returncode}): {output}")
