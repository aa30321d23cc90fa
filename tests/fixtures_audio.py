"""Fixtures for the audio side of the lab: a generated audio store, an rsync daemon serving it
and an OpenSSH server, all on loopback. Servers fail the test (never skip) when they cannot
start, since a missing rsync or sshd must not pass silently."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rdconsole.lab.audio import make_audio_store
from rdconsole.lab.client import LabError
from rdconsole.lab.rsyncd import RsyncDaemon
from rdconsole.lab.sshd import SshServer

__all__ = ["audio_store", "fresh_audio_store", "rsync_daemon", "ssh_server"]


@pytest.fixture(scope="session")
def audio_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The default store (40 cuts, three of 8 MiB, odd names, ``repl.chk``), made once: do not
    modify it (use :func:`fresh_audio_store`)."""
    store = tmp_path_factory.mktemp("audio") / "snd"
    make_audio_store(store)
    return store


@pytest.fixture
def fresh_audio_store(tmp_path: Path) -> Path:
    """A private copy of the default store, for tests that change the source."""
    store = tmp_path / "snd"
    make_audio_store(store)
    return store


@pytest.fixture(scope="session")
def rsync_daemon(
    audio_store: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RsyncDaemon]:
    """An rsync daemon serving :func:`audio_store` as module ``rivendell``, shared by the
    session. Tests that hang it or remove its guard must undo that."""
    try:
        daemon = RsyncDaemon(tmp_path_factory.mktemp("rsyncd"), audio_store).start()
    except (LabError, OSError) as error:
        pytest.fail(f"the rsync daemon did not start: {error}", pytrace=False)
    try:
        yield daemon
    finally:
        daemon.stop()


@pytest.fixture(scope="session")
def ssh_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SshServer]:
    """An OpenSSH sshd on loopback accepting the lab's client key, shared by the session."""
    try:
        server = SshServer(tmp_path_factory.mktemp("sshd")).start()
    except (LabError, OSError) as error:
        pytest.fail(f"sshd did not start: {error}", pytrace=False)
    try:
        yield server
    finally:
        server.stop()
