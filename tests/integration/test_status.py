"""`rdconsole status` and the MySQL collector against the real MariaDB lab."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from rdconsole.config import load_settings
from rdconsole.config.settings import MySQLEndpoint, Settings
from rdconsole.core.model import ErrorKind, ThreadState
from rdconsole.hosts.mysql import MySQLCollector, build_collectors
from rdconsole.hosts.state import FileJournal
from rdconsole.lab.mariadb import MariaDBLab
from rdconsole.ops.status import check_once


def run_status(config: Path, *args: str) -> tuple[int, dict[str, Any], float]:
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "rdconsole", "--config", str(config), "status", "--json", *args],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "HOME": str(config.parent)},
    )
    elapsed = time.monotonic() - started
    assert result.stdout, result.stderr
    return result.returncode, json.loads(result.stdout), elapsed


def with_console_option(config: Path, line: str) -> Path:
    text = config.read_text().replace("[console]\n", f"[console]\n{line}\n", 1)
    config.write_text(text)
    return config


def test_status_json_equals_what_the_servers_report(
    healthy_lab: MariaDBLab, lab_config: Path
) -> None:
    healthy_lab.wait_replicated(10)
    code, document, _ = run_status(lab_config)
    master_row = healthy_lab.master_sql("SHOW MASTER STATUS")[0]
    gtid = healthy_lab.master_sql("SELECT @@gtid_binlog_pos AS g")[0]["g"]
    slave = healthy_lab.standby_sql("SHOW SLAVE STATUS")[0]
    assert code == 0, document
    assert document["status"] == "OK"
    master = document["master"]
    assert master["reachable"] is True
    assert master["flavor"] == "mariadb"
    assert master["version"].startswith("10.")
    assert master["binlog_file"] == master_row["File"]
    assert master["binlog_position"] == int(master_row["Position"] or -1)
    assert master["gtid_binlog_pos"] == gtid
    assert master["read_only"] is False
    (standby,) = document["standbys"]
    assert standby["read_only"] is True
    assert standby["io_running"] == slave["Slave_IO_Running"] == "Yes"
    assert standby["sql_running"] == slave["Slave_SQL_Running"] == "Yes"
    assert standby["master_log_file"] == slave["Master_Log_File"]
    assert standby["read_master_log_pos"] == int(slave["Read_Master_Log_Pos"] or -1)
    assert standby["exec_master_log_pos"] == int(slave["Exec_Master_Log_Pos"] or -1)
    assert standby["seconds_behind_master"] == 0
    assert standby["byte_lag"] == 0
    assert standby["drained"] is True
    assert document["problems"] == []


@pytest.mark.parametrize("how", ["stop", "kill"])
def test_master_down(healthy_lab: MariaDBLab, lab_config: Path, how: str) -> None:
    if how == "stop":
        healthy_lab.stop_master()
    else:
        healthy_lab.kill_master()
    healthy_lab.wait_for_standby(
        lambda row: row["Slave_IO_Running"] == "Connecting" and row["Last_IO_Errno"] == "2003",
        "IO thread retrying with error 2003",
    )
    code, document, _ = run_status(lab_config)
    assert code == 2
    assert document["status"] == "CRITICAL"
    master = document["master"]
    assert master["reachable"] is False
    assert master["error"].startswith("refused")
    assert master["binlog_file"] is None
    assert master["flavor"] is None
    (standby,) = document["standbys"]
    assert standby["io_running"] == "Connecting"
    assert standby["seconds_behind_master"] is None
    assert standby["last_io_errno"] == 2003
    assert any(p["host"] == "onair" and p["severity"] == "CRITICAL" for p in document["problems"])


def test_sql_thread_error(healthy_lab: MariaDBLab, lab_config: Path) -> None:
    healthy_lab.break_sql_thread()
    code, document, _ = run_status(lab_config)
    (standby,) = document["standbys"]
    assert code == 2
    assert standby["sql_running"] == "No"
    assert standby["io_running"] == "Yes"
    assert standby["last_sql_errno"] == 1062
    assert "Duplicate entry" in standby["last_sql_error"]
    assert standby["seconds_behind_master"] is None
    assert standby["drained"] is False
    assert "1062" in document["problems"][0]["what"]


def test_io_thread_stopped(healthy_lab: MariaDBLab, lab_config: Path) -> None:
    healthy_lab.stop_io_thread()
    code, document, _ = run_status(lab_config)
    (standby,) = document["standbys"]
    assert code == 2
    assert standby["io_running"] == "No"
    assert standby["sql_running"] == "Yes"
    assert "IO thread is stopped" in document["problems"][0]["what"]


def test_hung_master_returns_within_twice_the_connect_timeout(
    healthy_lab: MariaDBLab, lab_config: Path
) -> None:
    config = with_console_option(lab_config, "connect_timeout = 1.5")
    healthy_lab.hang_master()
    try:
        code, document, elapsed = run_status(config)
    finally:
        healthy_lab.resume_master()
    assert elapsed <= 3.0 + 0.6, f"took {elapsed:.2f} s (interpreter start-up included)"
    assert code == 2
    assert document["master"]["error"].startswith("timeout")
    assert document["standbys"][0]["reachable"] is True


@pytest.fixture
def silent_listener() -> Iterator[int]:
    """A TCP port that completes the handshake but never sends a MySQL greeting."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    try:
        yield server.getsockname()[1]
    finally:
        server.close()


