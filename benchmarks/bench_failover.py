"""Failover wall time and the switchover's write gap: ``python benchmarks/bench_failover.py``.

Every run starts a fresh MariaDB lab (a promotion cannot be undone) in a temporary directory,
lays out the standby's Rivendell (``StationLayout``: ``etc/rd.conf`` and ``snd`` links, the
mirror, ``rduser`` in ``rd.conf.standby``) and writes the config: instant stop/start/check
commands (a shell script that removes, creates and tests a flag file) and ``settle = "0.2s"``
(the switch verifies Rivendell stays up that long; the default is 5 s), other options default.

* failover, master killed: SIGKILL the master, wait until the standby's IO thread has lost it,
  then time ``rdconsole --config CONF failover --yes --fenced "powered off"`` from launch to
  exit, probes, checklist and every step included. ``--runs`` (5) runs.
* failover, master hung: the same, but the master is SIGSTOPped and ``[master.rsync] port`` is a
  socket that accepts connections and never answers (a frozen host): no probe gets a quick
  refusal, each one runs into its own timeout. ``--hung-runs`` (1) runs.
  Requirement for both: the slowest run <= 5.0 s ("probe timeouts included").
* switchover: a writer logged in as ``rduser`` over TCP inserts a CART row on the master every
  ~10 ms; ``rdconsole failover --yes`` starts after 0.5 s of writes. Once the master refuses a
  write (ERROR 1290, read-only), the writer tries the standby every ~10 ms. Measured: first write
  refused by the master -> first write accepted by the promoted standby. Requirement: the
  slowest of ``--runs`` <= 2.0 s. Every write the master acknowledged must be on the standby.

Exit 1 if a target is missed, 2 if the benchmark could not measure.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import json
import socket
import subprocess
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import asyncmy
from asyncmy.errors import MySQLError
from harness import BenchError, Spread, rdconsole_command, run_main, table, temp_root, verdict

from rdconsole.hosts.state import read_state_file
from rdconsole.lab import MariaDBLab
from rdconsole.lab.station import StationLayout

READ_ONLY_ERROR = 1290
"""ER_OPTION_PREVENTS_STATEMENT: a write on a read_only server."""
SERVICE = """#!/bin/sh
d=$(dirname "$0")
case "$1" in
stop) rm -f "$d/running" ;;
start) touch "$d/running" ;;
check) [ -e "$d/running" ] ;;
esac
"""


def write_site(lab: MariaDBLab, root: Path, settle: str, rsync_port: int | None = None) -> Path:
    """The standby's Rivendell layout and service under ``root``; the rdconsole config
    (``[master.rsync] port = rsync_port`` when given, else the default 873, closed here)."""
    layout = StationLayout(root / "host", login=("rduser", lab.rivendell_password)).create()
    script = root / "rivendell"
    script.write_text(SERVICE)
    script.chmod(0o755)
    (root / "running").touch()
    config = lab.write_config(root / "rdconsole.toml", root / "state")
    if rsync_port is not None:  # [master.rsync] belongs before the first [[standby]]
        text = config.read_text(encoding="utf-8")
        config.write_text(
            text.replace("[[standby]]", f"[master.rsync]\nport = {rsync_port}\n\n[[standby]]", 1),
            encoding="utf-8",
        )
    values = {
        "rd_conf": layout.etc / "rd.conf",
        "rd_conf_master": layout.etc / "rd.conf.master",
        "rd_conf_standby": layout.etc / "rd.conf.standby",
        "snd": layout.root / "snd",
        "snd_master": layout.root / "snd.master",
        "stop_command": f"{script} stop",
        "start_command": f"{script} start",
        "check_command": f"{script} check",
        "settle": settle,
    }
    lines = ["", "[standby.audio]", f"dir = {json.dumps(str(layout.mirror))}", ""]
    lines += ["[standby.rivendell]", *(f"{k} = {json.dumps(str(v))}" for k, v in values.items())]
    with config.open("a", encoding="utf-8") as file:
        file.write("\n".join([*lines, ""]))
    return config


def check_promoted(lab: MariaDBLab, result: subprocess.CompletedProcess[str]) -> None:
    if result.returncode != 0:
        raise BenchError(f"failover exited {result.returncode}:\n{result.stdout}{result.stderr}")
    if lab.standby_sql("SHOW SLAVE STATUS"):
        raise BenchError("the standby still has its replication configuration")
    if lab.standby_sql("SELECT @@GLOBAL.read_only AS ro")[0]["ro"] != "0":
        raise BenchError("the promoted standby is read-only")


@dataclass(frozen=True)
class FailoverRun:
    seconds: float
    preflight: float
    """Launch to the first step's start: interpreter, probes, checklist, plan."""
    promote: float
    """Fence (attested) to read_only OFF read back."""
    switch: float
    after: float
    """Post-check, marker, and the exit."""


