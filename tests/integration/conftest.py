"""Fixtures of the integration tests that promote a standby (each needs a lab of its own)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rdconsole.lab import LabError, MariaDBLab
from rdconsole.lab.station import StationLayout
from tests.helpers import write_recording_service
from tests.integration.test_failover import Site, write_site_config


@pytest.fixture
def site(tmp_path: Path) -> Iterator[Site]:
    """A fresh lab of this test's own, a standby layout with Rivendell running, the config."""
    lab = MariaDBLab(tmp_path / "lab")
    try:
        lab.start()
    except (LabError, OSError) as error:
        pytest.fail(f"the MariaDB lab did not start: {error}", pytrace=False)
    try:
        layout = StationLayout(tmp_path / "host", login=("rduser", lab.rivendell_password))
        layout.create()
        service = tmp_path / "service"
        write_recording_service(service)
        yield Site(lab, layout, write_site_config(lab, tmp_path, layout, service), service)
    finally:
        lab.stop()
