"""`rdconsole failover` on a real master/standby pair, with a real Rivendell layout and service.

A promotion breaks replication for good (RESET SLAVE ALL, read_only OFF), so every test here
starts its own MariaDB lab under its tmp_path (about 2 s) and stops it on the way out, also on a
failure; the session-wide ``lab`` fixture is never touched. The standby's Rivendell is the lab's
StationLayout (``etc/rd.conf`` and ``snd`` links) driven by the recording service script of
tests/helpers.py. The CLI runs as a subprocess wherever its exit code is what is tested.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncmy
import pytest
from asyncmy.errors import MySQLError

from rdconsole.core.evidence import MasterState
from rdconsole.core.failover_plan import StepKind, plan_promotion
from rdconsole.core.vocabulary import parse_version, vocabulary_for
from rdconsole.hosts.state import AuditLog, read_state_file
from rdconsole.lab import MariaDBLab
from rdconsole.lab.client import Row
from rdconsole.lab.sshd import SshServer
from rdconsole.lab.station import StationLayout
from tests.helpers import recorded_calls

pytestmark = pytest.mark.lab

READ_ONLY_ERROR = 1290
"""ER_OPTION_PREVENTS_STATEMENT: what a write gets from a read_only server."""


@dataclass
class Site:
    """One lab pair plus the standby host's Rivendell: layout, service script, rdconsole config."""

    lab: MariaDBLab
    layout: StationLayout
    config: Path
    service: Path
    """The directory of the recording service script (its ``calls`` and ``running`` files)."""

    @property
    def state_dir(self) -> Path:
        return self.config.parent / "state"

    @property
    def rd_conf(self) -> Path:
        return self.layout.etc / "rd.conf"

    @property
    def snd(self) -> Path:
        return self.layout.root / "snd"

    def cli(self, *arguments: str, timeout: float = 120.0) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*self.argv(), *arguments], capture_output=True, text=True, timeout=timeout
        )

    def argv(self) -> list[str]:
        return [sys.executable, "-m", "rdconsole", "--config", str(self.config)]

    def kill_master(self) -> None:
        """SIGKILL the master and wait until the standby's IO thread has lost it."""
        self.lab.kill_master()
        self.lab.wait_for_standby(lambda s: s["Slave_IO_Running"] != "Yes", "IO thread lost it")

    def replica_status(self) -> list[Row]:
        return self.lab.standby_sql("SHOW SLAVE STATUS")

    def read_only(self, host: str) -> int:
        sql = self.lab.master_sql if host == "master" else self.lab.standby_sql
        return int(sql("SELECT @@GLOBAL.read_only AS ro")[0]["ro"] or -1)

    def targets(self) -> tuple[Path, Path]:
        """Where ``etc/rd.conf`` and ``snd`` lead (both must stay symlinks)."""
        assert self.rd_conf.is_symlink() and self.snd.is_symlink()
        return self.rd_conf.resolve(), self.snd.resolve()

    def mode_targets(self, mode: str) -> tuple[Path, Path]:
        return (self.layout.etc / f"rd.conf.{mode}").resolve(), (
            self.layout.root / f"snd.{mode}"
        ).resolve()

    def calls(self) -> list[str]:
        return recorded_calls(self.service)

    @property
    def running(self) -> bool:
        return (self.service / "running").exists()

    def audit(self) -> list[dict[str, Any]]:
        return AuditLog(self.state_dir).read()

    def run_journal(self) -> dict[str, Any] | None:
        return read_state_file(self.state_dir / "failover-run.json")

    def marker(self) -> dict[str, Any] | None:
        return read_state_file(self.state_dir / "promoted.json")

    def cart_numbers(self, host: str, title_prefix: str) -> set[int]:
        sql = self.lab.master_sql if host == "master" else self.lab.standby_sql
        rows = sql(f"SELECT NUMBER FROM Rivendell.CART WHERE TITLE LIKE '{title_prefix}%'")
        return {int(row["NUMBER"] or 0) for row in rows}

    def assert_nothing_changed(self, marker: dict[str, Any] | None = None) -> None:
        """The refusal left both hosts and the standby's Rivendell exactly as they were (and the
        promotion marker as ``marker``)."""
        status = self.replica_status()
        assert len(status) == 1, "the standby lost its replication configuration"
        assert status[0]["Master_Port"] == str(self.lab.master.port)
        assert self.read_only("standby") == 1
        assert os.readlink(self.rd_conf) == "rd.conf.master"
        assert os.readlink(self.snd) == "snd.master"
        assert self.calls() == []  # never stopped, started or even checked
        assert self.running
        assert self.marker() == marker
        changed = [
            e
            for e in self.audit()
            if e["action"] == "failover-step"
            and e["status"] == "done"
            and not e["step"].endswith(("-fence", "-drain"))
        ]
        assert changed == []
        assert not [e for e in self.audit() if e["action"] == "switch"]


