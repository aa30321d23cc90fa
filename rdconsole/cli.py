"""Command line: parses, loads the configuration, runs one use-case or the console.

Exit codes (all commands): 3 configuration or usage error. ``status``: 0 OK, 1 WARNING,
2 CRITICAL, 3 UNKNOWN. The console and ``demo``: 0 on a normal quit.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Sequence
from typing import NoReturn

from rdconsole import __version__
from rdconsole.config import ConfigError, Settings, find_config_path, load_settings
from rdconsole.config.show import effective_settings

EXIT_CONFIG = 3


class _Parser(argparse.ArgumentParser):
    """argparse with exit code 3 for usage errors (UNKNOWN to Nagios, like config errors)."""

    def error(self, message: str) -> NoReturn:
        self.print_usage(sys.stderr)
        self.exit(EXIT_CONFIG, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="rdconsole",
        description="Live replication console and guarded failover for Rivendell hot standbys.",
        epilog="Configuration lookup: --config, $RDCONSOLE_CONFIG, "
        "~/.config/rdconsole/rdconsole.toml, /etc/rdconsole/rdconsole.toml. "
        "Run `rdconsole demo` to try it on a lab of real MariaDB servers.",
    )
    parser.add_argument("--config", metavar="PATH", help="configuration file (TOML)")
    parser.add_argument("--version", action="version", version=f"rdconsole {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    commands.add_parser("console", help="the live console (the default)")
    status = commands.add_parser(
        "status", help="one check for scripts and Nagios/Icinga (exit 0/1/2/3)"
    )
    status.add_argument("--json", action="store_true", help="print the JSON document")
    commands.add_parser("config", help="print the effective settings and where each came from")
    sync = commands.add_parser(
        "sync",
        help="mirror the master's audio store to a standby, guarded (exit 0/1/2/3/4)",
        description="Exit codes: 0 ok, 1 refused by a guard (guard file missing, master "
        "unreachable, host is live, delete bounds), 2 rsync failed, 3 config error, "
        "4 another run holds the lock.",
    )
    sync.add_argument("--standby", metavar="NAME", help="which standby (default: the only one)")
    sync.add_argument(
        "--dry-run", action="store_true", help="print the exact command and what would change"
    )
    demo = commands.add_parser(
        "demo", help="start a lab of two real MariaDB servers and open the console on it"
    )
    demo.add_argument(
        "--poll-interval", type=float, default=1.0, metavar="S", help="seconds between polls"
    )
    return parser


def _load(path_option: str | None) -> Settings:
    settings = load_settings(find_config_path(path_option))
    for warning in settings.warnings:
        print(f"rdconsole: warning: {warning}", file=sys.stderr)
    return settings


def _status(settings: Settings, as_json: bool) -> int:
    from rdconsole.core.report import report_json, report_text
    from rdconsole.hosts.mysql import build_collectors
    from rdconsole.ops.audio import AudioCollector
    from rdconsole.ops.status import check_once

    collectors = build_collectors(settings.hosts, settings.console)
    mirrors = [AudioCollector(settings, s) for s in settings.standbys if s.audio.enabled]
    report = asyncio.run(check_once(settings, collectors, mirrors))
    if as_json:
        print(json.dumps(report_json(report), indent=1))
    else:
        print("\n".join(report_text(report)))
    return report.verdict.status.exit_code


def _console(settings: Settings) -> int:
    from rdconsole.hosts.mysql import build_collectors
    from rdconsole.hosts.state import FileJournal
    from rdconsole.ui.app import make_app

    collectors = build_collectors(settings.hosts, settings.console)
    app = make_app(settings, collectors, journal=FileJournal(settings.console.state_dir))
    app.run()
    return app.return_code or 0


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(argv)
    try:
        if arguments.command == "demo":
            from rdconsole.demo import run_demo

            return run_demo(arguments.poll_interval)
        settings = _load(arguments.config)
        if arguments.command == "status":
            return _status(settings, arguments.json)
        if arguments.command == "sync":
            from rdconsole.sync_cli import sync_command

            return sync_command(settings, arguments.standby, arguments.dry_run)
        if arguments.command == "config":
            print("\n".join(effective_settings(settings)))
            return 0
        return _console(settings)
    except ConfigError as error:
        print(f"rdconsole: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
