"""`rdconsole setup` on two fresh real servers (no replication yet), and its refusals.

Each test starts its own pair (``MariaDBLab(replicate=False)``: the master holds the Rivendell
schema and the accounts, the standby only the accounts) and stops it afterwards.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from textual.command import CommandPalette
from textual.widgets import Button, Input

from rdconsole.config import load_settings
from rdconsole.hosts.mysql import build_collectors
from rdconsole.hosts.state import AuditLog, read_state_file, write_state_file
from rdconsole.lab import LabError, MariaDBLab
from rdconsole.lab.schema import DATABASE
from rdconsole.lab.sshd import SshServer
from rdconsole.ops.console_replication import replication_runner
from rdconsole.ui.app import make_app
from rdconsole.ui.screens.replication import ReplicationRunScreen, ReplicationScreen
from tests.ui.samples import wait_until

pytestmark = pytest.mark.lab


@dataclass
class Pair:
    lab: MariaDBLab
    config: Path

    @property
    def state_dir(self) -> Path:
        return self.config.parent / "state"

    def cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "rdconsole", "--config", str(self.config), *arguments]
        return subprocess.run(command, capture_output=True, text=True, timeout=120)

    def checksums(self, host: str) -> dict[str, Any]:
        sql = self.lab.master_sql if host == "master" else self.lab.standby_sql
        tables = sql(
            "SELECT TABLE_NAME AS t FROM information_schema.TABLES "
            f"WHERE TABLE_SCHEMA = '{DATABASE}' ORDER BY 1"
        )
        names = ", ".join(f"{DATABASE}.{row['t']}" for row in tables)
        return {str(r["Table"]): r["Checksum"] for r in sql(f"CHECKSUM TABLE {names}")}

    def unfinish(self, *steps: str) -> Path:
        """Make the last setup's journal say these steps never ran, as a crash would leave it."""
        journal_path = self.state_dir / "setup-run.json"
        journal = read_state_file(journal_path)
        assert journal is not None
        for entry in journal["steps"]:
            if entry["id"].split("-", 1)[1] in steps:
                entry["status"] = "pending"
        journal["finished"] = False
        write_state_file(journal_path, journal)
        return journal_path

    def standby_own_events(self) -> list[str]:
        """The standby's binlog events that it originated itself (server id 100)."""
        files = sorted((self.lab.standby.datadir).glob("mysql-bin.[0-9]*"))
        decoded = subprocess.run(
            ["mariadb-binlog", "--base64-output=decode-rows", *map(str, files)],
            capture_output=True,
            text=True,
            check=True,
            errors="replace",
        ).stdout
        return [block for block in decoded.split("# at ") if "server id 100 " in block]

    def standby_tables(self) -> int:
        rows = self.lab.standby_sql(
            f"SELECT COUNT(*) AS n FROM information_schema.TABLES WHERE TABLE_SCHEMA='{DATABASE}'"
        )
        return int(rows[0]["n"] or 0)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Pair]:
    lab = MariaDBLab(tmp_path / "lab", replicate=False)
    try:
        lab.start()
    except (LabError, OSError) as error:
        pytest.fail(f"the MariaDB lab did not start: {error}", pytrace=False)
    try:
        yield Pair(lab, lab.write_config(tmp_path / "rdconsole.toml", tmp_path / "state"))
    finally:
        lab.stop()


