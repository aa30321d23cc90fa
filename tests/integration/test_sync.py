"""`rdconsole sync` against a real rsync daemon (and a real sshd for a remote standby)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import pytest

from rdconsole.config import load_settings
from rdconsole.config.settings import Settings
from rdconsole.core.rsync_output import FileStarted, RsyncEvent
from rdconsole.core.rsync_progress import SyncProgress
from rdconsole.core.sync_plan import MirrorSource
from rdconsole.hosts.shell import LocalShell
from rdconsole.hosts.state import AuditLog, RunLock, read_state_file
from rdconsole.lab.process import process_table
from rdconsole.lab.rsyncd import RsyncDaemon
from rdconsole.lab.sshd import SshServer
from rdconsole.ops.mirror_checks import GuardCheck, probe_guard
from rdconsole.ops.sync import SyncExit, mirror_source, run_sync, sync_paths
from tests.helpers import killed_lock_holder


def write_config(
    tmp_path: Path,
    daemon: RsyncDaemon,
    *,
    audio: str = "",
    rsync: str = "",
    ssh: SshServer | None = None,
    snd_target: Path | None = None,
) -> Path:
    mirror = tmp_path / "snd.standby"
    mirror.mkdir(exist_ok=True)
    rivendell = tmp_path / "etc"
    rivendell.mkdir(exist_ok=True)
    snd = rivendell / "snd"
    if snd_target is not None:
        snd.symlink_to(snd_target)
    standby = (
        f'host = "127.0.0.1"\nlocal = false\n\n[standby.ssh]\nuser = "{ssh.user}"\n'
        f'port = {ssh.port}\nknown_hosts = "{ssh.known_hosts}"\n'
        f'identity_files = ["{ssh.client_key}"]\n'
        if ssh is not None
        else 'host = "127.0.0.1"\nlocal = true\n'
    )
    text = f"""
[console]
state_dir = "{tmp_path / "state"}"

[master]
name = "onair"
host = "127.0.0.1"

[master.mysql]
port = 1

[master.rsync]
port = {daemon.port}
timeout = 20
contimeout = 5
{rsync}

[[standby]]
name = "backup"
{standby}
[standby.mysql]
port = 1

[standby.audio]
dir = "{mirror}"
owner = "nobody"
group = "nogroup"
idle_timeout = "20s"
{audio}

