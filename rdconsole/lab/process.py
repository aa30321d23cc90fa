"""Processes of the lab's servers: finding, signalling and waiting for them via /proc.

Shared by the rsync daemon and sshd. Only processes the lab started (and their descendants)
are ever signalled.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Self

from rdconsole.lab.client import LabError

LOOPBACK = "127.0.0.1"
STOP_GRACE = 5.0
"""Seconds between SIGTERM and SIGKILL when a lab daemon or its children are stopped."""


@dataclass(frozen=True)
class ProcessInfo:
    """The fields of ``/proc/PID/stat`` the lab needs; ``start`` (in clock ticks since boot)
    tells a process from a later one that reuses its PID."""

    pid: int
    ppid: int
    state: str
    comm: str
    start: int


def process_table() -> dict[int, ProcessInfo]:
    """All processes visible in ``/proc``, by PID (those that vanish while reading are left out)."""
    table: dict[int, ProcessInfo] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as file:
                stat = file.read().decode(errors="replace")
        except OSError:
            continue
        # "pid (comm) state ppid ...": comm may hold spaces and parentheses, so cut at the last ")".
        head, _, tail = stat.rpartition(")")
        fields = tail.split()
        table[int(entry)] = ProcessInfo(
            pid=int(entry),
            ppid=int(fields[1]),
            state=fields[0],
            comm=head.partition("(")[2],
            start=int(fields[19]),
        )
    return table


def descendants(pid: int) -> list[ProcessInfo]:
    """Children, grandchildren, ... of ``pid`` (they are lost once ``pid`` exits: re-parented)."""
    children: dict[int, list[ProcessInfo]] = {}
    for info in process_table().values():
        children.setdefault(info.ppid, []).append(info)
    found: list[ProcessInfo] = []
    pending = [pid]
    while pending:
        for child in children.get(pending.pop(), []):
            found.append(child)
            pending.append(child.pid)
    return found


def is_alive(process: ProcessInfo) -> bool:
    """The very process (same PID and start time) still exists and is not a zombie (orphans'
    zombies wait for PID 1, which reaps slowly)."""
    current = process_table().get(process.pid)
    return current is not None and current.start == process.start and current.state != "Z"


def signal_processes(processes: list[ProcessInfo], signum: signal.Signals) -> None:
    """Send ``signum`` to each of ``processes`` that is still the same process."""
    for process in processes:
        if is_alive(process):
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signum)


def wait_gone(processes: list[ProcessInfo], timeout: float) -> list[ProcessInfo]:
    """Wait up to ``timeout`` seconds until none of ``processes`` is alive; return the rest."""
    deadline = time.monotonic() + timeout
    while True:
        left = [process for process in processes if is_alive(process)]
        if not left or time.monotonic() > deadline:
            return left
        time.sleep(0.01)


def stop_tree(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM (and SIGCONT, in case it is paused) a lab daemon and every descendant, SIGKILL
    whatever is left after :data:`STOP_GRACE`; wait for all of them. No-op once it has exited."""
    if process.poll() is not None:
        return
    tree = descendants(process.pid)
    for signum in (signal.SIGTERM, signal.SIGCONT):
        process.send_signal(signum)
        signal_processes(tree, signum)
    try:
        process.wait(STOP_GRACE)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    left = wait_gone(tree, STOP_GRACE)
    signal_processes(left, signal.SIGKILL)
    if wait_gone(left, STOP_GRACE):
        raise LabError(f"processes survived SIGKILL: {[p.pid for p in left]}")


def log_tail(path: Path, lines: int = 20) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        return f"(cannot read {path}: {error})"
    return "\n".join(text.splitlines()[-lines:])


def listens(pid: int, port: int) -> bool:
    """``pid`` itself holds a TCP socket listening on 127.0.0.1:``port`` (a greeting alone could
    come from another program that had the port first)."""
    inodes: set[str] = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[len("socket:[") : -1])
    address = f"{int.from_bytes(socket.inet_aton(LOOPBACK), sys.byteorder):08X}:{port:04X}"
    try:
        with open(f"/proc/{pid}/net/tcp", encoding="ascii") as table:
            rows = [line.split() for line in table][1:]
    except OSError:
        return False
    # Columns: sl local_address rem_address st ... inode; st 0A is LISTEN.
    return any(row[1] == address and row[3] == "0A" and row[9] in inodes for row in rows)


def wait_for_greeting(
    name: str, process: subprocess.Popen[bytes], port: int, prefix: bytes, timeout: float, log: Path
) -> bytes:
    """Wait until ``process`` listens on 127.0.0.1:``port`` and sends a first line starting with
    ``prefix``; return that line. LabError with the end of ``log`` if ``process`` exits (a port
    taken meanwhile: ``Address already in use``) or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while process.poll() is None:
        if listens(process.pid, port):
            with (
                contextlib.suppress(OSError),
                socket.create_connection((LOOPBACK, port), 1) as sock,
            ):
                line = sock.makefile("rb").readline(256)
                if line.startswith(prefix):
                    return line.rstrip(b"\r\n")
        if time.monotonic() > deadline:
            problem = f"sent no {prefix.decode()!r} greeting on {LOOPBACK}:{port} in {timeout:g} s"
            break
        time.sleep(0.02)
    else:
        problem = f"exited with status {process.returncode} during start-up"
    raise LabError(f"{name} {problem}; {log} ends with:\n{log_tail(log)}")


class Lifecycle:
    """``start()``/``stop()`` of a lab server, also as a context manager (stop on any exit)."""

    def start(self) -> object:
        raise NotImplementedError

    def stop(self) -> None:
        raise NotImplementedError

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