def test_setup_makes_a_fresh_standby_replicate_an_identical_copy(pair: Pair) -> None:
    pair.lab.write_load(500)
    stale = pair.state_dir / "tmp" / "client-killed" / "client.cnf"  # left by a killed run
    stale.parent.mkdir(parents=True)
    stale.write_text("[client]\npassword=old\n")

    result = pair.cli("setup", "--yes")

    assert result.returncode == 0, output(result)
    assert "setup done" in result.stdout
    status = pair.lab.standby_status()
    assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("Yes", "Yes")
    pair.lab.write_load(100)  # written after the snapshot: must arrive by replication
    pair.lab.wait_replicated()
    master = pair.checksums("master")
    assert len(master) >= 6 and master == pair.checksums("standby")
    # Least privilege: the replication account cannot do more than replicate.
    for run_sql in (pair.lab.master_sql, pair.lab.standby_sql):
        grants = " ".join(str(next(iter(r.values()))) for r in run_sql("SHOW GRANTS FOR repl"))
        assert "REPLICATION SLAVE" in grants
        assert "SUPER" not in grants and "RELOAD" not in grants and "ALL PRIVILEGES" not in grants
    # The load did not write the standby's own binlog (sql_log_bin=0 for the snapshot).
    assert not any("CART" in event for event in pair.standby_own_events())
    # Audited, and no secret anywhere in the state directory's logs.
    steps = [e for e in AuditLog(pair.state_dir).read() if e["action"] == "setup-step"]
    assert [e["step"].split("-", 1)[1] for e in steps] == [
        "account",
        "account-target",
        "fence-target",
        "snapshot",
        "point",
        "running",
        "probe",
    ]
    # The option files are gone, this run's and the killed run's.
    assert list((pair.state_dir / "tmp").iterdir()) == []
    assert any(e["action"] == "setup-cleanup" for e in AuditLog(pair.state_dir).read())
    for path in pair.state_dir.iterdir():
        if path.is_file():
            assert pair.lab.repl_password not in path.read_text(errors="replace"), path


def test_dry_run_shows_every_statement_and_changes_nothing(pair: Pair) -> None:
    result = pair.cli("setup", "--dry-run")

    assert result.returncode == 0, output(result)
    for text in (
        "CREATE USER IF NOT EXISTS 'repl'@'%'",
        "mariadb-dump",
        "--single-transaction",
        "SET sql_log_bin=0",
        "CHANGE MASTER TO",
        "START SLAVE",
        "'********'",
    ):
        assert text in result.stdout, text
    assert pair.lab.repl_password not in result.stdout + result.stderr
    assert pair.lab.standby_sql("SHOW SLAVE STATUS") == []
    assert pair.standby_tables() == 0


def test_a_generated_password_is_kept_0600_in_state_dir_and_used(pair: Pair) -> None:
    lines = pair.config.read_text().splitlines()
    start = lines.index("[replication]")
    replication = [line for line in lines[start:] if not line.startswith("password")]
    pair.config.write_text("\n".join(lines[:start] + replication) + "\n")

    result = pair.cli("setup", "--yes")

    assert result.returncode == 0, output(result)
    secret = pair.state_dir / "replication.secret"
    assert secret.stat().st_mode & 0o777 == 0o600
    generated = secret.read_text().strip()
    assert len(generated) >= 24 and generated != pair.lab.repl_password
    assert generated not in result.stdout + result.stderr


def test_a_standby_database_with_data_is_refused_unless_named(pair: Pair) -> None:
    pair.lab.standby_sql(f"CREATE DATABASE {DATABASE}; CREATE TABLE {DATABASE}.KEEP (id INT)")

    refused = pair.cli("setup", "--yes")

    assert refused.returncode == 1, output(refused)
    assert "already hold data" in refused.stderr
    assert pair.lab.standby_sql("SHOW SLAVE STATUS") == []
    assert pair.lab.standby_sql(f"SHOW TABLES FROM {DATABASE}") == [{"Tables_in_Rivendell": "KEEP"}]
    wrong = pair.cli("setup", "--yes", "--overwrite", "Other")
    assert wrong.returncode == 1, output(wrong)

    named = pair.cli("setup", "--yes", "--overwrite", DATABASE)

    assert named.returncode == 0, output(named)
    assert pair.checksums("master") == pair.checksums("standby")


def test_equal_server_ids_are_refused_with_the_line_to_add(pair: Pair) -> None:
    pair.lab.standby_sql("SET GLOBAL server_id = 1")

    result = pair.cli("setup", "--yes")

    assert result.returncode == 1, output(result)
    assert "both servers have server_id 1" in result.stdout
    assert "server-id = 2" in result.stdout
    assert pair.lab.standby_sql("SHOW SLAVE STATUS") == [] and pair.standby_tables() == 0


