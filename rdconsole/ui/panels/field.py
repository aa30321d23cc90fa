"""A labelled value whose severity shows as a class (-ok, -warning, -critical, -unknown)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widget import Widget
from textual.widgets import Label

from rdconsole.core.verdict import Severity


def set_severity(widget: Widget, severity: Severity | None) -> None:
    """Set exactly one severity class on ``widget`` (none for ``None``)."""
    for each in Severity:
        widget.set_class(each is severity, f"-{each.value.lower()}")


class Field(Horizontal):
    """``key  value`` on one line; the value wraps or is cut off as the stylesheet says."""

    def __init__(
        self, key: str, value: str = "—", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._key = key
        self._value = value
        self._shown: tuple[str, Severity | None] | None = None

    def compose(self) -> ComposeResult:
        yield Label(self._key, classes="key", markup=False)
        yield Label(self._value, classes="value", markup=False)

    def show(self, value: str, severity: Severity | None = None) -> None:
        # Most fields keep their value from one poll to the next: updating a Label anyway
        # costs a layout pass, which a keypress arriving meanwhile would wait for.
        if (value, severity) == self._shown:
            return
        self._shown = (value, severity)
        self.query_one(".value", Label).update(value)
        set_severity(self, severity)
