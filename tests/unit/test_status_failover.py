"""``status --json`` additions (each standby's Rivendell mode, the promotion marker) and the
failover flow pieces that need no server (interrupted runs, the lock, stale previews)."""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from rdconsole.config.settings import ConsoleConfig, HostConfig, MySQLEndpoint, Settings
from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.evidence import MasterState, MasterVerdict
from rdconsole.core.failover import PromotionMarker
from rdconsole.core.layout import Layout, LinkKind, LinkState, Mode
from rdconsole.core.model import HostSnapshot, Role
from rdconsole.core.report import StatusReport, report_json
from rdconsole.core.verdict import Severity, judge
from rdconsole.hosts.shell import ShellError
from rdconsole.hosts.state import AuditLog, RunLock, write_state_file
from rdconsole.ops.failover import run_path
from rdconsole.ops.failover_flow import (
    ConsoleFailover,
    FailoverExit,
    FailoverOutcome,
    Interrupted,
    changed_since,
    lock_for,
    read_standing,
)
from rdconsole.ops.preflight import marker_path
from rdconsole.ops.status import LayoutProbe, check_once
from tests.ui.failover_samples import sample_preview
from tests.unit.snapshots import NOW, master, standby

MARKER = PromotionMarker(
    at=datetime(2026, 11, 27, 2, 58, 41, tzinfo=UTC),
    by="alice",
    standby="backup",
    reason="powered off at the rack",
)


def report(**fields: Any) -> StatusReport:
    primary, other = master(), standby()
    return StatusReport(NOW, primary, (other,), judge(primary, [other]), **fields)


def test_json_mode_per_standby_and_null_when_unread() -> None:
    document = report_json(report(modes={"backup": Mode.STANDBY}))
    assert document["standbys"][0]["mode"] == "standby"
    assert report_json(report(modes={"backup": Mode.MIXED}))["standbys"][0]["mode"] == "mixed"
    assert report_json(report(modes={"backup": None}))["standbys"][0]["mode"] is None
    assert report_json(report())["standbys"][0]["mode"] is None


def test_json_promotion_marker_or_null() -> None:
    assert report_json(report())["promotion"] is None
    assert report_json(report(promotion=MARKER))["promotion"] == {
        "at": "2026-11-27T02:58:41Z",
        "by": "alice",
        "standby": "backup",
        "reason": "powered off at the rack",
        "rejoined_at": None,
    }
    rejoined = dataclasses.replace(MARKER, rejoined_at=datetime(2026, 11, 27, 4, 0, 0, tzinfo=UTC))
    assert report_json(report(promotion=rejoined))["promotion"]["rejoined_at"] == (
        "2026-11-27T04:00:00Z"
    )


# check_once: modes within the budget, the marker from state_dir ---------------------------------


def settings(state_dir: Path, standbys: tuple[str, ...] = ("backup",)) -> Settings:
    return Settings(
        console=ConsoleConfig(connect_timeout=0.3, query_timeout=0.3, state_dir=state_dir),
        master=HostConfig("onair", Role.MASTER, "127.0.0.1", mysql=MySQLEndpoint("127.0.0.1")),
        standbys=tuple(
            HostConfig(name, Role.STANDBY, "127.0.0.2", mysql=MySQLEndpoint("127.0.0.2"))
            for name in standbys
        ),
    )


class Fixed:
    """A collector returning one snapshot (renamed to its host)."""

    def __init__(self, snapshot: HostSnapshot) -> None:
        self.snapshot = snapshot

    @property
    def name(self) -> str:
        return self.snapshot.name

    async def collect(self) -> HostSnapshot:
        return self.snapshot

    async def close(self) -> None:
        pass


def layout(mode: Mode) -> Layout:
    link = LinkState("/etc/rd.conf", LinkKind.SYMLINK, "/etc/rd.conf.standby")
    return Layout(link, link, mode, live_on_mirror=False, mirror_present=True)


def probe(mode: Mode) -> LayoutProbe:
    async def read() -> Layout:
        return layout(mode)

    return read


async def unreadable() -> Layout:
    raise ShellError("ssh: connection refused")


async def hung() -> Layout:
    await asyncio.Event().wait()
    raise AssertionError("unreachable")


def collectors(names: tuple[str, ...]) -> dict[str, Fixed]:
    found = {"onair": Fixed(master())}
    for name in names:
        found[name] = Fixed(dataclasses.replace(standby(), name=name))
    return found


async def test_check_once_probes_modes_within_the_budget(tmp_path: Path) -> None:
    names = ("backup", "spare", "far")
    config = settings(tmp_path, names)
    layouts = {"backup": probe(Mode.STANDBY), "spare": unreadable, "far": hung}
    started = asyncio.get_running_loop().time()
    result = await check_once(config, collectors(names), (), layouts)
    assert asyncio.get_running_loop().time() - started < 2.0
    assert result.modes == {"backup": Mode.STANDBY, "spare": None, "far": None}
    modes = [s["mode"] for s in report_json(result)["standbys"]]
    assert modes == ["standby", None, None]
    assert result.promotion is None


