"""The plan of ``rdconsole switch`` (pure): refusals, no-ops and the exact commands of each step."""

from __future__ import annotations

import pytest

from rdconsole.core.layout import LinkState, Mode
from rdconsole.core.switch import (
    GUI_MODULES,
    PROCESS_SCAN,
    ServiceCommands,
    StepKind,
    SwitchPaths,
    SwitchPlan,
    link_command,
    plan_switch,
    running_named,
)
from tests.helpers import probed

PATHS = SwitchPaths(
    rd_conf="/etc/rd.conf",
    rd_conf_master="/etc/rd.conf.master",
    rd_conf_standby="/etc/rd.conf.standby",
    snd="/var/snd",
    snd_master="/var/snd.master",
    snd_standby="/var/snd.standby",
    mirror_dir="/var/snd.standby",
)
COMMANDS = ServiceCommands(
    stop="systemctl stop rivendell",
    start="systemctl start rivendell",
    check="systemctl is-active rivendell",
)
INVOCATION = ["rdconsole", "--config", "/etc/rdconsole/rdconsole.toml", "switch"]
TARGETS = (
    "F\t/etc/rd.conf.master\t/etc/rd.conf.master\n"
    "F\t/etc/rd.conf.standby\t/etc/rd.conf.standby\n"
    "F\t/var/snd.master\t/var/snd.master\n"
    "F\t/var/snd.standby\t/var/snd.standby\n"
)


def states(rd_conf: str, snd: str, targets: str = TARGETS) -> dict[str, LinkState]:
    """``rd_conf``, ``snd``: a probe's KIND and resolved path, e.g. ``L /etc/rd.conf.master``."""
    conf_kind, conf_target = rd_conf.split()
    snd_kind, snd_target = snd.split()
    return probed(
        f"{conf_kind}\t/etc/rd.conf\t{conf_target}\n{snd_kind}\t/var/snd\t{snd_target}\n{targets}"
    )


def plan(
    probed: dict[str, LinkState], target: Mode, unwritable: tuple[str, ...] = ()
) -> SwitchPlan:
    return plan_switch(
        probed,
        PATHS,
        COMMANDS,
        target,
        invocation=INVOCATION,
        settle_s=5.0,
        unwritable=unwritable,
    )


def commands(result: SwitchPlan) -> list[tuple[str, ...]]:
    return [(step.kind.value, *step.commands) for step in result.steps]


MASTER = states("L /etc/rd.conf.master", "L /var/snd.master")
STANDBY = states("L /etc/rd.conf.standby", "L /var/snd.standby")


def test_master_to_standby_runs_every_step_with_its_exact_command() -> None:
    result = plan(MASTER, Mode.STANDBY)
    assert result.layout.mode is Mode.MASTER
    assert not result.refusals and not result.already and not result.notes
    assert commands(result) == [
        ("check-gui-modules", PROCESS_SCAN),
        ("stop", "systemctl stop rivendell"),
        ("verify-stopped", "systemctl is-active rivendell", PROCESS_SCAN),
        (
            "replace-link",
            "test -L /etc/rd.conf && { test ! -L /etc/rd.conf.rdconsole-new || "
            "rm -f -- /etc/rd.conf.rdconsole-new; } && ln -sT -- /etc/rd.conf.standby "
            "/etc/rd.conf.rdconsole-new && mv -T -- /etc/rd.conf.rdconsole-new /etc/rd.conf",
        ),
        (
            "replace-link",
            "test -L /var/snd && { test ! -L /var/snd.rdconsole-new || "
            "rm -f -- /var/snd.rdconsole-new; } && ln -sT -- /var/snd.standby "
            "/var/snd.rdconsole-new && mv -T -- /var/snd.rdconsole-new /var/snd",
        ),
        ("start", "systemctl start rivendell"),
        ("verify-started", "systemctl is-active rivendell"),
    ]
    assert result.rollback == (
        "rdconsole --config /etc/rdconsole/rdconsole.toml switch master",
        "systemctl stop rivendell; ln -sfn -- /etc/rd.conf.master /etc/rd.conf && "
        "ln -sfn -- /var/snd.master /var/snd && systemctl start rivendell",
    )
    assert "rdservice, caed, ripcd" in result.steps[2].what


def test_standby_to_master_points_both_links_back() -> None:
    result = plan(STANDBY, Mode.MASTER)
    assert [(c.link, c.target, c.previous) for c in result.changes] == [
        ("/etc/rd.conf", "/etc/rd.conf.master", "/etc/rd.conf.standby"),
        ("/var/snd", "/var/snd.master", "/var/snd.standby"),
    ]
    assert (
        result.steps[3]
        .commands[0]
        .endswith(
            "ln -sT -- /etc/rd.conf.master /etc/rd.conf.rdconsole-new && "
            "mv -T -- /etc/rd.conf.rdconsole-new /etc/rd.conf"
        )
    )
    assert result.rollback[0] == "rdconsole --config /etc/rdconsole/rdconsole.toml switch standby"


@pytest.mark.parametrize(("probed", "mode"), [(MASTER, Mode.MASTER), (STANDBY, Mode.STANDBY)])
def test_already_there_is_a_no_op(probed: dict[str, LinkState], mode: Mode) -> None:
    result = plan(probed, mode)
    assert result.already
    assert result.steps == () and result.refusals == () and result.rollback == ()


