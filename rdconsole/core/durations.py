"""Durations written the way operators write them: ``90``, ``"120s"``, ``"2h"``, ``"1h30m"``."""

from __future__ import annotations

import re

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"(\d+(?:\.\d+)?)\s*([smhd])")


def parse_duration(value: object) -> float:
    """Seconds; raises ValueError with the accepted forms."""
    if isinstance(value, bool):
        raise ValueError(f"not a duration: {value!r}")
    if isinstance(value, int | float):
        if value < 0:
            raise ValueError(f"a duration cannot be negative: {value!r}")
        return float(value)
    if isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        if text and _PART.sub("", text) == "":
            return float(sum(float(n) * _UNITS[u] for n, u in _PART.findall(text)))
    raise ValueError(f'not a duration: {value!r} (write e.g. 90, "120s", "2h", "1h30m")')


def format_duration(seconds: float) -> str:
    """Short human form: ``45s``, ``12m``, ``3h05m``, ``2d04h``."""
    whole = int(seconds)
    if whole < 60:
        return f"{whole}s"
    if whole < 3600:
        return f"{whole // 60}m"
    if whole < 86400:
        return f"{whole // 3600}h{whole % 3600 // 60:02d}m"
    return f"{whole // 86400}d{whole % 86400 // 3600:02d}h"
