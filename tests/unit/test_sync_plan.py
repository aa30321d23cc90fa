"""The mirror's commands and guard decisions (pure)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from rdconsole.core.layout import LinkKind, Mode, judge_layout
from rdconsole.core.sync_plan import (
    MirrorSource,
    MirrorTarget,
    classify_guard_exit,
    guard_command,
    guard_listed,
    judge_deletions,
    mirror_command,
    shell_line,
)
from tests.helpers import probed

SOURCE = MirrorSource(
    host="onair",
    transport="daemon",
    module="rivendell",
    port=873,
    path="/var/snd",
    guard_file="repl.chk",
    timeout=60,
    contimeout=15,
    password_file="/etc/rdconsole/rsync.secret",
    user="mirror",
)
TARGET = MirrorTarget(
    dir="/var/snd.standby",
    trash_dir="/var/snd.standby.trash",
    owner="rivendell",
    group="rivendell",
    delete=False,
    max_delete=50,
    max_delete_ratio=0.05,
    set_owner=True,
)
STARTED = datetime(2026, 11, 27, 3, 0, 0, tzinfo=UTC)


def test_whole_directory_with_trailing_slashes_never_a_glob() -> None:
    command = mirror_command(SOURCE, TARGET, STARTED, dry_run=False)
    assert command[-2:] == ["rsync://mirror@onair:873/rivendell/", "/var/snd.standby/"]
    assert not any("*" in part for part in command[-2:])


def test_low_priority_timeouts_ownership_and_no_delete_by_default() -> None:
    command = mirror_command(SOURCE, TARGET, STARTED, dry_run=False)
    assert command[:6] == ["nice", "-n", "15", "ionice", "-c", "3"]
    assert "--timeout=60" in command
    assert "--contimeout=15" in command
    assert "--times" in command
    assert "--chown=rivendell:rivendell" in command
    assert "--chmod=D0775,F0664" in command
    assert not any(part.startswith("--delete") for part in command)
    assert "--password-file=/etc/rdconsole/rsync.secret" in command


def test_deletes_go_to_a_dated_trash_and_are_capped() -> None:
    target = MirrorTarget(**{**TARGET.__dict__, "delete": True})
    command = mirror_command(SOURCE, target, STARTED, dry_run=False)
    assert "--delete-after" in command
    assert "--max-delete=50" in command
    assert "--backup" in command
    assert "--backup-dir=/var/snd.standby.trash/2026-11-27T030000" in command


def test_dry_run_counts_deletions_without_changing_anything() -> None:
    command = mirror_command(SOURCE, TARGET, STARTED, dry_run=True)
    assert "--dry-run" in command
    assert "--delete" in command
    assert "nice" not in command


def test_without_root_no_chown() -> None:
    target = MirrorTarget(**{**TARGET.__dict__, "set_owner": False})
    assert not any(
        p.startswith("--chown") for p in mirror_command(SOURCE, target, STARTED, dry_run=False)
    )


def test_ssh_transport() -> None:
    source = MirrorSource(**{**SOURCE.__dict__, "transport": "ssh", "port": 22, "user": None})
    command = mirror_command(source, TARGET, STARTED, dry_run=False)
    assert command[-2] == "onair:/var/snd/"
    assert any(p.startswith("--rsh=ssh -p 22 -o BatchMode=yes") for p in command)
    assert not any(p.startswith("--contimeout") for p in command)


def test_guard_command_and_exit_codes() -> None:
    assert guard_command(SOURCE)[-1] == "rsync://mirror@onair:873/rivendell/repl.chk"
    assert classify_guard_exit(0) == (True, "guard file present")
    assert classify_guard_exit(23)[0] is False
    assert classify_guard_exit(35)[0] is None
    assert "timed out" in classify_guard_exit(35)[1]
    assert "exit 99" in classify_guard_exit(99)[1]


def test_daemon_sessions_set_tcp_nodelay_and_the_guard_skips_the_motd() -> None:
    guard = guard_command(SOURCE)
    assert "--sockopts=TCP_NODELAY" in guard and "--no-motd" in guard
    for dry_run in (False, True):
        assert "--sockopts=TCP_NODELAY" in mirror_command(SOURCE, TARGET, STARTED, dry_run=dry_run)
    ssh = MirrorSource(**{**SOURCE.__dict__, "transport": "ssh", "port": 22})
    assert not any(p.startswith(("--sockopts", "--no-motd")) for p in guard_command(ssh))
    assert not any(
        p.startswith("--sockopts") for p in mirror_command(ssh, TARGET, STARTED, dry_run=False)
    )


@pytest.mark.parametrize(
    ("line", "listed"),
    [
        ("-rw-r--r--              0 2026/11/27 20:52:48 repl.chk", True),
        ("-rw-rw-r--          1,234 2026/01/02 03:04:05 repl.chk", True),
        ("drwxr-xr-x          4,096 2026/01/02 03:04:05 repl.chk", True),
        ("lrwxrwxrwx              9 2026/01/02 03:04:05 repl.chk -> elsewhere", False),
        ("-rw-r--r--              0 2026/11/27 20:52:48 repl.chk.old", False),
        ("-rw-r--r--              0 2026/11/27 20:52:48 other/repl.chk", False),
        ("repl.chk", False),
        ('rsync: [sender] link_stat "/repl.chk" (in rivendell) failed: No such file (2)', False),
        ("", False),
    ],
)
def test_the_guard_listing_line(line: str, listed: bool) -> None:
    assert guard_listed(line, SOURCE) is listed


def test_a_guard_below_the_module_root_is_listed_by_its_name() -> None:
    source = MirrorSource(**{**SOURCE.__dict__, "guard_file": "flags/repl.chk"})
    assert guard_listed("-rw-r--r--              0 2026/11/27 20:52:48 repl.chk", source)


def test_shell_line_quotes() -> None:
    assert shell_line(["rsync", "a b", "--out-format=>>> %i %n"]) == (
        "rsync 'a b' '--out-format=>>> %i %n'"
    )


@pytest.mark.parametrize(
    ("would_delete", "files", "delete", "allowed", "words"),
    [
        (0, 100, True, True, "nothing"),
        (5, 100, False, True, "delete off"),
        (51, 10000, True, False, "max_delete = 50"),
        (6, 100, True, False, "6.0%"),
        (5, 100, True, True, "trash"),
    ],
)
def test_delete_bounds(
    would_delete: int, files: int, delete: bool, allowed: bool, words: str
) -> None:
    target = MirrorTarget(**{**TARGET.__dict__, "delete": delete})
    decision = judge_deletions(would_delete, files, target)
    assert decision.allowed is allowed
    assert words in decision.reason


def layout(output: str) -> Mode:
    return judge_layout(
        probed(output),
        rd_conf="/etc/rd.conf",
        rd_conf_master="/etc/rd.conf.master",
        rd_conf_standby="/etc/rd.conf.standby",
        snd="/var/snd",
        snd_master="/var/snd.master",
        snd_standby="/var/snd.standby",
        mirror_dir="/var/snd.standby",
    ).mode


def test_modes_from_links() -> None:
    master = "L\t/etc/rd.conf\t/etc/rd.conf.master\nL\t/var/snd\t/var/snd.master\n"
    standby = "L\t/etc/rd.conf\t/etc/rd.conf.standby\nL\t/var/snd\t/var/snd.standby\n"
    mixed = "L\t/etc/rd.conf\t/etc/rd.conf.master\nL\t/var/snd\t/var/snd.standby\n"
    directory = "L\t/etc/rd.conf\t/etc/rd.conf.master\nF\t/var/snd\t/var/snd\n"
    assert layout(master) is Mode.MASTER
    assert layout(standby) is Mode.STANDBY
    assert layout(mixed) is Mode.MIXED
    assert layout(directory) is Mode.UNKNOWN


def test_live_on_mirror_and_missing_mirror() -> None:
    states = probed("L\t/var/snd\t/srv/mirror\nF\t/srv/mirror\t/srv/mirror\n")
    result = judge_layout(
        states,
        rd_conf="/etc/rd.conf",
        rd_conf_master="a",
        rd_conf_standby="b",
        snd="/var/snd",
        snd_master="/var/snd.master",
        snd_standby="/srv/mirror",
        mirror_dir="/srv/mirror",
    )
    assert result.live_on_mirror
    assert result.mirror_present
    assert result.rd_conf.kind is LinkKind.MISSING
    absent = judge_layout(
        probed(""),
        rd_conf="r",
        rd_conf_master="a",
        rd_conf_standby="b",
        snd="s",
        snd_master="m",
        snd_standby="x",
        mirror_dir="x",
    )
    assert not absent.mirror_present
    assert not absent.live_on_mirror
