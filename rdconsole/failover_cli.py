"""``rdconsole failover``: the checklist, the plan, a typed confirmation, then the steps.

Exit codes: 0 done (or, with --dry-run, it could go), 1 refused: nothing was changed (blocked
by the checklist, not confirmed, or an interrupted run awaits --resume), 2 failed half-way (the
message says what state the hosts are in and how to finish), 3 configuration error.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from rdconsole.config import Settings
from rdconsole.core.failover import Check, blocking
from rdconsole.core.failover_plan import Step
from rdconsole.hosts.state import AuditLog, LockBusy, RunLock
from rdconsole.ops.failover import (
    FailoverExit,
    FailoverOutcome,
    Switcher,
    execute_run,
    new_journal,
    unfinished_run,
)
from rdconsole.ops.preflight import Preflight, gather


class PrintObserver:
    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def step(self, step: Step, status: str, detail: str) -> None:
        mark = {"running": "…", "done": "✔", "failed": "✖"}.get(status, "?")
        line = f"  {mark} {step.id} {step.title}" + (f": {detail}" if detail else "")
        print(line, file=self._stream, flush=True)

    def progress(self, step: Step, text: str) -> None:
        if self._stream.isatty():
            self._stream.write(f"\r      {text}".ljust(70))
            self._stream.flush()


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
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print("rdconsole failover: no terminal to confirm on; use --yes", file=sys.stderr)
        return False
    typed = input(f"Type the standby's name ({standby}) to promote it, anything else cancels: ")
    return typed.strip() == standby


def _switcher(settings: Settings, standby: str) -> Switcher:
    from rdconsole.ops.switch import switch_for_failover

    async def switch(mode: str) -> tuple[int, str]:
        return await switch_for_failover(settings, standby, mode)

    return switch


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
    audit = AuditLog(settings.console.state_dir)
    lock = RunLock(settings.console.state_dir / "failover.lock")
    another: str | None = None
    try:
        lock.acquire()
    except LockBusy as busy:
        another = str(busy)
    try:
        pending = unfinished_run(settings)
        if resume:
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
            audit.write("failover-resume", standby=pending["standby"], steps_left=left)
            return await execute_run(
                settings,
                pending,
                PrintObserver(sys.stdout),
                _switcher(settings, str(pending["standby"])),
            )
        if pending is not None:
            done = [s["id"] for s in pending["steps"] if s["status"] == "done"]
            return FailoverOutcome(
                FailoverExit.REFUSED,
                f"a {pending['path']} of {pending['standby']} was interrupted after "
                f"{', '.join(done) or 'no step'}: finish it with `rdconsole failover --resume`",
            )
        preflight = await gather(settings, standby, fenced=fenced, another_run=another)
        print_preflight(preflight, override)
        blocks = blocking(preflight.items, override)
        if blocks:
            reasons = "; ".join(f"{b.title}: {b.why}" for b in blocks)
            if not dry_run:
                audit.write("failover-refused", standby=preflight.standby.name, reasons=reasons)
            return FailoverOutcome(FailoverExit.REFUSED, f"blocked: {reasons}")
        if dry_run:
            return FailoverOutcome(FailoverExit.DONE, "dry run: it could go (nothing changed)")
        if not _confirmed(preflight.standby.name, assume_yes):
            return FailoverOutcome(FailoverExit.REFUSED, "not confirmed: nothing changed")
        journal = new_journal(preflight, fenced, override)
        audit.write(
            "failover-start",
            standby=preflight.standby.name,
            path=preflight.plan.path,
            master_state=preflight.inputs.verdict.state.value,
            evidence=list(preflight.inputs.verdict.reasons),
            fenced=fenced,
            override=override,
            checklist=[
                {"item": i.title, "state": i.state.value, "why": i.why} for i in preflight.items
            ],
        )
        outcome = await execute_run(
            settings,
            journal,
            PrintObserver(sys.stdout),
            _switcher(settings, preflight.standby.name),
        )
        audit.write(
            "failover-end",
            standby=preflight.standby.name,
            exit_code=int(outcome.exit),
            message=outcome.message,
        )
        return outcome
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
