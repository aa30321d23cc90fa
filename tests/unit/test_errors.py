"""Classification of client errors as asyncmy reports them (messages recorded on the lab)."""

from __future__ import annotations

import pytest

from rdconsole.core.errors import classify, missing_privilege
from rdconsole.core.model import ErrorKind


@pytest.mark.parametrize(
    ("code", "message", "kind"),
    [
        (
            2003,
            "Can't connect to MySQL server on '127.0.0.1' ([Errno 111] Connect call failed "
            "('127.0.0.1', 33069))",
            ErrorKind.REFUSED,
        ),
        (
            2003,
            "Can't connect to MySQL server on 'localhost' ([Errno 2] No such file or directory)",
            ErrorKind.REFUSED,
        ),
        (2003, "Can't connect to MySQL server on '10.231.0.1' ()", ErrorKind.TIMEOUT),
        (
            2003,
            "Can't connect to MySQL server on 'x' ([Errno -2] Name or service not known)",
            ErrorKind.UNREACHABLE,
        ),
        (
            1045,
            "Access denied for user 'rdconsole'@'127.0.0.1' (using password: YES)",
            ErrorKind.ACCESS_DENIED,
        ),
        (1040, "Too many connections", ErrorKind.TOO_MANY_CONNECTIONS),
        (
            2013,
            "Lost connection to MySQL server during query ([Errno 104] Connection reset by peer)",
            ErrorKind.LOST,
        ),
        (2013, "Lost connection to MySQL server during query (read timeout)", ErrorKind.TIMEOUT),
        (None, "no answer in time (timeout)", ErrorKind.TIMEOUT),
        (
            1227,
            "Access denied; you need (at least one of) the SUPER, SLAVE MONITOR privilege(s)",
            ErrorKind.PRIVILEGE,
        ),
        (1064, "You have an error in your SQL syntax", ErrorKind.OTHER),
    ],
)
def test_classify(code: int | None, message: str, kind: ErrorKind) -> None:
    error = classify(code, message)
    assert error.kind is kind
    assert error.message == message


def test_alive_kinds() -> None:
    assert ErrorKind.ACCESS_DENIED.server_alive
    assert ErrorKind.TOO_MANY_CONNECTIONS.server_alive
    assert not ErrorKind.REFUSED.server_alive
    assert not ErrorKind.TIMEOUT.server_alive


def test_missing_privilege_lists_what_the_server_said() -> None:
    missing = missing_privilege(
        "SHOW BINLOG STATUS",
        "Access denied; you need (at least one of) the SUPER, BINLOG MONITOR privilege(s) for "
        "this operation",
    )
    assert missing.privileges == ("SUPER", "BINLOG MONITOR")
    assert missing_privilege("X", "something else").privileges == ()
