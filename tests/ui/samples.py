"""Scripted hosts for the console tests, the SVG snapshots and ``scripts/screenshots.py``.

Deterministic: fixed times, fixed positions, and a fixed clock for everything shown on screen.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from textual.pilot import Pilot

from rdconsole.config.settings import (
    AudioConfig,
    ConsoleConfig,
    HostConfig,
    MySQLEndpoint,
    Settings,
)
from rdconsole.core.audio import AudioSnapshot, LastSync, RunningSync
from rdconsole.core.layout import Mode
from rdconsole.core.model import (
    BinlogStatus,
    ErrorKind,
    Flavor,
    HostError,
    HostSnapshot,
    ReplicaStatus,
    Role,
    ServerInfo,
    ThreadState,
)
from rdconsole.core.rsync_output import (
    Completion,
    Deleted,
    FileStarted,
    Progress,
    RsyncEvent,
    RsyncMessage,
    Severity,
)
from rdconsole.core.rsync_progress import SyncProgress, apply
from rdconsole.core.sync_plan import mirror_command, shell_line
from rdconsole.ops.monitor import FailoverRunner
from rdconsole.ops.sync import SyncExit, SyncObserver, SyncOutcome, mirror_source, mirror_target
from rdconsole.ui.app import RdConsoleApp, make_app
from rdconsole.ui.panels.audio import SyncLine
from rdconsole.ui.panels.field import Row

MASTER = "rd-master"
STANDBY = "rd-standby"
T0 = datetime(2026, 3, 14, 14, 3, 20, tzinfo=UTC)
"""When the first scripted poll happened."""
SCREEN_TIME = datetime(2026, 3, 14, 14, 3, 22, tzinfo=UTC)
"""The only time the console ever shows in these tests."""
BINLOG = "mysql-bin.000012"
POSITION = 4_512_337

REFUSED = "Can't connect to MySQL server on '10.0.0.1' (111 \"Connection refused\")"
IO_RETRYING = (
    "error reconnecting to master 'repl@10.0.0.1:3306' - retry-time: 60  maximum-retries: 86400"
    f"  message: {REFUSED}"
)
DUPLICATE = (
    "Could not execute Write_rows_v1 event on table Rivendell.CART; Duplicate entry '100042' "
    "for key 'PRIMARY', Error_code: 1062; handler error HA_ERR_FOUND_DUPP_KEY; the event's "
    f"master log {BINLOG}, end_log_pos 4513120"
)


def fixed_clock() -> datetime:
    return SCREEN_TIME


def sample_settings(
    *, poll_interval: float = 60.0, timeouts: float = 0.2, audio: bool = False
) -> Settings:
    """One master and one standby; long poll interval so only ``r`` triggers extra polls.
    ``audio`` enables the standby's mirror (stale after 2 h)."""
    return Settings(
        console=ConsoleConfig(
            poll_interval=poll_interval, connect_timeout=timeouts, query_timeout=timeouts
        ),
        master=HostConfig(MASTER, Role.MASTER, "10.0.0.1", mysql=MySQLEndpoint("10.0.0.1")),
        standbys=(
            HostConfig(
                STANDBY,
                Role.STANDBY,
                "10.0.0.2",
                mysql=MySQLEndpoint("10.0.0.2"),
                audio=AudioConfig(enabled=audio, stale_after=7200.0),
            ),
        ),
    )


def _server(read_only: bool, server_id: int) -> ServerInfo:
    return ServerInfo(
        flavor=Flavor.MARIADB,
        version="10.11.6-MariaDB-0+deb12u1",
        version_tuple=(10, 11, 6),
        server_id=server_id,
        read_only=read_only,
        log_bin=True,
    )


def master_up(position: int = POSITION, *, after: float = 0.0) -> HostSnapshot:
    return HostSnapshot(
        name=MASTER,
        role=Role.MASTER,
        address="10.0.0.1:3306",
        checked_at=T0 + timedelta(seconds=after),
        reachable=True,
        server=_server(read_only=False, server_id=1),
        binlog=BinlogStatus(BINLOG, position, gtid_position="0-1-88231"),
        round_trip_ms=3.0,
    )


def master_down(*, after: float = 0.0) -> HostSnapshot:
    return HostSnapshot(
        name=MASTER,
        role=Role.MASTER,
        address="10.0.0.1:3306",
        checked_at=T0 + timedelta(seconds=after),
        reachable=False,
        error=HostError(ErrorKind.REFUSED, 2003, REFUSED),
    )


