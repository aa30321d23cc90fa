"""Idle CPU and peak RSS, rdconsole beside Dolphie: ``python benchmarks/bench_idle_resources.py``.

Starts the MariaDB lab in a temporary directory and runs, one after the other (never at the same
time), each program in its own private tmux server at the same size (default 120x40: Dolphie's
panels do not fit 80x24) with a 1 s refresh:

* ``rdconsole --config CONF`` (poll interval 1 s), which polls two hosts: the master and the
  standby;
* ``dolphie --config-file CNF`` (``refresh_interval = 1``), which watches one host: the lab's
  master. Its login is a ``dolphie`` account with the grants Dolphie's README lists (PROCESS,
  SELECT on performance_schema, replication monitoring), kept in the 0600 config file (not on
  argv); its PyPI version check points at a closed loopback port and ``HOME`` is a temporary
  directory.

Dolphie lives in its own virtualenv (``--dolphie-venv``, default /tmp/rdconsole-bench-dolphie,
created with ``pip install dolphie==VERSION`` when missing). After the program is up (rdconsole:
HEALTHY; Dolphie: its host panel) and a warm-up, CPU = utime + stime (``/proc/PID/stat``) of the
pane's process tree over the window divided by the window's wall time; peak RSS = ``VmHWM`` of
``/proc/PID/status`` summed over the tree at the end (the peak since start, start-up included).
The lab's two mariadbd are measured over the same window, as the load each program puts on them.

Requirement: rdconsole's CPU <= 0.5 x Dolphie's and its peak RSS no higher. Exit 1 if not.
"""

from __future__ import annotations

import argparse
import os
import secrets
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness import (
    BenchError,
    Screen,
    Tmux,
    cpu_seconds,
    process_tree,
    rdconsole_command,
    run_main,
    status_kib,
    table,
    temp_root,
    verdict,
    wait_until,
)

from rdconsole.lab import MASTER_NAME, STANDBY_NAME, MariaDBLab
from rdconsole.lab.config import write_private
from rdconsole.lab.process import descendants
from rdconsole.lab.server import free_ports

PAIR = f"{MASTER_NAME} → {STANDBY_NAME}"
SESSION = "app"
DOLPHIE_SPEC = "dolphie==6.18.0"
DOLPHIE_USER = "dolphie"
DOLPHIE_READY = "Host Information"
DOLPHIE_GRANTS = (
    "PROCESS, BINLOG MONITOR, SLAVE MONITOR, REPLICATION SLAVE, REPLICATION MASTER ADMIN"
)


@dataclass(frozen=True)
class Usage:
    name: str
    hosts: str
    window: float
    cpu: float
    """CPU seconds used in the window."""
    peak_kib: int
    rss_kib: int
    processes: int
    servers_cpu: float
    """CPU seconds of both mariadbd in the window."""

    @property
    def cpu_share(self) -> float:
        return self.cpu / self.window

    @property
    def servers_share(self) -> float:
        return self.servers_cpu / self.window


def ensure_dolphie(venv: Path, spec: str) -> Path:
    """The ``dolphie`` script of ``venv``, installing ``spec`` into a new virtualenv if needed."""
    script = venv / "bin" / "dolphie"
    if not script.exists():
        print(f"creating {venv} and installing {spec} ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "--quiet", spec],
            check=True,
        )
    return script


def dolphie_version(script: Path) -> str:
    result = subprocess.run(
        [str(script), "--version"], capture_output=True, text=True, check=False, timeout=60
    )
    lines = (result.stdout + result.stderr).strip().splitlines()
    return lines[-1] if lines else "version unknown"


def dolphie_config(lab: MariaDBLab, root: Path, refresh: float) -> Path:
    """A ``dolphie`` account on the master and a 0600 Dolphie config file that logs in with it."""
    password = secrets.token_urlsafe(18)
    lab.master_sql(
        f"CREATE USER '{DOLPHIE_USER}'@'%' IDENTIFIED BY '{password}';"
        f"GRANT {DOLPHIE_GRANTS} ON *.* TO '{DOLPHIE_USER}'@'%';"
        f"GRANT SELECT ON performance_schema.* TO '{DOLPHIE_USER}'@'%';"
    )
    closed_port = free_ports(1)[0]  # nothing listens there: the version check fails at once
    lines = [
        "[dolphie]",
        "host = 127.0.0.1",
        f"port = {lab.master.port}",
        f"user = {DOLPHIE_USER}",
        f"password = {password}",
        f"refresh_interval = {refresh:g}",
        f"pypi_repository = http://127.0.0.1:{closed_port}/pypi/dolphie/json",
        f"host_cache_file = {root / 'dolphie_host_cache'}",
        f"tab_setup_file = {root / 'dolphie_hosts'}",
    ]
    return write_private(root / "dolphie.cnf", "\n".join(lines) + "\n")


def mariadbd_pids() -> list[int]:
    """The lab's mariadbd: this process's descendants of that name."""
    return [p.pid for p in descendants(os.getpid()) if p.comm == "mariadbd"]


