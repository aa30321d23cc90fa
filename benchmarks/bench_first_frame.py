"""Start to first frame: ``python benchmarks/bench_first_frame.py``.

Starts the MariaDB lab in a temporary directory, then N times (default 5): a fresh private tmux
server (80x24) runs ``rdconsole --config CONF``; the screen is read with ``tmux capture-pane -p``
every 20 ms from just before ``tmux new-session`` is launched. First frame: the first read that
shows the status line (``... UNKNOWN (waiting for onair, backup)  │  onair → backup ...``); first
HEALTHY: the first read whose status line says HEALTHY (both hosts polled). Then the tmux server
is killed and the console must exit before the next run.

Times include starting the tmux server and the Python interpreter (a cold-ish start: run 1 is
the first since the lab started, later runs find the imports in the page cache).
Requirement: the slowest first frame <= 1.0 s. Exit 1 if not.
"""

from __future__ import annotations

import argparse
import time

from harness import (
    Screen,
    Spread,
    Tmux,
    rdconsole_command,
    run_main,
    table,
    temp_root,
    verdict,
)

from rdconsole.lab import MASTER_NAME, STANDBY_NAME, MariaDBLab

PAIR = f"{MASTER_NAME} → {STANDBY_NAME}"
SESSION = "console"


def main() -> int:
    cli = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    cli.add_argument("--runs", type=int, default=5)
    cli.add_argument("--poll-interval", type=float, default=1.0, metavar="S")
    cli.add_argument("--sample", type=float, default=0.02, metavar="S", help="screen read period")
    cli.add_argument("--target", type=float, default=1.0, metavar="S", help="max first frame")
    cli.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = cli.parse_args()

    frames: list[float] = []
    healthy: list[float] = []
    with temp_root("rdbench-ff-", args.keep) as root:
        print(f"starting the MariaDB lab in {root} ...", flush=True)
        with MariaDBLab(root / "lab") as lab:
            config = lab.write_config(root / "rdconsole.toml", root / "state", args.poll_interval)
            for run in range(1, args.runs + 1):
                with Tmux(root, f"rdbench-ff{run}") as tmux:
                    launched = tmux.new_session(SESSION, rdconsole_command(config))
                    screen = Screen(tmux, SESSION, PAIR)
                    frame = screen.wait_for(PAIR, 10.0, args.sample) - launched
                    first = screen.last
                    ready = screen.wait_for("HEALTHY", 20.0, args.sample) - launched
                frames.append(frame)
                healthy.append(ready)
                print(f"run {run}: first frame {frame:.3f} s, HEALTHY {ready:.3f} s", flush=True)
                if run == 1:
                    print("  first frame's status line: " + first.splitlines()[0].strip())
                time.sleep(0.5)
    rows = [
        [str(run), f"{frame:.3f}", f"{ready:.3f}"]
        for run, (frame, ready) in enumerate(zip(frames, healthy, strict=True), 1)
    ]
    print()
    print(table(["run", "first frame (s)", "first HEALTHY (s)"], rows))
    frame_spread, healthy_spread = Spread.of(frames), Spread.of(healthy)
    print(
        f"\nfirst frame: median {frame_spread.median:.3f} s, max {frame_spread.high:.3f} s"
        f"\nfirst HEALTHY: median {healthy_spread.median:.3f} s, max {healthy_spread.high:.3f} s"
        f"  (screen read every {args.sample * 1000:.0f} ms, 80x24)"
    )
    return verdict(
        frame_spread.high <= args.target,
        f"max first frame {frame_spread.high:.3f} s <= {args.target:g} s",
    )


if __name__ == "__main__":
    run_main(main)
