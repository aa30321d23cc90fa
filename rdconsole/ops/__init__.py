"""Use-cases shared by the CLI and the console; each composes adapters and the core."""
