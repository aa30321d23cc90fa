"""`rdconsole switch` on real files under tmp_path with real commands: a service script that
records each call and keeps a "running" flag, real processes for the GUI and daemon checks."""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from rdconsole.config import load_settings
from rdconsole.config.settings import Settings
from rdconsole.core.layout import Mode
from rdconsole.hosts.state import AuditLog, RunLock
from rdconsole.lab.sshd import SshServer
from rdconsole.ops.switch import SwitchExit, SwitchTiming, current_mode, run_switch
from rdconsole.ops.sync import sync_paths

FAST = SwitchTiming(settle_s=1.0, samples=4, stop_wait_s=1.0, poll_s=0.1)
SERVICE = """#!/bin/sh
d=$(dirname "$0")
echo "$(date +%s.%N) $1" >> "$d/calls"
case "$1" in
stop)
    [ -e "$d/fail-stop" ] && { echo "rivendell: cannot stop" >&2; exit 1; }
    [ -e "$d/race" ] && rm "$d/etc/snd" && mkdir "$d/etc/snd"
    rm -f "$d/running" ;;
start)
    touch "$d/running"
    [ -e "$d/crash" ] && (sleep 1; rm -f "$d/running") >/dev/null 2>&1 &
    exit 0 ;;
check) [ -e "$d/running" ] ;;
esac
"""


@dataclass
class Station:
    """A standby's Rivendell layout and service under ``root``."""

    root: Path
    config: Path

    @property
    def etc(self) -> Path:
        return self.root / "etc"

    @property
    def rd_conf(self) -> Path:
        return self.etc / "rd.conf"

    @property
    def snd(self) -> Path:
        return self.etc / "snd"

    def links(self) -> tuple[str, str]:
        return os.readlink(self.rd_conf), os.readlink(self.snd)

    def mode_links(self, mode: str) -> tuple[str, str]:
        return str(self.etc / f"rd.conf.{mode}"), str(self.etc / f"snd.{mode}")

    def calls(self) -> list[str]:
        path = self.root / "calls"
        lines = path.read_text().splitlines() if path.exists() else []
        return [line.split()[1] for line in lines]

    def flag(self, name: str, present: bool = True) -> None:
        """Create or remove a flag file the service script reads (``crash``, ``fail-stop``...)."""
        if present:
            (self.root / name).touch()
        else:
            (self.root / name).unlink(missing_ok=True)

    @property
    def running(self) -> bool:
        return (self.root / "running").exists()

    def settings(self) -> Settings:
        return load_settings(self.config)

    def cli(self, *arguments: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "rdconsole", "--config", str(self.config), "switch"]
        return subprocess.run([*command, *arguments], capture_output=True, text=True, timeout=120)


def make_station(tmp_path: Path, ssh: SshServer | None = None) -> Station:
    root = tmp_path / "station"
    etc = root / "etc"
    etc.mkdir(parents=True)
    for mode in ("master", "standby"):
        (etc / f"rd.conf.{mode}").write_text(f"[Identity]\nLabel={mode}\n")
        (etc / f"snd.{mode}").mkdir()
    (etc / "rd.conf").symlink_to(etc / "rd.conf.master")
    (etc / "snd").symlink_to(etc / "snd.master")
    service = root / "rivendell"
    service.write_text(SERVICE)
    service.chmod(0o755)
    (root / "running").touch()
    host = (
        f'local = false\n\n[standby.ssh]\nuser = "{ssh.user}"\nport = {ssh.port}\n'
        f'known_hosts = "{ssh.known_hosts}"\nidentity_files = ["{ssh.client_key}"]\n'
        if ssh is not None
        else "local = true\n"
    )
    config = tmp_path / "rdconsole.toml"
    config.write_text(
        f"""
[console]
state_dir = "{tmp_path / "state"}"

[master]
name = "onair"
host = "127.0.0.1"

[master.mysql]
port = 1

[[standby]]
name = "backup"
host = "127.0.0.1"
{host}
[standby.mysql]
port = 1

[standby.audio]
dir = "{etc / "snd.standby"}"

[standby.rivendell]
rd_conf = "{etc / "rd.conf"}"
rd_conf_master = "{etc / "rd.conf.master"}"
rd_conf_standby = "{etc / "rd.conf.standby"}"
snd = "{etc / "snd"}"
snd_master = "{etc / "snd.master"}"
stop_command = "{service} stop"
start_command = "{service} start"
check_command = "{service} check"
"""
    )
    config.chmod(0o600)
    return Station(root, config)


