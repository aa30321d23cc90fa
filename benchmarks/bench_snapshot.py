"""``rdconsole setup`` (online snapshot + load) against a plain dump-and-load of the same database,
with a writer on the master throughout: ``python benchmarks/bench_snapshot.py``.

Starts ``MariaDBLab(root, replicate=False)`` (two fresh servers; the master holds the Rivendell
schema; no replication) and fills the master's ``Rivendell`` with ``BENCH_CUTS``, a CUTS-like
table, until its data + indexes reach ``--size-mb`` (200) MiB (``INSERT ... SELECT`` from the
SEQUENCE engine, 50,000 rows a statement, ``sql_log_bin=0``). Then, for ``--rounds`` (3) rounds,
in alternating order (odd rounds baseline first, even rounds setup first):

* baseline: ``mariadb-dump --single-transaction --databases Rivendell | mariadb
  --init-command="SET sql_log_bin=0"`` (master -> standby over TCP, as root, a kernel pipe),
  launch to both exits; then the standby's copy is dropped;
* setup: ``rdconsole --config CONF setup --yes --overwrite Rivendell``, launch to exit (checks,
  account, fence, the snapshot piped through rdconsole, CHANGE MASTER, threads, probe); the time
  of each step's line is recorded; then the standby is reset (``STOP SLAVE; RESET SLAVE ALL;
  DROP DATABASE Rivendell``).

During both, a writer thread (its own autocommit connection as ``rduser`` over TCP) inserts one
row into ``Rivendell.BENCH_WRITES`` every ``--pause`` (10 ms) and records each insert's latency.
Requirements (issue 5, section 5): during setup the slowest insert <= 1.0 s, and
median(setup) <= 1.5 x median(baseline). Exit 1 if one is missed, 2 if it could not measure.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import re
import statistics
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncmy
from harness import BenchError, Spread, rdconsole_command, run_main, table, temp_root, verdict

from rdconsole.lab import MariaDBLab
from rdconsole.lab.schema import DATABASE
from rdconsole.lab.server import find_tools

MIB = 1048576
BATCH_ROWS = 50_000
TABLE_SQL = f"""
CREATE TABLE {DATABASE}.BENCH_CUTS (
  CUT_NAME CHAR(10) NOT NULL PRIMARY KEY,
  CART_NUMBER INT UNSIGNED NOT NULL,
  DESCRIPTION VARCHAR(64),
  OUTCUE VARCHAR(64),
  ISRC CHAR(12),
  ISCI VARCHAR(32),
  ORIGIN_NAME VARCHAR(64),
  ORIGIN_DATETIME DATETIME,
  LENGTH INT NOT NULL DEFAULT 0,
  START_POINT INT NOT NULL DEFAULT -1,
  END_POINT INT NOT NULL DEFAULT -1,
  KEY CART_NUMBER_IDX (CART_NUMBER)
) ENGINE=InnoDB;
CREATE TABLE {DATABASE}.BENCH_WRITES (
  ID INT UNSIGNED NOT NULL AUTO_INCREMENT PRIMARY KEY,
  WRITTEN_AT DATETIME(6) NOT NULL
) ENGINE=InnoDB;
"""
STEP_LINE = re.compile(r"^\s+✔ (\d\d-[a-z-]+) ")
SNAPSHOT_DETAIL = re.compile(r"([\d.]+) MiB in ([\d.]+) s")


def fill(lab: MariaDBLab, megabytes: int) -> tuple[int, int]:
    """Fill BENCH_CUTS to ``megabytes`` MiB of data + indexes; return (rows, bytes)."""
    lab.master_sql(TABLE_SQL)
    rows = size = 0
    while size < megabytes * MIB:
        first, last = rows + 1, rows + BATCH_ROWS
        lab.master_sql(
            f"SET sql_log_bin=0; INSERT INTO {DATABASE}.BENCH_CUTS SELECT "
            "LPAD(seq, 10, '0'), seq DIV 3, CONCAT('Cut ', seq, ' ', MD5(seq)), "
            "CONCAT(MD5(seq * 7), MD5(seq * 11)), LEFT(UPPER(MD5(seq * 13)), 12), "
            "LEFT(MD5(seq * 17), 32), CONCAT('onair-', MD5(seq * 19)), "
            "'2026-01-01' + INTERVAL seq SECOND, 1000 + seq % 300000, 0, 1000 + seq % 300000 "
            f"FROM {DATABASE}.seq_{first}_to_{last}",
            timeout=600,
        )
        rows = last
        size = table_bytes(lab)
    return rows, size


def table_bytes(lab: MariaDBLab) -> int:
    lab.master_sql(f"ANALYZE TABLE {DATABASE}.BENCH_CUTS", timeout=120)
    result = lab.master_sql(
        "SELECT DATA_LENGTH + INDEX_LENGTH AS b FROM information_schema.TABLES "
        f"WHERE TABLE_SCHEMA = '{DATABASE}' AND TABLE_NAME = 'BENCH_CUTS'"
    )
    return int(result[0]["b"] or 0)


# the writer ------------------------------------------------------------------------------------


@dataclass
class Writes:
    latencies: list[float] = field(default_factory=list)
    completed_at: list[float] = field(default_factory=list)

    @property
    def max_latency(self) -> float:
        return max(self.latencies, default=0.0)

    @property
    def max_gap(self) -> float:
        """Longest time between two acknowledged inserts (includes the writer's own pauses)."""
        times = self.completed_at
        return max((b - a for a, b in itertools.pairwise(times)), default=0.0)


class Writer:
    """One row every ``pause`` s on the master over its own autocommit connection, in a thread."""

    def __init__(self, port: int, password: str, pause: float) -> None:
        self.port = port
        self.password = password
        self.pause = pause
        self.writes = Writes()
        self.error: BaseException | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._main, name="writer", daemon=True)
        self._connected = threading.Event()

    def __enter__(self) -> Writer:
        self._thread.start()
        if not self._connected.wait(10) or self.error is not None:
            self._stop.set()
            raise BenchError(f"the writer could not connect: {self.error!r}")
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(30)
        if self.error is not None and exc[0] is None:
            raise BenchError(f"the writer failed: {self.error!r}")
        if not self.writes.latencies and exc[0] is None:
            raise BenchError("the writer wrote nothing")

    def _main(self) -> None:
        try:
            asyncio.run(self._run())
        except BaseException as error:
            self.error = error
            self._connected.set()

    async def _run(self) -> None:
        connection: Any = await asyncmy.connect(
            host="127.0.0.1",
            port=self.port,
            user="rduser",
            password=self.password,
            db=DATABASE,
            autocommit=True,
        )
        self._connected.set()
        try:
            async with connection.cursor() as cursor:
                while not self._stop.is_set():
                    began = time.monotonic()
                    await cursor.execute("INSERT INTO BENCH_WRITES (WRITTEN_AT) VALUES (NOW(6))")
                    done = time.monotonic()
                    self.writes.latencies.append(done - began)
                    self.writes.completed_at.append(done)
                    await asyncio.sleep(self.pause)
        finally:
            connection.close()