def _at(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


def measure_failover(root: Path, settle: str, fault: str) -> FailoverRun:
    """``fault``: ``killed`` (SIGKILL: connections are refused at once) or ``hung`` (SIGSTOP, and
    an rsync port that accepts connections but never answers: every probe runs into its
    timeout, as with a frozen master host)."""
    with contextlib.ExitStack() as stack:
        lab = stack.enter_context(MariaDBLab(root / "lab"))
        rsync_port: int | None = None
        if fault == "hung":
            silent = stack.enter_context(socket.create_server(("127.0.0.1", 0), backlog=64))
            rsync_port = silent.getsockname()[1]
        config = write_site(lab, root, settle, rsync_port)
        if fault == "hung":
            lab.hang_master()
        else:
            lab.kill_master()
            lab.wait_for_standby(lambda s: s["Slave_IO_Running"] != "Yes", "IO thread lost it")
        command = rdconsole_command(config, "failover", "--yes", "--fenced", "powered off")
        wall, launched = time.time(), time.monotonic()
        result = subprocess.run(command, capture_output=True, text=True, timeout=600, check=False)
        seconds = time.monotonic() - launched
        check_promoted(lab, result)
    journal = read_state_file(root / "state" / "failover-run.json")
    if journal is None:
        raise BenchError("no failover-run.json")
    steps = {step["kind"]: step for step in journal["steps"]}
    first = _at(journal["steps"][0]["started_at"])
    switch = steps["switch"]
    return FailoverRun(
        seconds,
        first - wall,
        _at(switch["started_at"]) - first,
        _at(switch["ended_at"]) - _at(switch["started_at"]),
        wall + seconds - _at(switch["ended_at"]),
    )


@dataclass
class Writer:
    """Rivendell's account writing a row every ``pause`` s: on the master until it refuses, then
    on the standby until it accepts."""

    master_port: int
    standby_port: int
    password: str
    pause: float
    acknowledged: list[int] = field(default_factory=list)
    refused_at: float | None = None
    accepted_at: float | None = None
    attempts_on_standby: int = 0

    async def connect(self, port: int) -> Any:
        return await asyncmy.connect(
            host="127.0.0.1",
            port=port,
            user="rduser",
            password=self.password,
            db="Rivendell",
            autocommit=True,
        )

    async def insert(self, connection: Any, number: int) -> bool:
        """True: acknowledged; False: refused as read-only; other errors propagate."""
        try:
            async with connection.cursor() as cursor:
                await cursor.execute(
                    "INSERT INTO CART (NUMBER, TITLE) VALUES (%s, %s)", (number, f"bench {number}")
                )
        except MySQLError as error:
            if error.args and error.args[0] == READ_ONLY_ERROR:
                return False
            raise
        return True

    async def run(self) -> None:
        master, standby = (
            await self.connect(self.master_port),
            await self.connect(self.standby_port),
        )
        try:
            for number in itertools.count(100_000):
                if not await self.insert(master, number):
                    self.refused_at = time.monotonic()
                    break
                self.acknowledged.append(number)
                await asyncio.sleep(self.pause)
            for number in itertools.count(900_000):
                self.attempts_on_standby += 1
                if await self.insert(standby, number):
                    self.accepted_at = time.monotonic()
                    return
                await asyncio.sleep(self.pause)
        finally:
            master.close()
            standby.close()


@dataclass(frozen=True)
class SwitchoverRun:
    gap: float
    seconds: float
    """The whole ``rdconsole failover`` run."""
    acknowledged: int
    missing: int
    attempts: int

    def counts(self) -> tuple[int, int, int]:
        return self.acknowledged, self.missing, self.attempts


async def _switchover(lab: MariaDBLab, config: Path, pause: float) -> tuple[Writer, float]:
    writer = Writer(lab.master.port, lab.standby.port, lab.rivendell_password, pause)
    writing = asyncio.create_task(writer.run())
    process: asyncio.subprocess.Process | None = None
    try:
        await asyncio.sleep(0.5)
        if writing.done() or not writer.acknowledged:
            raise BenchError("the writer could not write on the master")
        launched = time.monotonic()
        process = await asyncio.create_subprocess_exec(
            *rdconsole_command(config, "failover", "--yes"),
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        stdout, stderr = await asyncio.wait_for(process.communicate(), 120)
        seconds = time.monotonic() - launched
        result = subprocess.CompletedProcess(
            [], process.returncode or 0, stdout.decode(), stderr.decode()
        )
        check_promoted(lab, result)
        await asyncio.wait_for(writing, 10)
    finally:
        writing.cancel()
        if process is not None and process.returncode is None:
            process.kill()
            await process.wait()
    return writer, seconds


def measure_switchover(root: Path, settle: str, pause: float) -> SwitchoverRun:
    with MariaDBLab(root / "lab") as lab:
        config = write_site(lab, root, settle)
        writer, seconds = asyncio.run(_switchover(lab, config, pause))
        if writer.refused_at is None or writer.accepted_at is None:
            raise BenchError("the writer saw no refusal on the master or no write on the standby")
        rows = lab.standby_sql("SELECT NUMBER FROM Rivendell.CART WHERE TITLE LIKE 'bench %'")
        on_standby = {int(row["NUMBER"] or 0) for row in rows}
    return SwitchoverRun(
        writer.accepted_at - writer.refused_at,
        seconds,
        len(writer.acknowledged),
        len(set(writer.acknowledged) - on_standby),
        writer.attempts_on_standby,
    )


def failover_table(title: str, runs: list[FailoverRun]) -> Spread:
    print(f"\n{title}; launch -> exit of `rdconsole failover --yes --fenced ...`:")
    header = ["run", "total (s)", "start-up+checks", "fence..writable", "switch", "rest+exit"]
    rows = [
        [str(i), *(f"{v:.3f}" for v in (r.seconds, r.preflight, r.promote, r.switch, r.after))]
        for i, r in enumerate(runs, 1)
    ]
    print(table(header, rows))
    spread = Spread.of([r.seconds for r in runs])
    print(f"min {spread.low:.3f} s  median {spread.median:.3f} s  max {spread.high:.3f} s")
    return spread


def main() -> int:
    cli = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    cli.add_argument("--runs", type=int, default=5, help="killed-master and switchover runs")
    cli.add_argument(
        "--hung-runs", type=int, default=1, help="hung-master runs (about 100 s each; 0: none)"
    )
    cli.add_argument("--settle", default="0.2s", help="[standby.rivendell] settle")
    cli.add_argument("--pause", type=float, default=0.01, metavar="S", help="writer period")
    cli.add_argument("--failover-target", type=float, default=5.0, metavar="S")
    cli.add_argument("--gap-target", type=float, default=2.0, metavar="S")
    cli.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = cli.parse_args()

    scenarios: dict[str, list[FailoverRun]] = {"killed": [], "hung": []}
    switchovers: list[SwitchoverRun] = []
    with temp_root("rdbench-fo-", args.keep) as root:
        print(f"working in {root}; settle {args.settle}, instant stop/start/check", flush=True)
        for fault, count in (("killed", args.runs), ("hung", args.hung_runs)):
            for run in range(1, count + 1):
                failover = measure_failover(root / f"{fault}{run}", args.settle, fault)
                scenarios[fault].append(failover)
                print(f"failover, master {fault}, run {run}: {failover.seconds:.3f} s", flush=True)
        for run in range(1, args.runs + 1):
            switchover = measure_switchover(root / f"switchover{run}", args.settle, args.pause)
            switchovers.append(switchover)
            print(f"switchover run {run}: write gap {switchover.gap:.3f} s", flush=True)

    codes = []
    titles = {
        "killed": "Failover, master killed (connections refused at once)",
        "hung": "Failover, master hung (every probe runs into its timeout)",
    }
    spreads = {f: failover_table(titles[f], runs) for f, runs in scenarios.items() if runs}

    print("\nSwitchover, master up (first write refused by the master -> first accepted by the")
    print(f"promoted standby; writer every {args.pause * 1000:.0f} ms):")
    print(
        table(
            ["run", "write gap (s)", "failover run (s)", "acked on master", "missing", "tries"],
            [
                [str(i), f"{r.gap:.3f}", f"{r.seconds:.3f}", *map(str, r.counts())]
                for i, r in enumerate(switchovers, 1)
            ],
        )
    )
    gap = Spread.of([r.gap for r in switchovers])
    print(f"min {gap.low:.3f} s  median {gap.median:.3f} s  max {gap.high:.3f} s\n")

    for fault, spread in spreads.items():
        codes.append(
            verdict(
                spread.high <= args.failover_target,
                f"failover, master {fault}: max {spread.high:.3f} s <= "
                f"{args.failover_target:g} s (instant service commands, settle {args.settle})",
            )
        )
    codes.append(
        verdict(
            gap.high <= args.gap_target,
            f"switchover write gap max {gap.high:.3f} s <= {args.gap_target:g} s",
        )
    )
    lost = sum(r.missing for r in switchovers)
    codes.append(verdict(lost == 0, f"{lost} acknowledged write(s) missing on the standby"))
    return max(codes)


if __name__ == "__main__":
    run_main(main)