@pytest.fixture
def station(tmp_path: Path) -> Station:
    return make_station(tmp_path)


@pytest.fixture
def process_named(tmp_path: Path) -> Iterator[Callable[[str], int]]:
    """Start ``/bin/sleep`` copied under a Rivendell program's name (its comm is that name)."""
    started: list[subprocess.Popen[bytes]] = []

    def start(name: str) -> int:
        program = tmp_path / name
        shutil.copy("/bin/sleep", program)
        process = subprocess.Popen([str(program), "60"])
        started.append(process)
        comm = Path(f"/proc/{process.pid}/comm")
        deadline = time.monotonic() + 10
        while comm.read_text().strip() != name:  # Popen may return before the exec
            assert time.monotonic() < deadline, f"{program} did not start"
            time.sleep(0.01)
        return process.pid

    yield start
    for process in started:
        process.kill()
        process.wait()


class LinkWatcher(threading.Thread):
    """Reads both links as fast as it can while a switch runs: they must never be missing."""

    def __init__(self, links: list[Path]) -> None:
        super().__init__(daemon=True)
        self.links = links
        self.seen: set[str] = set()
        self.missing = 0
        self.done = threading.Event()

    def run(self) -> None:
        while not self.done.is_set():
            for link in self.links:
                try:
                    self.seen.add(os.readlink(link))
                except OSError:
                    self.missing += 1


async def test_master_to_standby_switches_both_links_atomically(station: Station) -> None:
    watcher = LinkWatcher([station.rd_conf, station.snd])
    watcher.start()
    try:
        outcome = await run_switch(station.settings(), None, Mode.STANDBY, timing=FAST)
    finally:
        watcher.done.set()
        watcher.join()
    assert outcome.exit is SwitchExit.OK, outcome.message
    assert station.links() == station.mode_links("standby")
    assert station.rd_conf.is_symlink() and station.snd.is_symlink()
    assert watcher.missing == 0
    assert watcher.seen == {*station.mode_links("master"), *station.mode_links("standby")}
    calls = station.calls()
    assert calls.index("stop") < calls.index("start")
    assert calls[calls.index("stop") + 1] == "check"  # verified stopped before the links moved
    assert calls[calls.index("start") + 1 :] == ["check"] * FAST.samples
    assert station.running
    assert not list(station.etc.glob("*.rdconsole-new"))
    assert (station.etc / "rd.conf.master").read_text() == "[Identity]\nLabel=master\n"
    layout = await current_mode(station.settings())
    assert layout.mode is Mode.STANDBY and layout.live_on_mirror


async def test_standby_back_to_master_and_already_there(station: Station) -> None:
    settings = station.settings()
    assert (await run_switch(settings, None, Mode.STANDBY, timing=FAST)).exit is SwitchExit.OK
    assert (await run_switch(settings, None, Mode.MASTER, timing=FAST)).exit is SwitchExit.OK
    assert station.links() == station.mode_links("master")
    stops = station.calls().count("stop")
    again = await run_switch(settings, None, Mode.MASTER, timing=FAST)
    assert again.exit is SwitchExit.OK
    assert "already in master mode: nothing to do" in again.message
    assert station.calls().count("stop") == stops
    station.flag("running", False)
    idle = await run_switch(settings, None, Mode.MASTER, timing=FAST)
    assert idle.exit is SwitchExit.OK
    assert "Rivendell is not running: start it with" in idle.message


