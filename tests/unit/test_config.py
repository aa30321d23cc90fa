"""Configuration: lookup order, validation with file and line, credentials fallbacks."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rdconsole.config import ConfigError, find_config_path, load_settings
from rdconsole.config.show import effective_settings
from rdconsole.core.model import Role

ISSUE_EXAMPLE = """\
[console]
poll_interval = 1.0                 # seconds
state_dir = "/var/lib/rdconsole"    # journal, audit log, state files

[master]
name = "onair"
host = "127.0.0.1"

[master.mysql]
port = 33061
user = "rdconsole"
password = "secret"                 # or password_file = "..."; or socket = "..."

[[standby]]
name = "backup"
host = "127.0.0.1"
local = true                        # rdconsole runs on this host

[standby.mysql]
port = 33062
user = "rdconsole"
password = "secret"
"""

LATER_SECTIONS = """
[master.ssh]
user = "root"
port = 22

[master.rsync]
module = "rivendell"

[standby.audio]
dir = "/var/snd.standby"

[standby.rivendell]
rd_conf = "/etc/rd.conf"

[failover]
fence = "read_only"
"""


def write(tmp_path: Path, text: str, mode: int = 0o600) -> Path:
    path = tmp_path / "rdconsole.toml"
    path.write_text(text)
    os.chmod(path, mode)
    return path


def test_the_issue_example_is_accepted_as_is(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ISSUE_EXAMPLE), environ={"HOME": str(tmp_path)})
    assert settings.master.name == "onair"
    assert settings.master.mysql.port == 33061
    assert settings.master.mysql.password is not None
    assert settings.master.mysql.password.reveal() == "secret"
    assert settings.standbys[0].local
    assert settings.standbys[0].role is Role.STANDBY
    assert settings.console.poll_interval == 1.0
    assert settings.warnings == ()


def test_sections_of_later_features_are_accepted(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ISSUE_EXAMPLE + LATER_SECTIONS))
    assert settings.warnings == ()


def test_lookup_order(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    assert find_config_path("/x.toml", {"RDCONSOLE_CONFIG": "/y.toml"}) == Path("/x.toml")
    assert find_config_path(None, {"RDCONSOLE_CONFIG": "/y.toml"}) == Path("/y.toml")
    monkeypatch.setenv("HOME", str(tmp_path))
    user = tmp_path / ".config/rdconsole/rdconsole.toml"
    user.parent.mkdir(parents=True)
    user.write_text(ISSUE_EXAMPLE)
    assert find_config_path(None, {}) == user


def test_nothing_found_lists_where_it_looked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    if Path("/etc/rdconsole/rdconsole.toml").exists():
        pytest.fail("a system config exists on this machine; the test needs it absent")
    with pytest.raises(ConfigError, match=r"RDCONSOLE_CONFIG.*rdconsole demo"):
        find_config_path(None, {})


@pytest.mark.parametrize(
    ("text", "line", "message"),
    [
        (
            ISSUE_EXAMPLE.replace("poll_interval = 1.0", 'poll_interval = "fast"'),
            2,
            "poll_interval must be a number",
        ),
        (
            ISSUE_EXAMPLE.replace("port = 33062", "port = 99999"),
            20,
            "port must be a whole number 1-65535",
        ),
        (ISSUE_EXAMPLE.replace("local = true", 'local = "yes"'), 17, "local must be true or false"),
        (ISSUE_EXAMPLE.replace('name = "onair"', "name = "), 6, "not valid TOML"),
        (
            ISSUE_EXAMPLE.replace('name = "backup"', 'name = "onair"'),
            None,
            "host names must be unique",
        ),
    ],
)
def test_errors_name_file_and_line(
    tmp_path: Path, text: str, line: int | None, message: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert caught.value.path == path
    assert caught.value.line == line
    assert message in caught.value.message
    assert str(path) in str(caught.value)


def test_missing_master_and_standby(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"\[master\]"):
        load_settings(write(tmp_path, "[console]\n"))
    only_master = ISSUE_EXAMPLE.split("[[standby]]")[0]
    with pytest.raises(ConfigError, match=r"\[\[standby\]\]"):
        load_settings(write(tmp_path, only_master))


def test_unknown_key_is_a_warning_with_line(tmp_path: Path) -> None:
    text = ISSUE_EXAMPLE.replace("poll_interval = 1.0", "poll_intervall = 1.0")
    settings = load_settings(write(tmp_path, text))
    assert any("poll_intervall" in w and ":2:" in w for w in settings.warnings)


def test_readable_config_holding_a_password_warns(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ISSUE_EXAMPLE, mode=0o644))
    assert any("chmod 600" in w for w in settings.warnings)


def test_password_file(tmp_path: Path) -> None:
    secret = tmp_path / "master.secret"
    secret.write_text("s3cret\n")
    text = ISSUE_EXAMPLE.replace('password = "secret"', f'password_file = "{secret}"')
    settings = load_settings(write(tmp_path, text, mode=0o644))
    assert settings.master.mysql.password is not None
    assert settings.master.mysql.password.reveal() == "s3cret"
    assert settings.provenance["master.mysql.password"] == f"password_file {secret}"
    assert not any("chmod" in w for w in settings.warnings)


RD_CONF_MASTER = """\
[Identity]
AudioOwner=rivendell
Password=identitypass

