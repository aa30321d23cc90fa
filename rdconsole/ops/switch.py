"""``rdconsole switch master|standby``: rd_config done right, shared by the CLI and the console.

Order: switch lock -> the standby's mirror lock (no sync may write into a store going live) ->
probe links and targets -> plan (core.switch) -> GUI modules -> stop -> verify stopped -> replace
links -> start -> verify it stays up. Every step goes to the audit log before and after, with its
command, result and duration; so do the plan and the outcome (a refusal too). A dry run runs only
the read-only checks and is audited only when it would be refused (as ``sync``).

Exit codes (SwitchExit):
  0 switched, or already in that mode (then nothing is stopped or started; the outcome says
    whether Rivendell runs);
  1 refused, no link changed: a link is not a symlink, a target is missing, a GUI module runs
    (without --force), a mirror run holds its lock, the host cannot be read, or the stop failed or
    was not verified (Rivendell is then not restarted: the message says how);
  2 switched, but Rivendell did not start or stay up: the outcome has the exact rollback commands;
  3 configuration error (unknown standby, state_dir not writable);
  4 another switch is running.
"""

from __future__ import annotations

import asyncio
import enum
import time
from collections.abc import Awaitable, Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from rdconsole.config.settings import HostConfig, Settings
from rdconsole.core.layout import Layout, Mode
from rdconsole.core.switch import (
    LinkChange,
    Step,
    StepKind,
    SwitchPlan,
    link_command,
    plan_switch,
)
from rdconsole.hosts.rivendell import (
    Check,
    LinkError,
    RivendellService,
    probe_links,
    replace_link,
    service_commands,
    switch_paths,
    unwritable_dirs,
)
from rdconsole.hosts.shell import Shell, ShellError, shell_for
from rdconsole.hosts.state import AuditLog, LockBusy, RunLock
from rdconsole.ops.mirror_checks import probe_layout
from rdconsole.ops.sync import sync_paths

HOST_ERRORS = (ShellError, LinkError, OSError)


class SwitchExit(enum.IntEnum):
    OK = 0
    REFUSED = 1
    NOT_UP = 2
    CONFIG = 3
    BUSY = 4


@dataclass(frozen=True)
class SwitchTiming:
    settle_s: float = 5.0
    """How long Rivendell must stay up after the start (sampled ``samples`` times)."""
    samples: int = 5
    service_timeout_s: float = 60.0
    """Bound of the stop and start commands."""
    stop_wait_s: float = 15.0
    """How long the stop may take to show (check command failing, daemons gone)."""
    poll_s: float = 0.5


@dataclass(frozen=True)
class SwitchOutcome:
    exit: SwitchExit
    message: str
    plan: SwitchPlan | None = None
    checks: tuple[str, ...] = ()
    """Results of the read-only checks (GUI modules, whether Rivendell runs)."""
    rollback: tuple[str, ...] = ()
    """Set with exit 2: the commands that put the previous links back."""


async def current_mode(
    settings: Settings,
    standby_name: str | None = None,
    *,
    shell_factory: Callable[[HostConfig], Shell] = shell_for,
) -> Layout:
    """The standby's links and mode (read-only; raises ShellError or TimeoutError)."""
    standby = settings.standby(standby_name)
    shell = shell_factory(standby)
    try:
        return await probe_layout(shell, standby)
    finally:
        await shell.close()


