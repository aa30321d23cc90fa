"""The rejoin's and failback's own steps: quarantine, the full copy, the promotion marker, and
what to say when a failback stops half-way."""

from __future__ import annotations

from pathlib import Path

from rdconsole.core.model import Flavor
from rdconsole.core.replication_plan import Step
from rdconsole.core.snapshot import find_divergence
from rdconsole.hosts.state import now_text, read_state_file, write_state_file
from rdconsole.ops.quarantine import save_backup, save_quarantine
from rdconsole.ops.replication_steps import StepBase


class ComebackSteps(StepBase):
    """Keeping what the old master holds, and the promotion marker's end."""

    async def quarantine(self, step: Step) -> str:
        saved = self.journal.get("quarantine")
        if saved and _still_there(saved.get("path")):
            return f"kept from the first attempt: {saved['summary']}"
        old, new = self.host(step.host), step.source
        end = self.journal["positions"][step.host]
        executed = self.journal.get("executed")
        mariadb = self.words.flavor is Flavor.MARIADB
        slave_pos = (
            await self.sql(new, ("SELECT @@GLOBAL.gtid_slave_pos AS gtid",)) if mariadb else []
        )
        binlogs = await self.sql(step.host, ("SHOW BINARY LOGS",)) if end.get("file") else []
        divergence = find_divergence(
            executed=(str(executed["file"]), int(executed["position"])) if executed else None,
            old_end=(str(end["file"]), int(end["position"])) if end.get("file") else None,
            old_binlogs=tuple(str(r["Log_name"]) for r in binlogs) if end.get("file") else None,
            old_gtid_binlog_pos=end.get("gtid"),
            new_gtid_slave_pos=str(slave_pos[0]["gtid"]) if slave_pos else None,
        )
        report = await save_quarantine(
            old=old,
            flavor=self.words.flavor,
            divergence=divergence,
            state_dir=self.context.settings.console.state_dir,
            scratch=self.context.scratch,
        )
        self.journal["quarantine"] = report
        return str(report["summary"])

    async def backup(self, step: Step) -> str:
        saved = self.journal.get("backup")
        if saved and _still_there(saved.get("path")):
            return f"kept from the first attempt: {saved['summary']}"
        report = await save_backup(
            old=self.host(step.host),
            flavor=self.words.flavor,
            databases=self.context.settings.replication.databases,
            state_dir=self.context.settings.console.state_dir,
            scratch=self.context.scratch,
        )
        self.journal["backup"] = report
        return str(report["summary"])

    def close_marker(self) -> str:
        from rdconsole.ops.preflight import marker_path

        path = marker_path(self.context.settings)
        document = read_state_file(path)
        if document is None:
            return "no promotion marker (already closed)"
        if self.context.procedure == "rejoin":
            document["rejoined_at"] = now_text()
            document["quarantine"] = self.journal.get("quarantine")
            write_state_file(path, document)
            return f"rejoined_at recorded in {path}"
        archive = path.with_name(f"promoted-{document.get('at', now_text())}.json".replace(":", ""))
        write_state_file(archive, {**document, "closed_at": now_text()})
        path.unlink(missing_ok=True)
        return f"moved to {archive}"

    def rollback_hint(self) -> str:
        """A failback stopped between fencing the standby and the original becoming writable
        leaves the station's database read-only: say how to give it back."""
        if self.context.procedure != "failback":
            return ""
        done = {e["id"].split("-", 1)[1] for e in self.journal["steps"] if e["status"] == "done"}
        if "fence-standby" not in done or "writable" in done:
            return ""
        standby = next(
            e["host"] for e in self.journal["steps"] if e["id"].endswith("fence-standby")
        )
        return (
            f" {standby} is read-only now: to let the station write there again instead, run "
            f"SET GLOBAL read_only = OFF on {standby}."
        )


def _still_there(path: str | None) -> bool:
    return path is not None and Path(path).exists()
