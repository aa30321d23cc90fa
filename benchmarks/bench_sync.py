"""``rdconsole sync`` against bare rsync on one transfer: ``python benchmarks/bench_sync.py``.

Generates an audio store of 2,000 cuts in a temporary directory (plus the lab's odd names and
``repl.chk``: 2,007 files). ``--mix station`` (the default) sizes the cuts as a station's
library stored as MPEG Layer 2 at 256 kbit/s (32,000 bytes per second of audio): 55 % music of
2.5-5 min, 30 % spots of 15-60 s, 15 % jingles and IDs of 3-15 s, about 8.7 GB.
``--mix tiny`` is the store of ``make_audio_store`` (20 cuts of ``--large-mib`` MiB, the rest
2-100 KiB, about 310 MB): a worst case for rdconsole's fixed start-up cost. The lab's rsync
daemon serves the store on 127.0.0.1; a minimal rdconsole config (no MariaDB needed: the mysql
ports are never used; a local standby whose mirror is the destination; owner/group the current
user's; Rivendell paths that do not exist, so the layout guard passes). Each round runs these
three, in a new random order (``--seed``), into the same emptied and ``sync``-ed destination:

* bare: ``rsync -rlt --chmod=D0775,F0664 rsync://127.0.0.1:PORT/rivendell/ DEST/``
* rdconsole: ``rdconsole --config CONF sync`` (stderr not a terminal: no progress line), timed
  from launch to exit, with its phase lines time-stamped as they arrive;
* command: the exact rsync command rdconsole ran (printed as ``command: ...``), run alone with
  its output read through a pipe, to separate rsync's options from rdconsole's own work.

Medians over ``--runs`` rounds (default 5) after an unmeasured warm-up (one bare transfer, one
``rdconsole sync``). Then, the mirror being complete, ``--no-op-runs`` runs of each with nothing
to transfer: rdconsole's fixed cost, whatever the store's size. rdconsole is measured compiled
to bytecode, as installed. Requirement: the median of the rounds' ratios rdconsole / bare
<= 1.05 (until this change: median(rdconsole) / median(bare), which the VM's drift between
rounds skews). Exit 1 if not; the phase table says where the time goes, and the bootstrap
interval of that median how much of the result is the machine's noise.
"""

from __future__ import annotations

import argparse
import grp
import json
import os
import pstats
import pwd
import random
import re
import shlex
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

from harness import BenchError, rdconsole_command, run_main, table, temp_root, verdict

from rdconsole.config import load_settings
from rdconsole.core.rsync_output import RsyncOutputParser
from rdconsole.core.rsync_progress import SyncProgress, fold
from rdconsole.core.sync_plan import RSYNC_TEMP_GLOB, guard_command
from rdconsole.hosts.rsync import RSYNC_ENV
from rdconsole.lab import MASTER_NAME, STANDBY_NAME, RsyncDaemon, cut_names, make_audio_store
from rdconsole.lab.config import write_private
from rdconsole.ops.sync import mirror_source

SMALL_MEAN = 51 * 1024
"""Mean size of ``make_audio_store``'s small files (2-100 KiB)."""
MPEG_BYTES_PER_S = 32_000
"""MPEG Layer 2 at 256 kbit/s, a common Rivendell storage format for a whole library."""
STATION_MIX = ((0.55, 150, 300), (0.30, 15, 60), (0.15, 3, 15))
"""(share of the cuts, shortest s, longest s): music, spots, jingles and IDs."""
PATTERN_BYTES = 16 * 2**20
"""Random bytes the station store's files are cut from (each at its own offset): longer than
the longest cut (300 s, 9.6 MB); generating 8.7 GB of random bytes would take longer than the
transfers."""
ORDER = ("bare", "rdconsole", "alone")
"""The three transfers of a round, shuffled each round."""
PHASES = (
    ("start-up", "checking", "interpreter, imports, config, lock"),
    ("checks", "mirroring", "id -u, links probe and rsync URL/repl.chk (together); temp find"),
    ("transfer", None, "nice ionice rsync --progress, parsed; temp find; state file"),
)
"""(name, prefix of the phase line that ends it (after ``rdconsole sync: ``), what it covers)."""


@dataclass
class Store:
    path: Path
    files: int
    size: int


@dataclass
class RdRun:
    seconds: float
    phases: list[float] = field(default_factory=list)
    command: list[str] = field(default_factory=list)


