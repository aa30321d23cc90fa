"""The console's failover runner (``ops.failover_flow.ConsoleFailover``) on a real pair: the same
flow as ``rdconsole failover``, with the re-check under the lock before anything changes.

Each test starts its own lab (a promotion breaks replication for good), like test_failover.py,
whose site helpers it uses.
"""

from __future__ import annotations

import pytest

from rdconsole.config import load_settings
from rdconsole.core.failover_plan import Step
from rdconsole.ops.failover_flow import (
    FailoverExit,
    FailoverOutcome,
    FailoverPreview,
    failover_runner,
)
from tests.integration.test_failover import Site

pytestmark = pytest.mark.lab


class Recorder:
    def __init__(self) -> None:
        self.steps: list[tuple[str, str]] = []
        self.waits: list[str] = []

    def step(self, step: Step, status: str, detail: str) -> None:
        self.steps.append((step.id, status))

    def progress(self, step: Step, text: str) -> None:
        self.waits.append(text)


async def test_console_runner_checks_then_promotes_and_audits(site: Site) -> None:
    site.lab.write_load(5)
    site.lab.wait_replicated()
    site.kill_master()
    runner = failover_runner(load_settings(site.config))
    before = await runner.standing()
    assert before.marker is None and before.interrupted is None

    blocked = await runner.preview(None, fenced=None, override=None)
    assert isinstance(blocked, FailoverPreview)
    assert blocked.asks_fenced and not blocked.allowed
    assert site.audit() == []  # a preview is never audited

    preview = await runner.preview(None, fenced="powered off", override=None)
    assert isinstance(preview, FailoverPreview)
    assert preview.allowed, preview.refusal()
    recorder = Recorder()
    outcome = await runner.run(preview, recorder)

    assert outcome.exit is FailoverExit.DONE, outcome.message
    ids = [step.id for step in preview.plan.steps]
    assert recorder.steps == [(i, s) for i in ids for s in ("running", "done")]
    assert site.read_only("standby") == 0 and site.replica_status() == []
    audit = [e for e in site.audit() if e["action"].startswith("failover")]
    assert audit[0]["action"] == "failover-start" and audit[0]["via"] == "console"
    assert audit[0]["fenced"] == "powered off"
    assert audit[-1]["action"] == "failover-end" and audit[-1]["exit_code"] == 0
    after = await runner.standing()
    assert after.marker is not None and after.marker.standby == "backup"
    assert after.interrupted is None


async def test_a_preview_gone_stale_is_refused_with_nothing_changed(site: Site) -> None:
    runner = failover_runner(load_settings(site.config))
    preview = await runner.preview(None, fenced="powered off", override=None)
    assert isinstance(preview, FailoverPreview)
    assert preview.plan.path == "switchover"  # the master answers
    site.kill_master()

    outcome = await runner.run(preview, Recorder())

    assert isinstance(outcome, FailoverOutcome)
    assert outcome.exit is FailoverExit.REFUSED
    assert outcome.message.startswith("the master was UP and is DOWN now"), outcome.message
    site.assert_nothing_changed()
    refused = [e for e in site.audit() if e["action"] == "failover-refused"]
    assert refused and refused[-1]["via"] == "console"
