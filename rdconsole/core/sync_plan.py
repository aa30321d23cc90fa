"""The exact rsync commands of an audio mirror run, and the guards' decisions (pure).

The mirror pulls the *whole* module directory (``rsync://master/rivendell/``, trailing slash)
so that ``--delete`` can work, unlike the seed's ``*.wav`` glob which never deletes anything.
Ownership and modes are set to Rivendell's audio owner (``--chown``/``--chmod``) instead of being
copied, and deleted files are moved to a dated trash folder with ``--backup-dir``.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from rdconsole.core.rsync_output import OUT_FORMAT

RSYNC_TEMP_GLOB = ".*.??????"
"""The names rsync gives files while it writes them (``.NAME.XXXXXX``)."""
DAEMON_SOCKOPTS = "--sockopts=TCP_NODELAY"
"""The client's socket options for an rsync daemon (the daemon's own are its configuration's)."""


@dataclass(frozen=True)
class MirrorSource:
    """Where the master serves its store, as settings give it."""

    host: str
    transport: str
    """``daemon`` or ``ssh``."""
    module: str
    port: int
    path: str
    guard_file: str
    timeout: int
    contimeout: int
    user: str | None = None
    password_file: str | None = None
    bwlimit: int = 0

    @property
    def url(self) -> str:
        """The directory to pull, with its trailing slash."""
        if self.transport == "ssh":
            login = f"{self.user}@" if self.user else ""
            return f"{login}{self.host}:{self.path.rstrip('/')}/"
        login = f"{self.user}@" if self.user else ""
        return f"rsync://{login}{self.host}:{self.port}/{self.module}/"

    def connection_options(self, *, io_timeout: bool = True) -> list[str]:
        """Transport options; ``io_timeout`` False leaves out ``--timeout`` (for short probes
        that are bounded by the caller)."""
        options = [f"--timeout={self.timeout}"] if io_timeout else []
        if self.transport == "ssh":
            ssh = f"ssh -p {self.port} -o BatchMode=yes -o ConnectTimeout={self.contimeout}"
            options.append(f"--rsh={ssh}")
        else:
            # Without TCP_NODELAY, each small message of the daemon protocol's handshake waits
            # for the peer's delayed ACK: about 40 ms a round, 0.05-0.06 s a session on loopback.
            options += [f"--contimeout={self.contimeout}", DAEMON_SOCKOPTS]
            if self.password_file:
                options.append(f"--password-file={self.password_file}")
        return options


@dataclass(frozen=True)
class MirrorTarget:
    """The standby's mirror directory and what its files must look like."""

    dir: str
    trash_dir: str
    owner: str
    group: str
    delete: bool
    max_delete: int
    max_delete_ratio: float
    set_owner: bool
    """Only root may chown; without it the files keep the running user's ownership."""


def guard_command(source: MirrorSource) -> list[str]:
    """Lists the guard file: exit 0 present, 23 missing, anything else the master is unreachable.
    Without the daemon's message of the day, the output is the listing and rsync's messages."""
    options = source.connection_options(io_timeout=False)
    if source.transport != "ssh":
        options.append("--no-motd")
    return ["rsync", *options, source.url + source.guard_file]


_LISTING = re.compile(r"[-a-zA-Z][-a-zA-Z]{9} +[\d,.]{1,40} \d{4}/\d\d/\d\d \d\d:\d\d:\d\d (.+)")
"""One entry of rsync's listing: ``-rw-r--r--   1,234 2026/11/27 03:00:04 NAME``."""


def guard_listed(line: str, source: MirrorSource) -> bool:
    """Whether ``line`` of the guard command's output lists the guard file: the master has it.

    rsync prints the listing as soon as the file list arrives, before its session ends (about
    0.06 s more on loopback), so a caller may act on this line without waiting for the exit code.
    Names that rsync would escape (``\\#ooo``), and symlinks (``NAME -> TARGET``), never match:
    the exit code decides for them.
    """
    listed = _LISTING.fullmatch(line)
    return listed is not None and listed[1] == PurePosixPath(source.guard_file).name


def mirror_command(
    source: MirrorSource, target: MirrorTarget, started: datetime, *, dry_run: bool
) -> list[str]:
    """The transfer. ``dry_run`` lists what would change (and be deleted) without changing it."""
    command = ["nice", "-n", "15", "ionice", "-c", "3"] if not dry_run else []
    command += [
        "rsync",
        "--recursive",
        "--links",
        "--times",
        "--perms",
        "--chmod=D0775,F0664",
        *source.connection_options(),
        "--verbose",
        f"--out-format={OUT_FORMAT}",
        "--exclude=" + RSYNC_TEMP_GLOB,
    ]
    if target.set_owner:
        command.append(f"--chown={target.owner}:{target.group}")
    if dry_run:
        command += ["--dry-run", "--delete"]
    else:
        command.append("--progress")
        if source.bwlimit:
            command.append(f"--bwlimit={source.bwlimit}")
        if target.delete:
            trash = PurePosixPath(target.trash_dir) / started.strftime("%Y-%m-%dT%H%M%S")
            command += [
                "--delete-after",
                f"--max-delete={target.max_delete}",
                "--backup",
                f"--backup-dir={trash}",
            ]
    command += [source.url, target.dir.rstrip("/") + "/"]
    return command


def shell_line(command: Sequence[str]) -> str:
    """The command as a user would type it (it holds no secret: passwords go through files)."""
    return shlex.join(command)


@dataclass(frozen=True)
class DeleteDecision:
    allowed: bool
    reason: str


def judge_deletions(would_delete: int, standby_files: int, target: MirrorTarget) -> DeleteDecision:
    """Whether a run may delete ``would_delete`` of the standby's ``standby_files`` files."""
    if would_delete == 0:
        return DeleteDecision(True, "nothing to delete")
    if not target.delete:
        return DeleteDecision(
            True, f"{would_delete} file(s) gone from the master stay on the standby (delete off)"
        )
    if would_delete > target.max_delete:
        return DeleteDecision(
            False,
            f"would delete {would_delete} files, more than max_delete = {target.max_delete}",
        )
    share = would_delete / max(1, standby_files)
    if share > target.max_delete_ratio:
        return DeleteDecision(
            False,
            f"would delete {would_delete} of {standby_files} files ({share:.1%}), more than "
            f"max_delete_ratio = {target.max_delete_ratio:.1%}",
        )
    return DeleteDecision(True, f"{would_delete} file(s) will move to the trash folder")


def classify_guard_exit(code: int | None) -> tuple[bool | None, str]:
    """(guard present?, why) from the guard command's exit code; None: could not tell."""
    if code == 0:
        return True, "guard file present"
    if code == 23:
        return False, "guard file missing on the master (rsync exit 23)"
    reasons = {
        5: "the rsync daemon refused the module (exit 5)",
        10: "cannot connect to the master's rsync service (exit 10)",
        12: "connection to the master broke (exit 12)",
        30: "the master's rsync service timed out (exit 30)",
        35: "timed out connecting to the master's rsync daemon (exit 35)",
        255: "SSH to the master failed (exit 255)",
    }
    return None, reasons.get(code or -1, f"the master could not be checked (rsync exit {code})")


RSYNC_OK_CODES = frozenset({0, 24})
"""24: files vanished on the master during the run (deleted meanwhile): a normal outcome."""
