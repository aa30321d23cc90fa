"""Typed reading of one TOML document, remembering the file and line of every value."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rdconsole.core.durations import parse_duration


class ConfigError(Exception):
    """A configuration problem, naming the file and line. The CLI exits 3 on it."""

    def __init__(self, path: Path | None, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = str(path) if path else "configuration"
        if line is not None:
            where += f", line {line}"
        super().__init__(f"{where}: {message}")


@dataclass
class TomlSource:
    """The text of the file, for line numbers, plus what was learned while reading it."""

    path: Path
    text: str
    provenance: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)

    def line_of(self, section: str, key: str | None = None, occurrence: int = 0) -> int | None:
        """Best-effort line of ``key`` in the ``occurrence``-th ``[section]`` (or the header)."""
        lines = self.text.splitlines()
        header = re.compile(r"^\s*\[\[?\s*" + re.escape(section) + r"\s*\]\]?\s*(#.*)?$")
        headers = [index for index, line in enumerate(lines) if header.match(line)]
        if occurrence >= len(headers):
            return None
        header_index = headers[occurrence]
        if key is None:
            return header_index + 1
        key_re = re.compile(r"^\s*" + re.escape(key) + r"\s*=")
        for index in range(header_index + 1, len(lines)):
            if re.match(r"^\s*\[", lines[index]):
                break
            if key_re.match(lines[index]):
                return index + 1
        return header_index + 1


@dataclass
class Table:
    """One TOML table: ``section`` is its header, ``prefix`` its dotted name in provenance."""

    source: TomlSource
    data: Mapping[str, Any]
    section: str
    prefix: str
    occurrence: int = 0

    def fail(self, key: str | None, message: str) -> ConfigError:
        line = self.source.line_of(self.section, key, self.occurrence)
        return ConfigError(self.source.path, line, message)

    def sub(self, key: str) -> Table:
        value = self.data.get(key, {})
        section = f"{self.section}.{key}"
        if not isinstance(value, dict):
            raise self.fail(key, f"[{section}] must be a table")
        return Table(self.source, value, section, f"{self.prefix}.{key}", self.occurrence)

    def check(self, allowed: set[str]) -> None:
        """Warn (not fail) on unknown keys: later versions add keys, typos deserve a word."""
        for key in self.data:
            if key not in allowed:
                line = self.source.line_of(self.section, key, self.occurrence)
                where = f"{self.source.path}:{line}" if line else str(self.source.path)
                self.source.warnings.append(
                    f"{where}: unknown key {key!r} in [{self.section}] (ignored)"
                )

    def _from_file(self, key: str) -> None:
        line = self.source.line_of(self.section, key, self.occurrence)
        self.source.provenance[f"{self.prefix}.{key}"] = f"{self.source.path}" + (
            f":{line}" if line else ""
        )

    def _default(self, key: str) -> None:
        self.source.provenance.setdefault(f"{self.prefix}.{key}", "default")

    def string(self, key: str, default: str | None = None) -> str | None:
        if key not in self.data:
            self._default(key)
            return default
        value = self.data[key]
        if not isinstance(value, str) or not value:
            raise self.fail(key, f"{key} must be a non-empty string, got {value!r}")
        self._from_file(key)
        return value

    def choice(self, key: str, default: str, choices: tuple[str, ...]) -> str:
        value = self.string(key, default) or default
        if value not in choices:
            raise self.fail(key, f"{key} must be one of {', '.join(choices)}, got {value!r}")
        return value

    def number(self, key: str, default: float, minimum: float = 0.0) -> float:
        if key not in self.data:
            self._default(key)
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or value <= minimum:
            raise self.fail(key, f"{key} must be a number greater than {minimum:g}, got {value!r}")
        self._from_file(key)
        return float(value)

    def integer(self, key: str, default: int, minimum: int = 0, maximum: int = 2**31) -> int:
        if key not in self.data:
            self._default(key)
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
            raise self.fail(key, f"{key} must be a whole number {minimum}-{maximum}, got {value!r}")
        self._from_file(key)
        return value

    def ratio(self, key: str, default: float) -> float:
        if key not in self.data:
            self._default(key)
            return default
        value = self.data[key]
        if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value <= 1:
            raise self.fail(key, f"{key} must be a number from 0 to 1, got {value!r}")
        self._from_file(key)
        return float(value)

    def boolean(self, key: str, default: bool) -> bool:
        if key not in self.data:
            self._default(key)
            return default
        value = self.data[key]
        if not isinstance(value, bool):
            raise self.fail(key, f"{key} must be true or false, got {value!r}")
        self._from_file(key)
        return value

    def duration(self, key: str, default: float) -> float:
        if key not in self.data:
            self._default(key)
            return default
        try:
            seconds = parse_duration(self.data[key])
        except ValueError as error:
            raise self.fail(key, f"{key}: {error}") from None
        self._from_file(key)
        return seconds

    def path(self, key: str, default: Path | None = None) -> Path | None:
        value = self.string(key)
        return Path(value).expanduser() if value is not None else default
