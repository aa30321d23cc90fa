"""The standing banner above the panels: what must not be forgotten after (or during) a
failover, in words: a promotion whose old master must stay read-only, an interrupted run."""

from __future__ import annotations

from collections.abc import Sequence

from textual.widgets import Static


class StandingBanner(Static):
    """Hidden while there is nothing to say; one line per standing fact (wrapped, never cut:
    every word of it matters)."""

    def __init__(self) -> None:
        super().__init__("", id="banner", markup=False)
        self.lines: tuple[str, ...] = ()
        self.display = False

    def show(self, lines: Sequence[str]) -> None:
        """Show ``lines``; the App gets ``-standing`` (and ``-standing-more`` for several) so the
        stylesheet can give the banner the rows it takes from the problems list."""
        if tuple(lines) == self.lines:
            return
        self.lines = tuple(lines)
        self.update("\n".join(self.lines))
        self.display = bool(self.lines)
        self.app.set_class(bool(self.lines), "-standing")
        self.app.set_class(len(self.lines) > 1, "-standing-more")
