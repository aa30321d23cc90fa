"""Throughput of the rsync output parser: ``python benchmarks/bench_rsync_parser.py``.

Synthesises a transcript shaped like ``rsync -av --progress`` output (lab notes §4.2): per file a
name line, ``\\r``-separated progress records and a final ``(xfr#…)`` record, with some UTF-8 and
``\\#ooo``-escaped names, deletions and a summary. It feeds the transcript in 64 KiB chunks, best of
five runs, and prints records per second for the recommended marked form and the seed's plain
form. The requirement is at least 200,000 records per second.
"""

from __future__ import annotations

import argparse
import time

from rdconsole.core.rsync_output import MARKER, NameStyle, RsyncOutputParser

CHUNK = 64 * 1024
UPDATES_PER_FILE = 5
NAMES = (
    "{n:06d}_001.wav",
    "Caf\u00e9 del Mar \u2013 \u00dcbergang {n}.wav",
    "Caf\\#303\\#251 escaped {n}.wav",
    "spaces  double {n}.wav",
)


def _progress_record(done: int, size: int) -> str:
    return f"{done:15,d} {done * 100 // size:3d}%   10.01MB/s    0:00:04  \r"


def transcript(records: int, style: NameStyle) -> tuple[bytes, int]:
    """About ``records`` records of rsync output, and their exact count."""
    lines = ["receiving incremental file list\n"]
    prefix = MARKER + ">f+++++++++ " if style is NameStyle.MARKED else ""
    deleting = MARKER + "*deleting   " if style is NameStyle.MARKED else "deleting "
    per_file = UPDATES_PER_FILE + 2
    files = records // per_file
    size = 52_428_800
    for n in range(files):
        if n % 50 == 0:
            lines.append(f"{deleting}stale {n}.wav\n")
        lines.append(prefix + NAMES[n % len(NAMES)].format(n=n) + "\n")
        lines.extend(
            _progress_record(size * i // UPDATES_PER_FILE, size) for i in range(UPDATES_PER_FILE)
        )
        left = files - n - 1
        lines.append(
            f"{size:15,d} 100%   10.10MB/s    0:00:04 (xfr#{n + 1}, to-chk={left}/{files})\n"
        )
    lines.append("\nsent 3,853 bytes  received 218,526,483 bytes  437,060,672.00 bytes/sec\n")
    lines.append("total size is 218,460,713  speedup is 1.00\n")
    return "".join(lines).encode(), len(lines)


def measure(data: bytes, style: NameStyle, runs: int) -> tuple[float, int]:
    """Best wall time over ``runs`` full parses, and the number of events produced."""
    best = float("inf")
    events = 0
    for _ in range(runs):
        parser = RsyncOutputParser(style)
        start = time.perf_counter()
        count = 0
        for offset in range(0, len(data), CHUNK):
            count += len(parser.feed(data[offset : offset + CHUNK]))
        count += len(parser.close())
        best = min(best, time.perf_counter() - start)
        events = count
    return best, events


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    cli.add_argument("--records", type=int, default=500_000)
    cli.add_argument("--runs", type=int, default=5)
    args = cli.parse_args()
    for style in (NameStyle.MARKED, NameStyle.PLAIN):
        data, count = transcript(args.records, style)
        elapsed, events = measure(data, style, args.runs)
        print(
            f"{style.value:7s} {count:,} records ({len(data) / 2**20:.1f} MiB, {events:,} events)"
            f" in {elapsed:.3f} s: {count / elapsed:,.0f} records/s"
        )


if __name__ == "__main__":
    main()
