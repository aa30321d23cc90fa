"""Which configuration a standby host runs, from where its two symlinks point (pure).

``/etc/rd.conf`` -> ``rd.conf.master`` or ``rd.conf.standby``, and ``/var/snd`` -> ``snd.master``
or ``snd.standby``. When the standby's ``/var/snd`` points at the mirror directory, the host is
*live* on its mirror: nothing may sync into it.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass


class LinkKind(enum.StrEnum):
    SYMLINK = "symlink"
    OTHER = "other"
    """A regular file, directory or mount point: never switched, never removed."""
    MISSING = "missing"


@dataclass(frozen=True)
class LinkState:
    path: str
    kind: LinkKind
    target: str
    """The fully resolved path (``readlink -m``), empty when missing."""


class Mode(enum.StrEnum):
    MASTER = "master"
    STANDBY = "standby"
    MIXED = "mixed"
    UNKNOWN = "unknown"


PROBE_SCRIPT = (
    'for p in "$@"; do '
    'if [ -L "$p" ]; then k=L; elif [ -e "$p" ]; then k=F; else k=M; fi; '
    'printf "%s\\t%s\\t%s\\n" "$k" "$p" "$(readlink -m -- "$p")"; done'
)
"""POSIX sh: one ``KIND<TAB>PATH<TAB>RESOLVED`` line per argument."""


def probe_command(paths: list[str]) -> list[str]:
    return ["sh", "-c", PROBE_SCRIPT, "rdconsole-probe", *paths]


def parse_probe(output: str) -> dict[str, LinkState]:
    kinds = {"L": LinkKind.SYMLINK, "F": LinkKind.OTHER, "M": LinkKind.MISSING}
    states: dict[str, LinkState] = {}
    for line in output.splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[0] in kinds:
            kind = kinds[parts[0]]
            target = parts[2] if kind is not LinkKind.MISSING else ""
            states[parts[1]] = LinkState(parts[1], kind, target)
    return states


@dataclass(frozen=True)
class Layout:
    """The standby's links and the mode they add up to."""

    rd_conf: LinkState
    snd: LinkState
    mode: Mode
    live_on_mirror: bool
    """``/var/snd`` resolves to the mirror directory."""
    mirror_present: bool


def judge_layout(
    states: dict[str, LinkState],
    *,
    rd_conf: str,
    rd_conf_master: str,
    rd_conf_standby: str,
    snd: str,
    snd_master: str,
    snd_standby: str,
    mirror_dir: str,
) -> Layout:
    def state(path: str) -> LinkState:
        return states.get(path, LinkState(path, LinkKind.MISSING, ""))

    def resolved(path: str) -> str:
        return state(path).target or path

    conf, store = state(rd_conf), state(snd)
    conf_side = _side(conf, resolved(rd_conf_master), resolved(rd_conf_standby))
    snd_side = _side(store, resolved(snd_master), resolved(snd_standby))
    if conf_side is None or snd_side is None:
        mode = Mode.UNKNOWN
    elif conf_side != snd_side:
        mode = Mode.MIXED
    else:
        mode = conf_side
    mirror = state(mirror_dir)
    return Layout(
        rd_conf=conf,
        snd=store,
        mode=mode,
        live_on_mirror=bool(store.target) and store.target == resolved(mirror_dir),
        mirror_present=mirror.kind is not LinkKind.MISSING,
    )


def _side(link: LinkState, master_target: str, standby_target: str) -> Mode | None:
    if link.kind is not LinkKind.SYMLINK:
        return None
    if link.target == master_target:
        return Mode.MASTER
    if link.target == standby_target:
        return Mode.STANDBY
    return None
