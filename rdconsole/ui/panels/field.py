"""A labelled value whose severity shows as a class (-ok, -warning, -critical, -unknown)."""

from __future__ import annotations

from typing import ClassVar

from rich.console import OverflowMethod, RenderableType
from rich.table import Table
from rich.text import Text
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


class Row(Widget):
    """``key  value`` drawn by one widget, for the host panels (a :class:`Field` is three, and
    every widget adds to each layout pass: a keypress waits for the one in progress).

    The stylesheet styles the parts through the component classes ``row--key`` (its ``width``
    is the key column's) and ``row--value`` (its ``text-wrap`` and ``text-overflow`` decide
    whether a long value wraps under itself or is cut off); the severity classes go on the row.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"row--key", "row--value"}
    DEFAULT_CSS = """
    Row {
        height: auto;
    }
    """

    def __init__(
        self, key: str, value: str = "—", *, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.key = key
        self.value = value
        self._shown: tuple[str, Severity | None] | None = None

    def show(self, value: str, severity: Severity | None = None) -> None:
        """Draw ``value`` (nothing happens when neither it nor ``severity`` changed)."""
        if (value, severity) == self._shown:
            return
        self._shown = (value, severity)
        self.value = value
        set_severity(self, severity)
        # A value that cannot wrap keeps the row one line high: no layout pass is needed.
        self.refresh(layout=self._wraps())

    def _wraps(self) -> bool:
        return self.get_component_styles("row--value").text_wrap != "nowrap"

    def render(self) -> RenderableType:
        key = self.get_component_styles("row--key")
        value = self.get_component_styles("row--value")
        overflow: OverflowMethod = "ellipsis" if value.text_overflow == "ellipsis" else "fold"
        grid = Table.grid(expand=True)
        grid.add_column(width=key.width.cells if key.width else None, no_wrap=True)
        grid.add_column(ratio=1, no_wrap=value.text_wrap == "nowrap", overflow=overflow)
        grid.add_row(
            Text(self.key, self.get_component_rich_style("row--key"), end=""),
            Text(self.value, self.get_component_rich_style("row--value"), end=""),
        )
        return grid
