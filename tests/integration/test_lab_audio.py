"""The audio side of the lab: a real rsync daemon and a real OpenSSH sshd on loopback."""

from __future__ import annotations

import asyncio
import hashlib
import os
import subprocess
import time
from pathlib import Path

import asyncssh
import pytest

from rdconsole.lab.audio import GUARD_NAME, INVALID_UTF8_NAME, ODD_NAMES, make_audio_store
from rdconsole.lab.client import LabError
from rdconsole.lab.process import ProcessInfo, descendants, is_alive, process_table
from rdconsole.lab.rsyncd import RsyncDaemon
from rdconsole.lab.sshd import HOST_ALIAS, SshServer


def _rsync(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["rsync", *args],
        capture_output=True,
        text=True,
        errors="backslashreplace",
        stdin=subprocess.DEVNULL,
        env={**os.environ, **(env or {})},
        timeout=60,
        check=False,
    )


def _tree(directory: Path) -> dict[bytes, str]:
    """File name (raw bytes) -> SHA-256 of the content, for a flat directory."""
    root = os.fsencode(directory)
    digests = {}
    for name in os.listdir(root):
        with open(os.path.join(root, name), "rb") as file:
            digests[name] = hashlib.sha256(file.read()).hexdigest()
    return digests


def _lab_processes(pid: int) -> list[ProcessInfo]:
    """``pid`` itself and all its descendants."""
    return [process_table()[pid], *descendants(pid)]


async def _connect(
    server: SshServer, known_hosts: Path | None = None
) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect(
        "127.0.0.1",
        port=server.port,
        username=server.user,
        client_keys=[str(server.client_key)],
        known_hosts=str(known_hosts or server.known_hosts),
    )


# -- the audio store --------------------------------------------------------------------------


def test_audio_store_is_deterministic(tmp_path: Path) -> None:
    names = make_audio_store(tmp_path / "a", cuts=6, large_files=1, large_size=300_000)
    make_audio_store(tmp_path / "b", cuts=6, large_files=1, large_size=300_000)
    make_audio_store(tmp_path / "c", cuts=6, large_files=1, large_size=300_000, seed=8)
    first = _tree(tmp_path / "a")
    assert first == _tree(tmp_path / "b")
    assert first.keys() == _tree(tmp_path / "c").keys()
    assert first != _tree(tmp_path / "c")
    assert names[:4] == ["000001_001.wav", "000001_002.wav", "000001_003.wav", "000002_001.wav"]
    assert {os.fsencode(name) for name in names} == set(first)
    assert INVALID_UTF8_NAME in first and set(ODD_NAMES) <= set(names)
    assert (tmp_path / "a" / "000001_001.wav").stat().st_size == 300_000
    assert (tmp_path / "a" / GUARD_NAME).stat().st_size == 0


# -- rsync daemon -----------------------------------------------------------------------------


def test_daemon_lists_its_module(rsync_daemon: RsyncDaemon) -> None:
    print(f"rsync daemon start-up: {rsync_daemon.startup_seconds:.3f} s")
    listing = _rsync(f"rsync://127.0.0.1:{rsync_daemon.port}/")
    assert listing.returncode == 0, listing.stderr
    assert listing.stdout.startswith("rivendell      \tRivendell audio store")
    assert rsync_daemon.url == f"rsync://127.0.0.1:{rsync_daemon.port}/rivendell/"


def test_pull_gives_a_byte_identical_tree(
    rsync_daemon: RsyncDaemon, audio_store: Path, tmp_path: Path
) -> None:
    began = time.monotonic()
    pull = _rsync("-a", rsync_daemon.url, f"{tmp_path / 'mirror'}/")
    print(f"full pull: {time.monotonic() - began:.3f} s")
    assert pull.returncode == 0, pull.stderr
    mirrored = _tree(tmp_path / "mirror")
    assert INVALID_UTF8_NAME in mirrored
    assert mirrored == _tree(audio_store)
    assert "rsync on rivendell/ from" in rsync_daemon.log_path.read_text(errors="replace")


def test_guard_probe(rsync_daemon: RsyncDaemon) -> None:
    probe = rsync_daemon.url + GUARD_NAME
    try:
        assert _rsync(probe).returncode == 0
        rsync_daemon.remove_guard()
        missing = _rsync(probe)
        assert missing.returncode == 23
        assert 'link_stat "repl.chk" (in rivendell) failed: No such file or directory' in (
            missing.stderr
        )
    finally:
        rsync_daemon.restore_guard()
    assert _rsync(probe).returncode == 0


def test_hung_daemon_needs_a_timeout(rsync_daemon: RsyncDaemon) -> None:
    rsync_daemon.hang()
    try:
        hung = _rsync("--timeout=1", "--contimeout=1", rsync_daemon.url + GUARD_NAME)
    finally:
        rsync_daemon.resume()
    assert hung.returncode == 30, hung.stderr
    assert _rsync(rsync_daemon.url + GUARD_NAME).returncode == 0


def test_daemon_authentication(audio_store: Path, tmp_path: Path) -> None:
    with RsyncDaemon(tmp_path / "rsyncd", audio_store, secrets={"rdsync": "s3cret"}) as daemon:
        assert (daemon.root / "rsyncd.secrets").stat().st_mode & 0o777 == 0o600
        url = f"rsync://rdsync@127.0.0.1:{daemon.port}/rivendell/{GUARD_NAME}"
        assert _rsync(url, env={"RSYNC_PASSWORD": "s3cret"}).returncode == 0
        denied = _rsync(url, env={"RSYNC_PASSWORD": "wrong"})
        assert denied.returncode == 5
        assert "@ERROR: auth failed on module rivendell" in denied.stderr