def station_sizes(cuts: int, rng: random.Random) -> list[int]:
    """Byte sizes of ``cuts`` cuts drawn from :data:`STATION_MIX`."""
    shares = [share for share, _, _ in STATION_MIX]
    kinds = rng.choices(STATION_MIX, weights=shares, k=cuts)
    return [round(rng.uniform(low, high) * MPEG_BYTES_PER_S) for _, low, high in kinds]


def write_station_store(store: Path, sizes: list[int]) -> list[str]:
    """Cuts of ``sizes`` bytes, then the odd names and the guard from ``make_audio_store``."""
    names = make_audio_store(store, cuts=0, large_files=0)
    rng = random.Random(8)
    pattern = rng.randbytes(PATTERN_BYTES)
    cuts = cut_names(len(sizes))
    for name, size in zip(cuts, sizes, strict=True):
        offset = rng.randrange(PATTERN_BYTES - size + 1)
        (store / name).write_bytes(pattern[offset : offset + size])
    return [*cuts, *names]


def make_store(root: Path, mix: str, cuts: int, large: int, large_mib: int) -> Store:
    store = root / "store"
    write: Callable[[], list[str]]
    if mix == "station":
        sizes = station_sizes(cuts, random.Random(7))
        estimate = sum(sizes)
        write = partial(write_station_store, store, sizes)
    else:
        estimate = large * large_mib * 2**20 + (cuts - large) * SMALL_MEAN
        write = partial(
            make_audio_store, store, cuts=cuts, large_files=large, large_size=large_mib * 2**20
        )
    free = shutil.disk_usage(root).free
    if free < 3 * estimate + 2**30:
        raise BenchError(
            f"{root}: {free / 2**30:.1f} GiB free, need about {(3 * estimate + 2**30) / 2**30:.1f}"
        )
    began = time.monotonic()
    names = write()
    size = sum(entry.stat().st_size for entry in store.iterdir())
    os.sync()
    print(
        f"store ({mix}): {len(names)} files, {size / 1e6:.0f} MB,"
        f" made in {time.monotonic() - began:.1f} s",
        flush=True,
    )
    return Store(store, len(names), size)


def write_config(root: Path, port: int, mirror: Path) -> Path:
    user = pwd.getpwuid(os.getuid()).pw_name
    group = grp.getgrgid(os.getgid()).gr_name
    etc = root / "etc"  # never created: every Rivendell path is missing, the layout guard passes

    def quoted(value: object) -> str:
        return json.dumps(str(value))

    text = f"""# rdconsole sync benchmark (generated)
[console]
state_dir = {quoted(root / "state")}

[master]
name = {quoted(MASTER_NAME)}
host = "127.0.0.1"

[master.mysql]
port = 1

[master.rsync]
port = {port}

[[standby]]
name = {quoted(STANDBY_NAME)}
host = "127.0.0.1"
local = true

[standby.mysql]
port = 1

[standby.audio]
dir = {quoted(mirror)}
owner = {quoted(user)}
group = {quoted(group)}

[standby.rivendell]
rd_conf = {quoted(etc / "rd.conf")}
rd_conf_master = {quoted(etc / "rd.conf.master")}
rd_conf_standby = {quoted(etc / "rd.conf.standby")}
snd = {quoted(etc / "snd")}
snd_master = {quoted(etc / "snd.master")}
"""
    return write_private(root / "rdconsole.toml", text)


def fresh(mirror: Path) -> None:
    """An empty destination, with the previous run's files gone from the disk's queue too."""
    shutil.rmtree(mirror, ignore_errors=True)
    mirror.mkdir()
    os.sync()
    time.sleep(0.5)


def check_copy(mirror: Path, store: Store, what: str) -> None:
    entries = list(mirror.iterdir())
    size = sum(entry.stat().st_size for entry in entries)
    if (len(entries), size) != (store.files, store.size):
        raise BenchError(
            f"{what}: {len(entries)} files, {size} bytes in {mirror}; "
            f"expected {store.files}, {store.size}"
        )


def run_bare(url: str, mirror: Path) -> float:
    began = time.monotonic()
    result = subprocess.run(
        ["rsync", "-rlt", "--chmod=D0775,F0664", url, f"{mirror}/"],
        capture_output=True,
        check=False,
    )
    seconds = time.monotonic() - began
    if result.returncode != 0:
        raise BenchError(f"bare rsync exit {result.returncode}: {result.stderr.decode()}")
    return seconds