def replica(**changes: Any) -> ReplicaStatus:
    """A healthy, drained replica at ``POSITION``, with ``changes`` applied."""
    healthy = ReplicaStatus(
        io_running=ThreadState.YES,
        sql_running=ThreadState.YES,
        seconds_behind_master=0,
        master_host="10.0.0.1",
        master_port=3306,
        master_log_file=BINLOG,
        read_master_log_pos=POSITION,
        relay_master_log_file=BINLOG,
        exec_master_log_pos=POSITION,
        last_io_errno=0,
        last_io_error="",
        last_sql_errno=0,
        last_sql_error="",
    )
    return dataclasses.replace(healthy, **changes)


def standby(status: ReplicaStatus | None = None, *, after: float = 0.0) -> HostSnapshot:
    return HostSnapshot(
        name=STANDBY,
        role=Role.STANDBY,
        address="10.0.0.2:3306",
        checked_at=T0 + timedelta(seconds=after),
        reachable=True,
        server=_server(read_only=True, server_id=2),
        replica=status if status is not None else replica(),
        replica_checked=True,
        round_trip_ms=1.0,
    )


def standby_retrying(*, after: float = 0.0) -> HostSnapshot:
    """What the standby says while its master is down."""
    return standby(
        replica(
            io_running=ThreadState.CONNECTING,
            seconds_behind_master=None,
            last_io_errno=2003,
            last_io_error=IO_RETRYING,
        ),
        after=after,
    )


def standby_duplicate_key(*, after: float = 0.0) -> HostSnapshot:
    """The SQL thread stopped on a duplicate key; the IO thread keeps receiving."""
    return standby(
        replica(
            sql_running=ThreadState.NO,
            seconds_behind_master=None,
            read_master_log_pos=POSITION + 2_400,
            exec_master_log_pos=POSITION + 600,
            last_sql_errno=1062,
            last_sql_error=DUPLICATE,
        ),
        after=after,
    )


class ScriptedCollector:
    """Returns prepared snapshots in order, then keeps returning the last one."""

    def __init__(self, name: str, script: Sequence[HostSnapshot]) -> None:
        assert script, "a script needs at least one snapshot"
        self._name = name
        self._script = list(script)
        self.polls = 0
        self.closed = False

    @property
    def name(self) -> str:
        return self._name

    async def collect(self) -> HostSnapshot:
        snapshot = self._script[min(self.polls, len(self._script) - 1)]
        self.polls += 1
        await asyncio.sleep(0)
        return snapshot

    async def close(self) -> None:
        self.closed = True


class HungCollector:
    """A host that never answers: ``collect`` awaits forever (until cancelled)."""

    def __init__(self, name: str) -> None:
        self._name = name
        self.closed = False

    @property
    def name(self) -> str:
        return self._name

    async def collect(self) -> HostSnapshot:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")

    async def close(self) -> None:
        self.closed = True


SCENARIOS: dict[str, Callable[[], dict[str, ScriptedCollector]]] = {
    "healthy": lambda: {
        MASTER: ScriptedCollector(MASTER, [master_up(), master_up(POSITION + 3_072, after=2)]),
        STANDBY: ScriptedCollector(
            STANDBY, [standby(), standby(replica(seconds_behind_master=1), after=2)]
        ),
    },
    "master-down": lambda: {
        MASTER: ScriptedCollector(MASTER, [master_up(), master_down(after=2)]),
        STANDBY: ScriptedCollector(STANDBY, [standby(), standby_retrying(after=2)]),
    },
    "replication-broken": lambda: {
        MASTER: ScriptedCollector(MASTER, [master_up(), master_up(POSITION + 2_400, after=2)]),
        STANDBY: ScriptedCollector(STANDBY, [standby(), standby_duplicate_key(after=2)]),
    },
}
"""Two polls each (start healthy, then the scenario), so the event log shows the change."""


def scenario_app(name: str, *, failover: FailoverRunner | None = None) -> RdConsoleApp:
    """``failover`` (as in the real console) adds the ``f`` key and the standing banner."""
    return make_app(sample_settings(), SCENARIOS[name](), clock=fixed_clock, failover=failover)


WAIT_LIMIT = 20.0
"""Seconds ``wait_until`` waits before failing the test."""


