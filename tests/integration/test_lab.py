"""The MariaDB lab itself: real servers, real replication, real failures."""

from __future__ import annotations

import re
import stat
from pathlib import Path
from typing import Any

import asyncmy
import pytest

from rdconsole.config import load_settings
from rdconsole.lab import LabDrills, LabError, MariaDBLab, Row, find_tools
from rdconsole.ops.monitor import Drills

pytestmark = pytest.mark.lab


def _threads(status: Row) -> tuple[str | None, str | None]:
    return status["Slave_IO_Running"], status["Slave_SQL_Running"]


def _grants(rows: list[Row]) -> set[str]:
    """SHOW GRANTS lines without the password hash."""
    return {re.sub(r" IDENTIFIED BY PASSWORD '[^']*'", "", str(*row.values())) for row in rows}


def test_bringup_takes_under_15_seconds(lab: MariaDBLab) -> None:
    assert lab.bringup_seconds is not None
    assert lab.bringup_seconds < 15.0, f"lab bring-up took {lab.bringup_seconds:.2f} s"
    print(f"lab bring-up: {lab.bringup_seconds:.2f} s")


def test_topology(healthy_lab: MariaDBLab) -> None:
    lab = healthy_lab
    master = lab.master_sql("SELECT @@server_id AS id, @@read_only AS ro, @@binlog_format AS fmt")
    standby = lab.standby_sql(
        "SELECT @@server_id AS id, @@read_only AS ro, @@log_slave_updates AS lsu"
    )
    assert master == [{"id": "1", "ro": "0", "fmt": "MIXED"}]
    assert standby == [{"id": "100", "ro": "1", "lsu": "1"}]
    status = lab.standby_status()
    assert _threads(status) == ("Yes", "Yes")
    assert (status["Master_Host"], status["Master_Port"]) == ("127.0.0.1", str(lab.master.port))
    assert status["Master_User"] == "repl"
    assert status["Using_Gtid"] == "No"
    hosts = lab.master_sql("SHOW SLAVE HOSTS")
    assert [(h["Server_id"], h["Port"]) for h in hosts] == [("100", str(lab.standby.port))]
    assert 3306 not in (lab.master.port, lab.standby.port)


def test_schema_and_probe_replicate(healthy_lab: MariaDBLab) -> None:
    lab = healthy_lab
    assert lab.probe() < 5.0
    for run in (lab.master_sql, lab.standby_sql):
        assert run("SELECT DB FROM Rivendell.VERSION") == [{"DB": "375"}]
        assert {r["NAME"] for r in run("SELECT NAME FROM Rivendell.STATIONS")} == {
            "onair",
            "backup",
        }
        assert run("SELECT CUT_NAME FROM Rivendell.CUTS WHERE CART_NUMBER = 1") == [
            {"CUT_NAME": "000001_001"}
        ]
        assert run("SELECT COUNT(*) AS n FROM Rivendell.HEARTBEAT") == [{"n": "1"}]
    probes = "SELECT COUNT(*) AS n FROM Rivendell.LAB_PROBE"
    assert lab.standby_sql(probes) == lab.master_sql(probes)
    engines = lab.master_sql(
        "SELECT DISTINCT ENGINE FROM information_schema.TABLES WHERE TABLE_SCHEMA = 'Rivendell'"
    )
    assert engines == [{"ENGINE": "InnoDB"}]


def test_monitor_account_has_exactly_its_grants(healthy_lab: MariaDBLab) -> None:
    expected = {
        "GRANT RELOAD, BINLOG MONITOR, READ_ONLY ADMIN, REPLICATION SLAVE ADMIN, SLAVE MONITOR "
        "ON *.* "
        "TO `rdconsole`@`{host}`",
        "GRANT SELECT ON `Rivendell`.* TO `rdconsole`@`{host}`",
    }
    for run in (healthy_lab.master_sql, healthy_lab.standby_sql):
        for host in ("%", "localhost"):
            grants = _grants(run(f"SHOW GRANTS FOR 'rdconsole'@'{host}'"))
            assert grants == {line.format(host=host) for line in expected}
            assert not any("SUPER" in line for line in grants)
        repl = _grants(run("SHOW GRANTS FOR 'repl'@'%'"))
        assert repl == {"GRANT REPLICATION SLAVE ON *.* TO `repl`@`%`"}