def test_binlog_off_on_the_master_is_refused_with_the_lines_to_add(pair: Pair) -> None:
    master = pair.lab.master
    master.stop()
    master.config.write_text(
        "\n".join(
            line
            for line in master.config.read_text().splitlines()
            if not line.startswith(("log-bin", "binlog_format", "expire_logs_days"))
        )
        + "\n"
    )
    master.start(pair.lab.startup_timeout)

    result = pair.cli("setup", "--yes")

    assert result.returncode == 1, output(result)
    assert "log_bin is OFF" in result.stdout and "log-bin = mysql-bin" in result.stdout
    assert pair.lab.standby_sql("SHOW SLAVE STATUS") == [] and pair.standby_tables() == 0


def test_a_run_killed_half_way_is_finished_by_resume(pair: Pair) -> None:
    done = pair.cli("setup", "--yes")
    assert done.returncode == 0, output(done)
    # What a crash right after the snapshot leaves: the journal with the coordinates and
    # the later steps pending, the standby loaded but not replicating.
    journal_path = pair.unfinish("point", "running", "probe")
    pair.lab.standby_sql("STOP SLAVE; RESET SLAVE ALL")
    pair.lab.write_load(50)

    again = pair.cli("setup", "--yes")
    assert again.returncode == 1 and "--resume" in again.stderr, output(again)
    resumed = pair.cli("setup", "--resume")

    assert resumed.returncode == 0, output(resumed)
    audit = AuditLog(pair.state_dir).read()
    last_start = max(i for i, e in enumerate(audit) if e["action"] == "setup-start")
    assert audit[last_start]["resumed"] is True
    ran = [e["step"] for e in audit[last_start:] if e["action"] == "setup-step"]
    assert [step.split("-", 1)[1] for step in ran] == ["point", "running", "probe"]
    assert "Unfinished setup run from" in resumed.stdout
    pair.lab.wait_replicated()
    assert pair.checksums("master") == pair.checksums("standby")
    final = read_state_file(journal_path)
    assert final is not None and final["finished"]
    statuses = json.dumps([e["status"] for e in final["steps"]])
    assert "pending" not in statuses and "failed" not in statuses


def test_a_remote_master_is_dumped_over_ssh_with_its_option_file_removed(
    pair: Pair, ssh_server: SshServer
) -> None:
    # The master's admin login is its loopback address, reachable only on that host: with
    # [master.ssh] the dump runs there, over SSH (the lab's sshd), streamed back through rdconsole.
    with pair.config.open("a", encoding="utf-8") as file:
        file.write(
            f'\n[master.ssh]\nuser = "{ssh_server.user}"\nport = {ssh_server.port}\n'
            f'known_hosts = "{ssh_server.known_hosts}"\n'
            f'identity_files = ["{ssh_server.client_key}"]\n'
        )
    before = set(Path(tempfile.gettempdir()).glob("rdconsole-*.cnf"))
    logins = ssh_server.log_path.read_text(errors="replace").count("Accepted publickey")

    result = pair.cli("setup", "--yes")

    assert result.returncode == 0, output(result)
    assert pair.checksums("master") == pair.checksums("standby")
    assert set(Path(tempfile.gettempdir()).glob("rdconsole-*.cnf")) == before
    after = ssh_server.log_path.read_text(errors="replace").count("Accepted publickey")
    assert after > logins


