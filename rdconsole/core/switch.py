"""The plan of ``rdconsole switch master|standby`` (pure): a refusal, a no-op, or ordered steps.

``rd_config`` done right (notes/rivendell.md §2, §13 items 1, 2, 4, 5). Both links must be symlinks
and both targets must exist before anything stops: a file, directory or mount point is never
removed and never linked into. Steps, each with the exact line run as ``sh -c LINE``: no GUI module
runs, stop, verify stopped (check fails, no §7 daemon), replace each wrong link (temp link, then
``mv -T``: rename(2)), start, verify it stays up. A mixed layout may go to either mode (its fix).
Already in the mode: no step (nothing stopped or started).
"""

from __future__ import annotations

import enum
import posixpath
import shlex
from collections.abc import Sequence
from dataclasses import dataclass

from rdconsole.core.layout import Layout, LinkKind, LinkState, Mode, judge_layout

GUI_MODULES = (
    "rdadmin rdairplay rdcartslots rdcastmanager rdcatch rdlibrary rdlogedit rdlogin "
    "rdlogmanager rdpanel rddbmgr rdgpimon"
).split()
"""rdselect_helper's list (§4): a switch under a running module pulls its config from under it."""
DAEMONS = (
    "rdservice caed ripcd rdcatchd rdpadd rdpadengined rdvairplayd rdrepld rdrssd rdimport"
).split()
"""§7: none may run once Rivendell is stopped (``rdimport`` runs the dropboxes)."""
NEW_LINK_SUFFIX = ".rdconsole-new"

PROCESS_SCAN = (
    r'for p in /proc/[0-9]*; do read -r c < "$p/comm" || continue; s=; '
    r'while read -r k v r; do if [ "$k" = State: ]; then s=$v; break; fi; done < "$p/status"; '
    r"""printf '%s\t%s\t%s\t' "${p#/proc/}" "$s" "$c"; tr '\0\n' '\t ' < "$p/cmdline"; """
    r"echo; done 2>/dev/null"
)
"""POSIX sh: ``PID<TAB>STATE<TAB>COMM<TAB>ARGV0<TAB>...`` per process (/proc, no ``ps`` needed)."""


def running_named(scan: str, names: Sequence[str]) -> list[str]:
    """``NAME (pid N)`` for each live process in the output of PROCESS_SCAN whose comm or
    argv[0]'s basename is one of ``names`` (a zombie runs nothing)."""
    found = []
    for line in scan.splitlines():
        pid, state, comm, argv0, *_ = [*line.split("\t"), "", "", "", ""]
        matches = sorted({comm, posixpath.basename(argv0)} & set(names))
        if pid.isdigit() and matches and state not in ("Z", "X"):
            found.append(f"{matches[0]} (pid {pid})")
    return found


@dataclass(frozen=True)
class SwitchPaths:
    """The standby's layout (``[standby.rivendell]``) as plain strings."""

    rd_conf: str
    rd_conf_master: str
    rd_conf_standby: str
    snd: str
    snd_master: str
    snd_standby: str
    mirror_dir: str

    @property
    def targets(self) -> tuple[str, ...]:
        return (self.rd_conf_master, self.rd_conf_standby, self.snd_master, self.snd_standby)

    def wanted(self, mode: Mode) -> tuple[tuple[str, str], tuple[str, str]]:
        """((rd.conf, its target), (snd, its target)) in ``mode``."""
        if mode is Mode.MASTER:
            return (self.rd_conf, self.rd_conf_master), (self.snd, self.snd_master)
        return (self.rd_conf, self.rd_conf_standby), (self.snd, self.snd_standby)

    def judge(self, states: dict[str, LinkState]) -> Layout:
        return judge_layout(
            states,
            rd_conf=self.rd_conf,
            rd_conf_master=self.rd_conf_master,
            rd_conf_standby=self.rd_conf_standby,
            snd=self.snd,
            snd_master=self.snd_master,
            snd_standby=self.snd_standby,
            mirror_dir=self.mirror_dir,
        )