def run_rdconsole(config: Path) -> RdRun:
    """Time ``rdconsole sync`` and the arrival of its phase lines (stderr merged into stdout)."""
    began = time.monotonic()
    process = subprocess.Popen(
        rdconsole_command(config, "sync"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    lines: list[tuple[float, str]] = [
        (time.monotonic(), line.rstrip("\n")) for line in process.stdout
    ]
    code = process.wait()
    ended = time.monotonic()
    output = "\n".join(line for _, line in lines)
    if code != 0:
        raise BenchError(f"rdconsole sync exit {code}:\n{output}")
    run = RdRun(ended - began)
    mark = began
    for _, prefix, _ in PHASES:
        if prefix is None:
            run.phases.append(ended - mark)
            continue
        arrived = next(
            (t for t, line in lines if line.startswith(f"rdconsole sync: {prefix}")), None
        )
        if arrived is None:
            raise BenchError(f"no phase line 'rdconsole sync: {prefix}...' in:\n{output}")
        run.phases.append(arrived - mark)
        mark = arrived
    command = next((line for _, line in lines if line.startswith("command: ")), None)
    if command is None:
        raise BenchError(f"rdconsole sync printed no 'command: ...' line:\n{output}")
    run.command = shlex.split(command.removeprefix("command: "))
    return run


def no_op_seconds(
    url: str, mirror: Path, config: Path, command: list[str], runs: int
) -> dict[str, float]:
    """Median seconds of the three when the mirror is already complete (nothing to transfer):
    what rdconsole adds to a run whatever its size."""
    times: dict[str, list[float]] = {what: [] for what in ORDER}
    for _ in range(runs):
        times["bare"].append(run_bare(url, mirror))
        times["rdconsole"].append(run_rdconsole(config).seconds)
        times["alone"].append(run_command(command)[0])
    return {what: statistics.median(seconds) for what, seconds in times.items()}


def run_command(command: list[str]) -> tuple[float, bytes]:
    """rdconsole's rsync command alone, its output read through a pipe (``LC_ALL=C`` as in
    rdconsole): wall seconds and the output."""
    began = time.monotonic()
    result = subprocess.run(
        command, capture_output=True, check=False, env={**os.environ, **RSYNC_ENV}
    )
    seconds = time.monotonic() - began
    if result.returncode != 0:
        raise BenchError(f"rdconsole's rsync command alone: exit {result.returncode}")
    return seconds, result.stdout


def parse_seconds(output: bytes, chunk: int = 4096) -> tuple[float, int]:
    """Best of 3: seconds to parse ``output`` as rdconsole does (parser + progress fold), fed in
    ``chunk``-byte pieces; and the number of events."""
    best, count = float("inf"), 0
    for _ in range(3):
        began = time.perf_counter()
        parser, progress, count = RsyncOutputParser(), SyncProgress(), 0
        for offset in range(0, len(output), chunk):
            events = parser.feed(output[offset : offset + chunk])
            progress = fold(events, progress)
            count += len(events)
        events = parser.close()
        progress = fold(events, progress)
        count += len(events)
        best = min(best, time.perf_counter() - began)
    return best, count


def timed(command: list[str], runs: int = 3) -> float:
    """Median wall time of ``command`` (which must succeed)."""
    times = []
    for _ in range(runs):
        began = time.monotonic()
        subprocess.run(command, capture_output=True, check=True)
        times.append(time.monotonic() - began)
    return statistics.median(times)


IMPORT_LINE = re.compile(r"import time:\s+\d+ \|\s+(\d+) \|\s+(\S+)")
SHOWN_IMPORTS = ("rdconsole.cli", "rdconsole.sync_cli", "asyncssh", "asyncio")


def import_costs() -> dict[str, float]:
    """Cumulative import seconds of a few modules in ``rdconsole sync``'s first imports."""
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", "import rdconsole.cli, rdconsole.sync_cli"],
        capture_output=True,
        text=True,
        check=True,
    )
    costs: dict[str, float] = {}
    for match in IMPORT_LINE.finditer(result.stderr):
        if match[2] in SHOWN_IMPORTS and match[2] not in costs:
            costs[match[2]] = int(match[1]) / 1e6
    return costs


PROFILED = (
    ("feed", "rsync_output.py", "parse rsync's output (RsyncOutputParser.feed)"),
    ("fold", "rsync_progress.py", "fold each read's events into SyncProgress"),
    ("write_state", "sync.py", "state file at start and end (progress: worker thread)"),
    ("load_settings", "loader.py", "read the config"),
    ("probe_layout", "mirror_checks.py", "layout probe (CPU part)"),
    ("remove_temp_files", "sync.py", "temp-file find (CPU part)"),
)


def profile_run(config: Path, out: Path) -> tuple[float, list[list[str]]]:
    """One ``rdconsole sync`` under cProfile: its wall time and in-process time of a few
    functions (time spent executing them; a coroutine's waits are not counted)."""
    command = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "rdconsole"]
    began = time.monotonic()
    subprocess.run([*command, "--config", str(config), "sync"], capture_output=True, check=True)
    wall = time.monotonic() - began
    stats = pstats.Stats(str(out)).stats  # type: ignore[attr-defined]
    rows = []
    for name, module, what in PROFILED:
        cumulative = sum(
            value[3]
            for (filename, _, function), value in stats.items()
            if function == name and filename.endswith(module)
        )
        calls = sum(
            value[1]
            for (filename, _, function), value in stats.items()
            if function == name and filename.endswith(module)
        )
        rows.append([name, f"{cumulative:.3f}", str(calls), what])
    return wall, rows


