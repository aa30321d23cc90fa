"""Where a host's Rivendell links lead: core.layout's probe, run through a shell."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from rdconsole.core.layout import LinkState, parse_probe, probe_command
from rdconsole.hosts.shell import Shell, ShellError


async def read_links(shell: Shell, paths: Sequence[str], budget: float) -> dict[str, LinkState]:
    """Kind and resolved target of each of ``paths``; ShellError when the host does not answer
    within ``budget`` seconds or its answer is not a whole one (no GNU ``readlink -z``, say)."""
    try:
        async with asyncio.timeout(budget):
            result = await shell.run(probe_command(paths))
    except TimeoutError:
        raise ShellError(f"reading {', '.join(paths)} took over {budget:g} s") from None
    try:
        return parse_probe(paths, result.stdout.decode("utf-8", errors="surrogateescape"))
    except ValueError:
        why = result.stderr_text().splitlines() or [f"exit status {result.exit_status}"]
        raise ShellError(f"could not read where {', '.join(paths)} lead: {why[0]}") from None
