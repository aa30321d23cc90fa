"""The master verdict, the pre-flight checklist and the promotion plan (pure)."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from rdconsole.core.evidence import Evidence, MasterState, Witness, judge_master
from rdconsole.core.failover import (
    Check,
    ChecklistItem,
    DataAtRisk,
    FailoverInputs,
    PromotionMarker,
    TargetCheck,
    blocking,
    checklist,
)
from rdconsole.core.failover_plan import Plan, StepKind, plan_promotion
from rdconsole.core.model import ErrorKind, Flavor, ThreadState
from rdconsole.core.vocabulary import Vocabulary, vocabulary_for
from tests.unit.snapshots import NOW, down, master, replica, standby

NO_SSH = Witness("SSH to the master", None, "not configured")
NO_RSYNC = Witness("master's rsync daemon", None, "not configured")
RETRYING = replica(
    io_running=ThreadState.CONNECTING, seconds_behind_master=None, last_io_errno=2003
)
MARIADB = vocabulary_for(Flavor.MARIADB, (10, 11, 19))
MYSQL84 = vocabulary_for(Flavor.MYSQL, (8, 4, 3))


def evidence(**changes: object) -> Evidence:
    base = Evidence(down(master()), standby(RETRYING), NO_SSH, NO_RSYNC, 42.0)
    return replace(base, **changes)  # type: ignore[arg-type]


def test_master_down_when_probe_and_io_thread_agree() -> None:
    verdict = judge_master(evidence())
    assert verdict.state is MasterState.DOWN
    assert verdict.host_answers  # refused: the host is there, mysqld is not
    assert any("42 s ago" in reason for reason in verdict.reasons)


def test_master_up_when_the_server_answers_even_refusing_us() -> None:
    assert judge_master(evidence(master=master())).state is MasterState.UP
    denied = down(master(), ErrorKind.ACCESS_DENIED, 1045)
    assert judge_master(evidence(master=denied)).state is MasterState.UP


def test_uncertain_when_the_standby_still_receives() -> None:
    verdict = judge_master(
        evidence(master=down(master(), ErrorKind.TIMEOUT, 2003), standby=standby())
    )
    assert verdict.state is MasterState.UNCERTAIN
    assert not verdict.host_answers
    assert "partition" in verdict.reasons[-1]


def test_uncertain_when_the_standby_cannot_confirm() -> None:
    assert judge_master(evidence(standby=down(standby()))).state is MasterState.UNCERTAIN


def test_ssh_witness_marks_the_host_as_answering() -> None:
    timeout = down(master(), ErrorKind.TIMEOUT, 2003)
    ssh = Witness("SSH to the master", True, "answers")
    verdict = judge_master(evidence(master=timeout, ssh=ssh))
    assert verdict.state is MasterState.DOWN
    assert verdict.host_answers


def inputs(**changes: object) -> FailoverInputs:
    base = FailoverInputs(
        verdict=judge_master(evidence()),
        master=down(master()),
        standby=standby(RETRYING),
        target=TargetCheck("/etc/rd.conf.standby", (), (), 375, "backup"),
        at_risk=DataAtRisk(
            "mysql-bin.000003", 1300, NOW - timedelta(seconds=5), "mysql-bin.000003", 1234, 66
        ),
        audio=None,
        marker=None,
        block_after_promotion=8 * 3600,
        another_run=None,
        fence="read_only",
        can_fence_host=False,
        fenced="powered off",
        now=NOW,
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def states(items: list[ChecklistItem]) -> dict[str, Check]:
    return {item.key: item.state for item in items}


def test_a_clean_failover_checklist() -> None:
    items = checklist(inputs())
    assert states(items)["master"] is Check.PASS
    assert states(items)["fence"] is Check.PASS
    assert states(items)["drain"] is Check.PASS
    risk = next(i for i in items if i.key == "risk")
    assert risk.state is Check.WARN
    assert "up to 66 bytes / 5s of writes may be lost" in risk.why
    assert blocking(items, None) == []


def test_fencing_must_be_stated_when_rdconsole_cannot_fence() -> None:
    items = checklist(inputs(fenced=None))
    (block,) = blocking(items, "override does not lift it")
    assert block.key == "fence"
    assert "--fenced" in block.fix


def test_uncertain_master_blocks_without_attestation() -> None:
    uncertain = judge_master(
        evidence(master=down(master(), ErrorKind.TIMEOUT, 2003), standby=standby())
    )
    items = checklist(inputs(verdict=uncertain, fenced=None))
    assert {b.key for b in blocking(items, None)} == {"master", "fence"}
    assert blocking(checklist(inputs(verdict=uncertain)), None) == []


def test_sql_error_blocks_but_can_be_overridden() -> None:
    broken = replica(sql_running=ThreadState.NO, last_sql_errno=1062, last_sql_error="dup")
    items = checklist(inputs(standby=standby(broken)))
    (block,) = blocking(items, None)
    assert block.key == "drain" and block.overridable
    assert blocking(items, "the row is junk, checked") == []


def test_not_yet_drained_warns_the_plan_waits() -> None:
    behind = replica(io_running=ThreadState.CONNECTING, exec_master_log_pos=1000)
    item = next(i for i in checklist(inputs(standby=standby(behind))) if i.key == "drain")
    assert item.state is Check.WARN
    assert "234 bytes" in item.why


def test_unusable_target_blocks_for_good() -> None:
    target = TargetCheck("/etc/rd.conf.standby", ("no STATIONS row for 'backup'",))
    items = checklist(inputs(target=target))
    assert [b.key for b in blocking(items, "any reason")] == ["target"]


def test_anti_flapping_window() -> None:
    recent = PromotionMarker(NOW - timedelta(hours=1), "engineer", "backup", "drill")
    items = checklist(inputs(marker=recent))
    (block,) = blocking(items, None)
    assert block.key == "flapping"
    assert blocking(items, "master died again") == []
    old = PromotionMarker(NOW - timedelta(hours=9), "engineer", "backup", "drill")
    assert states(checklist(inputs(marker=old)))["flapping"] is Check.PASS


def test_another_run_blocks() -> None:
    items = checklist(inputs(another_run="process 42 holds failover.lock"))
    assert [b.key for b in blocking(items, "x")] == ["lock"]


def test_switchover_when_master_is_up() -> None:
    up = judge_master(evidence(master=master()))
    items = checklist(inputs(verdict=up, master=master(), fenced=None, standby=standby()))
    assert blocking(items, None) == []
    assert "switchover" in items[0].title


def kinds(plan: Plan) -> list[StepKind]:
    return [step.kind for step in plan.steps]


def test_failover_plan_order_and_exact_sql() -> None:
    plan = plan_promotion(
        MasterState.DOWN,
        master="onair",
        standby="backup",
        master_vocabulary=None,
        standby_vocabulary=MARIADB,
        fence="read_only",
        can_fence_host=False,
        master_stop_command="systemctl stop rivendell",
        master_database_stop_command="systemctl stop mariadb",
    )
    assert plan.path == "failover"
    assert kinds(plan) == [
        StepKind.ATTEST,
        StepKind.WAIT_DRAINED,
        StepKind.STANDBY_SQL,
        StepKind.RECORD_COORDINATES,
        StepKind.STANDBY_SQL,
        StepKind.STANDBY_SQL,
        StepKind.SWITCH,
        StepKind.POST_CHECK,
        StepKind.MARKER,
    ]
    texts = [step.text() for step in plan.steps]
    assert texts[2] == "STOP SLAVE"
    assert texts[4] == "RESET SLAVE ALL"
    assert texts[5] == "SET GLOBAL read_only = OFF; SELECT @@GLOBAL.read_only AS read_only"
    assert [step.id for step in plan.steps][:3] == ["01-fence", "02-drain", "03-stop-replication"]
    # the drain is proven before anything resets
    assert texts.index("RESET SLAVE ALL") > kinds(plan).index(StepKind.WAIT_DRAINED)


def test_failover_fences_over_ssh_when_it_can() -> None:
    plan = plan_promotion(
        MasterState.DOWN,
        master="onair",
        standby="backup",
        master_vocabulary=None,
        standby_vocabulary=MARIADB,
        fence="stop",
        can_fence_host=True,
        master_stop_command="systemctl stop rivendell",
        master_database_stop_command="service mysqld stop",
    )
    assert plan.steps[0].kind is StepKind.MASTER_COMMAND
    assert plan.steps[0].command == "systemctl stop rivendell; service mysqld stop"


@pytest.mark.parametrize("vocabulary", [MARIADB, MYSQL84])
def test_switchover_plan(vocabulary: Vocabulary) -> None:
    plan = plan_promotion(
        MasterState.UP,
        master="onair",
        standby="backup",
        master_vocabulary=vocabulary,
        standby_vocabulary=vocabulary,
        fence="read_only",
        can_fence_host=False,
        master_stop_command="systemctl stop rivendell",
        master_database_stop_command="systemctl stop mariadb",
    )
    assert plan.path == "switchover"
    assert kinds(plan)[:3] == [
        StepKind.MASTER_SQL,
        StepKind.RECORD_MASTER_POSITION,
        StepKind.WAIT_CAUGHT_UP,
    ]
    fence = plan.steps[0].text()
    assert fence.startswith("SET GLOBAL read_only = ON")
    if vocabulary is MYSQL84:
        assert "super_read_only = ON" in fence
        assert "RESET REPLICA ALL" in [s.text() for s in plan.steps]
    else:
        assert "super_read_only" not in fence
        assert "RESET SLAVE ALL" in [s.text() for s in plan.steps]
    assert StepKind.WAIT_DRAINED not in kinds(plan)
