"""Console keypress latency while a sync streams: ``python benchmarks/bench_keypress.py``.

Starts the MariaDB lab, an rsync daemon serving a generated audio store and a standby layout in
a temporary directory, and the real console in a private tmux (80x24). It presses ``s`` (dry
run), ``y`` (sync, limited to ``--bwlimit`` KiB/s so it streams for a while), waits until the
audio panel shows the run, then N times: ``p`` (the problems list takes the whole screen: a
layout change) and ``?`` (the help screen: a whole screen to build), each until the screen
shows the change, reading it every 5 ms. Latency = send-keys to the first screen read that
shows it (tmux's own round trip included, so it over-states the console's part). The same is
measured first with no sync running. Requirement: every ``p`` < 100 ms while the sync streams;
``?`` is reported (it costs the same with or without a sync). Exit 1 if the requirement fails.
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

from rdconsole.lab import MASTER_NAME, STANDBY_NAME, MariaDBLab, RsyncDaemon, make_audio_store
from rdconsole.lab.station import StationLayout

PAIR = f"{MASTER_NAME} → {STANDBY_NAME}"
SESSION = "console"
HELP_MARK = "rdconsole help"
RUN_MARK = " left,"
"""The audio panel's sync line ("18% 33 left, 7 done") while a run streams."""


def press_and_time(tmux: Tmux, key: str, shown: bool, sample: float) -> float:
    """Send ``key``; seconds until the help screen is shown (or gone, ``shown`` False)."""
    sent = time.monotonic()
    tmux.run("send-keys", "-t", SESSION, key)
    seen = wait_until(
        lambda: (HELP_MARK in tmux.capture(SESSION)) is shown, 5.0, f"help after {key}", sample
    )
    return seen - sent


def problems_latency(tmux: Tmux, sample: float) -> float:
    """Send ``p`` (problems full screen): seconds until the master panel ("binlog") is gone;
    then ``p`` again until it is back (not timed)."""
    sent = time.monotonic()
    tmux.run("send-keys", "-t", SESSION, "p")
    seen = wait_until(lambda: "binlog" not in tmux.capture(SESSION), 5.0, "problems", sample)
    tmux.run("send-keys", "-t", SESSION, "p")
    wait_until(lambda: "binlog" in tmux.capture(SESSION), 5.0, "panels back", sample)
    return seen - sent


def main() -> int:
    cli = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    cli.add_argument("--presses", type=int, default=20)
    cli.add_argument("--bwlimit", type=int, default=4000, metavar="KIB", help="KiB/s")
    cli.add_argument("--sample", type=float, default=0.005, metavar="S", help="screen read period")
    cli.add_argument("--target", type=float, default=0.100, metavar="S")
    cli.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = cli.parse_args()
    opened: list[float] = []
    idle: list[float] = []
    polls: list[float] = []
    idle_polls: list[float] = []
    with temp_root("rdbench-keys-", args.keep) as root:
        store = root / "master-snd"
        make_audio_store(store, cuts=60, large_files=12, large_size=8 * 2**20)
        print(f"starting the lab and rsyncd in {root} ...", flush=True)
        with MariaDBLab(root / "lab") as lab, RsyncDaemon(root / "rsyncd", store) as daemon:
            station = StationLayout(root / "host").create()
            config = lab.write_config(root / "rdconsole.toml", root / "state", 1.0)
            with config.open("a", encoding="utf-8") as file:
                file.write(
                    station.toml(daemon.port).replace(
                        "[master.rsync]\n", f"[master.rsync]\nbwlimit = {args.bwlimit}\n"
                    )
                )
            with Tmux(root, "rdbench-keys") as tmux:
                tmux.new_session(SESSION, rdconsole_command(config))
                screen = Screen(tmux, SESSION, PAIR)
                # The first poll: HEALTHY, or DEGRADED once the audio check has found the
                # lab's never-synced mirror (it can come first on a busy machine).
                try:
                    wait_until(
                        lambda: any(w in (screen.status() or "") for w in ("HEALTHY", "DEGRADED")),
                        20.0,
                        "status HEALTHY or DEGRADED",
                    )
                except BenchError as error:
                    raise BenchError(f"{error}; the screen:\n{screen.last}") from None
                for _ in range(5):
                    idle.append(press_and_time(tmux, "?", True, args.sample))
                    press_and_time(tmux, "Escape", False, args.sample)
                    idle_polls.append(problems_latency(tmux, args.sample))
                tmux.run("send-keys", "-t", SESSION, "s")
                wait_until(lambda: "Confirm (y)" in tmux.capture(SESSION), 20.0, "the dry run")
                tmux.run("send-keys", "-t", SESSION, "y")
                try:
                    wait_until(lambda: RUN_MARK in tmux.capture(SESSION), 20.0, "the sync")
                except BenchError as error:
                    raise BenchError(f"{error}; the screen:\n{tmux.capture(SESSION)}") from None
                for press in range(1, args.presses + 1):
                    if RUN_MARK not in tmux.capture(SESSION) and press > 1:
                        raise BenchError("the sync ended before all presses: lower --bwlimit")
                    opened.append(press_and_time(tmux, "?", True, args.sample))
                    press_and_time(tmux, "Escape", False, args.sample)
                    polls.append(problems_latency(tmux, args.sample))
                streaming = RUN_MARK in tmux.capture(SESSION)
    rows = [
        [str(i), f"{poll * 1000:.1f}", f"{help_ * 1000:.1f}"]
        for i, (poll, help_) in enumerate(zip(polls, opened, strict=True), 1)
    ]
    print(table(["press", "p -> problems (ms)", "? -> help screen (ms)"], rows))
    print("\nms, median / max        p (problems)       ? (help screen)")
    for label, keys, helps in (
        ("no sync running", idle_polls, idle),
        ("while a sync streams", polls, opened),
    ):
        k, h = Spread.of(list(keys)), Spread.of(list(helps))
        print(
            f"{label:22} {k.median * 1000:7.1f} / {k.high * 1000:6.1f}   "
            f"{h.median * 1000:7.1f} / {h.high * 1000:6.1f}"
        )
    print(f"sync still streaming at the end: {streaming}")
    toggles = Spread.of(polls)
    return verdict(
        toggles.high < args.target,
        f"max keypress latency (p -> problems full screen) {toggles.high * 1000:.1f} ms < "
        f"{args.target * 1000:.0f} ms while a sync streams",
    )


if __name__ == "__main__":
    run_main(main)
