"""A standby's audio mirror: guard file, ACTIVE or PAUSED and why, the last run, missing cuts,
and a sync in progress (whoever started it)."""

from __future__ import annotations

from datetime import datetime

from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Label, ProgressBar

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
from rdconsole.ui.panels.field import Field, set_severity
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
        yield Field("guard", "waiting for the first check", id="guard", classes="idle")
        yield Field("mirror", id="mirror")
        yield Field("last", id="last")
        yield Field("cuts", id="cuts", classes="idle")
        with Horizontal(id="sync-progress", classes="running"):
            yield Label("sync", classes="key")
            yield ProgressBar(total=100, show_eta=False, id="sync-bar")
            yield Label("", id="sync-counts", markup=False)
        yield Field("file", id="sync-file", classes="running")
        yield Field("rate", id="sync-rate", classes="running")

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
        self.query_one("#guard", Field).show(*guard_text(audio, now))
        self.query_one("#mirror", Field).show(*mirror_text(audio))
        self.query_one("#last", Field).show(
            *last_text(audio.last, run is not None, now, self._stale_after)
        )
        self.query_one("#cuts", Field).show(*cuts_text(audio))
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
            self.query_one("#last", Field).show(
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
        bar = self.query_one(ProgressBar)
        bar.display = run.overall_percent is not None
        if run.overall_percent is not None:
            bar.update(progress=run.overall_percent)
        self.query_one("#sync-counts", Label).update(run.counts)
        self.query_one("#sync-file", Field).show(run.file)
        self.query_one("#sync-rate", Field).show(run.rate)