[standby.rivendell]
rd_conf = "{rivendell / "rd.conf"}"
snd = "{snd}"
snd_master = "{rivendell / "snd.master"}"
"""
    path = tmp_path / "rdconsole.toml"
    path.write_text(text)
    path.chmod(0o600)
    return path


def tree(root: Path) -> dict[bytes, str]:
    """File name (bytes) -> sha256 of the content, for every file below ``root``."""
    files = {}
    for directory, _, names in os.walk(os.fsencode(root)):
        for name in names:
            path = os.path.join(directory, name)
            relative = os.path.relpath(path, os.fsencode(root))
            files[relative] = hashlib.sha256(Path(os.fsdecode(path)).read_bytes()).hexdigest()
    return files


def settings_of(config: Path) -> Settings:
    return load_settings(config)


def mirror_of(settings: Settings) -> Path:
    return settings.standbys[0].audio.dir


async def test_mirror_is_byte_identical_with_rivendell_ownership(
    rsync_daemon: RsyncDaemon, audio_store: Path, tmp_path: Path
) -> None:
    settings = settings_of(write_config(tmp_path, rsync_daemon))
    outcome = await run_sync(settings, None)
    assert outcome.exit is SyncExit.OK, outcome.message
    mirror = mirror_of(settings)
    assert tree(mirror) == tree(audio_store)  # odd and invalid UTF-8 names included
    for entry in mirror.iterdir():
        info = entry.lstat()
        assert (info.st_uid, info.st_gid) == (65534, 65534), entry
        assert info.st_mode & 0o777 == 0o664, entry
        assert entry.lstat().st_mtime == (audio_store / entry.name).lstat().st_mtime
    state = read_state_file(sync_paths(settings, settings.standbys[0])[1])
    assert state is not None and state["running"] is False
    assert state["last"]["ok"] is True
    assert state["last"]["files"] == len(tree(audio_store))
    (audit,) = AuditLog(settings.console.state_dir).read()
    assert audit["action"] == "sync" and audit["exit_code"] == 0
    assert "rsync://127.0.0.1" in audit["command"]


async def test_guard_file_missing_refuses_and_changes_nothing(
    rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    settings = settings_of(write_config(tmp_path, rsync_daemon, audio="delete = true"))
    mirror = mirror_of(settings)
    (mirror / "000999_001.wav").write_bytes(b"standby only")
    rsync_daemon.remove_guard()
    try:
        outcome = await run_sync(settings, None)
    finally:
        rsync_daemon.restore_guard()
    assert outcome.exit is SyncExit.REFUSED
    assert "guard file missing" in outcome.message
    assert sorted(p.name for p in mirror.iterdir()) == ["000999_001.wav"]


async def test_temp_files_of_a_killed_run_are_removed_and_a_clean_run_leaves_none(
    rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    settings = settings_of(write_config(tmp_path, rsync_daemon))
    mirror = mirror_of(settings)
    (mirror / ".000001_001.wav.AbC123").write_bytes(b"half a cut")
    assert (await run_sync(settings, None)).exit is SyncExit.OK
    assert [p.name for p in mirror.iterdir() if p.name.startswith(".")] == []


async def test_master_unreachable_refuses(rsync_daemon: RsyncDaemon, tmp_path: Path) -> None:
    config = write_config(tmp_path, rsync_daemon)
    config.write_text(config.read_text().replace(f"port = {rsync_daemon.port}", "port = 1", 1))
    outcome = await run_sync(settings_of(config), None)
    assert outcome.exit is SyncExit.REFUSED
    assert "cannot connect" in outcome.message


def guard_processes(daemon: RsyncDaemon) -> list[int]:
    """Live rsync clients of ``daemon`` asking for the guard file."""
    url = os.fsencode(f"{daemon.url}repl.chk")
    found = []
    for info in process_table().values():
        if info.comm == "rsync" and info.state != "Z":
            with contextlib.suppress(OSError):
                if url in Path(f"/proc/{info.pid}/cmdline").read_bytes():
                    found.append(info.pid)
    return found


async def test_the_guard_answers_from_the_listing_and_rsync_ends_its_session_after(
    rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    source = mirror_source(settings_of(write_config(tmp_path, rsync_daemon)).master)
    finishing: set[asyncio.Task[None]] = set()
    streamed = await probe_guard(LocalShell(), source, finishing=finishing)
    assert streamed == GuardCheck(True, "guard file present")
    await asyncio.gather(*finishing)
    assert not finishing and guard_processes(rsync_daemon) == []
    assert await probe_guard(LocalShell(), source) == streamed


async def test_a_missing_guard_is_told_from_the_exit_code_with_rsyncs_message(
    rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    source = mirror_source(settings_of(write_config(tmp_path, rsync_daemon)).master)
    finishing: set[asyncio.Task[None]] = set()
    rsync_daemon.remove_guard()
    try:
        guard = await probe_guard(LocalShell(), source, finishing=finishing)
    finally:
        rsync_daemon.restore_guard()
    assert guard.present is False and not finishing
    assert guard.detail.startswith("guard file missing on the master (rsync exit 23): rsync")
    assert "repl.chk" in guard.detail


async def test_an_unreachable_master_is_told_from_the_exit_code(
    rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    source = mirror_source(settings_of(write_config(tmp_path, rsync_daemon)).master)
    closed = MirrorSource(**{**source.__dict__, "port": 1})
    guard = await probe_guard(LocalShell(), closed, finishing=set())
    assert guard.present is None and "cannot connect" in guard.detail


async def test_deletes_are_off_by_default(rsync_daemon: RsyncDaemon, tmp_path: Path) -> None:
    settings = settings_of(write_config(tmp_path, rsync_daemon))
    stale = mirror_of(settings) / "000999_001.wav"
    stale.write_bytes(b"gone from the master")
    assert (await run_sync(settings, None)).exit is SyncExit.OK
    assert stale.exists()


async def test_deletes_within_bounds_go_to_the_trash(
    rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    settings = settings_of(
        write_config(tmp_path, rsync_daemon, audio="delete = true\nmax_delete_ratio = 0.5")
    )
    assert (await run_sync(settings, None)).exit is SyncExit.OK
    stale = mirror_of(settings) / "000999_001.wav"
    stale.write_bytes(b"gone from the master")
    outcome = await run_sync(settings, None)
    assert outcome.exit is SyncExit.OK, outcome.message
    assert not stale.exists()
    trashed = list(settings.standbys[0].audio.trash_dir.glob("*/000999_001.wav"))
    assert len(trashed) == 1
    assert trashed[0].read_bytes() == b"gone from the master"


async def test_deletes_over_bounds_refuse_with_the_list(
    rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    settings = settings_of(write_config(tmp_path, rsync_daemon, audio="delete = true"))
    mirror = mirror_of(settings)
    for number in range(3):
        (mirror / f"00099{number}_001.wav").write_bytes(b"x")
    # 3 of 3 files would go: over max_delete_ratio = 5 %
    outcome = await run_sync(settings, None)
    assert outcome.exit is SyncExit.REFUSED
    assert "max_delete_ratio" in outcome.message
    assert sorted(outcome.would_delete) == [f"00099{n}_001.wav" for n in range(3)]
    assert len(list(mirror.iterdir())) == 3
    assert not settings.standbys[0].audio.trash_dir.exists()


async def test_dry_run_shows_the_command_and_changes_nothing(
    rsync_daemon: RsyncDaemon, audio_store: Path, tmp_path: Path
) -> None:
    settings = settings_of(write_config(tmp_path, rsync_daemon))
    outcome = await run_sync(settings, None, dry_run=True)
    assert outcome.exit is SyncExit.OK
    assert outcome.command is not None
    assert outcome.command.startswith("nice -n 15 ionice -c 3 rsync ")
    assert f"rsync://127.0.0.1:{rsync_daemon.port}/rivendell/" in outcome.command
    assert len(outcome.would_transfer) == len(tree(audio_store))
    assert list(mirror_of(settings).iterdir()) == []


async def test_a_busy_lock_is_not_success(rsync_daemon: RsyncDaemon, tmp_path: Path) -> None:
    settings = settings_of(write_config(tmp_path, rsync_daemon))
    with RunLock(sync_paths(settings, settings.standbys[0])[0]):
        outcome = await run_sync(settings, None)
    assert outcome.exit is SyncExit.BUSY
    assert str(os.getpid()) in outcome.message


async def test_a_dead_holders_lock_is_taken_over(rsync_daemon: RsyncDaemon, tmp_path: Path) -> None:
    settings = settings_of(write_config(tmp_path, rsync_daemon))
    lock_path = sync_paths(settings, settings.standbys[0])[0]
    holder = killed_lock_holder(lock_path)
    outcome = await run_sync(settings, None)
    assert outcome.exit is SyncExit.OK
    (entry,) = AuditLog(settings.console.state_dir).read()
    assert entry["took_over_lock_of"] == holder


async def test_refuses_while_the_standby_is_live_on_its_mirror(
    rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    config = write_config(tmp_path, rsync_daemon, snd_target=tmp_path / "snd.standby")
    settings = settings_of(config)
    (mirror_of(settings) / "000777_001.wav").write_bytes(b"recorded during the failover")
    outcome = await run_sync(settings, None)
    assert outcome.exit is SyncExit.REFUSED
    assert "live" in outcome.message
    assert [p.name for p in mirror_of(settings).iterdir()] == ["000777_001.wav"]


def test_cli_exit_codes(rsync_daemon: RsyncDaemon, tmp_path: Path) -> None:
    config = write_config(tmp_path, rsync_daemon)

    def sync(*extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "rdconsole", "--config", str(config), "sync", *extra],
            capture_output=True,
            text=True,
            timeout=120,
        )

    dry = sync("--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "command: nice -n 15 ionice -c 3 rsync" in dry.stdout
    assert "would transfer:" in dry.stdout
    with RunLock(sync_paths(settings_of(config), settings_of(config).standbys[0])[0]):
        assert sync().returncode == 4
    rsync_daemon.remove_guard()
    try:
        refused = sync()
    finally:
        rsync_daemon.restore_guard()
    assert refused.returncode == 1
    assert "guard file missing" in refused.stderr
    assert sync("--standby", "nope").returncode == 3
    assert "Traceback" not in refused.stderr


def rsync_processes_writing(path: Path) -> list[int]:
    """Live rsync processes whose command line names ``path`` (zombies count as gone)."""
    found = []
    for info in process_table().values():
        if info.comm != "rsync" or info.state == "Z":
            continue
        try:
            cmdline = Path(f"/proc/{info.pid}/cmdline").read_bytes()
        except OSError:
            continue
        if os.fsencode(path) in cmdline:
            found.append(info.pid)
    return found


class FirstFile:
    """Observer that signals when the transfer of a file has started."""

    def __init__(self) -> None:
        self.started = asyncio.Event()

    def phase(self, text: str) -> None:
        pass

    def events(self, events: Sequence[RsyncEvent], progress: SyncProgress) -> None:
        if any(isinstance(event, FileStarted) for event in events):
            self.started.set()


async def test_remote_standby_over_ssh_mirrors(
    rsync_daemon: RsyncDaemon, audio_store: Path, ssh_server: SshServer, tmp_path: Path
) -> None:
    settings = settings_of(write_config(tmp_path, rsync_daemon, ssh=ssh_server))
    outcome = await run_sync(settings, None)
    assert outcome.exit is SyncExit.OK, outcome.message
    assert tree(mirror_of(settings)) == tree(audio_store)


async def test_ssh_connection_killed_mid_transfer(
    rsync_daemon: RsyncDaemon, ssh_server: SshServer, tmp_path: Path
) -> None:
    settings = settings_of(
        write_config(tmp_path, rsync_daemon, ssh=ssh_server, rsync="bwlimit = 2000")
    )
    mirror = mirror_of(settings)
    observer = FirstFile()
    task = asyncio.create_task(run_sync(settings, None, observer=observer))
    await asyncio.wait_for(observer.started.wait(), 30)
    await asyncio.sleep(0.5)
    assert rsync_processes_writing(mirror), "the transfer should be running"
    assert ssh_server.kill_sessions() >= 1
    outcome = await asyncio.wait_for(task, 60)
    assert outcome.exit in (SyncExit.RSYNC_FAILED, SyncExit.REFUSED), outcome.message
    assert rsync_processes_writing(mirror) == []
    assert [p.name for p in mirror.iterdir() if p.name.startswith(".")] == []
    RunLock(sync_paths(settings, settings.standbys[0])[0]).acquire().release()


async def test_cancel_stops_the_remote_rsync_for_real(
    rsync_daemon: RsyncDaemon, ssh_server: SshServer, tmp_path: Path
) -> None:
    settings = settings_of(
        write_config(tmp_path, rsync_daemon, ssh=ssh_server, rsync="bwlimit = 2000")
    )
    mirror = mirror_of(settings)
    observer = FirstFile()
    task = asyncio.create_task(run_sync(settings, None, observer=observer))
    await asyncio.wait_for(observer.started.wait(), 30)
    assert rsync_processes_writing(mirror)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert rsync_processes_writing(mirror) == []
    RunLock(sync_paths(settings, settings.standbys[0])[0]).acquire().release()


async def test_a_stalled_transfer_is_stopped_by_the_watchdog(
    rsync_daemon: RsyncDaemon, tmp_path: Path
) -> None:
    config = write_config(tmp_path, rsync_daemon, rsync="bwlimit = 2000")
    config.write_text(config.read_text().replace('idle_timeout = "20s"', 'idle_timeout = "2s"'))
    settings = settings_of(config)
    observer = FirstFile()
    task = asyncio.create_task(run_sync(settings, None, observer=observer))
    await asyncio.wait_for(observer.started.wait(), 30)
    rsync_daemon.hang()
    try:
        outcome = await asyncio.wait_for(task, 30)
    finally:
        rsync_daemon.resume()
    assert outcome.exit is SyncExit.RSYNC_FAILED
    assert "printed nothing for 2 s" in outcome.message
    assert rsync_processes_writing(mirror_of(settings)) == []
    assert [p.name for p in mirror_of(settings).iterdir() if p.name.startswith(".")] == []


async def test_a_local_command_is_read_whole_however_slowly_it_is_read() -> None:
    script = "for i in 1 2 3; do printf 'line %s\\n' $i; sleep 0.02; done; echo oops >&2"
    running = await LocalShell().start(["sh", "-c", script])
    output = b""
    while chunk := await running.read():
        output += chunk
        await asyncio.sleep(0.05)
    assert output == b"line 1\nline 2\nline 3\noops\n"
    assert await running.wait() == 0
    assert await running.read() == b""


async def test_stopping_a_local_command_stops_its_whole_process_group() -> None:
    running = await LocalShell().start(["sh", "-c", "sh -c 'echo $$; exec sleep 60' & wait"])
    child = int(await running.read())
    assert await running.stop() is True
    assert child not in {p for p, info in process_table().items() if info.state != "Z"}
    assert await running.read() == b""
