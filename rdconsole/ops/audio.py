"""Watching the audio mirror: guard file, links, last run, coverage; for status and the console.

The state file (written by ``rdconsole sync``, whoever started it) is read on every poll; the
checks that touch the master or the database run at most every ``refresh`` seconds.
"""

from __future__ import annotations

import os
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime

from asyncmy.errors import MySQLError

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.audio import AudioSnapshot, from_state_file, missing_cuts
from rdconsole.core.layout import Mode
from rdconsole.hosts.mysql import PrivilegeDenied, read_cut_names
from rdconsole.hosts.shell import Shell, ShellError, shell_for
from rdconsole.hosts.state import read_state_file
from rdconsole.ops.mirror_checks import list_audio_files, probe_guard, probe_layout
from rdconsole.ops.sync import mirror_source, sync_paths

DATABASE = "Rivendell"
CutReader = Callable[[], Awaitable[list[str]]]


def _pid_alive(pid: object) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class AudioCollector:
    """Collects an AudioSnapshot for one standby."""

    def __init__(
        self,
        settings: Settings,
        standby: HostConfig,
        *,
        shell_factory: Callable[[HostConfig], Shell] = shell_for,
        cut_reader: CutReader | None = None,
        refresh: float = 30.0,
        guard_budget: float | None = None,
    ) -> None:
        self._settings = settings
        self._standby = standby
        self._shell = shell_factory(standby)
        self._cut_reader = cut_reader or (
            lambda: read_cut_names(standby, settings.console, DATABASE)
        )
        self._refresh = refresh
        self._guard_budget = guard_budget
        self._checked_at = float("-inf")
        self._slow: AudioSnapshot | None = None

    @property
    def name(self) -> str:
        return self._standby.name

    async def collect(self, *, force: bool = False) -> AudioSnapshot:
        now = datetime.now(UTC)
        document = read_state_file(sync_paths(self._settings, self._standby)[1])
        running, last = from_state_file(document, _pid_alive((document or {}).get("pid")))
        # A run that ended after the last coverage check makes that check stale.
        synced_since = (
            self._slow is not None
            and last is not None
            and last.ended_at is not None
            and self._slow.guard_checked_at is not None
            and last.ended_at > self._slow.guard_checked_at
        )
        due = self._slow is None or time.monotonic() - self._checked_at >= self._refresh
        if force or due or synced_since:
            self._slow = await self._slow_checks(now)
            self._checked_at = time.monotonic()
        slow = self._slow
        assert slow is not None
        return AudioSnapshot(
            standby=self._standby.name,
            checked_at=now,
            guard_present=slow.guard_present,
            guard_detail=slow.guard_detail,
            guard_checked_at=slow.guard_checked_at,
            mode=slow.mode,
            live_on_mirror=slow.live_on_mirror,
            running=running,
            last=last,
            missing_cuts=slow.missing_cuts,
            missing_examples=slow.missing_examples,
            cuts_checked=slow.cuts_checked,
        )

    async def _slow_checks(self, now: datetime) -> AudioSnapshot:
        mode, live = Mode.UNKNOWN, False
        guard_present: bool | None = None
        try:
            layout = await probe_layout(self._shell, self._standby)
            mode, live = layout.mode, layout.live_on_mirror
            guard = await probe_guard(
                self._shell, mirror_source(self._settings.master), self._guard_budget
            )
            guard_present, detail = guard.present, guard.detail
        except (ShellError, TimeoutError, OSError) as error:
            detail = f"cannot check from {self._standby.name}: {error}"
        missing: list[str] | None = None
        checked: int | None = None
        try:
            cuts = await self._cut_reader()
            present = await list_audio_files(self._shell, self._standby)
            missing = missing_cuts(cuts, present, self._standby.audio.extension)
            checked = len(cuts)
        except (ShellError, TimeoutError, OSError, MySQLError, PrivilegeDenied):
            pass
        return AudioSnapshot(
            standby=self._standby.name,
            checked_at=now,
            guard_present=guard_present,
            guard_detail=detail,
            guard_checked_at=now,
            mode=mode,
            live_on_mirror=live,
            running=None,
            last=None,
            missing_cuts=len(missing) if missing is not None else None,
            missing_examples=tuple((missing or [])[:10]),
            cuts_checked=checked,
        )

    async def close(self) -> None:
        await self._shell.close()