# the two contenders ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Measured:
    seconds: float
    writes: Writes
    snapshot_mib: float | None = None
    snapshot_s: float | None = None
    steps: dict[str, float] = field(default_factory=dict)
    """Step id -> seconds from the previous step's line (the first: from launch)."""


def baseline(lab: MariaDBLab, pause: float, rows: int) -> Measured:
    tools = find_tools()
    login = ["--no-defaults", "--host=127.0.0.1", "--user=root"]
    dump_argv = [
        tools.dump,
        *login,
        f"--port={lab.master.port}",
        "--single-transaction",
        "--databases",
        DATABASE,
    ]
    load_argv = [
        tools.client,
        *login,
        f"--port={lab.standby.port}",
        "--init-command=SET sql_log_bin=0",
    ]
    with Writer(lab.master.port, lab.rivendell_password, pause) as writer:
        began = time.monotonic()
        dump = subprocess.Popen(dump_argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        load = subprocess.Popen(
            load_argv, stdin=dump.stdout, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        assert dump.stdout is not None
        dump.stdout.close()  # the load holds the only read end: a dead load stops the dump
        load_err = load.communicate(timeout=1800)[1]
        dump_err = dump.communicate(timeout=60)[1]
        seconds = time.monotonic() - began
    if dump.returncode != 0 or load.returncode != 0:
        raise BenchError(
            f"baseline: dump exited {dump.returncode} ({dump_err.decode()[-400:]}), "
            f"load exited {load.returncode} ({load_err.decode()[-400:]})"
        )
    check_copy(lab, rows, "baseline")
    lab.standby_sql(f"SET sql_log_bin=0; DROP DATABASE {DATABASE}", timeout=120)
    return Measured(seconds, writer.writes)


def setup(lab: MariaDBLab, config: Path, pause: float, rows: int) -> Measured:
    command = rdconsole_command(config, "setup", "--yes", "--overwrite", DATABASE)
    steps: dict[str, float] = {}
    lines: list[str] = []
    with Writer(lab.master.port, lab.rivendell_password, pause) as writer:
        began = last = time.monotonic()
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if (match := STEP_LINE.match(line)) is not None:
                now = time.monotonic()
                steps[match[1]] = now - last
                last = now
        code = process.wait(timeout=60)
        seconds = time.monotonic() - began
    if code != 0:
        raise BenchError(f"setup exited {code}:\n" + "\n".join(lines[-40:]))
    detail = next(
        (m for line in lines if "snapshot" in line and (m := SNAPSHOT_DETAIL.search(line))), None
    )
    check_copy(lab, rows, "setup")
    status = lab.standby_status()
    if (status["Slave_IO_Running"], status["Slave_SQL_Running"]) != ("Yes", "Yes"):
        raise BenchError(f"setup: the standby does not replicate: {status}")
    lab.wait_replicated(timeout=60)
    reset_standby(lab)
    return Measured(
        seconds,
        writer.writes,
        float(detail[1]) if detail else None,
        float(detail[2]) if detail else None,
        steps,
    )


def check_copy(lab: MariaDBLab, rows: int, what: str) -> None:
    found = lab.standby_sql(f"SELECT COUNT(*) AS n FROM {DATABASE}.BENCH_CUTS", timeout=120)
    if int(found[0]["n"] or 0) != rows:
        raise BenchError(f"{what}: the standby holds {found[0]['n']} BENCH_CUTS rows, not {rows}")


def reset_standby(lab: MariaDBLab) -> None:
    lab.standby_sql(
        f"STOP SLAVE; RESET SLAVE ALL; SET sql_log_bin=0; DROP DATABASE IF EXISTS {DATABASE}",
        timeout=120,
    )


# report ----------------------------------------------------------------------------------------


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f}"


def main() -> int:
    cli = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    cli.add_argument("--rounds", type=int, default=3, help="rounds, order alternating (>= 1)")
    cli.add_argument("--size-mb", type=int, default=200, help="BENCH_CUTS data + indexes, MiB")
    cli.add_argument("--pause", type=float, default=0.01, metavar="S", help="writer period")
    cli.add_argument("--latency-target", type=float, default=1.0, metavar="S")
    cli.add_argument("--ratio-target", type=float, default=1.5)
    cli.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = cli.parse_args()

    results: dict[str, list[Measured]] = {"baseline": [], "setup": []}
    with (
        temp_root("rdbench-snap-", args.keep) as root,
        MariaDBLab(root / "lab", replicate=False) as lab,
    ):
        config = lab.write_config(root / "rdconsole.toml", root / "state")
        began = time.monotonic()
        rows, size = fill(lab, args.size_mb)
        print(
            f"working in {root}; filled {DATABASE}.BENCH_CUTS: {rows:,} rows, "
            f"{size / MIB:.0f} MiB data + indexes in {time.monotonic() - began:.1f} s",
            flush=True,
        )
        for number in range(1, args.rounds + 1):
            order = ("baseline", "setup") if number % 2 else ("setup", "baseline")
            for name in order:
                if name == "baseline":
                    measured = baseline(lab, args.pause, rows)
                else:
                    measured = setup(lab, config, args.pause, rows)
                results[name].append(measured)
                print(
                    f"round {number} {name}: {measured.seconds:.2f} s, "
                    f"{len(measured.writes.latencies)} writes, slowest "
                    f"{ms(measured.writes.max_latency)} ms",
                    flush=True,
                )

    base, runs = results["baseline"], results["setup"]
    print(f"\nPer round (writer every {args.pause * 1000:.0f} ms on the master throughout):")
    header = ["round", "order", "dump|load (s)", "setup (s)", "ratio", "snapshot step"]
    header += ["slowest write: dump|load", "setup (ms)", "longest gap (ms)"]
    rows_out = []
    for number, (b, s) in enumerate(zip(base, runs, strict=True), 1):
        snapshot = (
            f"{s.snapshot_mib:.1f} MiB in {s.snapshot_s:.1f} s" if s.snapshot_s is not None else "?"
        )
        rows_out.append(
            [
                str(number),
                "base first" if number % 2 else "setup first",
                f"{b.seconds:.2f}",
                f"{s.seconds:.2f}",
                f"{s.seconds / b.seconds:.2f}",
                snapshot,
                ms(b.writes.max_latency),
                ms(s.writes.max_latency),
                ms(s.writes.max_gap),
            ]
        )
    print(table(header, rows_out))

    step_names = list(runs[0].steps)
    print("\nsetup, seconds per step (from the previous step's line; the first from launch):")
    print(
        table(
            ["step", *(f"round {i}" for i in range(1, len(runs) + 1)), "median"],
            [
                [
                    name,
                    *(f"{r.steps.get(name, 0.0):.2f}" for r in runs),
                    f"{statistics.median(r.steps.get(name, 0.0) for r in runs):.2f}",
                ]
                for name in step_names
            ],
        )
    )

    base_spread = Spread.of([b.seconds for b in base])
    setup_spread = Spread.of([s.seconds for s in runs])
    ratio = setup_spread.median / base_spread.median
    slowest = max(s.writes.max_latency for s in runs)
    latencies = sorted(x for s in runs for x in s.writes.latencies)
    p99 = latencies[int(len(latencies) * 0.99) - 1] if latencies else 0.0
    print(
        f"\nmedians: dump|load {base_spread.median:.2f} s (min {base_spread.low:.2f}, max "
        f"{base_spread.high:.2f}); setup {setup_spread.median:.2f} s (min {setup_spread.low:.2f},"
        f" max {setup_spread.high:.2f}); ratio of medians {ratio:.2f}"
    )
    print(
        f"writes during setup: {len(latencies)}, median {ms(statistics.median(latencies))} ms, "
        f"p99 {ms(p99)} ms, max {ms(slowest)} ms\n"
    )
    codes = [
        verdict(
            slowest <= args.latency_target,
            f"slowest write on the master during setup {slowest:.3f} s <= "
            f"{args.latency_target:g} s",
        ),
        verdict(
            ratio <= args.ratio_target,
            f"median setup / median dump|load = {setup_spread.median:.2f} / "
            f"{base_spread.median:.2f} = {ratio:.2f} <= {args.ratio_target:g}",
        ),
    ]
    return max(codes)


if __name__ == "__main__":
    run_main(main)