def write_site_config(
    lab: MariaDBLab,
    root: Path,
    layout: StationLayout,
    service: Path,
    *,
    settle: str = "1s",
    drain_timeout: str = "2s",
) -> Path:
    """The lab's rdconsole config plus the standby's audio mirror, Rivendell layout and service
    commands, and the failover guards."""

    def string(value: object) -> str:
        return json.dumps(str(value))

    config = lab.write_config(root / "rdconsole.toml", root / "state")
    script = service / "rivendell"
    with config.open("a", encoding="utf-8") as file:
        file.write(
            "\n".join(
                [
                    "",
                    "[standby.audio]",
                    f"dir = {string(layout.mirror)}",
                    "",
                    "[standby.rivendell]",
                    f"rd_conf = {string(layout.etc / 'rd.conf')}",
                    f"rd_conf_master = {string(layout.etc / 'rd.conf.master')}",
                    f"rd_conf_standby = {string(layout.etc / 'rd.conf.standby')}",
                    f"snd = {string(layout.root / 'snd')}",
                    f"snd_master = {string(layout.root / 'snd.master')}",
                    f"stop_command = {string(f'{script} stop')}",
                    f"start_command = {string(f'{script} start')}",
                    f"check_command = {string(f'{script} check')}",
                    f"settle = {string(settle)}",
                    "",
                    "[failover]",
                    f"drain_timeout = {string(drain_timeout)}",
                    "",
                ]
            )
        )
    return config


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\nstdout:\n{result.stdout}\nstderr:\n{result.stderr}"


# -- master killed: failover ---------------------------------------------------------------------


def test_master_killed_failover_promotes_switches_and_audits(site: Site) -> None:
    carts = site.lab.write_load(25)
    site.lab.wait_replicated()
    site.kill_master()

    result = site.cli("failover", "--yes", "--fenced", "powered off")

    assert result.returncode == 0, output(result)
    assert "backup is the master now (failover)" in result.stdout
    # The database: no replication configuration left, writable, every replicated row there.
    assert site.replica_status() == []
    assert site.read_only("standby") == 0
    assert site.cart_numbers("standby", "load ") >= set(carts)
    # Rivendell: both links (still symlinks) lead to the standby files; stopped before the
    # switch, started after it and checked while it settled.
    assert site.targets() == site.mode_targets("standby")
    calls = site.calls()
    assert calls.count("stop") == 1 and calls.count("start") == 1, calls
    assert calls.index("stop") < calls.index("start")
    assert "check" in calls[calls.index("start") + 1 :]
    assert site.running
    switch = [(e["step"], e["result"]) for e in site.audit() if e["action"] == "switch"]
    done = [step for step, result in switch if result == "ok"]
    assert done.index("stop") < done.index("replace-link") < done.index("start")
    assert done.count("replace-link") == 2
    # The step journal and the audit log: every step of the plan done, in order.
    journal = site.run_journal()
    assert journal is not None and journal["finished"] and journal["path"] == "failover"
    steps = [entry["id"] for entry in journal["steps"]]
    assert all(entry["status"] == "done" for entry in journal["steps"])
    assert [s.split("-", 1)[1] for s in steps] == [
        "fence",
        "drain",
        "stop-replication",
        "record",
        "reset",
        "writable",
        "switch",
        "post-check",
        "marker",
    ]
    audit = [e for e in site.audit() if e["action"].startswith("failover")]
    assert audit[0]["action"] == "failover-start"
    assert audit[0]["fenced"] == "powered off" and audit[0]["master_state"] == "DOWN"
    assert [(e["step"], e["status"]) for e in audit[1:-1]] == [(s, "done") for s in steps]
    assert audit[-1]["action"] == "failover-end" and audit[-1]["exit_code"] == 0
    # The promotion marker, and the incident report built from the audit log.
    marker = site.marker()
    assert marker is not None
    assert (marker["standby"], marker["master"], marker["reason"]) == (
        "backup",
        "onair",
        "powered off",
    )
    assert marker["final_coordinates"]["exec_master_log_pos"] is not None
    report = site.cli("report")
    assert report.returncode == 0, output(report)
    assert report.stdout.startswith("# Failover of backup (failover)")
    assert "- Old master fenced (operator's statement): powered off" in report.stdout
    assert "- Ended: " in report.stdout and "exit 0:" in report.stdout
    for step in steps:
        assert f"| {step} | done |" in report.stdout, step
    assert "`RESET SLAVE ALL`" in report.stdout


