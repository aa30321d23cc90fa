"""Screens pushed over the console."""

from rdconsole.ui.screens.help import HelpScreen

__all__ = ["HelpScreen"]
