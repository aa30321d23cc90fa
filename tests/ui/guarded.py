"""Pilot helpers for the guarded screens (``screens.guarded``): the failover's and the setup,
rejoin and failback's checks, typed confirmation and run view."""

from __future__ import annotations

from typing import Any, TypeVar

from textual.pilot import Pilot
from textual.widgets import Button, Input, Label

from rdconsole.ui.app import RdConsoleApp
from rdconsole.ui.screens.guarded import CheckReport, GuardedScreen, RunScreen
from tests.ui.samples import wait_until

KEYS = {" ": "space", "-": "minus", ",": "comma"}
"""The key names of the characters typed in the tests."""

ScreenT = TypeVar("ScreenT", bound=GuardedScreen[Any])


def on_top(app: RdConsoleApp, kind: type[ScreenT]) -> ScreenT:
    """The screen on top, which must be a ``kind``."""
    screen = app.screen
    assert isinstance(screen, kind)
    return screen


def guarded_screen(app: RdConsoleApp) -> GuardedScreen[Any]:
    return on_top(app, GuardedScreen)


def report(app: RdConsoleApp) -> list[str]:
    return guarded_screen(app).query_one(CheckReport).texts


def verdict(app: RdConsoleApp) -> str:
    screen = guarded_screen(app)
    return str(screen.query_one(f"#{screen.id}-verdict", Label).content)


def confirm_button(app: RdConsoleApp) -> Button:
    return guarded_screen(app).query_one("#confirm", Button)


def run_lines(app: RdConsoleApp) -> list[str]:
    screen = app.screen
    assert isinstance(screen, RunScreen)
    return screen.texts


async def type_into(pilot: Pilot[None], field: str, text: str, *, enter: bool = False) -> None:
    """Focus ``field`` (as Tab would) and type ``text`` key by key."""
    app = pilot.app
    assert isinstance(app, RdConsoleApp)
    guarded_screen(app).query_one(f"#{field}", Input).focus()
    await pilot.pause()
    await pilot.press(*[KEYS.get(c, c) for c in text])
    if enter:
        await pilot.press("enter")
    await pilot.pause()


async def checks_shown(pilot: Pilot[None], kind: type[ScreenT]) -> ScreenT:
    """Wait for a ``kind`` screen on top and its checks' answer."""
    app = pilot.app
    await wait_until(pilot, lambda: isinstance(app.screen, kind))
    screen = app.screen
    assert isinstance(screen, kind)
    await wait_until(pilot, lambda: not screen.checking)
    await pilot.pause()
    return screen
