"""The exact rsync commands of an audio mirror run, and the guards' decisions (pure).

The mirror pulls the *whole* module directory (``rsync://master/rivendell/``, trailing slash)
so that ``--delete`` can work, unlike the seed's ``*.wav`` glob which never deletes anything.
Ownership and modes are set to Rivendell's audio owner (``--chown``/``--chmod``) instead of being
copied, and deleted files are moved to a dated trash folder with ``--backup-dir``.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import PurePosixPath

from rdconsole.core.rsync_output import OUT_FORMAT

RSYNC_TEMP_GLOB = ".*.??????"
"""The names rsync gives files while it writes them (``.NAME.XXXXXX``)."""


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
            options.append(f"--contimeout={self.contimeout}")
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
    """Lists the guard file: exit 0 present, 23 missing, anything else the master is unreachable."""
    return ["rsync", *source.connection_options(io_timeout=False), source.url + source.guard_file]


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
