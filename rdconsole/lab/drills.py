"""The ``Drills`` of ``rdconsole demo`` (see ``rdconsole.ops.monitor``), backed by the lab."""

from __future__ import annotations

import asyncio

from rdconsole.lab.mariadb import MariaDBLab


class LabDrills:
    """Runs the lab's blocking drills in a worker thread, so the event loop keeps running."""

    def __init__(self, lab: MariaDBLab) -> None:
        self._lab = lab

    async def stop_master(self) -> None:
        await asyncio.to_thread(self._lab.stop_master)

    async def kill_master(self) -> None:
        await asyncio.to_thread(self._lab.kill_master)

    async def break_sql_thread(self) -> None:
        await asyncio.to_thread(self._lab.break_sql_thread)

    async def stop_io_thread(self) -> None:
        await asyncio.to_thread(self._lab.stop_io_thread)

    async def restore(self) -> None:
        """Bring everything back to healthy: master running, replication threads running."""
        await asyncio.to_thread(self._lab.restore)