@dataclass
class _Run:
    """One switch of one standby: its service, plan, audit entries and progress lines."""

    standby: HostConfig
    shell: Shell
    audit_log: AuditLog
    target: Mode
    timing: SwitchTiming
    force: bool
    on_step: Callable[[str], None] | None
    audit_error: str | None = None
    plan: SwitchPlan | None = None
    checks: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.commands = service_commands(self.standby)
        self.service = RivendellService(self.shell, self.commands, self.timing.service_timeout_s)

    def say(self, text: str) -> None:
        if self.on_step is not None:
            self.on_step(text)

    def audit(self, **fields: Any) -> None:
        """Never aborts a switch half done: a lost entry is reported in the outcome."""
        try:
            self.audit_log.write("switch", standby=self.standby.name, **fields)
        except OSError as error:
            self.audit_error = f"cannot write {self.audit_log.path}: {error.strerror or error}"

    def outcome(
        self, code: SwitchExit, message: str, rollback: Sequence[str] = ()
    ) -> SwitchOutcome:
        return SwitchOutcome(code, message, self.plan, self.checks, tuple(rollback))

    async def step(self, name: str, what: str, command: str, action: Awaitable[Check]) -> Check:
        """Run one step, audited before and after; host errors become a failed Check."""
        self.say(what if "\n" in command or len(command) > 100 else f"{what}: {command}")
        self.audit(step=name, command=command, result="started")
        started = time.monotonic()
        try:
            done = await action
        except HOST_ERRORS as error:
            done = Check(False, str(error))
        except asyncio.CancelledError:
            self.audit(step=name, command=command, result="interrupted")
            raise
        self.audit(
            step=name,
            command=command,
            result="ok" if done.ok else "failed",
            detail=done.detail,
            duration_s=round(time.monotonic() - started, 3),
        )
        return done

    async def run_step(self, step: Step) -> Check:
        timing, service = self.timing, self.service
        action: Awaitable[Check]
        if step.kind is StepKind.CHECK_GUI:
            action = service.check_gui(self.force)
        elif step.kind is StepKind.VERIFY_STOPPED:
            action = service.verify_stopped(timing.stop_wait_s, timing.poll_s)
        elif step.kind is StepKind.VERIFY_STARTED:
            action = service.verify_started(timing.settle_s, timing.samples)
        elif step.change is not None:
            action = replace_link(self.shell, step.change.link, step.change.target)
        else:
            action = service.run(step.commands[0])
        return await self.step(step.kind.value, step.what, "\n".join(step.commands), action)

    async def prepare(self, invocation: list[str], dry_run: bool) -> SwitchOutcome | SwitchPlan:
        """Probe, plan and check (read-only): the plan to execute, or the outcome already."""
        name, paths, target = self.standby.name, switch_paths(self.standby), self.target
        try:
            self.say(f"reading {name}'s links, their targets and Rivendell's state")
            states = await probe_links(self.shell, paths)
            unwritable = await unwritable_dirs(self.shell, [paths.rd_conf, paths.snd])
            plan = plan_switch(
                states,
                paths,
                self.commands,
                target,
                invocation=invocation,
                settle_s=self.timing.settle_s,
                unwritable=unwritable,
            )
            running = await self.service.is_running()
            gui = Check(True, "")
            if dry_run and plan.steps:
                gui = await self.service.check_gui(self.force)
        except HOST_ERRORS as error:
            return self.outcome(SwitchExit.REFUSED, f"{name}: {error}")
        self.plan = plan
        state = "runs" if running.ok else "is not running"
        self.checks = tuple(c for c in (f"Rivendell {state} ({running.detail})", gui.detail) if c)
        if not dry_run:
            self.audit(
                step="plan",
                result="refused" if plan.refusals else "already" if plan.already else "go",
                target=target.value,
                mode=plan.layout.mode.value,
                rd_conf=plan.layout.rd_conf.target,
                snd=plan.layout.snd.target,
                force=self.force,
                refusals=[refusal.why for refusal in plan.refusals],
                steps=[step.kind.value for step in plan.steps],
                notes=list(plan.notes),
            )
            if self.audit_error is not None:
                return self.outcome(SwitchExit.REFUSED, "the audit log is unwritable")
        if plan.refusals:
            return self.outcome(SwitchExit.REFUSED, "; ".join(r.why for r in plan.refusals))
        if plan.already:
            hint = f"; Rivendell is not running: start it with `{self.commands.start}`"
            message = f"{name} is already in {target.value} mode: nothing to do"
            return self.outcome(SwitchExit.OK, message + ("" if running.ok else hint))
        if not gui.ok:
            return self.outcome(SwitchExit.REFUSED, gui.detail)
        if dry_run:
            current = plan.layout.mode.value
            return self.outcome(SwitchExit.OK, f"would switch {name} from {current} to {target}")
        return plan

    async def execute(self, plan: SwitchPlan) -> SwitchOutcome:
        commands = self.commands
        replaced: list[LinkChange] = []
        for step in plan.steps:
            done = await self.run_step(step)
            if done.ok:
                replaced += [step.change] if step.change is not None else []
            elif step.kind is StepKind.CHECK_GUI:
                return self.outcome(
                    SwitchExit.REFUSED,
                    f"{done.detail}: close them first (a switch pulls the configuration from "
                    "under them), or use --force",
                )
            elif step.kind in (StepKind.STOP, StepKind.VERIFY_STOPPED):
                return self.outcome(
                    SwitchExit.REFUSED,
                    f"Rivendell did not stop ({done.detail}); no link was changed. It may be "
                    f"partly stopped: check with `{commands.check}`, start it again with "
                    f"`{commands.start}`",
                )
            elif step.kind is StepKind.LINK:
                return await self.put_back(plan, replaced, done.detail)
            else:
                return self.outcome(
                    SwitchExit.NOT_UP,
                    f"switched {self.standby.name} to {self.target}, but Rivendell did not stay "
                    f"up: {done.detail}. Roll back with: {plan.rollback[0]}",
                    plan.rollback,
                )
        previous, settle = plan.layout.mode.value, self.timing.settle_s
        return self.outcome(
            SwitchExit.OK,
            f"switched {self.standby.name} from {previous} to {self.target}; "
            f"Rivendell stayed up {settle:g} s",
        )

    async def put_back(
        self, plan: SwitchPlan, replaced: list[LinkChange], why: str
    ) -> SwitchOutcome:
        """A link could not be replaced: put back those that were, start Rivendell again."""
        for change in reversed(replaced):
            done = await self.step(
                "restore-link",
                f"put back {change.link} -> {change.previous}",
                link_command(change.link, change.previous),
                replace_link(self.shell, change.link, change.previous),
            )
            if not done.ok:
                return self.outcome(
                    SwitchExit.NOT_UP,
                    f"{why}; putting {change.link} back failed too ({done.detail}): the links "
                    f"are half switched and Rivendell is stopped. Fix with: {plan.rollback[-1]}",
                    plan.rollback,
                )
        for step in plan.steps:
            if step.kind in (StepKind.START, StepKind.VERIFY_STARTED):
                done = await self.run_step(step)
                if not done.ok:
                    return self.outcome(
                        SwitchExit.NOT_UP,
                        f"{why}; the links were put back, but Rivendell did not start again "
                        f"({done.detail}): start it with `{self.commands.start}`",
                        [self.commands.start],
                    )
        message = f"{why}; the links were put back and Rivendell started again: nothing changed"
        return self.outcome(SwitchExit.REFUSED, message)


