"""Pure core: models, parsers, verdicts and plans. No I/O, no asyncio, no textual."""
