"""The one-line status bar: symbol and phrase, master → standbys, time of the last poll."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from textual.widgets import Static

from rdconsole.core.verdict import Severity, Verdict
from rdconsole.ui.panels.field import set_severity


class StatusBar(Static):
    """Reads correctly without colour: the phrase and its symbol carry the state."""

    def __init__(self, master: str, standbys: Sequence[str]) -> None:
        self._pair = f"{master} → {', '.join(standbys)}"
        waiting = _waiting([master, *standbys])
        super().__init__(self._text(Severity.UNKNOWN, waiting, None), id="status", markup=False)
        set_severity(self, Severity.UNKNOWN)

    def show(self, verdict: Verdict | None, waiting: Sequence[str], polled_at: datetime) -> None:
        """``waiting`` names the hosts not polled yet (only read while there is no verdict)."""
        if verdict is None:
            self.update(self._text(Severity.UNKNOWN, _waiting(waiting), polled_at))
            set_severity(self, Severity.UNKNOWN)
            return
        self.update(self._text(verdict.status, verdict.phrase.value, polled_at))
        set_severity(self, verdict.status)

    def _text(self, severity: Severity, phrase: str, polled_at: datetime | None) -> str:
        polled = f"polled {polled_at:%H:%M:%S}" if polled_at is not None else "not polled yet"
        return f" {severity.symbol} {phrase}  │  {self._pair}  │  {polled}"


def _waiting(hosts: Sequence[str]) -> str:
    return f"UNKNOWN (waiting for {', '.join(hosts)})"
