"""``rdconsole report``: print the last failover as Markdown (from the audit log)."""

from __future__ import annotations

from rdconsole.config import Settings
from rdconsole.core.incident import incident_markdown
from rdconsole.hosts.state import AuditLog


def report_command(settings: Settings) -> int:
    print(incident_markdown(AuditLog(settings.console.state_dir).read()), end="")
    return 0