async def test_a_mixed_layout_is_a_critical_problem(tmp_path: Path) -> None:
    config = settings(tmp_path, ("backup",))
    result = await check_once(config, collectors(("backup",)), (), {"backup": probe(Mode.MIXED)})
    assert result.modes == {"backup": Mode.MIXED}
    assert result.verdict.status is Severity.CRITICAL
    (problem,) = result.verdict.problems
    assert problem.host == "backup" and "half switched" in problem.what


async def test_check_once_takes_the_mode_of_the_audio_check(tmp_path: Path) -> None:
    class Audio:
        name = "backup"

        async def collect(self, *, force: bool = False) -> AudioSnapshot:
            return AudioSnapshot(
                standby="backup",
                checked_at=NOW,
                guard_present=True,
                guard_detail="present",
                guard_checked_at=NOW,
                mode=Mode.MIXED,
                live_on_mirror=False,
                running=None,
                last=None,
                missing_cuts=0,
            )

        async def close(self) -> None:
            pass

    config = settings(tmp_path)
    result = await check_once(config, collectors(("backup",)), [Audio()])  # type: ignore[list-item]
    assert result.modes == {"backup": Mode.MIXED}
    assert report_json(result)["standbys"][0]["mode"] == "mixed"


async def test_check_once_reads_the_promotion_marker(tmp_path: Path) -> None:
    config = settings(tmp_path)
    write_state_file(
        marker_path(config),
        {"at": MARKER.at.isoformat(), "by": "alice", "standby": "backup", "reason": MARKER.reason},
    )
    result = await check_once(config, collectors(("backup",)))
    assert result.promotion == MARKER
    assert report_json(result)["promotion"]["by"] == "alice"


# The flow: interrupted runs, the lock, a preview gone stale -------------------------------------


def journal(*statuses: str) -> dict[str, Any]:
    ids = ["01-fence", "02-drain", "03-stop-replication", "04-record"]
    return {
        "standby": "backup",
        "path": "failover",
        "started_at": "2026-11-27T03:00:00+00:00",
        "finished": False,
        "steps": [{"id": i, "status": s} for i, s in zip(ids, statuses, strict=False)],
    }


def test_interrupted_run_names_the_step_and_keeps_the_cli_wording() -> None:
    run = Interrupted.from_journal(journal("done", "done", "running", "pending"))
    assert run.step == "03-stop-replication"
    assert run.done == ("01-fence", "02-drain")
    assert run.refusal() == (
        "a failover of backup was interrupted after 01-fence, 02-drain: finish it with "
        "`rdconsole failover --resume`"
    )
    assert "after no step" in Interrupted.from_journal(journal("failed")).refusal()


def test_standing_reads_marker_and_unfinished_run(tmp_path: Path) -> None:
    config = settings(tmp_path)
    assert read_standing(config) == read_standing(config)
    assert read_standing(config).marker is None
    write_state_file(run_path(config), journal("done", "failed"))
    write_state_file(
        marker_path(config),
        {"at": MARKER.at.isoformat(), "by": "alice", "standby": "backup", "reason": MARKER.reason},
    )
    standing = read_standing(config)
    assert standing.marker == MARKER
    assert standing.interrupted is not None and standing.interrupted.step == "02-drain"
    write_state_file(run_path(config), {**journal("done"), "finished": True})
    assert read_standing(config).interrupted is None


async def test_console_preview_refuses_while_a_run_awaits_resume(tmp_path: Path) -> None:
    config = settings(tmp_path)
    write_state_file(run_path(config), journal("done", "running"))
    result = await ConsoleFailover(config).preview(None, fenced=None, override=None)
    assert isinstance(result, FailoverOutcome)
    assert result.exit is FailoverExit.REFUSED
    assert "finish it with `rdconsole failover --resume`" in result.message


async def test_console_run_refuses_while_another_holds_the_lock(tmp_path: Path) -> None:
    config = settings(tmp_path)
    with RunLock(lock_for(config).path):
        outcome = await ConsoleFailover(config).run(sample_preview("powered off"), Silent())
    assert outcome.exit is FailoverExit.REFUSED
    assert outcome.message.startswith("another failover is running")
    assert AuditLog(tmp_path).read() == []


class Silent:
    def step(self, *args: object) -> None:
        pytest.fail("no step may run")

    def progress(self, *args: object) -> None:
        pytest.fail("no step may run")


def test_a_preview_is_stale_when_the_master_state_or_the_plan_changed() -> None:
    before = sample_preview("powered off")
    assert changed_since(before, sample_preview("powered off")) == ""
    up = MasterVerdict(MasterState.UP, ("MySQL probe: answers",), True)
    inputs = dataclasses.replace(before.inputs, verdict=up)
    now = dataclasses.replace(
        before, preflight=dataclasses.replace(before.preflight, inputs=inputs)
    )
    assert changed_since(before, now) == "the master was DOWN and is UP now"
    shorter = dataclasses.replace(before.plan, steps=before.plan.steps[1:])
    other = dataclasses.replace(
        before, preflight=dataclasses.replace(before.preflight, plan=shorter)
    )
    assert changed_since(before, other) == "the plan is not the one shown"
