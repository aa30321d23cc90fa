"""Master crash to the console showing it: ``python benchmarks/bench_failure_detection.py``.

Starts the MariaDB lab (master + replicating standby on loopback) in a temporary directory, runs
the real console (``rdconsole --config CONF``, poll interval 1 s) in a private tmux server at
80x24, waits until its status line shows HEALTHY, then SIGKILLs the master and reads the screen
with ``tmux capture-pane -p`` every 20 ms until the status line shows MASTER DOWN. Between runs
the master is started again and the console must show HEALTHY again.

The crash lands at a different point of the poll cycle in each run: after the status line next
changes (a poll was just drawn), the benchmark waits ``i/N`` of the poll interval before the kill
(run 1 right after a poll: the worst case). Requirement: the slowest run <= 2.0 s. Exit 1 if not.
"""

from __future__ import annotations

import argparse
import time

from harness import (
    BenchError,
    Screen,
    Spread,
    Tmux,
    rdconsole_command,
    run_main,
    table,
    temp_root,
    verdict,
    wait_until,
)

from rdconsole.lab import MASTER_NAME, STANDBY_NAME, MariaDBLab

PAIR = f"{MASTER_NAME} → {STANDBY_NAME}"
SESSION = "console"


def wait_next_poll(screen: Screen, timeout: float) -> None:
    """Return right after the status line changes (the next poll has been drawn)."""
    before = screen.status()
    wait_until(lambda: screen.status() != before, timeout, "status line refresh", 0.01)


def measure(lab: MariaDBLab, screen: Screen, offset: float, sample: float) -> float:
    """Seconds from SIGKILL of the master to MASTER DOWN on the status line."""
    screen.wait_for("HEALTHY", 60.0)
    wait_next_poll(screen, 10.0)
    time.sleep(offset)
    if not screen.shows("HEALTHY"):
        raise BenchError(f"not HEALTHY just before the kill:\n{screen.last}")
    killed = time.monotonic()
    lab.kill_master()
    shown = screen.wait_for("MASTER DOWN", 30.0, sample)
    return shown - killed


def main() -> int:
    cli = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    cli.add_argument("--runs", type=int, default=5)
    cli.add_argument("--poll-interval", type=float, default=1.0, metavar="S")
    cli.add_argument("--sample", type=float, default=0.02, metavar="S", help="screen read period")
    cli.add_argument("--target", type=float, default=2.0, metavar="S", help="max allowed")
    cli.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = cli.parse_args()

    offsets = [args.poll_interval * i / args.runs for i in range(args.runs)]
    results: list[float] = []
    with temp_root("rdbench-fd-", args.keep) as root:
        print(f"starting the MariaDB lab in {root} ...", flush=True)
        with MariaDBLab(root / "lab") as lab:
            config = lab.write_config(root / "rdconsole.toml", root / "state", args.poll_interval)
            with Tmux(root, "rdbench-fd") as tmux:
                tmux.new_session(SESSION, rdconsole_command(config))
                screen = Screen(tmux, SESSION, PAIR)
                for run, offset in enumerate(offsets, 1):
                    seconds = measure(lab, screen, offset, args.sample)
                    results.append(seconds)
                    print(f"run {run}: kill {offset:.2f} s after a poll -> {seconds:.3f} s")
                    lab.restore()
    rows = [
        [str(run), f"{offset:.2f}", f"{seconds:.3f}"]
        for run, (offset, seconds) in enumerate(zip(offsets, results, strict=True), 1)
    ]
    print()
    print(table(["run", "kill after poll (s)", "kill -> MASTER DOWN (s)"], rows))
    spread = Spread.of(results)
    print(
        f"\nmin {spread.low:.3f} s  median {spread.median:.3f} s  max {spread.high:.3f} s"
        f"  (poll interval {args.poll_interval:g} s, screen read every {args.sample * 1000:.0f} ms)"
    )
    return verdict(
        spread.high <= args.target,
        f"max {spread.high:.3f} s <= {args.target:g} s (master kill -9 to MASTER DOWN on screen)",
    )


if __name__ == "__main__":
    run_main(main)
