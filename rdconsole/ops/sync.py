"""``rdconsole sync``: the guarded audio mirror run, shared by the CLI, the timer and the console.

Order: lock -> layout guard (never into a live store) -> guard file on the master -> stale temp
files removed -> deletion count and bounds (dry run) -> transfer -> temp files removed (when rsync
did not end cleanly) -> result in the state file and the audit log. Any refusal changes nothing
on the standby.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import os
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.rsync_output import Deleted, FileStarted, RsyncEvent
from rdconsole.core.rsync_progress import SyncProgress
from rdconsole.core.sync_plan import (
    RSYNC_OK_CODES,
    RSYNC_TEMP_GLOB,
    DeleteDecision,
    MirrorSource,
    MirrorTarget,
    judge_deletions,
    mirror_command,
    shell_line,
)
from rdconsole.hosts.rsync import RsyncRun, stream_rsync
from rdconsole.hosts.shell import Shell, ShellError, shell_for
from rdconsole.hosts.state import (
    AuditLog,
    BackgroundStateWriter,
    LockBusy,
    RunLock,
    now_text,
    read_state_file,
    write_state_file,
)
from rdconsole.ops.mirror_checks import PROBE_TIMEOUT_S, probe_guard, probe_layout

if TYPE_CHECKING:
    from rdconsole.ops.monitor import SyncRunner

STATE_EVERY_S = 1.0


class SyncExit(enum.IntEnum):
    """``rdconsole sync`` exit codes (documented in the README)."""

    OK = 0
    REFUSED = 1
    RSYNC_FAILED = 2
    CONFIG = 3
    BUSY = 4


class SyncObserver(Protocol):
    def phase(self, text: str) -> None: ...

    def events(self, events: Sequence[RsyncEvent], progress: SyncProgress) -> None:
        """``events`` were parsed from one read of rsync's output; ``progress`` is after them."""


@dataclass(frozen=True)
class SyncOutcome:
    exit: SyncExit
    message: str
    command: str | None = None
    would_transfer: tuple[str, ...] = ()
    would_delete: tuple[str, ...] = ()
    record: dict[str, Any] = field(default_factory=dict)


def sync_paths(settings: Settings, standby: HostConfig) -> tuple[Path, Path]:
    """(lock file, state file) of ``standby``'s mirror runs."""
    state_dir = settings.console.state_dir
    return state_dir / f"sync-{standby.name}.lock", state_dir / f"sync-{standby.name}.json"


def mirror_source(master: HostConfig) -> MirrorSource:
    rsync = master.rsync
    return MirrorSource(
        host=master.host,
        transport=rsync.transport,
        module=rsync.module,
        port=rsync.port,
        path=rsync.path,
        guard_file=rsync.guard_file,
        timeout=rsync.timeout,
        contimeout=rsync.contimeout,
        user=rsync.user,
        password_file=str(rsync.password_file) if rsync.password_file else None,
        bwlimit=rsync.bwlimit,
    )


def mirror_target(standby: HostConfig, *, as_root: bool) -> MirrorTarget:
    audio = standby.audio
    return MirrorTarget(
        dir=str(audio.dir),
        trash_dir=str(audio.trash_dir),
        owner=audio.owner,
        group=audio.group,
        delete=audio.delete,
        max_delete=audio.max_delete,
        max_delete_ratio=audio.max_delete_ratio,
        set_owner=as_root,
    )


