"""``rdconsole switch master|standby``: the checks, the plan with its exact commands, the outcome.

Progress lines and errors go to stderr; the plan, the checks and the rollback go to stdout. A mixed
layout is printed as an ERROR whatever the outcome. Exit codes: see ``rdconsole.ops.switch``.
"""

from __future__ import annotations

import asyncio
import sys

from rdconsole.config import Settings
from rdconsole.core.layout import LinkKind, LinkState, Mode
from rdconsole.core.switch import SwitchPlan
from rdconsole.ops.switch import SwitchExit, SwitchOutcome, SwitchTiming, run_switch

PREFIX = "rdconsole switch"


def _progress(text: str) -> None:
    print(f"{PREFIX}: {text}", file=sys.stderr, flush=True)


def _link(state: LinkState) -> str:
    if state.kind is LinkKind.SYMLINK:
        return f"{state.path} -> {state.target}"
    return f"{state.path} ({'missing' if state.kind is LinkKind.MISSING else 'not a symlink'})"


def _print_plan(plan: SwitchPlan, dry_run: bool) -> None:
    layout = plan.layout
    print(f"found: {_link(layout.rd_conf)}, {_link(layout.snd)}: mode {layout.mode.value}")
    for note in plan.notes:
        print(f"{PREFIX}: ERROR: {note}", file=sys.stderr)
    for refusal in plan.refusals:
        print(f"refused: {refusal.why}\n  fix: {refusal.fix}")
    if dry_run and plan.steps:
        print("plan (dry run: nothing was changed); each line runs as sh -c LINE:")
        for number, step in enumerate(plan.steps, 1):
            print(f"  {number}. {step.what}")
            for command in step.commands:
                print(f"     $ {command}")
        print("rollback, should Rivendell not stay up:")
        for command in plan.rollback:
            print(f"     $ {command}")


def _print_outcome(outcome: SwitchOutcome, dry_run: bool) -> None:
    if outcome.plan is not None:
        _print_plan(outcome.plan, dry_run)
    for check in outcome.checks:
        print(f"check: {check}")
    if outcome.rollback:
        print("roll back with:")
        for command in outcome.rollback:
            print(f"  {command}")
    label = "ok" if outcome.exit is SwitchExit.OK else outcome.exit.name.lower().replace("_", " ")
    stream = sys.stdout if outcome.exit is SwitchExit.OK else sys.stderr
    print(f"{PREFIX}: {label}: {outcome.message}", file=stream)


def switch_command(
    settings: Settings,
    mode: str,
    standby: str | None,
    *,
    dry_run: bool,
    force: bool,
    settle_s: float | None,
) -> int:
    """``settle_s`` None: the configured ``[standby.rivendell] settle``."""
    try:
        chosen = settings.standby(standby)
    except KeyError as error:
        print(f"{PREFIX}: {error.args[0]}", file=sys.stderr)
        return int(SwitchExit.CONFIG)
    if settle_s is None:
        settle_s = chosen.rivendell.settle
    if settle_s <= 0:
        print(f"{PREFIX}: --settle must be positive, got {settle_s:g}", file=sys.stderr)
        return int(SwitchExit.CONFIG)
    outcome = asyncio.run(
        run_switch(
            settings,
            standby,
            Mode(mode),
            dry_run=dry_run,
            force=force,
            timing=SwitchTiming(settle_s=settle_s),
            on_step=_progress,
        )
    )
    _print_outcome(outcome, dry_run)
    return int(outcome.exit)