def test_mixed_to_master_replaces_only_the_wrong_link_and_says_mixed() -> None:
    mixed = states("L /etc/rd.conf.master", "L /var/snd.standby")
    result = plan(mixed, Mode.MASTER)
    assert result.layout.mode is Mode.MIXED
    assert not result.refusals and not result.already
    assert [(c.link, c.target) for c in result.changes] == [("/var/snd", "/var/snd.master")]
    assert [step.kind for step in result.steps].count(StepKind.LINK) == 1
    (note,) = result.notes
    assert note.startswith("MIXED: ") and "half switched" in note
    # A mixed layout is no mode rdconsole can switch to: only the raw rollback is offered.
    assert result.rollback == (
        "systemctl stop rivendell; ln -sfn -- /var/snd.standby /var/snd && "
        "systemctl start rivendell",
    )


def test_rd_conf_as_a_regular_file_is_refused_and_explained() -> None:
    result = plan(states("F /etc/rd.conf", "L /var/snd.master"), Mode.STANDBY)
    assert result.steps == ()
    (refusal,) = result.refusals
    assert refusal.why == (
        "/etc/rd.conf is not a symlink (a regular file, directory or mount point): rdconsole "
        "never removes it and never creates a link inside it"
    )
    assert refusal.fix == (
        "move it (or its mount) to /etc/rd.conf.master and link it, e.g.: "
        "mv -n -- /etc/rd.conf /etc/rd.conf.master && ln -s -- /etc/rd.conf.master /etc/rd.conf"
    )


def test_snd_as_a_directory_is_refused() -> None:
    result = plan(states("L /etc/rd.conf.master", "F /var/snd"), Mode.STANDBY)
    assert result.steps == ()
    (refusal,) = result.refusals
    assert refusal.why.startswith("/var/snd is not a symlink")
    assert "ln -s -- /var/snd.master /var/snd" in refusal.fix


def test_a_missing_link_is_refused() -> None:
    result = plan(states("L /etc/rd.conf.master", "M /var/snd"), Mode.STANDBY)
    (refusal,) = result.refusals
    assert refusal.why == "/var/snd does not exist: rdconsole only replaces an existing symlink"


def test_missing_targets_are_refused_before_anything_stops() -> None:
    targets = TARGETS.replace("F\t/var/snd.standby\t/var/snd.standby\n", "")
    result = plan(states("L /etc/rd.conf.master", "L /var/snd.master", targets), Mode.STANDBY)
    assert result.steps == ()
    assert [r.why for r in result.refusals] == [
        "/var/snd.standby does not exist: /var/snd would point at nothing"
    ]
    assert result.refusals[0].fix == "create the standby audio store /var/snd.standby first"


def test_a_target_that_is_a_dangling_link_is_missing() -> None:
    targets = TARGETS.replace(
        "F\t/etc/rd.conf.standby\t/etc/rd.conf.standby\n",
        "L\t/etc/rd.conf.standby\t/etc/rivendell.d/gone.conf\n"
        "M\t/etc/rivendell.d/gone.conf\t/etc/rivendell.d/gone.conf\n",
    )
    probed = states("L /etc/rd.conf.master", "L /var/snd.master", targets)
    (refusal,) = plan(probed, Mode.STANDBY).refusals
    assert refusal.why.startswith("/etc/rd.conf.standby does not exist")
    valid = targets.replace("M\t/etc/rivendell.d/gone.conf", "F\t/etc/rivendell.d/gone.conf")
    probed = states("L /etc/rd.conf.master", "L /var/snd.master", valid)
    assert plan(probed, Mode.STANDBY).refusals == ()


def test_an_unwritable_directory_is_refused() -> None:
    (refusal,) = plan(MASTER, Mode.STANDBY, unwritable=("/etc",)).refusals
    assert refusal.why.startswith("/etc is not writable")
    assert "root" in refusal.fix


def test_links_elsewhere_are_switched_with_a_note_and_a_raw_rollback() -> None:
    result = plan(states("L /etc/rivendell.d/old.conf", "L /srv/audio"), Mode.MASTER)
    assert result.layout.mode is Mode.UNKNOWN
    assert len(result.changes) == 2 and result.notes
    assert result.rollback == (
        "systemctl stop rivendell; ln -sfn -- /etc/rivendell.d/old.conf /etc/rd.conf && "
        "ln -sfn -- /srv/audio /var/snd && systemctl start rivendell",
    )


def test_link_command_quotes_paths() -> None:
    command = link_command("/srv/my links/rd.conf", "/srv/it's here")
    assert "ln -sT -- '/srv/it'\"'\"'s here' '/srv/my links/rd.conf.rdconsole-new'" in command
    assert command.startswith("test -L '/srv/my links/rd.conf' && ")


def test_processes_by_comm_or_argv0_zombies_excluded() -> None:
    scan = (
        "1\tS\tsystemd\t/sbin/init\tsplash\t\n"
        "200\tS\trdairplay\t/usr/bin/rdairplay\t\n"
        "201\tZ\tcaed\t\n"
        "202\tS\tQtThread\t/usr/local/bin/rdlibrary\t--debug\t\n"
        "garbage line\n"
        "203\tR\tcaed\t/usr/sbin/caed\t\n"
        "204\tS\tbash\tbash\t-c\tcaed\t\n"
    )
    assert running_named(scan, ["rdairplay", "rdlibrary"]) == [
        "rdairplay (pid 200)",
        "rdlibrary (pid 202)",
    ]
    assert running_named(scan, ["caed", "ripcd"]) == ["caed (pid 203)"]
    assert running_named("", GUI_MODULES) == []
