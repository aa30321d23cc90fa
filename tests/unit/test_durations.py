"""Durations as operators write them."""

from __future__ import annotations

import pytest

from rdconsole.core.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        (90, 90.0),
        (1.5, 1.5),
        ("120s", 120.0),
        ("2h", 7200.0),
        ("1h30m", 5400.0),
        ("1d", 86400.0),
        (" 5 m ", 300.0),
    ],
)
def test_parse(value: object, seconds: float) -> None:
    assert parse_duration(value) == seconds


@pytest.mark.parametrize("value", ["soon", "", "5x", -1, True, "h", None])
def test_rejects(value: object) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(value)


def test_format() -> None:
    assert [format_duration(s) for s in (5, 125, 3900, 200000)] == ["5s", "2m", "1h05m", "2d07h"]
