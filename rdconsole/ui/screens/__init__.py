"""Screens pushed over the console."""

from rdconsole.ui.screens.help import HelpScreen
from rdconsole.ui.screens.sync import RsyncLogScreen, SyncPreviewScreen

__all__ = ["HelpScreen", "RsyncLogScreen", "SyncPreviewScreen"]
