"""Widgets that render snapshots and verdicts; none of them does I/O."""

from rdconsole.ui.panels.audio import AudioPanel
from rdconsole.ui.panels.events import EventLog
from rdconsole.ui.panels.header import StatusBar
from rdconsole.ui.panels.master import MasterPanel
from rdconsole.ui.panels.problems import ProblemsPanel
from rdconsole.ui.panels.standby import StandbyPanel

__all__ = ["AudioPanel", "EventLog", "MasterPanel", "ProblemsPanel", "StandbyPanel", "StatusBar"]