async def run_switch(
    settings: Settings,
    standby_name: str | None,
    target: Mode,
    *,
    dry_run: bool = False,
    force: bool = False,
    timing: SwitchTiming = SwitchTiming(),
    on_step: Callable[[str], None] | None = None,
    shell_factory: Callable[[HostConfig], Shell] = shell_for,
) -> SwitchOutcome:
    """One guarded switch (or its dry run). Never raises for host problems."""
    try:
        standby = settings.standby(standby_name)
    except KeyError as error:
        return SwitchOutcome(SwitchExit.CONFIG, str(error.args[0]))
    state_dir = settings.console.state_dir
    shell = shell_factory(standby)
    run = _Run(standby, shell, AuditLog(state_dir), target, timing, force, on_step)
    config = ["--config", str(settings.path.absolute())] if settings.path else []
    invocation = ["rdconsole", *config, "switch", "--standby", standby.name]
    try:
        with ExitStack() as stack:
            stack.enter_context(RunLock(state_dir / "switch.lock"))
            try:
                stack.enter_context(RunLock(sync_paths(settings, standby)[0]))
            except LockBusy as busy:
                why = f"a mirror run of {standby.name} is in progress ({busy}): let it finish"
                outcome = SwitchOutcome(SwitchExit.REFUSED, why)
            else:
                ready = await run.prepare(invocation, dry_run)
                outcome = ready if isinstance(ready, SwitchOutcome) else await run.execute(ready)
    except LockBusy as busy:
        outcome = SwitchOutcome(SwitchExit.BUSY, f"another switch is running: {busy}")
    except OSError as error:
        outcome = SwitchOutcome(SwitchExit.CONFIG, f"cannot lock in {state_dir}: {error}")
    finally:
        await shell.close()
    if not dry_run or outcome.exit is not SwitchExit.OK:
        run.audit(
            step="outcome",
            target=target.value,
            dry_run=dry_run,
            exit_code=int(outcome.exit),
            result=outcome.exit.name.lower(),
            message=outcome.message,
            rollback=list(outcome.rollback),
        )
    if run.audit_error is None:
        return outcome
    message = f"{outcome.message} (audit: {run.audit_error})"
    return SwitchOutcome(outcome.exit, message, outcome.plan, outcome.checks, outcome.rollback)


async def switch_for_failover(settings: Settings, standby: str, mode: str) -> tuple[int, str]:
    """``ops.failover_flow.Switcher``: a full guarded switch (never forced past GUI modules).

    Unlike ``rdconsole switch``, "already in that mode" is not enough: a failover resumed after
    a start was interrupted finds the links switched and Rivendell stopped, and must start it.
    """
    host = settings.standby(standby)
    timing = SwitchTiming(settle_s=host.rivendell.settle)
    outcome = await run_switch(settings, standby, Mode(mode), timing=timing)
    if outcome.exit is not SwitchExit.OK or outcome.plan is None or not outcome.plan.already:
        return int(outcome.exit), outcome.message
    shell = shell_for(host)
    commands = service_commands(host)
    service = RivendellService(shell, commands, timing.service_timeout_s)
    try:
        if (await service.is_running()).ok:
            return int(outcome.exit), outcome.message
        started = await service.run(commands.start)
        verified = (
            await service.verify_started(timing.settle_s, timing.samples) if started.ok else started
        )
    except HOST_ERRORS as error:
        return int(SwitchExit.NOT_UP), f"starting Rivendell failed: {error}"
    finally:
        await shell.close()
    if not verified.ok:
        return int(SwitchExit.NOT_UP), f"Rivendell did not stay up: {verified.detail}"
    return int(SwitchExit.OK), f"{standby} was already in {mode} mode; Rivendell started"