def measure(
    tmux: Tmux, name: str, hosts: str, ready: float, warmup: float, seconds: float
) -> Usage:
    """Usage of the program in ``tmux``'s session from ``warmup`` s after ``ready``."""
    time.sleep(max(0.0, ready + warmup - time.monotonic()))
    tree = process_tree(tmux.pane_pid(SESSION))
    servers = mariadbd_pids()
    began, cpu_before, servers_before = time.monotonic(), cpu_seconds(tree), cpu_seconds(servers)
    time.sleep(seconds)
    tree = sorted(set(tree) | set(process_tree(tmux.pane_pid(SESSION))))
    cpu, servers_cpu = cpu_seconds(tree) - cpu_before, cpu_seconds(servers) - servers_before
    window = time.monotonic() - began
    if tmux.pane_dead(SESSION):
        raise BenchError(f"{name} exited during the window:\n{tmux.capture(SESSION)}")
    return Usage(
        name=name,
        hosts=hosts,
        window=window,
        cpu=cpu,
        peak_kib=status_kib(tree, "VmHWM"),
        rss_kib=status_kib(tree, "VmRSS"),
        processes=len(tree),
        servers_cpu=servers_cpu,
    )


def run_rdconsole(
    root: Path, config: Path, size: tuple[int, int], warmup: float, seconds: float
) -> Usage:
    with Tmux(root, "rdbench-idle-rd") as tmux:
        tmux.new_session(SESSION, rdconsole_command(config), width=size[0], height=size[1])
        screen = Screen(tmux, SESSION, PAIR)
        ready = screen.wait_for("HEALTHY", 30.0, 0.1)
        usage = measure(tmux, "rdconsole", "2 (master+standby)", ready, warmup, seconds)
        if not screen.shows("HEALTHY"):
            raise BenchError(f"rdconsole is no longer HEALTHY after the window:\n{screen.last}")
        return usage


def run_dolphie(
    root: Path, script: Path, config: Path, size: tuple[int, int], warmup: float, seconds: float
) -> Usage:
    home = root / "dolphie-home"
    home.mkdir(exist_ok=True)
    with Tmux(root, "rdbench-idle-dolphie") as tmux:
        tmux.new_session(
            SESSION,
            [str(script), "--config-file", str(config)],
            width=size[0],
            height=size[1],
            env={"HOME": str(home)},
        )
        try:
            ready = wait_until(
                lambda: DOLPHIE_READY in tmux.capture(SESSION), 60.0, "Dolphie's host panel", 0.1
            )
        except BenchError as error:
            raise BenchError(f"{error}; the screen:\n{tmux.capture(SESSION)}") from None
        return measure(tmux, "dolphie", "1 (master)", ready, warmup, seconds)


def main() -> int:
    cli = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    cli.add_argument("--seconds", type=float, default=60.0, help="measuring window per program")
    cli.add_argument("--warmup", type=float, default=5.0, help="seconds after ready, unmeasured")
    cli.add_argument("--refresh", type=float, default=1.0, metavar="S", help="both programs")
    cli.add_argument("--width", type=int, default=120)
    cli.add_argument("--height", type=int, default=40)
    cli.add_argument("--dolphie-venv", type=Path, default=Path("/tmp/rdconsole-bench-dolphie"))
    cli.add_argument("--dolphie-spec", default=DOLPHIE_SPEC, help="pip requirement to install")
    cli.add_argument("--cpu-ratio", type=float, default=0.5, help="max rdconsole/dolphie CPU")
    cli.add_argument("--dolphie-first", action="store_true", help="measure Dolphie first")
    cli.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = cli.parse_args()

    script = ensure_dolphie(args.dolphie_venv, args.dolphie_spec)
    print(f"dolphie: {script} ({dolphie_version(script)})")
    size = (args.width, args.height)
    results: dict[str, Usage] = {}
    with temp_root("rdbench-idle-", args.keep) as root:
        print(f"starting the MariaDB lab in {root} ...", flush=True)
        with MariaDBLab(root / "lab") as lab:
            rd_config = lab.write_config(root / "rdconsole.toml", root / "state", args.refresh)
            dolphie_cnf = dolphie_config(lab, root, args.refresh)
            order = ["dolphie", "rdconsole"] if args.dolphie_first else ["rdconsole", "dolphie"]
            for name in order:
                print(f"measuring {name} for {args.seconds:g} s ...", flush=True)
                if name == "rdconsole":
                    results[name] = run_rdconsole(root, rd_config, size, args.warmup, args.seconds)
                else:
                    results[name] = run_dolphie(
                        root, script, dolphie_cnf, size, args.warmup, args.seconds
                    )
    rd, dolphie = results["rdconsole"], results["dolphie"]
    rows = [
        [
            u.name,
            u.hosts,
            f"{u.window:.1f}",
            f"{u.cpu:.2f}",
            f"{u.cpu_share * 100:.2f}%",
            f"{u.peak_kib / 1024:.1f}",
            f"{u.rss_kib / 1024:.1f}",
            str(u.processes),
            f"{u.servers_share * 100:.2f}%",
        ]
        for u in (rd, dolphie)
    ]
    print()
    print(
        table(
            [
                "program",
                "hosts polled",
                "window s",
                "CPU s",
                "CPU",
                "peak RSS MiB",
                "RSS now MiB",
                "procs",
                "mariadbd CPU",
            ],
            rows,
        )
    )
    cpu_ratio = rd.cpu / dolphie.cpu if dolphie.cpu else float("inf")
    rss_ratio = rd.peak_kib / dolphie.peak_kib
    print(
        f"\nrdconsole / dolphie: CPU {cpu_ratio:.2f} x, peak RSS {rss_ratio:.2f} x"
        f"  ({args.width}x{args.height}, refresh {args.refresh:g} s, warm-up {args.warmup:g} s)"
    )
    return verdict(
        cpu_ratio <= args.cpu_ratio and rss_ratio <= 1.0,
        f"CPU ratio {cpu_ratio:.2f} <= {args.cpu_ratio:g} and peak RSS ratio {rss_ratio:.2f} <= 1",
    )


if __name__ == "__main__":
    run_main(main)