def test_fence_stop_runs_the_configured_commands_on_the_master_over_ssh(
    site: Site, ssh_server: SshServer
) -> None:
    # The master's database died but its host answers SSH: with fence = "stop" rdconsole stops
    # Rivendell and the database there itself, with [failover]'s commands for the master.
    fenced = site.config.parent / "fenced"
    fenced.mkdir()
    stop_rivendell, stop_database = f"touch {fenced}/rivendell", f"touch {fenced}/database"
    text = site.config.read_text(encoding="utf-8").replace(
        "[failover]\n",
        "[failover]\n"
        'fence = "stop"\n'
        f"master_stop_command = {json.dumps(stop_rivendell)}\n"
        f"master_database_stop_command = {json.dumps(stop_database)}\n",
    )
    text += (
        f'\n[master.ssh]\nuser = "{ssh_server.user}"\nport = {ssh_server.port}\n'
        f'known_hosts = "{ssh_server.known_hosts}"\nidentity_files = ["{ssh_server.client_key}"]\n'
    )
    site.config.write_text(text, encoding="utf-8")
    site.kill_master()

    dry = site.cli("failover", "--dry-run")

    assert dry.returncode == 0, output(dry)
    assert f"{stop_rivendell}; {stop_database}" in dry.stdout
    assert list(fenced.iterdir()) == []

    result = site.cli("failover", "--yes")

    assert result.returncode == 0, output(result)
    assert sorted(path.name for path in fenced.iterdir()) == ["database", "rivendell"]
    fence = [e for e in site.audit() if e["action"] == "failover-step" and e["step"] == "01-fence"]
    assert [(e["text"], e["status"]) for e in fence] == [
        (f"{stop_rivendell}; {stop_database}", "done")
    ]
    assert site.replica_status() == [] and site.read_only("standby") == 0


# -- master up: switchover -----------------------------------------------------------------------


@dataclass
class Writer:
    """Inserts CART rows on one server as Rivendell's own account until it is refused."""

    port: int
    password: str
    title: str = "switchover "
    acknowledged: list[int] = field(default_factory=list)
    refused_at: float | None = None
    errors: list[str] = field(default_factory=list)

    async def run(self, first: int, pause: float = 0.005, limit: int | None = None) -> None:
        """Insert rows ``first``, ``first + 1``... every ``pause`` s until refused (or ``limit``
        rows are in)."""
        connection = await asyncmy.connect(
            host="127.0.0.1",
            port=self.port,
            user="rduser",
            password=self.password,
            db="Rivendell",
            autocommit=True,
        )
        try:
            numbers = itertools.count(first) if limit is None else range(first, first + limit)
            for number in numbers:
                try:
                    async with connection.cursor() as cursor:
                        await cursor.execute(
                            "INSERT INTO CART (NUMBER, TITLE) VALUES (%s, %s)",
                            (number, f"{self.title}{number}"),
                        )
                except MySQLError as error:
                    if error.args and error.args[0] == READ_ONLY_ERROR:
                        self.refused_at = time.monotonic()
                    else:
                        self.errors.append(f"INSERT {number}: {error}")
                    return
                self.acknowledged.append(number)
                await asyncio.sleep(pause)
        finally:
            connection.close()


