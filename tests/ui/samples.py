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

from rdconsole.config.settings import ConsoleConfig, HostConfig, MySQLEndpoint, Settings
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
from rdconsole.ui.app import RdConsoleApp, make_app

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


def sample_settings(*, poll_interval: float = 60.0, timeouts: float = 0.2) -> Settings:
    """One master and one standby; long poll interval so only ``r`` triggers extra polls."""
    return Settings(
        console=ConsoleConfig(
            poll_interval=poll_interval, connect_timeout=timeouts, query_timeout=timeouts
        ),
        master=HostConfig(MASTER, Role.MASTER, "10.0.0.1", mysql=MySQLEndpoint("10.0.0.1")),
        standbys=(HostConfig(STANDBY, Role.STANDBY, "10.0.0.2", mysql=MySQLEndpoint("10.0.0.2")),),
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


def scenario_app(name: str) -> RdConsoleApp:
    return make_app(sample_settings(), SCENARIOS[name](), clock=fixed_clock)


WAIT_LIMIT = 5.0
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