async def wait_until(pilot: Pilot[None], condition: Callable[[], bool]) -> None:
    """Let the app run until ``condition`` holds (or fail after ``WAIT_LIMIT`` seconds)."""
    async with asyncio.timeout(WAIT_LIMIT):
        while not condition():
            await pilot.pause(0.01)


async def play_scenario(pilot: Pilot[None]) -> None:
    """Both scripted polls, as ``run_before`` for the snapshots and the screenshots."""
    app = pilot.app
    assert isinstance(app, RdConsoleApp)
    await wait_until(pilot, lambda: app.state.received >= 2)
    await pilot.press("r")
    await wait_until(pilot, lambda: app.state.received >= 4)
    await pilot.pause()


# Audio mirror ------------------------------------------------------------------------------------

STALE_AFTER = 7200.0
CUTS = 1_234
MISSING = ("010023_001", "010024_001", "010031_001", "010032_001")
SYNC_FILES = tuple(f"{10_040 + n:06d}_001.wav" for n in range(8))
"""What the fake sync transfers (a new cart's cuts)."""
SYNC_TOTAL = 40
"""Entries in the fake sync's file list (``to-chk=R/40``)."""


def audio_ok(**changes: Any) -> AudioSnapshot:
    """Guard present, mode master, last run ok 25 minutes before the screen time, all cuts."""
    healthy = AudioSnapshot(
        standby=STANDBY,
        checked_at=SCREEN_TIME,
        guard_present=True,
        guard_detail="guard file present",
        guard_checked_at=T0,
        mode=Mode.MASTER,
        live_on_mirror=False,
        running=None,
        last=LastSync(
            ended_at=SCREEN_TIME - timedelta(minutes=25),
            ok=True,
            files=12,
            bytes=148_897_792,
            deleted=0,
            rsync_exit=0,
            error=None,
        ),
        missing_cuts=0,
        cuts_checked=CUTS,
    )
    return dataclasses.replace(healthy, **changes)


def audio_guard_missing() -> AudioSnapshot:
    return audio_ok(
        guard_present=False, guard_detail="guard file missing on the master (rsync exit 23)"
    )


def audio_stale() -> AudioSnapshot:
    """The last good run ended 3 h 5 m before the screen time (stale after 2 h)."""
    last = audio_ok().last
    assert last is not None
    old = dataclasses.replace(last, ended_at=SCREEN_TIME - timedelta(hours=3, minutes=5))
    return audio_ok(last=old, missing_cuts=len(MISSING), missing_examples=MISSING)


def audio_running_elsewhere() -> AudioSnapshot:
    """A sync started by the timer (another process), as its state file says."""
    return audio_ok(
        running=RunningSync(
            pid=4321,
            started_at=T0,
            current_file="010044_001.wav",
            overall_percent=62.5,
            file_percent=40,
            rate_bps=11_010_048.0,
            eta_s=3,
            files_done=4,
            to_check=15,
        )
    )


class ScriptedWatcher:
    """An AudioWatcher returning prepared snapshots in order, then the last one."""

    def __init__(self, script: Sequence[AudioSnapshot], name: str = STANDBY) -> None:
        assert script, "a script needs at least one snapshot"
        self._name = name
        self._script = list(script)
        self.forced: list[bool] = []
        self.closed = False

    @property
    def name(self) -> str:
        return self._name

    async def collect(self, *, force: bool = False) -> AudioSnapshot:
        snapshot = self._script[min(len(self.forced), len(self._script) - 1)]
        self.forced.append(force)
        await asyncio.sleep(0)
        return snapshot

    async def close(self) -> None:
        self.closed = True


def sync_command() -> str:
    settings = sample_settings(audio=True)
    target = mirror_target(settings.standbys[0], as_root=True)
    return shell_line(mirror_command(mirror_source(settings.master), target, T0, dry_run=False))


def preview_ok() -> SyncOutcome:
    return SyncOutcome(
        SyncExit.OK,
        "2 file(s) gone from the master stay on the standby (delete off)",
        sync_command(),
        would_transfer=SYNC_FILES,
        would_delete=("009001_001.wav", "009002_001.wav"),
    )


def preview_refused() -> SyncOutcome:
    return SyncOutcome(
        SyncExit.REFUSED, "guard file missing on the master (rsync exit 23)", sync_command()
    )