def test_daemon_stop_ends_running_transfers(audio_store: Path, tmp_path: Path) -> None:
    daemon = RsyncDaemon(tmp_path / "rsyncd", audio_store).start()
    assert daemon.pid is not None
    client = subprocess.Popen(
        ["rsync", "-a", "--bwlimit=1M", daemon.url, f"{tmp_path / 'mirror'}/"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 5
        while not descendants(daemon.pid):
            assert time.monotonic() < deadline, "the daemon never forked for the client"
            time.sleep(0.01)
        processes = _lab_processes(daemon.pid)
        daemon.stop()
        daemon.stop()  # idempotent
        assert not [p for p in processes if is_alive(p)]
        assert daemon.pid is None
        # 20 ("received SIGINT, SIGTERM, or SIGHUP", from the sender) once data flows; 12
        # ("connection unexpectedly closed") when the sender died before its first file.
        assert client.wait(10) in (12, 20)
    finally:
        client.kill()
        client.wait()


def test_mirror_follows_a_changed_source(fresh_audio_store: Path, tmp_path: Path) -> None:
    mirror = f"{tmp_path / 'mirror'}/"
    with RsyncDaemon(tmp_path / "rsyncd", fresh_audio_store) as daemon:
        assert _rsync("-a", daemon.url, mirror).returncode == 0
        (fresh_audio_store / "000001_002.wav").unlink()
        (fresh_audio_store / "000099_001.wav").write_bytes(b"new cut")
        again = _rsync("-av", "--delete", daemon.url, mirror)
    assert again.returncode == 0, again.stderr
    assert "deleting 000001_002.wav\n" in again.stdout
    assert "000099_001.wav\n" in again.stdout
    assert _tree(tmp_path / "mirror") == _tree(fresh_audio_store)


def test_a_taken_port_is_a_lab_error(
    rsync_daemon: RsyncDaemon, ssh_server: SshServer, audio_store: Path, tmp_path: Path
) -> None:
    """Another server on the port greets just like ours would: start() must still fail."""
    with pytest.raises(LabError, match=r"(?s)rsync exited with status.*Address already in use"):
        RsyncDaemon(tmp_path / "rsyncd", audio_store, port=rsync_daemon.port).start()
    with pytest.raises(LabError, match=r"(?s)sshd exited with status.*Address already in use"):
        SshServer(tmp_path / "sshd", port=ssh_server.port).start()


def test_missing_rsync_is_a_lab_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(LabError, match="rsync not found: install the Debian package rsync"):
        RsyncDaemon(tmp_path, tmp_path)


# -- sshd -------------------------------------------------------------------------------------


async def test_asyncssh_logs_in_with_the_client_key(ssh_server: SshServer) -> None:
    print(f"sshd start-up: {ssh_server.startup_seconds:.3f} s, banner {ssh_server.banner}")
    async with await _connect(ssh_server) as conn:
        result = await conn.run("echo ok; echo $LC_ALL", env={"LC_ALL": "C.UTF-8"})
    assert result.exit_status == 0
    assert result.stdout == "ok\nC.UTF-8\n"  # AcceptEnv LANG LC_*


async def test_asyncssh_rejects_an_unknown_host_key(ssh_server: SshServer, tmp_path: Path) -> None:
    empty = tmp_path / "known_hosts"
    empty.touch()
    with pytest.raises(asyncssh.HostKeyNotVerifiable):
        await _connect(ssh_server, empty)


def test_openssh_client_and_rsync_over_ssh(
    ssh_server: SshServer, audio_store: Path, tmp_path: Path
) -> None:
    config = ssh_server.ssh_config(tmp_path / "ssh_config")
    assert config.stat().st_mode & 0o777 == 0o600
    login = subprocess.run(
        ["ssh", "-F", str(config), HOST_ALIAS, "true"],
        capture_output=True,
        stdin=subprocess.DEVNULL,
        timeout=30,
        check=False,
    )
    assert login.returncode == 0, login.stderr
    pull = _rsync("-a", "-e", f"ssh -F {config}", f"{HOST_ALIAS}:{audio_store}/", f"{tmp_path}/m/")
    assert pull.returncode == 0, pull.stderr
    assert _tree(tmp_path / "m") == _tree(audio_store)


async def test_kill_sessions_drops_a_live_connection(ssh_server: SshServer) -> None:
    conn = await _connect(ssh_server)
    try:
        process = await conn.create_process("cat")
        assert ssh_server.session_processes()
        assert await asyncio.to_thread(ssh_server.kill_sessions) >= 1
        await asyncio.wait_for(conn.wait_closed(), 5)
        assert process.exit_status is None  # the connection dropped; no exit status came
    finally:
        conn.close()
    assert not ssh_server.session_processes()
    async with await _connect(ssh_server) as again:  # the listener survived
        assert (await again.run("true")).exit_status == 0


async def test_sshd_stop_leaves_nothing_behind(tmp_path: Path) -> None:
    server = SshServer(tmp_path / "sshd").start()
    assert server.pid is not None
    async with await _connect(server) as conn:
        await conn.create_process("sleep 60")
        deadline = time.monotonic() + 5
        while not any(p.comm == "sleep" for p in descendants(server.pid)):
            assert time.monotonic() < deadline, "the remote command never started"
            await asyncio.sleep(0.01)
        processes = _lab_processes(server.pid)
        await asyncio.to_thread(server.stop)
        assert not [p for p in processes if is_alive(p)]
        assert server.pid is None
        await asyncio.wait_for(conn.wait_closed(), 5)
    server.stop()  # idempotent