async def test_master_up_switchover_fences_it_and_loses_no_acknowledged_write(
    site: Site,
) -> None:
    writer = Writer(site.lab.master.port, site.lab.rivendell_password)
    writing = asyncio.create_task(writer.run(first=100_000))
    process: asyncio.subprocess.Process | None = None
    try:
        while len(writer.acknowledged) < 20:
            assert not writing.done(), writer.errors
            await asyncio.sleep(0.01)
        process = await asyncio.create_subprocess_exec(
            *site.argv(),
            "failover",
            "--yes",
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
        await asyncio.wait_for(writing, 10)
    finally:
        writing.cancel()
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
    text = f"exit {process.returncode}\n{stdout.decode()}\n{stderr.decode()}"
    assert process.returncode == 0, text
    assert "Plan (switchover):" in stdout.decode()
    assert writer.errors == []
    assert writer.refused_at is not None, "the master never refused a write"
    assert site.read_only("master") == 1
    assert site.read_only("standby") == 0 and site.replica_status() == []
    # Every write the master acknowledged is on the promoted standby, and nothing more.
    acknowledged = set(writer.acknowledged)
    assert len(acknowledged) >= 20
    assert site.cart_numbers("standby", writer.title) == acknowledged
    assert site.cart_numbers("master", writer.title) == acknowledged
    journal = site.run_journal()
    assert journal is not None and journal["path"] == "switchover" and journal["finished"]
    assert journal["steps"][0]["id"] == "01-fence" and journal["steps"][0]["status"] == "done"
    assert site.targets() == site.mode_targets("standby")
    # Rivendell's account now writes on the promoted standby.
    after = Writer(site.lab.standby.port, site.lab.rivendell_password, title="after ")
    await asyncio.wait_for(after.run(first=200_000, pause=0, limit=5), 10)
    assert after.acknowledged == list(range(200_000, 200_005)), after.errors


# -- refusals: nothing changed -------------------------------------------------------------------


def test_sql_thread_error_is_refused_with_nothing_changed(site: Site) -> None:
    site.lab.break_sql_thread()
    site.kill_master()

    result = site.cli("failover", "--yes", "--fenced", "powered off")

    assert result.returncode == 1, output(result)
    assert "the SQL thread is stopped (error 1062" in result.stderr
    assert "--override" in result.stdout  # the fix names the way out
    site.assert_nothing_changed()
    assert site.replica_status()[0]["Last_SQL_Errno"] == "1062"
    assert [e["action"] for e in site.audit()] == ["failover-refused"]
    assert site.run_journal() is None


def test_relay_log_stalled_is_refused_with_nothing_changed(site: Site) -> None:
    lab = site.lab
    held = lab.standby.held_session()
    try:
        held.query("LOCK TABLES Rivendell.CART WRITE;")
        carts = lab.write_load(50)
        lab.wait_for_standby(
            lambda s: int(s["Read_Master_Log_Pos"] or 0) > int(s["Exec_Master_Log_Pos"] or 0),
            "received but not executed",
        )
        site.kill_master()
        stalled = site.replica_status()[0]

        began = time.monotonic()
        result = site.cli("failover", "--yes", "--fenced", "powered off")
        took = time.monotonic() - began

        assert result.returncode == 1, output(result)
        assert "no progress for 2 s (drain_timeout)" in result.stderr
        assert "Nothing was changed" in result.stderr
        assert took < 15  # the stall is noticed after drain_timeout, not waited out
        site.assert_nothing_changed()
        status = site.replica_status()[0]
        assert status["Exec_Master_Log_Pos"] == stalled["Exec_Master_Log_Pos"]
        assert status["Read_Master_Log_Pos"] == stalled["Read_Master_Log_Pos"]
        journal = site.run_journal()
        assert journal is not None and journal["finished"] and journal["aborted"]
        statuses = [(e["id"].split("-", 1)[1], e["status"]) for e in journal["steps"][:3]]
        assert statuses == [("fence", "done"), ("drain", "failed"), ("stop-replication", "pending")]
        end = [e for e in site.audit() if e["action"] == "failover-end"]
        assert [e["exit_code"] for e in end] == [1]
    finally:
        held.close()
    # Released, the SQL thread executes what it had received: nothing was lost, and the
    # refused run left nothing to --resume, so a new failover goes through.
    lab.wait_for_standby(
        lambda s: s["Exec_Master_Log_Pos"] == s["Read_Master_Log_Pos"], "drained after release"
    )
    assert site.cart_numbers("standby", "load ") >= set(carts)
    again = site.cli("failover", "--yes", "--fenced", "powered off")
    assert again.returncode == 0, output(again)
    assert site.replica_status() == [] and site.read_only("standby") == 0


def test_second_promotion_inside_the_window_is_refused(site: Site) -> None:
    site.state_dir.mkdir(mode=0o700, exist_ok=True)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    marker = {"at": now, "by": "ops", "standby": "backup", "master": "onair", "reason": "drill"}
    (site.state_dir / "promoted.json").write_text(json.dumps(marker))
    site.kill_master()

    result = site.cli("failover", "--yes", "--fenced", "powered off")

    assert result.returncode == 1, output(result)
    assert "✖ BLOCK Anti-flapping" in result.stdout
    assert "ago by ops ('drill')" in result.stderr
    assert "a second promotion within 8h00m needs a reason" in result.stderr
    site.assert_nothing_changed(marker)
    dry = site.cli("failover", "--dry-run", "--fenced", "powered off", "--override", "drill 2")
    assert dry.returncode == 0, output(dry)
    assert "Anti-flapping (overridden)" in dry.stdout
    assert "dry run: it could go (nothing changed)" in dry.stdout
    assert site.replica_status() and site.read_only("standby") == 1
    assert site.calls() == []


def test_master_up_is_only_ever_promoted_through_a_switchover(site: Site) -> None:
    for extra in ([], ["--fenced", "powered off"]):
        result = site.cli("failover", "--dry-run", *extra)
        assert result.returncode == 0, output(result)
        assert "Master onair: UP" in result.stdout
        plan = result.stdout.split("Plan (switchover):\n", 1)[1]
        first = plan.splitlines()[:2]
        assert first[0].strip() == "01-fence [onair] Make the master read-only"
        assert first[1].strip().startswith("SET GLOBAL read_only = ON;")
        fence = plan.index("SET GLOBAL read_only = ON")
        assert fence < plan.index("STOP SLAVE") < plan.index("RESET SLAVE ALL")
        assert plan.index("RESET SLAVE ALL") < plan.index("SET GLOBAL read_only = OFF")
    assert site.read_only("master") == 0
    site.assert_nothing_changed()
    assert site.audit() == []  # a dry run that could go is not audited


@pytest.mark.parametrize("fence", ["read_only", "stop", "none"])
@pytest.mark.parametrize("can_fence_host", [True, False])
@pytest.mark.parametrize("version", ["10.11.6-MariaDB-0+deb12u1", "8.0.36"])
def test_no_plan_for_an_up_master_lacks_its_read_only_fence(
    fence: str, can_fence_host: bool, version: str
) -> None:
    vocabulary = vocabulary_for(*parse_version(version))
    plan = plan_promotion(
        MasterState.UP,
        master="onair",
        standby="backup",
        master_vocabulary=vocabulary,
        standby_vocabulary=vocabulary,
        fence=fence,
        can_fence_host=can_fence_host,
        master_stop_command="systemctl stop rivendell",
        master_database_stop_command="systemctl stop mariadb",
    )
    assert plan.path == "switchover"
    first = plan.steps[0]
    assert (first.kind, first.host) == (StepKind.MASTER_SQL, "onair")
    assert first.statements[0] == "SET GLOBAL read_only = ON"
    assert first.statements[-1] == "SELECT @@GLOBAL.read_only AS read_only"
    kinds = [step.kind for step in plan.steps]
    assert kinds.index(StepKind.WAIT_CAUGHT_UP) < kinds.index(StepKind.STANDBY_SQL)


def test_rd_conf_as_a_regular_file_is_refused_before_anything_changes(site: Site) -> None:
    text = site.rd_conf.read_text()
    site.rd_conf.unlink()
    site.rd_conf.write_text(text)
    site.kill_master()

    result = site.cli("failover", "--yes", "--fenced", "powered off")

    assert result.returncode == 1, output(result)
    assert "not a symlink" in result.stdout + result.stderr
    assert not site.rd_conf.is_symlink() and site.rd_conf.read_text() == text
    status = site.replica_status()
    assert len(status) == 1, "the database was promoted although Rivendell cannot be switched"
    assert site.read_only("standby") == 1
    assert "stop" not in site.calls()
    journal = site.run_journal()
    assert journal is None or journal["aborted"]  # refused up front, or before any change


# -- rdconsole killed half-way: --resume ---------------------------------------------------------


def wait_for(predicate: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"{what}: not reached in {timeout:g} s"
        time.sleep(0.05)


def step_status(site: Site, kind: str) -> str | None:
    journal = site.run_journal() or {}
    return next((s["status"] for s in journal.get("steps", []) if s["kind"] == kind), None)


def kill_during_the_start(site: Site, *, with_the_start: bool) -> None:
    """Run a failover of the dead master whose Rivendell start takes 4 s and SIGKILL rdconsole
    while the switch step waits for that start (links already replaced). ``with_the_start``:
    kill the start command's process group too, as systemd does with a unit's cgroup; else it
    finishes on its own (it runs in a session of its own)."""
    (site.service / "slow-start").touch()
    site.kill_master()
    process = subprocess.Popen(
        [*site.argv(), "failover", "--yes", "--fenced", "powered off"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_for(lambda: step_status(site, "switch") == "running", "switch step running")
        wait_for(lambda: (site.service / "start.pid").exists(), "the slow start began")
        process.kill()
        process.wait(10)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    if with_the_start:
        os.killpg(os.getpgid(int((site.service / "start.pid").read_text())), signal.SIGKILL)
    assert site.targets() == site.mode_targets("standby")  # switched, not yet started
    assert not site.running
    assert site.replica_status() == []  # the database was promoted before the switch


def test_killed_during_the_switch_is_finished_by_resume(site: Site) -> None:
    kill_during_the_start(site, with_the_start=False)
    try:
        again = site.cli("failover", "--yes", "--fenced", "powered off")
        assert again.returncode == 1, output(again)
        assert "finish it with `rdconsole failover --resume`" in again.stderr
        assert "06-writable" in again.stderr  # what was done already

        resumed = site.cli("failover", "--resume", "--yes")

        assert resumed.returncode == 0, output(resumed)
        assert "Resuming the failover of backup" in resumed.stdout
        assert "steps left 07-switch, 08-post-check, 09-marker" in resumed.stdout
        journal = site.run_journal()
        assert journal is not None and journal["finished"]
        assert [s["status"] for s in journal["steps"]] == ["done"] * len(journal["steps"])
        assert site.replica_status() == [] and site.read_only("standby") == 0
        assert site.targets() == site.mode_targets("standby")
        assert site.marker() is not None
        actions = [e["action"] for e in site.audit() if e["action"].startswith("failover")]
        assert actions.count("failover-start") == 1 and actions.count("failover-resume") == 1
        refused_again = site.cli("failover", "--resume", "--yes")
        assert refused_again.returncode == 1, output(refused_again)
        assert "no interrupted failover to resume" in refused_again.stderr
    finally:  # the start left alone ends by bringing Rivendell up
        wait_for(lambda: site.running, "the orphaned start finished", 10)


def test_resume_after_an_interrupted_start_leaves_rivendell_running(site: Site) -> None:
    kill_during_the_start(site, with_the_start=True)

    resumed = site.cli("failover", "--resume", "--yes")

    assert resumed.returncode == 0, output(resumed)
    assert site.targets() == site.mode_targets("standby")
    # A finished failover means Rivendell runs on the promoted standby.
    assert site.running, f"the resumed failover left Rivendell stopped:\n{output(resumed)}"
    assert site.calls()[-1] == "check"


def test_report_of_a_resumed_failover_shows_its_end(site: Site) -> None:
    kill_during_the_start(site, with_the_start=True)
    resumed = site.cli("failover", "--resume", "--yes")
    assert resumed.returncode == 0, output(resumed)

    report = site.cli("report")

    assert report.returncode == 0, output(report)
    assert "| 07-switch | done |" in report.stdout
    assert "- Not finished" not in report.stdout, report.stdout
    assert "- Ended: " in report.stdout and "exit 0:" in report.stdout, report.stdout
    end = [e for e in site.audit() if e["action"] == "failover-end"]
    assert [e["exit_code"] for e in end] == [0]
