"""Keeping the garbage collector's full passes away from key presses."""

from __future__ import annotations

import gc
from typing import Any

from textual.app import App

FULL_COLLECTION_S = 15.0
NEVER = 1_000_000_000
"""A threshold no count reaches: the full collections run on the timer only."""


def tame_the_collector(app: App[Any]) -> None:
    """Freeze what lives after the first frame; full collections on a timer only.

    Textual's widgets, styles and the imported modules are tens of thousands of long-lived
    objects, and screen switches leave thousands of cycles behind: automatic full collections
    came about once a second and took 60-155 ms each, landing on key presses (measured with
    ``benchmarks/bench_keypress.py`` while a sync streamed). After the first frame everything
    alive is frozen (never walked again), automatic full passes are off, and one runs every
    ``FULL_COLLECTION_S`` instead (then under 10 ms); the young generations are collected as
    usual.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, NEVER)
    app.set_interval(FULL_COLLECTION_S, gc.collect, name="full garbage collection")


def restore_the_collector(thresholds: tuple[int, int, int]) -> None:
    """Back to the interpreter's own collection (for an App that is not the whole process,
    e.g. in tests)."""
    gc.unfreeze()
    gc.set_threshold(*thresholds)