class FakeSyncRunner:
    """A SyncRunner that previews from a prepared outcome and, for real, streams events for
    ``files`` (``records`` progress records each, ``pause`` seconds apart) to the observer.

    ``hold`` (when given) stops the run in the middle of the last file until it is set, so a
    test can look at the console mid-run.
    """

    def __init__(
        self,
        preview: SyncOutcome | None = None,
        *,
        files: Sequence[str] = SYNC_FILES,
        records: int = 2,
        pause: float = 0.005,
        hold: asyncio.Event | None = None,
    ) -> None:
        self.preview = preview if preview is not None else preview_ok()
        self.files = files
        self.records = records
        self.pause = pause
        self.hold = hold
        self.calls: list[tuple[str, bool]] = []
        self.events = 0
        """Events sent to the observer so far."""
        self.streaming = False
        self.held = False
        """Waiting for ``hold`` in the middle of the last file."""
        self.streamed = False
        """Every event was sent."""
        self.progress = SyncProgress()

    async def __call__(
        self, standby: str, *, dry_run: bool, observer: SyncObserver | None
    ) -> SyncOutcome:
        self.calls.append((standby, dry_run))
        await asyncio.sleep(0)
        if dry_run:
            return self.preview
        assert observer is not None, "a real run reports to the console"
        self.streaming = True
        try:
            observer.phase(f"checking {standby}'s Rivendell links")
            observer.phase("mirroring")
            await self._stream(observer)
            self.streamed = True
        finally:
            self.streaming = False
        message = f"mirrored {self.progress.files_done} file(s), 0 moved to trash"
        return SyncOutcome(SyncExit.OK, message, sync_command())

    async def _stream(self, observer: SyncObserver) -> None:
        total = max(SYNC_TOTAL, len(self.files))
        size = 12_409_344
        for number, name in enumerate(self.files, start=1):
            await self._send(observer, FileStarted(name, ">f+++++++++"))
            for record in range(1, self.records + 1):
                done = size * record // (self.records + 1)
                percent = 100 * record // (self.records + 1)
                await self._send(observer, Progress(done, percent, 11_010_048.0, 3))
            if number == len(self.files) and self.hold is not None:
                self.held = True
                await self.hold.wait()
                self.held = False
            completion = Completion(number, total - number, total, True)
            await self._send(observer, Progress(size, 100, 11_010_048.0, 1, completion))
        await self._send(observer, Deleted("009001_001.wav"))
        await self._send(
            observer, RsyncMessage(Severity.WARNING, 'file has vanished: "010099_001.wav"')
        )

    async def _send(self, observer: SyncObserver, event: RsyncEvent) -> None:
        self.progress = apply(self.progress, event)
        observer.events([event], self.progress)
        self.events += 1
        await asyncio.sleep(self.pause)


def audio_app(
    script: Sequence[AudioSnapshot] | None = None,
    *,
    sync: FakeSyncRunner | None = None,
    scenario: str = "healthy",
    failover: FailoverRunner | None = None,
) -> RdConsoleApp:
    """The console with the standby's mirror watched (``script``, default ``audio_ok``)."""
    watcher = ScriptedWatcher(script if script is not None else [audio_ok()])
    return make_app(
        sample_settings(audio=True),
        SCENARIOS[scenario](),
        clock=fixed_clock,
        audio={STANDBY: watcher},
        sync=sync,
        failover=failover,
    )


async def play_sync(pilot: Pilot[None]) -> None:
    """Both scripted polls, then ``s``, the dry run, ``y``: leaves the run held in the middle
    of its last file."""
    app = pilot.app
    assert isinstance(app, RdConsoleApp)
    await play_scenario(pilot)
    await wait_until(pilot, lambda: app.state.audio_received >= 1)
    await pilot.press("s")
    await wait_until(pilot, lambda: type(app.screen).__name__ == "SyncPreviewScreen")
    await pilot.press("y")
    runner = app.mirror.runner
    assert isinstance(runner, FakeSyncRunner) and runner.hold is not None
    await wait_until(pilot, lambda: runner.held)
    done = len(runner.files) - 1
    counts = f"{max(SYNC_TOTAL, len(runner.files)) - done} left, {done} done"
    panel = app.mirror.panels[STANDBY]
    file = f"{runner.files[-1]} ({runner.progress.file_percent}%)"

    def drawn() -> bool:  # the newest state (drawn at most every 0.1 s)
        shown = panel.query_one("#sync-file", Row).value
        return shown == file and panel.query_one(SyncLine).counts == counts

    await wait_until(pilot, drawn)
    await pilot.pause()
