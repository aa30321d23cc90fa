"""``rdconsole setup``, ``rejoin`` and ``failback``: checks, plan, typed confirmation, steps.

Exit codes (all three): 0 done (with --dry-run: it could go), 1 refused: nothing changed
(blocked, not confirmed, or an unfinished run waits for --resume), 2 failed half-way (finish
with --resume), 3 configuration error, 4 another setup/rejoin/failback/failover holds the lock,
130 interrupted (Ctrl-C): finish with --resume.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import TYPE_CHECKING, Any

from rdconsole.terminal import StepPrinter, typed_confirmation

if TYPE_CHECKING:
    from rdconsole.config import Settings
    from rdconsole.ops.replication_flow import Outcome, ReplicationPreview

# The ops modules (asyncmy) load only when one of these commands runs: the parser is built for
# every command, including a cron-run ``sync`` that should start fast.

EXIT_TEXT = (
    "Exit codes: 0 done (with --dry-run: it could go), 1 refused: nothing changed, 2 failed "
    "half-way (finish with --resume), 3 config error, 4 another run holds the lock, 130 "
    "interrupted (Ctrl-C; finish with --resume)."
)


def add_parsers(commands: Any) -> None:
    """The three subcommands on the main parser's ``commands``."""
    setup = commands.add_parser(
        "setup",
        help="build replication master -> standby: checks, online snapshot, probe (exit 0-4)",
        description="Checks both servers (with the option-file lines to add), creates the "
        "least-privileged replication account, streams an online snapshot of the Rivendell "
        "database into the standby, points it at the master and proves a write flows. " + EXIT_TEXT,
    )
    setup.add_argument("--standby", metavar="NAME", help="which standby (default: the only one)")
    setup.add_argument(
        "--overwrite",
        metavar="DATABASES",
        default="",
        help="comma-separated database names the standby may lose (when they hold data)",
    )
    rejoin = commands.add_parser(
        "rejoin",
        help="after a failover: quarantine the old master's extra writes, re-seed it as a "
        "replica of the promoted standby (exit 0-4)",
        description=EXIT_TEXT,
    )
    failback = commands.add_parser(
        "failback",
        help="after a rejoin: the guarded switchover back to the original roles (exit 0-4)",
        description=EXIT_TEXT,
    )
    for parser in (setup, rejoin, failback):
        parser.add_argument(
            "--dry-run", action="store_true", help="print the checks and every step; change nothing"
        )
        parser.add_argument(
            "--yes", action="store_true", help="no prompt (only when nothing blocks)"
        )
        parser.add_argument(
            "--resume", action="store_true", help="finish a run that was interrupted half-way"
        )


def print_preview(preview: ReplicationPreview) -> None:
    from rdconsole.core.failover import Check

    for line in preview.summary:
        print(line)
    print("Checks:")
    for item in preview.items:
        print(f"  {item.state.symbol} {item.state.value.upper():5} {item.title}: {item.why}")
        if item.fix and item.state is not Check.PASS:
            print(f"          fix: {item.fix}")
    if preview.steps:
        print(f"Plan ({preview.procedure}):")
    for step in preview.steps:
        text = step.text()
        print(f"  {step.id} [{step.host}] {step.title}" + (f"\n        {text}" if text else ""))


def print_remaining(journal: dict[str, Any]) -> None:
    """What a resumed run still has to do, from its journal."""
    print(f"Unfinished {journal.get('procedure')} run from {journal.get('started_at')}:")
    for entry in journal.get("steps", []):
        mark = {"done": "✔", "failed": "✖", "running": "…"}.get(entry.get("status"), "·")
        print(f"  {mark} {entry.get('id')} [{entry.get('host')}] {entry.get('title')}")


def _overwrite_by_typing(preview: ReplicationPreview) -> tuple[str, ...]:
    """Interactive: the operator types the database names the standby holds data in."""
    from rdconsole.core.failover import Check

    if not sys.stdin.isatty():
        return ()
    item = next((i for i in preview.items if i.key == "target-data"), None)
    if item is None or item.state is not Check.BLOCK:
        return ()
    print(f"{item.why}.")
    typed = input("Type the database name(s) to replace them, comma-separated, or Enter: ")
    return tuple(name.strip() for name in typed.split(",") if name.strip())


async def _run(settings: Settings, action: str, arguments: argparse.Namespace) -> Outcome:
    from rdconsole.ops.rejoin import prepare_failback, prepare_rejoin
    from rdconsole.ops.replication_context import unfinished
    from rdconsole.ops.replication_flow import (
        Outcome,
        ReplicationExit,
        execute,
        resume,
        run_waits,
    )
    from rdconsole.ops.replication_setup import prepare_setup

    if action == "setup":
        overwrite = tuple(n.strip() for n in arguments.overwrite.split(",") if n.strip())
        preview = await prepare_setup(settings, arguments.standby, overwrite=overwrite)
        if not arguments.dry_run and not preview.allowed and not arguments.yes:
            typed = _overwrite_by_typing(preview)
            if typed:
                preview = await prepare_setup(settings, arguments.standby, overwrite=typed)
    elif action == "rejoin":
        preview = await prepare_rejoin(settings)
    else:
        preview = await prepare_failback(settings)
    print_preview(preview)
    pending = unfinished(settings, action)
    if arguments.resume and pending is not None:
        print_remaining(pending)
        if arguments.dry_run:
            return Outcome(ReplicationExit.DONE, "dry run: nothing changed; --resume would go on")
        return await resume(settings, action, preview, StepPrinter(sys.stdout))
    if arguments.resume:
        return Outcome(ReplicationExit.REFUSED, f"no unfinished {action} run to resume")
    if pending is not None and not arguments.dry_run:
        return run_waits(action, pending)
    if not preview.allowed:
        return Outcome(ReplicationExit.REFUSED, f"refused, nothing changed: {preview.refusal}")
    if arguments.dry_run:
        return Outcome(ReplicationExit.DONE, "dry run: nothing changed; it could go")
    word = preview.confirm_word
    if not typed_confirmation(action, word, f"Type {word} to go ahead", arguments.yes):
        return Outcome(ReplicationExit.REFUSED, "not confirmed; nothing changed")
    return await execute(preview, StepPrinter(sys.stdout))


def replication_command(settings: Settings, action: str, arguments: argparse.Namespace) -> int:
    from rdconsole.ops.replication_flow import ReplicationExit

    try:
        outcome = asyncio.run(_run(settings, action, arguments))
    except KeyError as error:
        print(f"rdconsole {action}: {error.args[0]}", file=sys.stderr)
        return int(ReplicationExit.CONFIG)
    except OSError as error:
        # state_dir, the secret or an option file could not be written or read.
        print(f"rdconsole {action}: {error}", file=sys.stderr)
        return int(ReplicationExit.CONFIG)
    except KeyboardInterrupt:
        print(
            f"rdconsole {action}: interrupted; what ran is in the audit log, finish with "
            f"`rdconsole {action} --resume`",
            file=sys.stderr,
        )
        return 130
    stream = sys.stdout if outcome.exit is ReplicationExit.DONE else sys.stderr
    print(f"rdconsole {action}: {outcome.message}", file=stream)
    return int(outcome.exit)
