"""rd.conf with Rivendell's own parsing rules."""

from __future__ import annotations

from rdconsole.core.mycnf import parse_client_options
from rdconsole.core.rdconf import parse_rdconf


def test_mysql_section_and_password_fallback() -> None:
    conf = parse_rdconf("[Identity]\nPassword=id\n[mySQL]\nLoginname=rduser\n")
    assert conf.mysql_user == "rduser"
    assert conf.mysql_password == "id"
    assert conf.mysql_host == "localhost"
    assert conf.mysql_database == "Rivendell"
    assert parse_rdconf("[mySQL]\nPassword=own\n[Identity]\nPassword=id\n").mysql_password == "own"


def test_keys_are_case_sensitive_and_untrimmed_keys_are_flagged() -> None:
    conf = parse_rdconf("[mySQL]\nHostname = db1\nloginname=x\n[MySQL]\nDatabase=other\n")
    assert conf.mysql_host == "localhost"  # "Hostname " never matches, like Rivendell
    assert conf.mysql_user == "rduser"
    assert conf.mysql_database == "Rivendell"  # [MySQL] is another section
    assert any("spaces" in w and "line 2" in w for w in conf.warnings)
    assert any("'Loginname'" in w for w in conf.warnings)


def test_first_section_and_first_key_win_and_comments() -> None:
    text = "; comment\n[mySQL]\n# c\nLoginname=first\nLoginname=second\n[mySQL]\nLoginname=third\n"
    conf = parse_rdconf(text)
    assert conf.mysql_user == "first"
    assert any("repeated" in w for w in conf.warnings)


def test_value_is_trimmed_and_inline_text_kept() -> None:
    assert parse_rdconf("[mySQL]\nPassword=  a;b # c  \n").mysql_password == "a;b # c"


def test_my_cnf_client_group() -> None:
    text = "[mysqld]\nuser=mysql\n[client]\nuser = mon\npassword='p w'\n[mysql]\nsocket=/s\n"
    options = parse_client_options(text)
    assert options == {"user": "mon", "password": "p w", "socket": "/s"}
