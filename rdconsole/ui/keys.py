"""The console's keys: one ``Binding`` each, with its description, tooltip and id.

The single source of the footer, the help screen and the palette's key hints; whether a key is
shown, dimmed or hidden is the App's ``check_action``.
"""

from __future__ import annotations

from textual.binding import Binding

from rdconsole.ui.drills import DRILLS

DRILL_GROUP = Binding.Group("Drills")
"""One footer entry (``1 2 3 4 0 Drills``) so the footer fits 80 columns; ? lists each drill."""


KEYS: tuple[Binding, ...] = (
    Binding(
        "question_mark",
        "help",
        "Help",
        key_display="?",
        tooltip="show the keys and what the panels mean",
        id="help",
    ),
    Binding("q", "quit", "Quit", tooltip="quit (nothing on the hosts changes)", id="quit"),
    Binding("r", "poll_now", "Poll now", tooltip="poll every host now", id="poll-now"),
    Binding(
        "p",
        "problems",
        "Problems",
        tooltip="all problems and fixes on the whole screen (p or Esc returns)",
        id="problems",
    ),
    Binding(
        "s",
        "sync",
        "Sync",
        tooltip="sync the audio mirror: shows its dry run first, then asks (y runs it)",
        id="sync",
    ),
    Binding(
        "f",
        "failover",
        "Failover",
        tooltip="promote a standby: checklist, plan, type its name to confirm "
        "(dimmed while a failover runs)",
        id="failover",
    ),
    Binding(
        "j",
        "rejoin",
        "Rejoin",
        tooltip="after a promotion: rejoin the old master as a replica of the new one "
        "(checks, plan, type its name)",
        id="rejoin",
    ),
    Binding(
        "b",
        "failback",
        "Failback",
        tooltip="after a rejoin: switch the roles back to the original master (checks, plan, "
        "type its name)",
        id="failback",
    ),
    Binding(
        "l",
        "rsync_log",
        "Rsync log",
        # Listed in the help, not the footer: 80 columns fit the drill keys or this one.
        show=False,
        tooltip="rsync's lines from the syncs started here (l or Esc returns)",
        id="rsync-log",
    ),
    *(
        Binding(
            drill.key,
            f"drill('{drill.name}')",
            drill.title,
            tooltip=drill.what,
            id=f"drill-{drill.name.replace('_', '-')}",
            group=DRILL_GROUP,
        )
        for drill in DRILLS
    ),
)
"""In footer order."""
