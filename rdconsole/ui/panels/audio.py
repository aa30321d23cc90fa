"""A standby's audio mirror: guard file, ACTIVE or PAUSED and why, the last run, missing cuts,
and a sync in progress (whoever started it)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from rich.console import RenderableType
from rich.style import Style
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Vertical
from textual.renderables.bar import Bar
from textual.widget import Widget

from rdconsole.core.audio import AudioSnapshot
from rdconsole.core.verdict import Severity
from rdconsole.ui.panels.audio_words import (
    RunView,
    clock_time,
    cuts_text,
    guard_text,
    last_text,
    mirror_text,
)
from rdconsole.ui.panels.field import Row, set_severity
from rdconsole.ui.panels.words import with_symbol


class AudioPanel(Vertical):
    """Renders the latest audio check of one standby and the run in progress; does no I/O."""

    def __init__(self, standby: str, stale_after: float, *, id: str) -> None:
        super().__init__(id=id, classes="host audio")
        self.standby = standby
        self._stale_after = stale_after
        self._audio: AudioSnapshot | None = None
        self._shown_at: datetime | None = None
        self._checked = "not checked yet"
        self._run: RunView | None = None
        self.border_title = f"audio {standby}"
        self.border_subtitle = self._checked

    def compose(self) -> ComposeResult:
        # While a run shows, guard and cuts give way (ACTIVE already says the guard is there;
        # the problems list keeps the missing cuts), so the panel fits under the master at 80x24.
        yield Row("guard", "waiting for the first check", id="guard", classes="idle")
        yield Row("mirror", id="mirror")
        yield Row("last", id="last")
        yield Row("cuts", id="cuts", classes="idle")
        yield SyncLine(id="sync-progress", classes="running")
        yield Row("file", id="sync-file", classes="running")
        yield Row("rate", id="sync-rate", classes="running")

    def show(self, audio: AudioSnapshot, run: RunView | None, now: datetime) -> None:
        """The latest check, and the run in progress (None: none)."""
        self._audio = audio
        self._shown_at = now
        self._run = run
        self._checked = f"checked {clock_time(audio.checked_at, now)}"
        if self._rows_ready():
            self._draw(audio, now)
        elif self.is_attached:
            # A check can arrive before the panel's rows are mounted (a busy machine at
            # start-up): draw it once they are.
            self.call_after_refresh(self._redraw)

    def _rows_ready(self) -> bool:
        """False before the rows are mounted and while the app tears the screen down."""
        return bool(self.query("#guard"))

    def _redraw(self) -> None:
        if self._audio is not None and self._shown_at is not None and self._rows_ready():
            self._draw(self._audio, self._shown_at)

    def _draw(self, audio: AudioSnapshot, now: datetime) -> None:
        run = self._run
        self.query_one("#guard", Row).show(*guard_text(audio, now))
        self.query_one("#mirror", Row).show(*mirror_text(audio))
        self.query_one("#last", Row).show(
            *last_text(audio.last, run is not None, now, self._stale_after)
        )
        self.query_one("#cuts", Row).show(*cuts_text(audio))
        self._show_run()

    def show_failure(self, failure: str) -> None:
        """The check failed: keep the last values, say they are old."""
        set_severity(self, Severity.UNKNOWN)
        if self._audio is None or self._shown_at is None:
            self.border_subtitle = with_symbol(Severity.UNKNOWN, failure)
        else:
            # The reason is in the event log; the panel says how old its values are.
            shown = clock_time(self._audio.checked_at, self._shown_at)
            self.border_subtitle = with_symbol(Severity.UNKNOWN, f"check failed, showing {shown}")

    def show_run(self, run: RunView | None) -> None:
        """Only the run rows (cheap: called for every progress update of the console's run)."""
        was_running = self._run is not None
        self._run = run
        audio, now = self._audio, self._shown_at
        if was_running != (run is not None) and audio is not None and now is not None:
            # The last run's STALE warning only counts while nothing runs.
            self.query_one("#last", Row).show(
                *last_text(audio.last, run is not None, now, self._stale_after)
            )
        self._show_run()

    def _show_run(self) -> None:
        if not self._rows_ready():
            return
        run = self._run
        self.set_class(run is not None, "-running")
        if run is None:
            self.border_subtitle = self._checked
            return
        self.border_subtitle = f"{run.origin} syncing, {self._checked}"
        self.query_one(SyncLine).show(run.overall_percent, run.counts)
        self.query_one("#sync-file", Row).show(run.file)
        self.query_one("#sync-rate", Row).show(run.rate)


class SyncLine(Widget):
    """``sync   ━━━╺━━━━  18% 33 left, 7 done``: the run's share of the file list as a bar and
    its file counts, drawn by one widget. It is redrawn up to ten times a second while a sync
    runs, and being one line high it never needs a layout pass (a ProgressBar and two Labels
    took one per update, which a keypress arriving meanwhile waited for).

    The stylesheet sets the parts through the component classes ``sync-line--key`` (``width``
    is the key column's), ``sync-line--bar`` (``width``, ``color`` of the done part and
    ``background`` of the rest) and ``sync-line--counts``.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sync-line--key",
        "sync-line--bar",
        "sync-line--counts",
    }
    DEFAULT_CSS = """
    SyncLine {
        height: 1;
    }
    """

    PERCENT_WIDTH = 5
    """Right-aligned ``100%``, as Textual's ProgressBar shows it."""

    def __init__(self, *, id: str | None = None, classes: str | None = None) -> None:
        super().__init__(id=id, classes=classes)
        self.percent: float | None = None
        """Share of the file list done (0-100); None: not known yet, no bar."""
        self.counts = ""

    def show(self, percent: float | None, counts: str) -> None:
        if (percent, counts) == (self.percent, self.counts):
            return
        self.percent, self.counts = percent, counts
        self.refresh()

    def render(self) -> RenderableType:
        grid = Table.grid(expand=True)
        width = self.get_component_styles("sync-line--key").width
        grid.add_column(width=width.cells if width else None, no_wrap=True)
        cells: list[RenderableType] = [
            Text("sync", self.get_component_rich_style("sync-line--key"), end="")
        ]
        if self.percent is not None:
            bar = self.get_component_styles("sync-line--bar").width
            bar_width = bar.cells if bar and bar.cells else 8
            style = self.get_component_rich_style("sync-line--bar")
            grid.add_column(width=bar_width, no_wrap=True)
            grid.add_column(width=self.PERCENT_WIDTH, no_wrap=True, justify="right")
            grid.add_column(width=1)
            # In half cells, rounded down, as Textual's ProgressBar draws it.
            done = int(min(max(self.percent, 0.0), 100.0) / 100 * bar_width * 2) / 2
            cells += [
                Bar(
                    (0, done),
                    highlight_style=Style.from_color(style.color),
                    background_style=Style.from_color(style.bgcolor),
                    width=bar_width,
                ),
                Text(f"{round(self.percent)}%", end=""),
                Text("", end=""),
            ]
        grid.add_column(ratio=1, no_wrap=True, overflow="ellipsis")
        cells.append(Text(self.counts, self.get_component_rich_style("sync-line--counts"), end=""))
        grid.add_row(*cells)
        return grid