async def test_the_console_sets_up_replication_from_the_palette(pair: Pair) -> None:
    # The real console on the fresh pair: Ctrl+P "set up", the checks, the typed name, Confirm;
    # the steps run through the same flow as the CLI, against the real servers.
    settings = load_settings(pair.config)
    app = make_app(
        settings,
        build_collectors(settings.hosts, settings.console),
        replication=replication_runner(settings),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*[{" ": "space"}.get(c, c) for c in "set up repl"])
        await pilot.pause(0.3)
        await pilot.press("enter")
        await wait_until(pilot, lambda: isinstance(app.screen, ReplicationScreen))
        screen = app.screen
        assert isinstance(screen, ReplicationScreen)
        await wait_until(pilot, lambda: not screen.checking)
        assert screen.query_one("#confirm", Button).disabled
        screen.query_one("#typed-word", Input).focus()
        await pilot.press(*"backup", "enter")
        await pilot.pause()
        assert not screen.query_one("#confirm", Button).disabled
        await pilot.press("enter")
        await wait_until(
            pilot, lambda: app.replication.run is not None and app.replication.run.done
        )
        run = app.screen
        assert isinstance(run, ReplicationRunScreen)
        assert all(text.startswith("✔ ") for text in run.texts), run.texts
    status = pair.lab.standby_status()
    assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("Yes", "Yes")
    assert pair.checksums("master") == pair.checksums("standby")
    assert any(e["action"] == "setup-end" and e["ok"] for e in AuditLog(pair.state_dir).read())


def test_myisam_tables_are_copied_under_a_read_lock_and_identical(pair: Pair) -> None:
    # Rivendell's historical default engine: a single-transaction dump would not be consistent.
    pair.lab.master_sql(f"ALTER TABLE {DATABASE}.CART ENGINE=MyISAM")
    pair.lab.write_load(300)

    result = pair.cli("setup", "--yes")

    assert result.returncode == 0, output(result)
    assert "--lock-all-tables" in result.stdout and "--single-transaction" not in result.stdout
    assert "ALTER TABLE `Rivendell`.`CART` ENGINE=InnoDB" in result.stdout
    assert "under a read lock" in result.stdout
    pair.lab.write_load(20)
    pair.lab.wait_replicated()
    assert pair.checksums("master") == pair.checksums("standby")


def test_a_failing_statement_never_shows_the_password_and_dry_run_resume_changes_nothing(
    pair: Pair,
) -> None:
    # An admin login that may not create users: the first step fails on a statement that holds
    # the replication password; the error quotes the statement.
    text = pair.config.read_text()
    assert text.index("[master.admin]") < text.index('user = "root"') < text.index("[[standby]]")
    monitor = f'user = "rdconsole"\npassword = "{pair.lab.monitor_password}"'
    pair.config.write_text(text.replace('user = "root"', monitor, 1))

    failed = pair.cli("setup", "--yes")

    assert failed.returncode == 2, output(failed)
    assert "01-account" in failed.stderr and "CREATE USER" in failed.stderr
    secret = pair.lab.repl_password
    assert secret not in failed.stdout + failed.stderr
    for path in pair.state_dir.iterdir():
        if path.is_file():
            assert secret not in path.read_text(errors="replace"), path
    dry = pair.cli("setup", "--dry-run", "--resume")
    assert dry.returncode == 0, output(dry)
    assert "Unfinished setup run from" in dry.stdout
    assert pair.lab.standby_sql("SHOW SLAVE STATUS") == [] and pair.standby_tables() == 0
    journal = read_state_file(pair.state_dir / "setup-run.json")
    assert journal is not None and not journal["finished"]


def test_resuming_a_point_that_already_ran_does_not_rewind_the_replica(pair: Pair) -> None:
    # Killed right after START SLAVE, before the journal said so: the replica runs and has
    # applied writes past the snapshot; pointing it at the snapshot again would apply them twice.
    assert pair.cli("setup", "--yes").returncode == 0
    pair.unfinish("point", "running", "probe")
    pair.lab.write_load(40)
    pair.lab.wait_replicated()

    resumed = pair.cli("setup", "--resume")

    assert resumed.returncode == 0, output(resumed)
    point = [e for e in AuditLog(pair.state_dir).read() if e.get("step", "").endswith("-point")]
    assert "already pointed" in point[-1]["result"]
    status = pair.lab.standby_status()
    assert (status["Slave_IO_Running"], status["Slave_SQL_Running"]) == ("Yes", "Yes")
    assert status["Last_SQL_Errno"] == "0"
    pair.lab.write_load(10)
    pair.lab.wait_replicated()
    assert pair.checksums("master") == pair.checksums("standby")