def test_black_holed_master_returns_on_time(
    healthy_lab: MariaDBLab, lab_config: Path, silent_listener: int
) -> None:
    text = lab_config.read_text()
    text = text.replace(f"port = {healthy_lab.master.port}", f"port = {silent_listener}", 1)
    lab_config.write_text(text)
    config = with_console_option(lab_config, "connect_timeout = 1.0")
    code, document, elapsed = run_status(config)
    assert elapsed <= 2.0 + 0.6, f"took {elapsed:.2f} s (interpreter start-up included)"
    assert code == 2
    assert document["master"]["reachable"] is False
    assert document["master"]["error"].startswith("timeout")


async def test_collector_reconnects_after_master_restart(
    healthy_lab: MariaDBLab, tmp_path: Path
) -> None:
    settings = healthy_lab.settings(tmp_path)
    collector = MySQLCollector(settings.master, settings.console)
    try:
        first = await collector.collect()
        assert first.reachable and first.binlog is not None
        await asyncio.to_thread(healthy_lab.kill_master)
        down = await collector.collect()
        assert not down.reachable
        assert down.error is not None
        assert down.error.kind in (ErrorKind.LOST, ErrorKind.REFUSED)
        await asyncio.to_thread(healthy_lab.start_master)
        deadline = time.monotonic() + 10
        again = await collector.collect()
        while not again.reachable and time.monotonic() < deadline:
            await asyncio.sleep(0.2)
            again = await collector.collect()
        assert again.reachable, again.error
        assert again.binlog is not None
        assert again.binlog.file != first.binlog.file  # a restart rotates the binlog
    finally:
        await collector.close()


async def test_missing_privilege_is_named(healthy_lab: MariaDBLab, tmp_path: Path) -> None:
    healthy_lab.master_sql(
        "CREATE USER IF NOT EXISTS 'weak'@'%' IDENTIFIED BY 'weakpass'; "
        "GRANT SELECT ON Rivendell.* TO 'weak'@'%'"
    )
    healthy_lab.wait_replicated(10)
    settings: Settings = healthy_lab.settings(tmp_path)
    from rdconsole.config import Secret

    weak = replace(
        settings.standbys[0],
        mysql=replace(settings.standbys[0].mysql, user="weak", password=Secret("weakpass")),
    )
    snapshot = await MySQLCollector(weak, settings.console).collect()
    assert snapshot.reachable
    assert snapshot.replica is None and not snapshot.replica_checked
    (missing,) = snapshot.missing_privileges
    assert missing.statement == "SHOW SLAVE STATUS"
    assert "SLAVE MONITOR" in missing.privileges


async def test_wrong_password_is_access_denied_and_alive(
    healthy_lab: MariaDBLab, tmp_path: Path
) -> None:
    from rdconsole.config import Secret

    settings = healthy_lab.settings(tmp_path)
    endpoint: MySQLEndpoint = replace(settings.master.mysql, password=Secret("wrong"))
    snapshot = await MySQLCollector(
        replace(settings.master, mysql=endpoint), settings.console
    ).collect()
    assert snapshot.error is not None
    assert snapshot.error.kind is ErrorKind.ACCESS_DENIED
    assert snapshot.server_alive


async def test_check_once_and_journal(healthy_lab: MariaDBLab, tmp_path: Path) -> None:
    settings = healthy_lab.settings(tmp_path)
    report = await check_once(settings, build_collectors(settings.hosts, settings.console))
    assert report.standbys[0].replica is not None
    assert report.standbys[0].replica.io_running is ThreadState.YES
    journal = FileJournal(tmp_path / "state")
    await journal.record(report.master)
    await journal.record(report.standbys[0])
    master_entry, standby_entry = journal.read()
    assert report.master.binlog is not None
    assert master_entry["pos"] == report.master.binlog.position
    assert standby_entry["read_pos"] == report.standbys[0].replica.read_master_log_pos
    assert standby_entry["io"] == "Yes"
    assert (tmp_path / "state" / "journal.jsonl").stat().st_mode & 0o777 == 0o600


def test_config_error_exits_3_without_traceback(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[console]\npoll_interval = -1\n")
    result = subprocess.run(
        [sys.executable, "-m", "rdconsole", "--config", str(bad), "status", "--json"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert f"{bad}, line 2" in result.stderr


def test_load_settings_of_lab_config(lab_config: Path) -> None:
    assert load_settings(lab_config).master.name == "onair"
