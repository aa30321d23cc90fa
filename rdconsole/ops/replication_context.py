"""What a replication run (setup, rejoin, failback) carries: its context, journal and outcome.

The journal (``state_dir/<procedure>-run.json``) holds the plan, each step's state and what the
steps learned; ``unfinished`` finds a run to ``--resume``.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any, Protocol

from rdconsole.config.settings import HostConfig, Secret, Settings
from rdconsole.core.replication_plan import Action, Step
from rdconsole.hosts.state import now_text, read_state_file, read_unfinished


class StepFailed(Exception):
    pass


class RunObserver(Protocol):
    def step(self, step: Step, status: str, detail: str) -> None: ...

    def progress(self, step: Step, text: str) -> None: ...


Switcher = Callable[[str], Awaitable[tuple[int, str]]]


@dataclass(frozen=True)
class RunContext:
    """What the steps need besides the plan."""

    settings: Settings
    procedure: str
    """``setup``, ``rejoin`` or ``failback``: names the journal and the audit actions."""
    hosts: dict[str, HostConfig]
    """Config name -> the host with its admin login as ``mysql``."""
    dump: dict[str, list[str]]
    """Per source host: the dump argv with ``{option_file}`` for its option file."""
    load: dict[str, list[str]]
    switcher: Switcher | None = None
    password: Secret = field(default_factory=lambda: Secret(""))
    """Filled in by the run, under the lock (a preview never reads or makes it)."""

    def journal_path(self) -> Path:
        return self.settings.console.state_dir / f"{self.procedure}-run.json"

    @property
    def scratch(self) -> Path:
        """Where the client tools' option files live while they run (state_dir, private)."""
        return self.settings.console.state_dir / "tmp"


@dataclass(frozen=True)
class RunOutcome:
    ok: bool
    changed: bool
    """Whether any step that changes a host had completed."""
    message: str


def new_journal(procedure: str, steps: tuple[Step, ...], **facts: Any) -> dict[str, Any]:
    return {
        "id": now_text(),
        "procedure": procedure,
        "started_at": now_text(),
        "finished": False,
        **facts,
        "steps": [
            {**asdict(step), "action": step.action.value, "status": "pending"} for step in steps
        ],
    }


def unfinished(settings: Settings, procedure: str) -> dict[str, Any] | None:
    return read_unfinished(settings.console.state_dir / f"{procedure}-run.json")


def step_of(entry: dict[str, Any]) -> Step:
    return Step(
        entry["id"],
        Action(entry["action"]),
        entry["host"],
        entry["title"],
        tuple(entry["statements"]),
        entry["command"],
        entry["source"],
        entry["expect"],
    )


def with_admin(host: HostConfig) -> HostConfig:
    """``host`` logging in with its admin account (raises KeyError naming the missing table)."""
    if host.admin is None:
        section = "[master.admin]" if host.role.value == "master" else "[standby.admin]"
        raise KeyError(f"{host.name} has no admin login: add {section} with user (and socket)")
    return replace(host, mysql=host.admin)


def promotion_marker(settings: Settings) -> dict[str, Any] | None:
    """The promotion marker's document (``promoted.json``), None when no promotion stands."""
    from rdconsole.ops.preflight import marker_path

    return read_state_file(marker_path(settings))
