"""``rdconsole sync`` on a terminal or under cron/systemd: phases, progress and the outcome."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import TextIO

from rdconsole.config import Settings
from rdconsole.core.durations import format_duration
from rdconsole.core.rsync_output import RsyncEvent
from rdconsole.core.rsync_progress import SyncProgress
from rdconsole.ops.sync import SyncExit, SyncOutcome, run_sync

SHOWN_NAMES = 20


class TerminalObserver:
    """Phases as lines; on a terminal, one self-updating progress line."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self._live = stream.isatty()

    def phase(self, text: str) -> None:
        self._stream.write(f"rdconsole sync: {text}\n")
        self._stream.flush()

    def events(self, events: Sequence[RsyncEvent], progress: SyncProgress) -> None:
        if not self._live:
            return
        overall = progress.overall_percent
        eta = format_duration(progress.eta_s) if progress.eta_s is not None else "-"
        line = (
            f"  {overall or 0:5.1f}%  files done {progress.files_done}"
            f"  left {progress.to_check if progress.to_check is not None else '?'}"
            f"  {progress.file_percent:3d}% of {progress.current_file or '-'}  eta {eta}"
        )
        self._stream.write("\r" + line[:100].ljust(100))
        self._stream.flush()


def _print_outcome(outcome: SyncOutcome, dry_run: bool) -> None:
    if outcome.command:
        print(f"command: {outcome.command}")
    if dry_run or outcome.would_delete:
        for title, names in (
            ("would transfer", outcome.would_transfer),
            ("would delete", outcome.would_delete),
        ):
            print(f"{title}: {len(names)} file(s)")
            for name in names[:SHOWN_NAMES]:
                print(f"  {name!r}" if not name.isprintable() else f"  {name}")
            if len(names) > SHOWN_NAMES:
                print(f"  ... and {len(names) - SHOWN_NAMES} more")
    label = "ok" if outcome.exit is SyncExit.OK else outcome.exit.name.lower().replace("_", " ")
    stream = sys.stdout if outcome.exit is SyncExit.OK else sys.stderr
    print(f"rdconsole sync: {label}: {outcome.message}", file=stream)


def sync_command(settings: Settings, standby: str | None, dry_run: bool) -> int:
    try:
        chosen = settings.standby(standby)
    except KeyError as error:
        print(f"rdconsole sync: {error.args[0]}", file=sys.stderr)
        return int(SyncExit.CONFIG)
    if not chosen.audio.enabled:
        print(
            f"rdconsole sync: {chosen.name} has no [standby.audio] table in {settings.path}; "
            "add one (see README, Configuration) to enable the mirror",
            file=sys.stderr,
        )
        return int(SyncExit.CONFIG)
    outcome = asyncio.run(
        run_sync(settings, standby, dry_run=dry_run, observer=TerminalObserver(sys.stderr))
    )
    if sys.stderr.isatty():
        sys.stderr.write("\n")
    _print_outcome(outcome, dry_run)
    return int(outcome.exit)
