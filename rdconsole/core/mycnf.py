"""The ``[client]`` group of a MySQL option file such as ``~/.my.cnf`` (pure parsing)."""

from __future__ import annotations


def parse_client_options(text: str) -> dict[str, str]:
    """Options of the ``[client]``, ``[mysql]`` and ``[mariadb-client]`` groups, later wins.

    Option names are normalised (``-`` and ``_`` are equivalent); surrounding quotes are removed.
    """
    groups = {"client", "mysql", "client-mariadb", "mariadb-client"}
    options: dict[str, str] = {}
    active = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line[0] in "#;":
            continue
        if line.startswith("[") and line.endswith("]"):
            active = line[1:-1].strip().lower() in groups
            continue
        if not active or line.startswith("!"):
            continue
        key, sep, value = line.partition("=")
        name = key.strip().lower().replace("_", "-")
        value = value.strip() if sep else ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        options[name] = value
    return options