def median_interval(values: list[float], level: float = 0.9) -> tuple[float, float]:
    """Percentile bootstrap interval of the median of ``values`` (10,000 resamples, seeded)."""
    rng = random.Random(0)
    medians = sorted(statistics.median(rng.choices(values, k=len(values))) for _ in range(10_000))
    tail = (1 - level) / 2
    return medians[int(tail * len(medians))], medians[int((1 - tail) * len(medians)) - 1]


def main() -> int:
    cli = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    cli.add_argument("--runs", type=int, default=5, help="rounds of the three transfers")
    cli.add_argument(
        "--mix",
        choices=("station", "tiny"),
        default="station",
        help="cut sizes: a station's MPEG library (8.7 GB) or make_audio_store's (310 MB)",
    )
    cli.add_argument("--cuts", type=int, default=2000)
    cli.add_argument(
        "--large-files", type=int, default=20, help="--mix tiny: cuts of --large-mib each"
    )
    cli.add_argument("--large-mib", type=int, default=10, help="--mix tiny: their size")
    cli.add_argument("--target", type=float, default=1.05, help="max rdconsole/bare ratio")
    cli.add_argument(
        "--no-op-runs", type=int, default=11, help="runs of each with nothing to transfer"
    )
    cli.add_argument("--keep", action="store_true", help="keep the temporary directory")
    cli.add_argument("--seed", type=int, default=None, help="seed of the order within rounds")
    args = cli.parse_args()

    bare: list[float] = []
    rd: list[RdRun] = []
    alone: list[float] = []
    output = b""
    with temp_root("rdbench-sync-", args.keep) as root:
        store = make_store(root, args.mix, args.cuts, args.large_files, args.large_mib)
        mirror = root / "mirror"
        with RsyncDaemon(root / "rsyncd", store.path) as daemon:
            config = write_config(root, daemon.port, mirror)
            # Warm-up, unmeasured: daemon, dentries, the store in page cache, rdconsole's files;
            # it also gives the rsync command rdconsole runs.
            fresh(mirror)
            run_bare(daemon.url, mirror)
            fresh(mirror)
            command = run_rdconsole(config).command
            shuffle = random.Random(args.seed)
            for round_ in range(1, args.runs + 1):
                # A new order each round: a machine that slows down or speeds up during a round
                # must not favour whichever transfer always runs first.
                order = shuffle.sample(ORDER, len(ORDER))
                for what in order:
                    fresh(mirror)
                    if what == "bare":
                        bare.append(run_bare(daemon.url, mirror))
                    elif what == "rdconsole":
                        rd.append(run_rdconsole(config))
                    else:
                        seconds, output = run_command(command)
                        alone.append(seconds)
                    check_copy(mirror, store, what)
                print(
                    f"round {round_} ({', '.join(order)}): bare {bare[-1]:.3f} s,"
                    f" rdconsole sync {rd[-1].seconds:.3f} s,"
                    f" its rsync command alone {alone[-1]:.3f} s",
                    flush=True,
                )
            noop = no_op_seconds(daemon.url, mirror, config, command, args.no_op_runs)
            # Profile: each part alone, then one run under cProfile (not in the figures above).
            guard = guard_command(mirror_source(load_settings(config).master))
            find = [
                "find", str(mirror), "-maxdepth", "1", "-type", "f", "-name", RSYNC_TEMP_GLOB,
                "-delete",
            ]  # fmt: skip
            parts = {
                "guard probe alone": timed(guard),
                f"temp-file find alone ({store.files} files)": timed(find),
                "python -c pass": timed([sys.executable, "-c", "pass"]),
                "python importing rdconsole.cli + sync_cli": timed(
                    [sys.executable, "-c", "import rdconsole.cli, rdconsole.sync_cli"]
                ),
            }
            imports = import_costs()
            parse, events = parse_seconds(output)
            parts[f"parse its output ({len(output) / 1e3:.0f} kB, {events} events)"] = parse
            fresh(mirror)
            profiled_wall, profile_rows = profile_run(config, root / "sync.prof")
    print(f"\nrdconsole's command: {shlex.join(rd[-1].command)}\n")
    median_bare = statistics.median(bare)
    median_rd = statistics.median(r.seconds for r in rd)
    median_alone = statistics.median(alone)
    rows = [
        ["bare rsync -rlt", *(f"{s:.3f}" for s in bare), f"{median_bare:.3f}", "1.000"],
        [
            "rdconsole sync",
            *(f"{r.seconds:.3f}" for r in rd),
            f"{median_rd:.3f}",
            f"{median_rd / median_bare:.3f}",
        ],
        [
            "its rsync command alone",
            *(f"{s:.3f}" for s in alone),
            f"{median_alone:.3f}",
            f"{median_alone / median_bare:.3f}",
        ],
    ]
    runs = [f"run {i} s" for i in range(1, args.runs + 1)]
    print(table(["", *runs, "median s", "x bare"], rows))
    phase_rows = [
        [name, f"{statistics.median(r.phases[i] for r in rd):.3f}", covers]
        for i, (name, _, covers) in enumerate(PHASES)
    ]
    print("\nrdconsole sync, median seconds per phase (from its phase lines):")
    print(table(["phase", "s", "covers"], phase_rows))
    print(
        f"\nno-op sync (every file already there), median of {args.no_op_runs} alternating runs: "
        + ", ".join(f"{name} {seconds * 1e3:.0f} ms" for name, seconds in noop.items())
        + f"; rdconsole's fixed cost over bare {(noop['rdconsole'] - noop['bare']) * 1e3:+.0f} ms"
    )
    print("\nparts timed alone (median of 3; parsing: best of 3, in-process):")
    print(table(["part", "s"], [[k, f"{v:.3f}"] for k, v in parts.items()]))
    print(
        "import cost (python -X importtime, cumulative): "
        + ", ".join(f"{k} {v:.3f} s" for k, v in imports.items())
    )
    print(f"\none rdconsole sync under cProfile ({profiled_wall:.3f} s wall, slowed by profiling):")
    print(table(["function", "s", "calls", "what"], profile_rows))
    print(
        f"\n{store.files} files, {store.size / 1e6:.0f} MB per transfer;"
        f" overhead over bare {median_rd - median_bare:+.3f} s"
        f" (rsync options {median_alone - median_bare:+.3f} s,"
        f" rdconsole's own work {median_rd - median_alone:+.3f} s)"
    )
    paired = sorted(r.seconds / b for r, b in zip(rd, bare, strict=True))
    low, high = median_interval(paired)
    print(
        "per-round ratios rdconsole / bare (same round): "
        + ", ".join(f"{p:.3f}" for p in paired)
        + f"; median {statistics.median(paired):.3f} (90 % bootstrap interval {low:.3f}-{high:.3f})"
    )
    # Judged on the rounds' own ratios: the three transfers of a round run back to back, while
    # this VM drifts by 20-30 % across rounds, and the two medians can come from different rounds.
    ratio = statistics.median(paired)
    return verdict(
        ratio <= args.target,
        f"rdconsole sync / bare rsync, median of the rounds {ratio:.3f} <= {args.target}"
        f" (ratio of medians {median_rd / median_bare:.3f})",
    )


if __name__ == "__main__":
    run_main(main)
