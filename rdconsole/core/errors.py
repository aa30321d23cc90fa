"""Classify client errors (code + message) into what they say about the server."""

from __future__ import annotations

import re

from rdconsole.core.model import ErrorKind, HostError, MissingPrivilege

ACCESS_DENIED_CODES = frozenset({1044, 1045, 1698})
TOO_MANY_CONNECTIONS_CODES = frozenset({1040, 1203, 1226})
PRIVILEGE_CODES = frozenset({1227, 1142, 1143, 1370})
CANT_CONNECT = 2003
UNKNOWN_HOST = 2005
LOST_CONNECTION = 2013
SERVER_GONE = 2006


def classify(code: int | None, message: str) -> HostError:
    """A client error as a HostError; ``code`` None means a bare timeout or OS error."""
    text = message.lower()
    if code is None:
        kind = ErrorKind.TIMEOUT if "timeout" in text or "timed out" in text else ErrorKind.OTHER
    elif code in ACCESS_DENIED_CODES:
        kind = ErrorKind.ACCESS_DENIED
    elif code in TOO_MANY_CONNECTIONS_CODES:
        kind = ErrorKind.TOO_MANY_CONNECTIONS
    elif code in PRIVILEGE_CODES:
        kind = ErrorKind.PRIVILEGE
    elif code == UNKNOWN_HOST or "name or service not known" in text:
        kind = ErrorKind.UNREACHABLE
    elif code == CANT_CONNECT:
        kind = _connect_failure(text)
    elif code in (LOST_CONNECTION, SERVER_GONE):
        kind = ErrorKind.TIMEOUT if "timeout" in text else ErrorKind.LOST
    else:
        kind = ErrorKind.OTHER
    return HostError(kind=kind, code=code, message=message)


def _connect_failure(text: str) -> ErrorKind:
    if "refused" in text or "errno 111" in text or "no such file" in text or "errno 2]" in text:
        return ErrorKind.REFUSED
    if "unreachable" in text or "no route" in text:
        return ErrorKind.UNREACHABLE
    # asyncmy reports an expired connect_timeout as 2003 with an empty reason: "... ()".
    return ErrorKind.TIMEOUT


_PRIVILEGE_LIST = re.compile(r"you need \(at least one of\) the (.+?) privilege", re.IGNORECASE)


def missing_privilege(statement: str, message: str) -> MissingPrivilege:
    """Which privileges a 1227 error says would allow ``statement``."""
    match = _PRIVILEGE_LIST.search(message)
    names = tuple(p.strip() for p in match[1].split(",")) if match else ()
    return MissingPrivilege(statement=statement, privileges=names)