[mySQL]
Hostname=onair.example
Loginname=rduser
Database=Rivendell
"""


def test_credentials_from_rd_conf_then_my_cnf(tmp_path: Path) -> None:
    rd_master = tmp_path / "rd.conf.master"
    rd_master.write_text(RD_CONF_MASTER)
    (tmp_path / ".my.cnf").write_text('[client]\nuser = monitor\npassword = "from mycnf"\n')
    text = ISSUE_EXAMPLE.replace('user = "rdconsole"\npassword = "secret"', "", 1)
    text = text.replace('user = "rdconsole"\npassword = "secret"', "")
    text += f'\n[standby.rivendell]\nrd_conf_master = "{rd_master}"\n'
    settings = load_settings(write(tmp_path, text), environ={"HOME": str(tmp_path)})
    master = settings.master.mysql
    assert master.user == "rduser"
    assert master.password is not None
    assert master.password.reveal() == "identitypass"
    assert settings.provenance["master.mysql.password"].endswith("[Identity] Password")
    # the standby's rd.conf.standby is absent here: ~/.my.cnf fills the gap
    standby = settings.standbys[0].mysql
    assert standby.user == "monitor"
    assert standby.password is not None
    assert standby.password.reveal() == "from mycnf"
    assert settings.provenance["standby[0].mysql.user"].endswith("[client] user")


def test_effective_settings_mask_secrets_and_show_sources(tmp_path: Path) -> None:
    path = write(tmp_path, ISSUE_EXAMPLE)
    lines = effective_settings(load_settings(path))
    text = "\n".join(lines)
    assert "secret" not in text
    assert "master.mysql.password = ********" in text
    assert f"# {path}:10" in text  # master.mysql.port
    assert "console.connect_timeout = 3  " in text
    assert "# default" in text


def test_secret_never_shows_itself() -> None:
    from rdconsole.config import Secret

    secret = Secret("hunter2")
    assert "hunter2" not in repr(secret)
    assert "hunter2" not in str(secret)
    assert "hunter2" not in f"{[secret]}"


def test_audio_rsync_ssh_sections(tmp_path: Path) -> None:
    rd_standby = tmp_path / "rd.conf.standby"
    rd_standby.write_text("[Identity]\nAudioOwner=rd\nAudioGroup=audio\n")
    text = ISSUE_EXAMPLE + (
        '\n[master.rsync]\nmodule = "rivendell"\nport = 8730\nguard_file = "repl.chk"\n'
        '\n[master.ssh]\nuser = "root"\nport = 2222\n'
        '\n[standby.audio]\ndir = "/srv/snd.standby"\ndelete = true\nmax_delete = 10\n'
        'max_delete_ratio = 0.1\nstale_after = "1h30m"\n'
        f'\n[standby.rivendell]\nrd_conf_standby = "{rd_standby}"\n'
    )
    settings = load_settings(write(tmp_path, text))
    master, standby = settings.master, settings.standbys[0]
    assert master.rsync.port == 8730
    assert master.rsync.transport == "daemon"
    assert master.ssh is not None
    assert master.ssh.port == 2222
    assert standby.ssh is None
    audio = standby.audio
    assert audio.dir == Path("/srv/snd.standby")
    assert audio.delete is True
    assert audio.max_delete == 10
    assert audio.stale_after == 5400
    assert (audio.owner, audio.group) == ("rd", "audio")
    assert audio.trash_dir == Path("/srv/snd.standby.trash")
    assert standby.rivendell.snd_standby == Path("/srv/snd.standby")
    assert settings.provenance["standby[0].audio.owner"].endswith("[Identity] AudioOwner")


def test_audio_defaults_and_bad_values(tmp_path: Path) -> None:
    settings = load_settings(write(tmp_path, ISSUE_EXAMPLE))
    audio = settings.standbys[0].audio
    assert (audio.delete, audio.max_delete, audio.max_delete_ratio) == (False, 50, 0.05)
    assert audio.stale_after == 7200
    assert settings.master.rsync.guard_file == "repl.chk"
    bad = ISSUE_EXAMPLE + '\n[standby.audio]\nstale_after = "soon"\n'
    with pytest.raises(ConfigError, match="not a duration") as caught:
        load_settings(write(tmp_path, bad))
    assert caught.value.line == 25
    bad = ISSUE_EXAMPLE + '\n[master.rsync]\ntransport = "ftp"\n'
    with pytest.raises(ConfigError, match="one of daemon, ssh"):
        load_settings(write(tmp_path, bad))


def test_failover_section_and_rivendell_commands(tmp_path: Path) -> None:
    text = ISSUE_EXAMPLE + (
        '\n[standby.rivendell]\nstop_command = "/usr/local/bin/stop-rd"\n'
        '\n[failover]\ndrain_timeout = "90s"\nblock_after_promotion = "4h"\nfence = "stop"\n'
    )
    settings = load_settings(write(tmp_path, text))
    assert settings.failover.drain_timeout == 90
    assert settings.failover.block_after_promotion == 4 * 3600
    assert settings.failover.fence == "stop"
    assert settings.failover.master_stop_command is None  # the standby's stop_command
    assert settings.failover.master_database_stop_command == "systemctl stop mariadb"
    rivendell = settings.standbys[0].rivendell
    assert rivendell.stop_command == "/usr/local/bin/stop-rd"
    assert rivendell.start_command.endswith("start") and "rivendell" in rivendell.start_command
    with pytest.raises(ConfigError, match="read_only, stop, none"):
        load_settings(write(tmp_path, ISSUE_EXAMPLE + '\n[failover]\nfence = "stonith"\n'))
    own = text + 'master_stop_command = "rc-service rivendell stop"\n'
    own += 'master_database_stop_command = "service mysqld stop"\n'
    failover = load_settings(write(tmp_path, own)).failover
    assert failover.master_stop_command == "rc-service rivendell stop"
    assert failover.master_database_stop_command == "service mysqld stop"
