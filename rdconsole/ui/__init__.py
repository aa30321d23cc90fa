"""The Textual console: widgets render snapshots and verdicts; the App owns the pollers."""

from rdconsole.ui.app import RdConsoleApp, make_app

__all__ = ["RdConsoleApp", "make_app"]