async def test_monitor_account_over_tcp(healthy_lab: MariaDBLab, tmp_path: Path) -> None:
    """The generated settings log in; the account reads status and may promote a standby, but
    may not touch data, grants or the server's other settings."""
    settings = healthy_lab.settings(tmp_path / "state")

    async def run(endpoint_index: int, sql: str) -> Any:
        endpoint = settings.hosts[endpoint_index].mysql
        assert endpoint.password is not None
        conn = await asyncmy.connect(
            host=endpoint.host,
            port=endpoint.port,
            user=endpoint.user,
            password=endpoint.password.reveal(),
            connect_timeout=3,
            read_timeout=5,
            autocommit=True,
            cursor_cls=asyncmy.cursors.DictCursor,
        )
        try:
            async with conn.cursor() as cursor:
                await cursor.execute(sql)
                return await cursor.fetchall()
        finally:
            conn.close()

    assert (await run(0, "SHOW MASTER STATUS"))[0]["File"].startswith("mysql-bin.")
    assert (await run(1, "SHOW SLAVE STATUS"))[0]["Slave_SQL_Running"] == "Yes"
    assert len(await run(1, "SELECT TS FROM Rivendell.HEARTBEAT")) == 1
    for index, sql, code in [
        (1, "SET GLOBAL max_connections = 10", 1227),
        (0, "SHUTDOWN", 1227),
        (0, "SELECT * FROM mysql.user", 1142),
        (0, "UPDATE Rivendell.HEARTBEAT SET TS = NOW(6)", 1142),
    ]:
        with pytest.raises(asyncmy.errors.OperationalError) as caught:
            await run(index, sql)
        assert caught.value.args[0] == code, sql


def test_kill_master_then_restore(healthy_lab: MariaDBLab) -> None:
    lab = healthy_lab
    lab.kill_master()
    assert not lab.master.running
    status = lab.wait_for_standby(
        lambda s: s["Slave_IO_Running"] == "Connecting" and s["Last_IO_Errno"] == "2003",
        "IO thread retrying the master",
        timeout=10.0,
    )
    assert status["Slave_SQL_Running"] == "Yes"
    assert status["Seconds_Behind_Master"] is None
    lab.restore()
    assert _threads(lab.standby_status()) == ("Yes", "Yes")
    assert lab.standby_status()["Last_IO_Errno"] == "0"
    assert lab.probe() < 5.0


def test_stop_and_start_master(healthy_lab: MariaDBLab) -> None:
    lab = healthy_lab
    old_pid = lab.master.pid
    lab.stop_master()
    lab.wait_for_standby(
        lambda s: s["Slave_IO_Running"] == "Connecting" and s["Last_IO_Errno"] == "2003",
        "IO thread retrying the master",
        timeout=10.0,
    )
    lab.start_master()
    assert lab.master.pid not in (None, old_pid)
    lab.wait_for_standby(lambda s: _threads(s) == ("Yes", "Yes"), "reconnected by itself")
    numbers = lab.write_load(50)
    lab.wait_replicated()
    count = f"SELECT COUNT(*) AS n FROM Rivendell.CART WHERE NUMBER >= {numbers.start}"
    assert lab.standby_sql(count) == [{"n": "50"}]


