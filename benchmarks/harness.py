"""Shared helpers of the lab benchmarks (not a benchmark itself; imported by ``bench_*.py``).

A private tmux server per benchmark (own ``-L`` socket, ``remain-on-exit on`` so a crash keeps
its traceback on screen), screen reads with ``capture-pane -p``, the console's status line, and
CPU time / peak RSS of a process tree from ``/proc``. Only processes a benchmark started are ever
signalled, each by its PID.
"""

from __future__ import annotations

import compileall
import contextlib
import os
import shlex
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

from rdconsole.lab.process import ProcessInfo, descendants, process_table, wait_gone

CLK_TCK = os.sysconf("SC_CLK_TCK")
VENV_BIN = Path(sys.executable).parent
"""The benchmark's own virtualenv: its ``rdconsole`` is the one measured."""


class BenchError(RuntimeError):
    """The benchmark could not measure (as opposed to a missed target)."""


def _terminate(signum: int, frame: object) -> None:
    raise SystemExit(128 + signum)


def run_main(main: Callable[[], int]) -> None:
    """Run a benchmark's ``main``: SIGTERM and SIGHUP unwind it like Ctrl-C (so every ``with``
    stops what it started); exit with its code, or 2 when it could not measure."""
    signal.signal(signal.SIGTERM, _terminate)
    signal.signal(signal.SIGHUP, _terminate)
    print(describe_rdconsole(), flush=True)
    compile_rdconsole()
    try:
        code = main()
    except BenchError as error:
        print(f"benchmark error: {error}", file=sys.stderr)
        code = 2
    except Exception:  # a crash is "could not measure" (2), never "target missed" (1)
        traceback.print_exc()
        code = 2
    sys.exit(code)


@contextlib.contextmanager
def temp_root(prefix: str, keep: bool = False) -> Iterator[Path]:
    """A fresh short directory under /tmp (mariadbd socket paths must stay short), removed on
    exit unless ``keep``."""
    root = Path(tempfile.mkdtemp(prefix=prefix, dir="/tmp"))
    try:
        yield root
    finally:
        if keep:
            print(f"kept {root}")
        else:
            shutil.rmtree(root, ignore_errors=True)


def rdconsole_command(config: Path, *arguments: str) -> list[str]:
    return [str(VENV_BIN / "rdconsole"), "--config", str(config), *arguments]


