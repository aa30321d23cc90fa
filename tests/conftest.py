"""Shared fixtures: the real MariaDB lab (two mariadbd on loopback), started once per session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rdconsole.lab import LabError, MariaDBLab

pytest_plugins = ["tests.fixtures_audio"]


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MariaDBLab]:
    """A started master/standby pair, shared by the session; fails (never skips) if it cannot
    start, since a missing MariaDB must not pass silently."""
    try:
        started = MariaDBLab(tmp_path_factory.mktemp("lab")).start()
    except (LabError, OSError) as error:
        pytest.fail(f"the MariaDB lab did not start: {error}", pytrace=False)
    try:
        yield started
    finally:
        started.stop()


@pytest.fixture
def healthy_lab(lab: MariaDBLab) -> MariaDBLab:
    """The session lab, restored to healthy first, whatever the previous test broke."""
    lab.restore()
    return lab


@pytest.fixture
def lab_config(lab: MariaDBLab, tmp_path: Path) -> Path:
    """An rdconsole TOML config (mode 0600) for the lab, with its state dir under tmp_path."""
    return lab.write_config(tmp_path / "rdconsole.toml", tmp_path / "state")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On CI a skipped test is a failure: nothing may pass by not running."""
    import os

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    skipped = reporter.stats.get("skipped", []) if reporter is not None else []
    if os.environ.get("CI") and skipped and exitstatus == 0:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
        if reporter is not None:
            reporter.write_line(f"CI: {len(skipped)} test(s) skipped; skips fail the run on CI")