@dataclass(frozen=True)
class ServiceCommands:
    """Operator-configured shell lines; ``check`` exits 0 exactly while Rivendell runs."""

    stop: str
    start: str
    check: str


class StepKind(enum.StrEnum):
    CHECK_GUI = "check-gui-modules"
    STOP = "stop"
    VERIFY_STOPPED = "verify-stopped"
    LINK = "replace-link"
    START = "start"
    VERIFY_STARTED = "verify-started"


@dataclass(frozen=True)
class LinkChange:
    link: str
    target: str
    """The configured target, as written into the new link."""
    previous: str
    """What the link pointed at: the configured path of its old mode, else the resolved path."""


@dataclass(frozen=True)
class Step:
    kind: StepKind
    what: str
    commands: tuple[str, ...]
    """The exact shell lines, each run as ``sh -c LINE``."""
    change: LinkChange | None = None


@dataclass(frozen=True)
class Refusal:
    why: str
    fix: str


@dataclass(frozen=True)
class SwitchPlan:
    target: Mode
    layout: Layout
    refusals: tuple[Refusal, ...] = ()
    steps: tuple[Step, ...] = ()
    rollback: tuple[str, ...] = ()
    """Commands that put the previous links back (exit 2): rdconsole's, then the raw ones."""
    notes: tuple[str, ...] = ()
    """Loud remarks, e.g. the mixed state; each is an error to show."""

    @property
    def already(self) -> bool:
        return not self.refusals and not self.steps

    @property
    def changes(self) -> tuple[LinkChange, ...]:
        return tuple(step.change for step in self.steps if step.change is not None)


def link_command(link: str, target: str) -> str:
    """Replace the symlink ``link`` atomically, never following it, never into a directory."""
    new = link + NEW_LINK_SUFFIX
    q = shlex.quote
    return (
        f"test -L {q(link)} && {{ test ! -L {q(new)} || rm -f -- {q(new)}; }} && "
        f"ln -sT -- {q(target)} {q(new)} && mv -T -- {q(new)} {q(link)}"
    )


def plan_switch(
    states: dict[str, LinkState],
    paths: SwitchPaths,
    commands: ServiceCommands,
    target: Mode,
    *,
    invocation: Sequence[str],
    settle_s: float,
    unwritable: Sequence[str] = (),
) -> SwitchPlan:
    """``states``: the probe of the links, the targets and the targets' resolved paths;
    ``invocation``: the argv of ``rdconsole ... switch`` (the mode is appended for a rollback);
    ``unwritable``: directories holding a link that this user cannot write."""
    layout = paths.judge(states)
    refusals = _refusals(states, paths, target, unwritable)
    if refusals:
        return SwitchPlan(target, layout, refusals=tuple(refusals), notes=_notes(layout, target))
    changes = [
        LinkChange(link, wanted, _previous(states, paths, link))
        for link, wanted in paths.wanted(target)
        if states[link].target != _resolved(states, wanted)
    ]
    if not changes:
        return SwitchPlan(target, layout)
    scan = "no process named " + ", ".join(DAEMONS)
    steps = [
        Step(StepKind.CHECK_GUI, "no Rivendell GUI module runs", (PROCESS_SCAN,)),
        Step(StepKind.STOP, "stop Rivendell", (commands.stop,)),
        Step(
            StepKind.VERIFY_STOPPED,
            f"Rivendell stopped: the check command fails and {scan}",
            (commands.check, PROCESS_SCAN),
        ),
        *(
            Step(StepKind.LINK, f"{c.link} -> {c.target}", (link_command(c.link, c.target),), c)
            for c in changes
        ),
        Step(StepKind.START, "start Rivendell", (commands.start,)),
        Step(
            StepKind.VERIFY_STARTED,
            f"Rivendell stays up: the check command exits 0 at every sample over {settle_s:g} s",
            (commands.check,),
        ),
    ]
    return SwitchPlan(
        target,
        layout,
        steps=tuple(steps),
        rollback=_rollback(layout, changes, commands, invocation),
        notes=_notes(layout, target),
    )


