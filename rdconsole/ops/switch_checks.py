"""Read-only questions about a coming switch, asked before a failover changes anything."""

from __future__ import annotations

from rdconsole.config.settings import HostConfig
from rdconsole.core.layout import Mode
from rdconsole.core.switch import plan_switch
from rdconsole.hosts.rivendell import probe_links, service_commands, switch_paths, unwritable_dirs
from rdconsole.hosts.shell import Shell


async def switch_refusals(shell: Shell, standby: HostConfig, target: Mode) -> list[str]:
    """Why ``switch <target>`` would be refused on ``standby`` (its links, their targets, the
    link directories' permissions), without locking, auditing or changing anything."""
    paths = switch_paths(standby)
    states = await probe_links(shell, paths)
    unwritable = await unwritable_dirs(shell, [paths.rd_conf, paths.snd])
    plan = plan_switch(
        states,
        paths,
        service_commands(standby),
        target,
        invocation=["rdconsole", "switch"],
        settle_s=standby.rivendell.settle,
        unwritable=unwritable,
    )
    return [
        f"{refusal.why} ({refusal.fix})" if refusal.fix else refusal.why
        for refusal in plan.refusals
    ]