def test_break_sql_thread_then_restore(healthy_lab: MariaDBLab) -> None:
    lab = healthy_lab
    lab.break_sql_thread()
    status = lab.standby_status()
    assert _threads(status) == ("Yes", "No")
    assert status["Last_SQL_Errno"] == "1062"
    assert "Duplicate entry" in (status["Last_SQL_Error"] or "")
    assert status["Seconds_Behind_Master"] is None
    lab.write_load(3)
    lab.restore()
    assert _threads(lab.standby_status()) == ("Yes", "Yes")
    assert lab.standby_status()["Last_SQL_Errno"] == "0"
    checksum = "CHECKSUM TABLE Rivendell.CART"
    assert lab.standby_sql(checksum) == lab.master_sql(checksum)
    assert lab.probe() < 5.0


def test_replication_threads_stop_and_start(healthy_lab: MariaDBLab) -> None:
    lab = healthy_lab
    lab.stop_io_thread()
    assert _threads(lab.standby_status()) == ("No", "Yes")
    lab.start_io_thread()
    lab.stop_sql_thread()
    status = lab.standby_status()
    assert _threads(status) == ("Yes", "No")
    assert status["Last_SQL_Errno"] == "0"
    lab.start_sql_thread()
    assert _threads(lab.standby_status()) == ("Yes", "Yes")


def test_hung_master_answers_nothing_until_resumed(healthy_lab: MariaDBLab) -> None:
    lab = healthy_lab
    lab.hang_master()
    try:
        with pytest.raises(LabError, match="no answer within"):
            lab.master_sql("SELECT 1 AS one", timeout=1.0)
    finally:
        lab.resume_master()
    assert lab.master_sql("SELECT 1 AS one") == [{"one": "1"}]


async def test_lab_drills(healthy_lab: MariaDBLab) -> None:
    drills: Drills = LabDrills(healthy_lab)
    await drills.stop_io_thread()
    assert healthy_lab.standby_status()["Slave_IO_Running"] == "No"
    with pytest.raises(LabError, match="needs both replication threads running"):
        await drills.break_sql_thread()
    await drills.restore()
    await drills.break_sql_thread()
    await drills.kill_master()
    assert not healthy_lab.master.running
    await drills.restore()
    assert _threads(healthy_lab.standby_status()) == ("Yes", "Yes")
    assert healthy_lab.probe() < 5.0


def test_write_config_round_trips(lab: MariaDBLab, lab_config: Path, tmp_path: Path) -> None:
    assert stat.S_IMODE(lab_config.stat().st_mode) == 0o600
    loaded = load_settings(lab_config, environ={"HOME": str(tmp_path)})
    built = lab.settings(tmp_path / "state")
    assert loaded.console == built.console
    assert loaded.master == built.master
    assert loaded.standbys == built.standbys
    assert loaded.warnings == ()
    assert lab.monitor_password not in repr(built)


def test_stop_leaves_no_process(tmp_path: Path, lab: MariaDBLab) -> None:
    """A second lab beside the session one: own ports, no password in any argv, nothing left."""
    with MariaDBLab(tmp_path / "second") as second:
        assert {second.master.port, second.standby.port}.isdisjoint(
            {lab.master.port, lab.standby.port}
        )
        pids = [second.master.pid, second.standby.pid]
        for pid in pids:
            argv = Path(f"/proc/{pid}/cmdline").read_bytes().decode()
            assert "mariadbd" in argv
            assert second.monitor_password not in argv and second.repl_password not in argv
    second.stop()
    for pid in pids:
        proc = Path(f"/proc/{pid}")
        # Waited for, so not even a zombie; a recycled PID would not be a mariadbd.
        assert not proc.exists() or "mariadbd" not in (proc / "comm").read_text()
    assert not second.master.running and not second.standby.running


def test_sql_errors_do_not_show_passwords(healthy_lab: MariaDBLab) -> None:
    with pytest.raises(LabError, match="You have an error in your SQL syntax") as caught:
        healthy_lab.master_sql("CREATE USER 'x'@'%' IDENTIFIED BY 'hunter2-secret' ,,")
    assert "hunter2-secret" not in str(caught.value)
    assert "IDENTIFIED BY '********'" in str(caught.value)


def test_missing_server_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(LabError, match=r"^mariadbd not found: install the Debian package"):
        find_tools(str(tmp_path))
