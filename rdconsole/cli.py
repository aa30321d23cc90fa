"""Command line entry point (work in progress)."""


def main(argv: list[str] | None = None) -> int:
    return 0
