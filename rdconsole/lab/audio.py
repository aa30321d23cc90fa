"""A small Rivendell audio store for the rsync lab: cut files, awkward names and ``repl.chk``.

The files are random bytes named like Rivendell cuts (``CCCCCC_NNN.wav``), not audio: rsync and
rdconsole only care about names, sizes and content. Everything is derived from ``seed``, so two
stores made with the same arguments are byte-identical.
"""

from __future__ import annotations

import os
import random
from pathlib import Path

GUARD_NAME = "repl.chk"
"""The empty file whose presence the standby probes before mirroring (``rsync URL/repl.chk``)."""

ODD_NAMES = (
    "spaces  double.wav",
    "Café del Mar – Übergang.wav",  # noqa: RUF001 (the en dash is the point)
    "日本語ジングル.wav",
    "emoji 🎵 bed.wav",
    "naïve résumé (edit).wav",
)
"""Valid UTF-8 names that trip up quoting, escaping (rsync under ``LC_ALL=C``) and alignment."""

INVALID_UTF8_NAME = b"latin1 caf\xe9 jingle.wav"
"""A Latin-1 name as an old Windows share would write it: ``\\xe9`` is not valid UTF-8.
As ``str`` it is ``os.fsdecode(INVALID_UTF8_NAME)`` (a lone surrogate, ``\\udce9``)."""

CUTS_PER_CART = 3
_SMALL_SIZES = (2 * 1024, 100 * 1024)
"""Inclusive byte range of the ordinary cuts and odd-named files."""


def cut_names(count: int) -> list[str]:
    """``count`` Rivendell cut file names, three cuts per cart: ``000001_001.wav``,
    ``000001_002.wav``, ``000001_003.wav``, ``000002_001.wav``, ..."""
    return [
        f"{index // CUTS_PER_CART + 1:06d}_{index % CUTS_PER_CART + 1:03d}.wav"
        for index in range(count)
    ]


def make_audio_store(
    path: Path,
    *,
    cuts: int = 40,
    large_files: int = 3,
    large_size: int = 8 * 1024 * 1024,
    seed: int = 7,
) -> list[str]:
    """Fill the directory ``path`` (created if missing) and return the names written, in order.

    The first ``large_files`` of the ``cuts`` cut files are ``large_size`` bytes each, so that an
    rsync ``--progress`` stream has several records per file under a ``--bwlimit``; the rest are
    2-100 KiB. Then come :data:`ODD_NAMES`, :data:`INVALID_UTF8_NAME` (returned as its
    ``os.fsdecode`` form) and an empty :data:`GUARD_NAME`. Existing files of the same names are
    overwritten; other files are left alone.
    """
    if not 0 <= large_files <= cuts:
        raise ValueError(f"large_files must be between 0 and cuts ({cuts}), not {large_files}")
    rng = random.Random(seed)
    path.mkdir(parents=True, exist_ok=True)
    files = [
        (os.fsencode(name), large_size if index < large_files else rng.randint(*_SMALL_SIZES))
        for index, name in enumerate(cut_names(cuts))
    ]
    files += [(os.fsencode(name), rng.randint(*_SMALL_SIZES)) for name in ODD_NAMES]
    files += [(INVALID_UTF8_NAME, rng.randint(*_SMALL_SIZES)), (os.fsencode(GUARD_NAME), 0)]
    directory = os.fsencode(path)
    for name, size in files:
        with open(os.path.join(directory, name), "wb") as file:
            file.write(rng.randbytes(size))
    return [os.fsdecode(name) for name, _ in files]