async def test_rd_conf_as_a_regular_file_is_refused_and_left_untouched(station: Station) -> None:
    station.rd_conf.unlink()
    station.rd_conf.write_text("[mySQL]\nHostname=onair\n")
    inode = station.rd_conf.stat().st_ino
    outcome = await run_switch(station.settings(), None, Mode.STANDBY, timing=FAST)
    assert outcome.exit is SwitchExit.REFUSED
    assert "never removes it" in outcome.message
    assert station.rd_conf.read_text() == "[mySQL]\nHostname=onair\n"
    assert station.rd_conf.stat().st_ino == inode and not station.rd_conf.is_symlink()
    assert "stop" not in station.calls()
    entries = AuditLog(station.settings().console.state_dir).read()
    assert [(e["step"], e["result"]) for e in entries] == [
        ("plan", "refused"),
        ("outcome", "refused"),
    ]
    assert entries[0]["refusals"][0].startswith(f"{station.rd_conf} is not a symlink")


async def test_snd_as_a_directory_is_refused_and_nothing_is_linked_inside(
    station: Station,
) -> None:
    station.snd.unlink()
    station.snd.mkdir()
    (station.snd / "000001_001.wav").write_bytes(b"RIFF")
    outcome = await run_switch(station.settings(), None, Mode.STANDBY, timing=FAST)
    assert outcome.exit is SwitchExit.REFUSED
    assert [p.name for p in station.snd.iterdir()] == ["000001_001.wav"]
    assert "stop" not in station.calls()


async def test_a_failed_stop_changes_no_link(station: Station) -> None:
    station.flag("fail-stop")
    outcome = await run_switch(station.settings(), None, Mode.STANDBY, timing=FAST)
    assert outcome.exit is SwitchExit.REFUSED
    assert "rivendell: cannot stop" in outcome.message
    assert "start it again with" in outcome.message
    assert station.links() == station.mode_links("master")
    assert "start" not in station.calls()


async def test_a_daemon_left_running_after_the_stop_changes_no_link(
    station: Station, process_named: Callable[[str], int]
) -> None:
    pid = process_named("caed")
    outcome = await run_switch(station.settings(), None, Mode.STANDBY, timing=FAST)
    assert outcome.exit is SwitchExit.REFUSED
    assert f"caed (pid {pid})" in outcome.message
    assert station.links() == station.mode_links("master")


async def test_gui_modules_refuse_unless_forced(
    station: Station, process_named: Callable[[str], int]
) -> None:
    pid = process_named("rdairplay")
    settings = station.settings()
    refused = await run_switch(settings, None, Mode.STANDBY, timing=FAST)
    assert refused.exit is SwitchExit.REFUSED
    assert f"rdairplay (pid {pid})" in refused.message and "--force" in refused.message
    assert "stop" not in station.calls()
    assert station.links() == station.mode_links("master")
    forced = await run_switch(settings, None, Mode.STANDBY, force=True, timing=FAST)
    assert forced.exit is SwitchExit.OK, forced.message
    assert station.links() == station.mode_links("standby")
    (entry,) = [
        e
        for e in AuditLog(settings.console.state_dir).read()
        if e["step"] == "check-gui-modules" and e["result"] == "ok"
    ]
    assert entry["detail"].startswith("forced (--force) past running GUI modules: rdairplay")


async def test_a_link_that_fails_is_put_back_and_rivendell_restarted(station: Station) -> None:
    station.flag("race")  # the stop turns snd into a directory: rd.conf moved, snd cannot
    outcome = await run_switch(station.settings(), None, Mode.STANDBY, timing=FAST)
    assert outcome.exit is SwitchExit.REFUSED, outcome.message
    assert "no longer a symlink" in outcome.message and "put back" in outcome.message
    assert os.readlink(station.rd_conf) == station.mode_links("master")[0]
    assert station.snd.is_dir() and list(station.snd.iterdir()) == []
    assert station.running