def _resolved(states: dict[str, LinkState], path: str) -> str:
    state = states.get(path)
    return state.target if state is not None and state.target else path


def _exists(states: dict[str, LinkState], path: str) -> bool:
    """Whether ``path`` exists, following symlinks (a dangling link does not)."""
    state = states.get(path)
    if state is None or state.kind is LinkKind.MISSING:
        return False
    if state.kind is LinkKind.OTHER:
        return True
    end = states.get(state.target)
    return end is not None and end.kind is LinkKind.OTHER


def _previous(states: dict[str, LinkState], paths: SwitchPaths, link: str) -> str:
    for mode in (Mode.MASTER, Mode.STANDBY):
        for candidate, target in paths.wanted(mode):
            if candidate == link and states[link].target == _resolved(states, target):
                return target
    return states[link].target


def _refusals(
    states: dict[str, LinkState], paths: SwitchPaths, target: Mode, unwritable: Sequence[str]
) -> list[Refusal]:
    refusals = []
    for link, wanted in paths.wanted(target):
        master = paths.rd_conf_master if link == paths.rd_conf else paths.snd_master
        state = states.get(link, LinkState(link, LinkKind.MISSING, ""))
        if state.kind is LinkKind.MISSING:
            refusals.append(
                Refusal(
                    f"{link} does not exist: rdconsole only replaces an existing symlink",
                    f"create it for the mode the host runs now, e.g.: ln -s -- {master} {link}",
                )
            )
        elif state.kind is LinkKind.OTHER:
            refusals.append(
                Refusal(
                    f"{link} is not a symlink (a regular file, directory or mount point): "
                    "rdconsole never removes it and never creates a link inside it",
                    f"move it (or its mount) to {master} and link it, e.g.: "
                    f"mv -n -- {link} {master} && ln -s -- {master} {link}",
                )
            )
        if not _exists(states, wanted):
            what = "configuration" if link == paths.rd_conf else "audio store"
            refusals.append(
                Refusal(
                    f"{wanted} does not exist: {link} would point at nothing",
                    f"create the {target.value} {what} {wanted} first",
                )
            )
    refusals.extend(
        Refusal(
            f"{directory} is not writable by this user: the links cannot be replaced",
            "run rdconsole switch as root (e.g. with sudo)",
        )
        for directory in unwritable
    )
    return refusals


def _notes(layout: Layout, target: Mode) -> tuple[str, ...]:
    if layout.mode is Mode.MIXED:
        return (
            f"MIXED: {layout.rd_conf.path} -> {layout.rd_conf.target} and {layout.snd.path} -> "
            f"{layout.snd.target} are in different modes: Rivendell is half switched; "
            f"switching to {target.value} makes them agree",
        )
    links = (layout.rd_conf.kind, layout.snd.kind)
    if layout.mode is Mode.UNKNOWN and links == (LinkKind.SYMLINK, LinkKind.SYMLINK):
        return (
            f"{layout.rd_conf.path} -> {layout.rd_conf.target}, {layout.snd.path} -> "
            f"{layout.snd.target}: not the configured master or standby targets",
        )
    return ()


def _rollback(
    layout: Layout,
    changes: list[LinkChange],
    commands: ServiceCommands,
    invocation: Sequence[str],
) -> tuple[str, ...]:
    relink = " && ".join(
        f"ln -sfn -- {shlex.quote(c.previous)} {shlex.quote(c.link)}" for c in changes
    )
    raw = f"{commands.stop}; {relink} && {commands.start}"
    if layout.mode in (Mode.MASTER, Mode.STANDBY):
        return (shlex.join([*invocation, layout.mode.value]), raw)
    return (raw,)