def describe_rdconsole() -> str:
    """Which rdconsole the benchmark measures: the package it imports (``PYTHONPATH`` reaches
    the console too), with the git commit when that is a checkout (``+`` if modified)."""
    import rdconsole

    package = Path(rdconsole.__file__).parent
    where = f"rdconsole {rdconsole.__version__} from {package}"
    head = subprocess.run(
        ["git", "-C", str(package), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    if head.returncode == 0:
        dirty = subprocess.run(
            ["git", "-C", str(package), "status", "--porcelain", "--", "."],
            capture_output=True,
            text=True,
            check=False,
        ).stdout.strip()
        where += f" (commit {head.stdout.strip()}{'+' if dirty else ''})"
    return where


def compile_rdconsole() -> None:
    """Write the ``.pyc`` files of the measured rdconsole, as installing a package does: with
    ``PYTHONDONTWRITEBYTECODE=1`` (set on the lab machines) every start would compile it again,
    about 40 ms of a command's start-up that no installed copy pays."""
    import rdconsole

    if not compileall.compile_dir(Path(rdconsole.__file__).parent, quiet=1):
        raise BenchError("compileall failed on the rdconsole package")


def wait_until(
    predicate: Callable[[], bool], timeout: float, what: str, interval: float = 0.02
) -> float:
    """Poll ``predicate`` every ``interval`` s; return the monotonic time it first held."""
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return time.monotonic()
        if time.monotonic() > deadline:
            raise BenchError(f"{what}: not reached in {timeout:g} s")
        time.sleep(interval)


# tmux -----------------------------------------------------------------------------------------


class Tmux:
    """A private tmux server (``tmux -L NAME``) with one session per program under test.

    ``kill()`` (also on leaving ``with``) ends the server, then waits for every pane process and
    its descendants to go, SIGKILLing by PID whatever outlives a grace period.
    """

    def __init__(self, root: Path, name: str) -> None:
        self.socket = f"{name}-{os.getpid()}"
        self.conf = root / f"{name}.tmux.conf"
        self.conf.write_text("set -g remain-on-exit on\nset -g history-limit 1000\n")
        self._panes: list[ProcessInfo] = []

    def _argv(self, *arguments: str) -> list[str]:
        return ["tmux", "-L", self.socket, "-f", str(self.conf), *arguments]

    def run(self, *arguments: str) -> str:
        result = subprocess.run(
            self._argv(*arguments), capture_output=True, text=True, check=False, timeout=10
        )
        if result.returncode != 0:
            raise BenchError(f"tmux {' '.join(arguments)}: {result.stderr.strip()}")
        return result.stdout

    def new_session(
        self,
        session: str,
        command: Sequence[str],
        *,
        width: int = 80,
        height: int = 24,
        env: dict[str, str] | None = None,
    ) -> float:
        """Start ``command`` in a detached session of ``width`` x ``height``; return the monotonic
        time just before ``tmux new-session`` was launched."""
        environment = {k: v for k, v in os.environ.items() if k not in {"TMUX", "COLUMNS", "LINES"}}
        environment.update(env or {})
        launched = time.monotonic()
        result = subprocess.run(
            self._argv(
                "new-session",
                "-d",
                "-s",
                session,
                "-x",
                str(width),
                "-y",
                str(height),
                "exec " + shlex.join(command),
            ),
            env=environment,
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
        if result.returncode != 0:
            raise BenchError(f"tmux new-session: {result.stderr.strip()}")
        pid = self.pane_pid(session)
        info = process_table().get(pid)
        if info is not None:
            self._panes.append(info)
        return launched

    def capture(self, session: str) -> str:
        return self.run("capture-pane", "-p", "-t", session)

    def pane_pid(self, session: str) -> int:
        return int(self.run("display", "-p", "-t", session, "#{pane_pid}").strip())

    def pane_dead(self, session: str) -> bool:
        return self.run("display", "-p", "-t", session, "#{pane_dead}").strip() == "1"

    def kill(self) -> None:
        trees = [p for pane in self._panes for p in (pane, *descendants(pane.pid))]
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            subprocess.run(self._argv("kill-server"), capture_output=True, check=False, timeout=10)
        left = wait_gone(trees, 5.0)
        for process in left:
            with contextlib.suppress(ProcessLookupError):
                os.kill(process.pid, signal.SIGKILL)
        if wait_gone(left, 5.0):
            raise BenchError(f"processes survived SIGKILL: {[p.pid for p in left]}")
        self._panes.clear()

    def __enter__(self) -> Tmux:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.kill()


def status_line(screen: str, pair: str) -> str | None:
    """The console's status bar (the line naming ``master → standby``), or None before the
    first frame. The event log repeats phrases, so phrases are only read from this line."""
    for line in screen.splitlines():
        if pair in line:
            return line
    return None


class Screen:
    """Reads one tmux session running the console and looks at its status line."""

    def __init__(self, tmux: Tmux, session: str, pair: str) -> None:
        self.tmux = tmux
        self.session = session
        self.pair = pair
        self.last = ""

    def status(self) -> str | None:
        self.last = self.tmux.capture(self.session)
        return status_line(self.last, self.pair)

    def shows(self, phrase: str) -> bool:
        line = self.status()
        return line is not None and phrase in line

    def wait_for(self, phrase: str, timeout: float, interval: float = 0.02) -> float:
        """Monotonic time the status line first showed ``phrase``; BenchError with the screen
        (a traceback, if the console died) on a timeout."""
        try:
            return wait_until(lambda: self.shows(phrase), timeout, f"status {phrase}", interval)
        except BenchError as error:
            raise BenchError(f"{error}; the screen:\n{self.last}") from None


# /proc ----------------------------------------------------------------------------------------


def process_tree(pid: int) -> list[int]:
    return [pid, *(p.pid for p in descendants(pid))]


def cpu_seconds(pids: Sequence[int]) -> float:
    """utime + stime of ``pids`` (all their threads), in seconds; vanished ones count 0."""
    ticks = 0
    for pid in pids:
        with contextlib.suppress(OSError):
            with open(f"/proc/{pid}/stat", "rb") as file:
                fields = file.read().decode(errors="replace").rpartition(")")[2].split()
            ticks += int(fields[11]) + int(fields[12])  # fields 14 and 15 of proc(5)
    return ticks / CLK_TCK


def status_kib(pids: Sequence[int], key: str) -> int:
    """Sum of one ``/proc/PID/status`` field in KiB (``VmHWM``: peak RSS, ``VmRSS``: now)."""
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError), open(f"/proc/{pid}/status", encoding="ascii") as file:
            for line in file:
                if line.startswith(key + ":"):
                    total += int(line.split()[1])
    return total


# reporting ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    low: float
    median: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Spread:
        return cls(min(values), statistics.median(values), max(values))


def table(header: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(cell)) for cell in column) for column in zip(header, *rows, strict=True)]
    lines = [header, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(
            cell.rjust(w) if i else cell.ljust(w)
            for i, (cell, w) in enumerate(zip(line, widths, strict=True))
        )
        for line in lines
    )


def verdict(passed: bool, text: str) -> int:
    """Print the target line; the exit code (0 met, 1 missed)."""
    print(f"{'PASS' if passed else 'FAIL'}: {text}")
    return 0 if passed else 1
