"""The console's failover runner (``ops.failover_flow.ConsoleFailover``) on a real pair: the same
flow as ``rdconsole failover``, with the re-check under the lock before anything changes.

Each test starts its own lab (a promotion breaks replication for good), like test_failover.py,
whose site helpers it uses.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from rdconsole.config import load_settings
from rdconsole.core.failover_plan import Step
from rdconsole.lab import LabError, MariaDBLab
from rdconsole.lab.station import StationLayout
from rdconsole.ops.failover_flow import (
    FailoverExit,
    FailoverOutcome,
    FailoverPreview,
    failover_runner,
)
from tests.helpers import write_recording_service
from tests.integration.test_failover import Site, write_site_config

pytestmark = pytest.mark.lab


@pytest.fixture
def pair(tmp_path: Path) -> Iterator[Site]:
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


class Recorder:
    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = []
        self.waits: list[str] = []

    def step(self, step: Step, status: str, detail: str) -> None:
        self.steps.append((step.id, status))

    def progress(self, step: Step, text: str) -> None:
        self.waits.append(text)


async def test_console_runner_checks_then_promotes_and_audits(pair: Site) -> None:
    pair.lab.write_load(5)
    pair.lab.wait_replicated()
    pair.kill_master()
    runner = failover_runner(load_settings(pair.config))
    before = await runner.standing()
    assert before.marker is None and before.interrupted is None

    blocked = await runner.preview(None, fenced=None, override=None)
    assert isinstance(blocked, FailoverPreview)
    assert blocked.asks_fenced and not blocked.allowed
    assert pair.audit() == []  # a preview is never audited

    preview = await runner.preview(None, fenced="powered off", override=None)
    assert isinstance(preview, FailoverPreview)
    assert preview.allowed, preview.refusal()
    recorder = Recorder()
    outcome = await runner.run(preview, recorder)

    assert outcome.exit is FailoverExit.DONE, outcome.message
    ids = [step.id for step in preview.plan.steps]
    assert recorder.steps == [(i, s) for i in ids for s in ("running", "done")]
    assert pair.read_only("standby") == 0 and pair.replica_status() == []
    audit = [e for e in pair.audit() if e["action"].startswith("failover")]
    assert audit[0]["action"] == "failover-start" and audit[0]["via"] == "console"
    assert audit[0]["fenced"] == "powered off"
    assert audit[-1]["action"] == "failover-end" and audit[-1]["exit_code"] == 0
    after = await runner.standing()
    assert after.marker is not None and after.marker.standby == "backup"
    assert after.interrupted is None


async def test_a_preview_gone_stale_is_refused_with_nothing_changed(pair: Site) -> None:
    runner = failover_runner(load_settings(pair.config))
    preview = await runner.preview(None, fenced="powered off", override=None)
    assert isinstance(preview, FailoverPreview)
    assert preview.plan.path == "switchover"  # the master answers
    pair.kill_master()

    outcome = await runner.run(preview, Recorder())

    assert isinstance(outcome, FailoverOutcome)
    assert outcome.exit is FailoverExit.REFUSED
    assert outcome.message.startswith("the master was UP and is DOWN now"), outcome.message
    pair.assert_nothing_changed()
    refused = [e for e in pair.audit() if e["action"] == "failover-refused"]
    assert refused and refused[-1]["via"] == "console"
