"""What the step-running commands (failover, setup, rejoin, failback) print and ask."""

from __future__ import annotations

import sys
from typing import Protocol, TextIO


class NamedStep(Protocol):
    @property
    def id(self) -> str: ...

    @property
    def title(self) -> str: ...


class StepPrinter:
    """A run's observer for the terminal: one line per step state, progress on a tty."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def step(self, step: NamedStep, status: str, detail: str) -> None:
        mark = {"running": "…", "done": "✔", "failed": "✖"}.get(status, "?")
        line = f"  {mark} {step.id} {step.title}" + (f": {detail}" if detail else "")
        print(line, file=self._stream, flush=True)

    def progress(self, step: NamedStep, text: str) -> None:
        if self._stream.isatty():
            self._stream.write(f"\r      {text}".ljust(70))
            self._stream.flush()


def typed_confirmation(command: str, word: str, prompt: str, assume_yes: bool) -> bool:
    """True when ``--yes`` was given or the operator types ``word`` at ``prompt``; a missing
    terminal is a refusal (said on stderr)."""
    if assume_yes:
        return True
    if not sys.stdin.isatty():
        print(f"rdconsole {command}: no terminal to confirm on; use --yes", file=sys.stderr)
        return False
    typed = input(f"{prompt}, anything else cancels: ")
    return typed.strip() == word
