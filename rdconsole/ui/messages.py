"""Messages the console's workers post to the App."""

from __future__ import annotations

from textual.message import Message

from rdconsole.core.model import HostSnapshot


class HostPolled(Message, bubble=False):
    """A poller read its host (or gave up on it within the budget)."""

    def __init__(self, snapshot: HostSnapshot) -> None:
        super().__init__()
        self.snapshot = snapshot
