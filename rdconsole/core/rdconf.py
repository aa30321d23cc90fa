"""Rivendell's rd.conf, parsed with Rivendell's own rules (``RDProfile::setSource``).

- Lines are trimmed; lines starting with ``;`` or ``#`` are comments; no inline comments.
- ``[name]`` starts a section; section and key names are case-sensitive.
- The key is everything before the first ``=``, *not* trimmed (so ``Hostname = x`` defines the key
  ``"Hostname "``, which Rivendell never looks up); the value is trimmed.
- Only the first section of a name is searched; the first matching key wins.

Besides the values, the parser reports the keys Rivendell would silently ignore, so that the
console can flag them instead of "fixing" them.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class RdConf:
    """The sections of one rd.conf, first occurrence of each section and key only."""

    sections: dict[str, dict[str, str]] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()

    def get(self, section: str, key: str) -> str | None:
        return self.sections.get(section, {}).get(key)

    @property
    def mysql_user(self) -> str:
        return self.get("mySQL", "Loginname") or "rduser"

    @property
    def mysql_password(self) -> str:
        """``[mySQL] Password``, falling back to ``[Identity] Password`` as Rivendell does."""
        password = self.get("mySQL", "Password")
        if password is None:
            password = self.get("Identity", "Password")
        return password or ""

    @property
    def mysql_host(self) -> str:
        return self.get("mySQL", "Hostname") or "localhost"

    @property
    def mysql_database(self) -> str:
        return self.get("mySQL", "Database") or "Rivendell"


_KNOWN_KEYS = {
    "mySQL": {
        "Hostname",
        "Loginname",
        "Password",
        "Database",
        "Driver",
        "HeartbeatInterval",
        "Engine",
        "Collation",
    },
    "Identity": {
        "Password",
        "AudioOwner",
        "AudioGroup",
        "StationName",
        "Label",
        "SyslogFacility",
        "RnRmlOwner",
        "RnRmlGroup",
        "PypadOwner",
        "PypadGroup",
    },
}


def parse_rdconf(text: str) -> RdConf:
    """Parse rd.conf text; never raises."""
    sections: dict[str, dict[str, str]] = {}
    seen_sections: set[str] = set()
    warnings: list[str] = []
    current: dict[str, str] | None = None
    current_name = ""
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line[0] in ";#":
            continue
        if line.startswith("[") and line.endswith("]"):
            current_name = line[1:-1]
            if current_name in seen_sections:
                warnings.append(
                    f"line {number}: section [{current_name}] repeated; Rivendell reads only "
                    "the first one"
                )
                current = None
            else:
                seen_sections.add(current_name)
                current = sections.setdefault(current_name, {})
            continue
        if "=" not in line or current is None:
            continue
        key, value = line.split("=", 1)
        if key != key.strip():
            warnings.append(
                f"line {number}: key {key!r} has spaces around it; Rivendell ignores it "
                f"(write {key.strip()}=...)"
            )
        elif key not in _KNOWN_KEYS.get(current_name, {key}):
            known = {k.lower(): k for k in _KNOWN_KEYS[current_name]}
            if key.lower() in known:
                warnings.append(
                    f"line {number}: key {key!r} in [{current_name}] is case-sensitive; "
                    f"Rivendell expects {known[key.lower()]!r}"
                )
        current.setdefault(key, value.strip())
    return RdConf(sections=sections, warnings=tuple(warnings))