class _Run:
    """One sync run: holds its shell, clock and records."""

    def __init__(
        self,
        settings: Settings,
        standby: HostConfig,
        shell: Shell,
        observer: SyncObserver | None,
        finishing: set[asyncio.Task[None]],
    ) -> None:
        self.settings = settings
        self.standby = standby
        self.shell = shell
        self.observer = observer
        self.started = datetime.now(UTC)
        self.source = mirror_source(settings.master)
        self.target = mirror_target(standby, as_root=False)
        """``set_owner`` is learned with the first checks (only root may chown)."""
        self.state_path = sync_paths(settings, standby)[1]
        self.previous_state: dict[str, Any] = {}
        self.finishing = finishing
        """Guard commands ending their session after they answered (awaited before the end)."""

    def phase(self, text: str) -> None:
        if self.observer is not None:
            self.observer.phase(text)

    async def check_layout(self) -> str | None:
        """Why the mirror must not run on this host's layout, or None."""
        layout = await probe_layout(self.shell, self.standby)
        mirror = self.standby.audio.dir
        if layout.live_on_mirror:
            return (
                f"{self.standby.rivendell.snd} points at the mirror {mirror}: this standby is "
                f"live (mode {layout.mode.value}); a sync would overwrite audio recorded here. "
                "Switch back with `rdconsole switch master` first"
            )
        if not layout.mirror_present:
            return (
                f"the mirror directory {mirror} does not exist on {self.standby.name}; create it: "
                f"mkdir -p {mirror} && chown {self.target.owner}:{self.target.group} {mirror}"
            )
        return None

    async def check_guard(self) -> str | None:
        guard = await probe_guard(self.shell, self.source, finishing=self.finishing)
        return None if guard.present else guard.detail

    async def remove_temp_files(self) -> None:
        """Temp files a killed rsync left (``.NAME.XXXXXX``) in the mirror."""
        command = [
            "find",
            str(self.standby.audio.dir),
            "-maxdepth",
            "1",
            "-type",
            "f",
            "-name",
            RSYNC_TEMP_GLOB,
            "-delete",
        ]
        async with asyncio.timeout(PROBE_TIMEOUT_S):
            await self.shell.run(command)

    async def count_files(self) -> int:
        command = ["find", str(self.standby.audio.dir), "-type", "f", "-printf", "."]
        async with asyncio.timeout(PROBE_TIMEOUT_S * 3):
            result = await self.shell.run(command)
        return len(result.stdout)

    async def preview(self) -> tuple[list[str], list[str], DeleteDecision, str | None]:
        """(would transfer, would delete, deletion decision, error) from an rsync dry run."""
        transfer: list[str] = []
        delete: list[str] = []

        def collect(events: list[RsyncEvent], _: SyncProgress) -> None:
            for event in events:
                if isinstance(event, Deleted):
                    delete.append(event.name)
                elif isinstance(event, FileStarted):
                    transfer.append(event.name)

        command = mirror_command(self.source, self.target, self.started, dry_run=True)
        run = await stream_rsync(
            self.shell, command, idle_timeout=self.idle_timeout, on_events=collect
        )
        if run.exit_code not in RSYNC_OK_CODES:
            message = run.progress.last_message.text if run.progress.last_message else ""
            return (
                transfer,
                delete,
                DeleteDecision(False, ""),
                (f"the dry run failed (rsync exit {run.exit_code}) {message}".strip()),
            )
        decision = judge_deletions(len(delete), await self.count_files(), self.target)
        return transfer, delete, decision, None

    @property
    def idle_timeout(self) -> float:
        return self.standby.audio.idle_timeout

    def write_state(self, **fields: Any) -> None:
        """Durably: results and the start of a transfer."""
        write_state_file(self.state_path, self.state_document(**fields))

    def state_document(self, **fields: Any) -> dict[str, Any]:
        document = {
            "standby": self.standby.name,
            "pid": os.getpid(),
            "started_at": self.started.isoformat(timespec="seconds"),
            "updated_at": datetime.now(UTC).isoformat(timespec="seconds"),
            **fields,
        }
        if "last" not in document and "last" in self.previous_state:
            document["last"] = self.previous_state["last"]
        return document


def _progress_fields(progress: SyncProgress) -> dict[str, Any]:
    return {
        "current_file": progress.current_file,
        "file_percent": progress.file_percent,
        "overall_percent": progress.overall_percent,
        "files_done": progress.files_done,
        "to_check": progress.to_check,
        "total_files": progress.total_files,
        "bytes_done": progress.bytes_done,
        "rate_bps": progress.rate_bps,
        "eta_s": progress.eta_s,
        "deletions": progress.deletions,
    }


async def run_sync(
    settings: Settings,
    standby_name: str | None,
    *,
    dry_run: bool = False,
    observer: SyncObserver | None = None,
    shell_factory: Callable[[HostConfig], Shell] = shell_for,
) -> SyncOutcome:
    """One guarded mirror run (or its preview). Never raises for host problems."""
    standby = settings.standby(standby_name)
    lock_path, state_path = sync_paths(settings, standby)
    audit = AuditLog(settings.console.state_dir)
    try:
        lock = RunLock(lock_path).acquire()
    except LockBusy as busy:
        return SyncOutcome(SyncExit.BUSY, f"another sync is running: {busy}")
    shell = shell_factory(standby)
    finishing: set[asyncio.Task[None]] = set()
    try:
        run = _Run(settings, standby, shell, observer, finishing)
        if lock.previous_holder:
            run.phase(f"took over the lock left by dead process {lock.previous_holder}")
        run.previous_state = read_state_file(state_path) or {}
        outcome = await _guarded(run, dry_run)
    except (ShellError, TimeoutError, OSError) as error:
        outcome = SyncOutcome(SyncExit.REFUSED, f"{standby.name}: {error}")
    finally:
        lock.release()
        await asyncio.gather(*finishing, return_exceptions=True)
        await shell.close()
    if not dry_run or outcome.exit is not SyncExit.OK:
        audit.write(
            "sync",
            standby=standby.name,
            dry_run=dry_run,
            exit_code=int(outcome.exit),
            message=outcome.message,
            command=outcome.command,
            **({"took_over_lock_of": lock.previous_holder} if lock.previous_holder else {}),
            **outcome.record,
        )
    return outcome


