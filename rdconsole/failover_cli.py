"""``rdconsole failover``: the checklist, the plan, a typed confirmation, then the steps.

Exit codes: 0 done (or, with --dry-run, it could go), 1 refused: nothing was changed (blocked
by the checklist, not confirmed, or an interrupted run awaits --resume), 2 failed half-way (the
message says what state the hosts are in and how to finish), 3 configuration error.
"""

from __future__ import annotations

import asyncio
import sys

from rdconsole.config import Settings
from rdconsole.core.failover import Check
from rdconsole.hosts.state import LockBusy
from rdconsole.ops.failover import unfinished_run
from rdconsole.ops.failover_flow import (
    FailoverExit,
    FailoverOutcome,
    execute,
    lock_for,
    prepare,
    refuse,
    switcher_for,
)
from rdconsole.ops.failover_flow import resume as resume_run
from rdconsole.ops.preflight import Preflight
from rdconsole.terminal import StepPrinter, typed_confirmation


def print_preflight(preflight: Preflight, override: str | None) -> None:
    verdict = preflight.inputs.verdict
    print(f"Master {preflight.inputs.master.name}: {verdict.state.value}")
    print("Checklist:")
    for item in preflight.items:
        lifted = (
            " (overridden)" if item.state is Check.BLOCK and item.overridable and override else ""
        )
        print(
            f"  {item.state.symbol} {item.state.value.upper():5} {item.title}{lifted}: {item.why}"
        )
        if item.fix and item.state is not Check.PASS:
            print(f"          fix: {item.fix}")
    print(f"Plan ({preflight.plan.path}):")
    for step in preflight.plan.steps:
        text = step.text()
        print(f"  {step.id} [{step.host}] {step.title}" + (f"\n        {text}" if text else ""))


def _confirmed(standby: str, assume_yes: bool) -> bool:
    prompt = f"Type the standby's name ({standby}) to promote it"
    return typed_confirmation("failover", standby, prompt, assume_yes)


async def _run(
    settings: Settings,
    standby: str | None,
    *,
    dry_run: bool,
    assume_yes: bool,
    fenced: str | None,
    override: str | None,
    resume: bool,
) -> FailoverOutcome:
    lock = lock_for(settings)
    another: str | None = None
    try:
        lock.acquire()
    except LockBusy as busy:
        another = str(busy)
    try:
        if resume:
            pending = unfinished_run(settings)
            if pending is None:
                return FailoverOutcome(FailoverExit.REFUSED, "no interrupted failover to resume")
            if another:
                return FailoverOutcome(FailoverExit.REFUSED, f"another failover runs: {another}")
            left = [s["id"] for s in pending["steps"] if s["status"] != "done"]
            print(
                f"Resuming the {pending['path']} of {pending['standby']} started "
                f"{pending['started_at']}: steps left {', '.join(left)}"
            )
            if dry_run or not _confirmed(str(pending["standby"]), assume_yes):
                return FailoverOutcome(
                    FailoverExit.REFUSED if not dry_run else FailoverExit.DONE, "not resumed"
                )
            return await resume_run(
                settings,
                pending,
                StepPrinter(sys.stdout),
                switcher_for(settings, str(pending["standby"])),
            )
        prepared = await prepare(
            settings, standby, fenced=fenced, override=override, another_run=another
        )
        if isinstance(prepared, FailoverOutcome):
            return prepared  # an interrupted run awaits --resume
        print_preflight(prepared.preflight, override)
        if prepared.blocks:
            return refuse(settings, prepared, audit=not dry_run)
        if dry_run:
            return FailoverOutcome(FailoverExit.DONE, "dry run: it could go (nothing changed)")
        if not _confirmed(prepared.standby, assume_yes):
            return FailoverOutcome(FailoverExit.REFUSED, "not confirmed: nothing changed")
        return await execute(
            settings,
            prepared,
            StepPrinter(sys.stdout),
            switcher_for(settings, prepared.standby),
        )
    finally:
        lock.release()


def failover_command(
    settings: Settings,
    standby: str | None,
    *,
    dry_run: bool,
    assume_yes: bool,
    fenced: str | None,
    override: str | None,
    resume: bool,
) -> int:
    try:
        settings.standby(standby)
    except KeyError as error:
        print(f"rdconsole failover: {error.args[0]}", file=sys.stderr)
        return int(FailoverExit.CONFIG)
    outcome = asyncio.run(
        _run(
            settings,
            standby,
            dry_run=dry_run,
            assume_yes=assume_yes,
            fenced=fenced,
            override=override,
            resume=resume,
        )
    )
    stream = sys.stdout if outcome.exit is FailoverExit.DONE else sys.stderr
    print(f"rdconsole failover: {outcome.message}", file=stream)
    return int(outcome.exit)
