"""The last failover as a Markdown incident report, from the audit log (pure)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def last_failover(entries: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """The audit entries of the most recent failover, from its start to its end (or now)."""
    starts = [i for i, e in enumerate(entries) if e.get("action") == "failover-start"]
    if not starts:
        return []
    tail = list(entries[starts[-1] :])
    return [e for e in tail if str(e.get("action", "")).startswith(("failover", "switch"))]


def _who(entry: dict[str, Any]) -> str:
    who = entry.get("who", {})
    parts = [str(who.get("user", "?"))]
    if who.get("sudo_user"):
        parts.append(f"via sudo from {who['sudo_user']}")
    if who.get("ssh_connection"):
        parts.append(f"SSH {who['ssh_connection'].split(' ')[0]}")
    return ", ".join(parts)


def incident_markdown(entries: Sequence[dict[str, Any]]) -> str:
    run = last_failover(entries)
    if not run:
        return "# No failover recorded\n\nThe audit log holds no failover.\n"
    start = run[0]
    end = next((e for e in reversed(run) if e.get("action") == "failover-end"), None)
    lines = [
        f"# Failover of {start.get('standby')} ({start.get('path')})",
        "",
        f"- Started: {start.get('at')} by {_who(start)}",
        f"- Master state: {start.get('master_state')}",
    ]
    if start.get("fenced"):
        lines.append(f"- Old master fenced (operator's statement): {start['fenced']}")
    if start.get("override"):
        lines.append(f"- Override: {start['override']}")
    if end is not None:
        lines.append(f"- Ended: {end.get('at')}, exit {end.get('exit_code')}: {end.get('message')}")
    else:
        lines.append("- Not finished: see `rdconsole failover --resume`")
    lines += ["", "## Evidence", ""]
    lines += [f"- {reason}" for reason in start.get("evidence", [])]
    lines += ["", "## Checklist", "", "| item | state | why |", "|---|---|---|"]
    for item in start.get("checklist", []):
        why = str(item.get("why", "")).replace("|", "\\|")
        lines.append(f"| {item.get('item')} | {item.get('state')} | {why} |")
    lines += [
        "",
        "## Steps",
        "",
        "| at | step | status | took | SQL / command | result |",
        "|---|---|---|---|---|---|",
    ]
    for entry in run:
        if entry.get("action") != "failover-step":
            continue
        text = str(entry.get("text", "")).replace("|", "\\|")
        result = str(entry.get("result", "")).replace("|", "\\|")
        lines.append(
            f"| {entry.get('at')} | {entry.get('step')} | {entry.get('status')} | "
            f"{entry.get('duration_s')} s | `{text}` | {result} |"
        )
    return "\n".join(lines) + "\n"