def test_rivendell_not_staying_up_is_exit_2_with_a_working_rollback(station: Station) -> None:
    station.flag("crash")
    failed = station.cli("standby", "--settle", "2")
    assert failed.returncode == 2, failed.stderr
    assert station.links() == station.mode_links("standby")
    assert "did not stay up" in failed.stderr
    rollback = [line.strip() for line in failed.stdout.split("roll back with:\n")[1].splitlines()]
    assert rollback[0].startswith(f"rdconsole --config {station.config} switch --standby backup")
    assert rollback[0].endswith(" master")
    station.flag("crash", False)
    raw = subprocess.run(["sh", "-c", rollback[1]], capture_output=True, timeout=60)
    assert raw.returncode == 0 and station.links() == station.mode_links("master")
    assert station.running
    station.flag("crash")
    assert station.cli("standby", "--settle", "2").returncode == 2
    station.flag("crash", False)
    argv = shlex.split(rollback[0])
    assert argv[0] == "rdconsole"
    back = subprocess.run(
        [sys.executable, "-m", "rdconsole", *argv[1:], "--settle", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert back.returncode == 0, back.stderr
    assert station.links() == station.mode_links("master")


def test_dry_run_lists_every_command_and_changes_nothing(station: Station) -> None:
    dry = station.cli("standby", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    for command in ("rivendell stop", "rivendell start", "rivendell check", "mv -T -- "):
        assert command in dry.stdout
    assert f"ln -sT -- {station.etc / 'snd.standby'} {station.etc / 'snd.rdconsole-new'}" in (
        dry.stdout
    )
    assert "ok: would switch backup from master to standby" in dry.stdout
    assert station.links() == station.mode_links("master")
    assert set(station.calls()) == {"check"}
    assert AuditLog(station.settings().console.state_dir).read() == []


def test_mixed_is_reported_loudly_and_switching_fixes_it(station: Station) -> None:
    station.snd.unlink()
    station.snd.symlink_to(station.etc / "snd.standby")
    dry = station.cli("master", "--dry-run")
    assert dry.returncode == 0
    assert "ERROR: MIXED:" in dry.stderr
    assert "mode mixed" in dry.stdout
    fixed = station.cli("master", "--settle", "1")
    assert fixed.returncode == 0, fixed.stderr
    assert station.links() == station.mode_links("master")


async def test_every_step_is_audited_in_order(station: Station) -> None:
    settings = station.settings()
    assert (await run_switch(settings, None, Mode.STANDBY, timing=FAST)).exit is SwitchExit.OK
    entries = AuditLog(settings.console.state_dir).read()
    steps = [
        "check-gui-modules",
        "stop",
        "verify-stopped",
        "replace-link",
        "replace-link",
        "start",
        "verify-started",
    ]
    assert [(e["step"], e["result"]) for e in entries] == [
        ("plan", "go"),
        *[(step, result) for step in steps for result in ("started", "ok")],
        ("outcome", "ok"),
    ]
    done = [e for e in entries if e["result"] == "ok" and e["step"] != "outcome"]
    assert all(e["duration_s"] >= 0 and e["command"] for e in done)
    assert done[1]["command"] == f"{station.root / 'rivendell'} stop"
    assert {e["action"] for e in entries} == {"switch"}


async def test_busy_locks(station: Station) -> None:
    settings = station.settings()
    with RunLock(settings.console.state_dir / "switch.lock"):
        busy = await run_switch(settings, None, Mode.STANDBY, timing=FAST)
        assert station.cli("standby").returncode == 4
    assert busy.exit is SwitchExit.BUSY and str(os.getpid()) in busy.message
    with RunLock(sync_paths(settings, settings.standbys[0])[0]):
        syncing = await run_switch(settings, None, Mode.STANDBY, timing=FAST)
    assert syncing.exit is SwitchExit.REFUSED and "mirror run" in syncing.message
    assert station.links() == station.mode_links("master")


def test_cli_config_errors(station: Station) -> None:
    unknown = station.cli("standby", "--standby", "nope")
    assert unknown.returncode == 3 and "no standby named 'nope'" in unknown.stderr
    assert station.cli("sideways").returncode == 3
    assert "Traceback" not in unknown.stderr


async def test_remote_standby_over_ssh(tmp_path: Path, ssh_server: SshServer) -> None:
    remote = make_station(tmp_path, ssh=ssh_server)
    outcome = await run_switch(remote.settings(), None, Mode.STANDBY, timing=FAST)
    assert outcome.exit is SwitchExit.OK, outcome.message
    assert remote.links() == remote.mode_links("standby")