async def _is_root(shell: Shell) -> bool:
    """Only root may set the audio owner; others keep their own ownership on the files."""
    async with asyncio.timeout(PROBE_TIMEOUT_S):
        result = await shell.run(["id", "-u"])
    return result.ok and result.stdout.strip() == b"0"


async def _guarded(run: _Run, dry_run: bool) -> SyncOutcome:
    command = shell_line(mirror_command(run.source, run.target, run.started, dry_run=False))
    try:
        run.phase(
            f"checking {run.standby.name}'s Rivendell links and {run.source.guard_file} on "
            f"{run.settings.master.name}"
        )
        # Independent read-only checks, run together: a cron-run sync should not wait on each.
        as_root, layout_refusal, guard_refusal = await asyncio.gather(
            _is_root(run.shell), run.check_layout(), run.check_guard()
        )
        run.target = replace(run.target, set_owner=as_root)
        command = shell_line(mirror_command(run.source, run.target, run.started, dry_run=False))
        refusal = layout_refusal or guard_refusal
        if refusal is not None:
            return SyncOutcome(SyncExit.REFUSED, refusal, command)
        await run.remove_temp_files()
        if dry_run or run.target.delete:
            run.phase("counting what would change (rsync --dry-run)")
            transfer, delete, decision, error = await run.preview()
            if error is not None:
                return SyncOutcome(SyncExit.RSYNC_FAILED, error, command)
            if dry_run or not decision.allowed:
                exit_code = SyncExit.OK if decision.allowed else SyncExit.REFUSED
                return SyncOutcome(
                    exit_code, decision.reason, command, tuple(transfer), tuple(delete)
                )
        return await _transfer(run, command)
    except (ShellError, TimeoutError, OSError) as error:
        return SyncOutcome(SyncExit.REFUSED, f"{run.standby.name}: {error}", command)


async def _transfer(run: _Run, command: str) -> SyncOutcome:
    run.phase("mirroring")
    last_write = 0.0
    run.write_state(running=True, phase="transfer")
    progress_file = BackgroundStateWriter(run.state_path)

    def on_events(events: list[RsyncEvent], progress: SyncProgress) -> None:
        nonlocal last_write
        if run.observer is not None:
            run.observer.events(events, progress)
        now = time.monotonic()
        if now - last_write >= STATE_EVERY_S:
            last_write = now
            document = run.state_document(
                running=True, phase="transfer", progress=_progress_fields(progress)
            )
            progress_file.submit(document)

    result: RsyncRun | None = None
    try:
        result = await stream_rsync(
            run.shell,
            mirror_command(run.source, run.target, run.started, dry_run=False),
            idle_timeout=run.idle_timeout,
            on_events=on_events,
        )
    finally:
        try:
            await progress_file.settle()  # no progress write may land after the result's
        finally:
            # rsync renames or removes its temporary files itself unless it is killed (the
            # watchdog, a cancel, a lost connection): after a clean exit there are none.
            if result is None or result.exit_code not in RSYNC_OK_CODES or result.stalled:
                with contextlib.suppress(ShellError, TimeoutError, OSError):
                    await run.remove_temp_files()
    if progress_file.error is not None:
        run.phase(f"progress could not be written to {run.state_path}: {progress_file.error}")
    progress = result.progress
    ok = result.exit_code in RSYNC_OK_CODES and not result.stalled
    if result.stalled:
        message = f"rsync printed nothing for {run.idle_timeout:g} s and was stopped"
    elif ok:
        message = f"mirrored {progress.files_done} file(s), {progress.deletions} moved to trash"
    else:
        detail = progress.last_message.text if progress.last_message else ""
        message = f"rsync failed with exit {result.exit_code}: {detail}".strip()
    record = {
        "started_at": run.started.isoformat(timespec="seconds"),
        "ended_at": now_text(),
        "ok": ok,
        "files": progress.files_done,
        "bytes": progress.bytes_done,
        "deleted": progress.deletions,
        "rsync_exit": result.exit_code,
        "error": None if ok else message,
    }
    run.write_state(running=False, phase="done", last=record)
    return SyncOutcome(
        SyncExit.OK if ok else SyncExit.RSYNC_FAILED, message, command, record=record
    )


def sync_runner(settings: Settings) -> SyncRunner:
    """``run_sync`` bound to ``settings``: what the console calls (ops.monitor.SyncRunner)."""

    async def run(
        standby: str, *, dry_run: bool, observer: SyncObserver | None = None
    ) -> SyncOutcome:
        return await run_sync(settings, standby, dry_run=dry_run, observer=observer)

    return run
