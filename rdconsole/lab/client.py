"""Root access to a lab server through the ``mariadb`` command-line client.

Statements go through the client's stdin, never its argv, and error messages mask password
literals, so passwords show up neither in ``ps`` nor in test reports.
"""

from __future__ import annotations

import os
import re
import secrets
import selectors
import subprocess
import time

Row = dict[str, str | None]
"""One result row from the ``mariadb`` client: column name -> value, SQL NULL as None."""


class LabError(Exception):
    """The lab could not do what was asked; the message says why (with error.log when relevant)."""


def client_env() -> dict[str, str]:
    """The environment for MariaDB programs, without ``MYSQL_PWD``, ``MYSQL_HOST`` and friends."""
    return {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("MYSQL_", "MARIADB_"))
    }


def parse_batch(output: str) -> list[Row]:
    """Rows of ``mariadb --batch --raw`` output: a tab-separated header line, then one per row."""
    lines = output.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    if not lines:
        return []
    header = lines[0].split("\t")
    return [
        {
            name: None if value == "NULL" else value
            for name, value in zip(header, line.split("\t"), strict=True)
        }
        for line in lines[1:]
    ]


_PASSWORD_LITERAL = re.compile(
    r"((?:IDENTIFIED BY|MASTER_PASSWORD\s*=)\s*)'(?:[^'\\]|\\.)*'", re.IGNORECASE
)


def redact(text: str) -> str:
    """``text`` with the password literals of ``IDENTIFIED BY`` and ``MASTER_PASSWORD`` masked,
    for error messages."""
    return _PASSWORD_LITERAL.sub(r"\1'********'", text)


def sql_string(value: str) -> str:
    """``value`` as a single-quoted SQL string literal."""
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


class HeldSession:
    """A ``mariadb`` client fed statement by statement through stdin.

    Each :meth:`query` is followed by ``SELECT '<marker>'``, whose output (header and value both
    equal to the marker) tells where the statement's own output ends.
    """

    def __init__(self, name: str, argv: list[str]) -> None:
        self._name = name
        self._process = subprocess.Popen(
            argv,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
            env=client_env(),
            start_new_session=True,
        )
        self._pending = b""

    def query(self, sql: str, timeout: float = 10.0) -> list[Row]:
        """Run ``sql`` (statements ending in ``;``) and return the rows it prints; as with
        :meth:`MariaDBServer.sql`, at most one statement may return rows."""
        marker = "lab_" + secrets.token_hex(8)
        assert self._process.stdin is not None
        try:
            self._process.stdin.write(f"{sql}\nSELECT '{marker}';\n".encode())
        except BrokenPipeError:
            raise self._ended() from None
        deadline = time.monotonic() + timeout
        lines: list[str] = []
        while True:
            line = self._readline(deadline)
            if line == marker:
                self._readline(deadline)  # the marker's value line
                return parse_batch("\n".join(lines))
            lines.append(line)

    def close(self, timeout: float = 10.0) -> None:
        """End the session (releasing its locks) and wait for the client to exit."""
        if self._process.stdin is not None and not self._process.stdin.closed:
            self._process.stdin.close()
        try:
            self._process.wait(timeout)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        finally:
            for stream in (self._process.stdout, self._process.stderr):
                if stream is not None:
                    stream.close()

    def _readline(self, deadline: float) -> str:
        stdout = self._process.stdout
        assert stdout is not None
        while b"\n" not in self._pending:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise LabError(f"{self._name}: held session timed out")
            ready = _wait_readable(stdout.fileno(), remaining)
            chunk = os.read(stdout.fileno(), 65536) if ready else b""
            if ready and not chunk:
                raise self._ended()
            self._pending += chunk
        line, _, self._pending = self._pending.partition(b"\n")
        return line.decode(errors="replace")

    def _ended(self) -> LabError:
        """The error for a client that exited under us, with what it said on stderr."""
        self._process.wait()
        error = b"" if self._process.stderr is None else self._process.stderr.read()
        return LabError(
            f"{self._name}: held session ended: {redact(error.decode(errors='replace').strip())}"
        )


def _wait_readable(fd: int, timeout: float) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        return bool(selector.select(timeout))
