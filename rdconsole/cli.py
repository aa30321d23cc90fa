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
from rdconsole.replication_cli import add_parsers as add_replication_parsers

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
    switch = commands.add_parser(
        "switch",
        help="switch a standby host's Rivendell between its master and standby configuration, "
        "guarded (exit 0/1/2/3/4)",
        description="rd_config done right: both links must be symlinks and both targets must "
        "exist; refused while Rivendell GUI modules run (unless --force); stop, verify stopped, "
        "replace each link atomically, start, verify it stays up; every step audited. "
        "Exit codes: 0 switched or already in that mode, 1 refused (nothing changed: bad links, "
        "missing target, GUI modules running, stop failed or not verified), 2 switched but "
        "Rivendell did not stay up (the rollback command is printed), 3 config error, "
        "4 another switch is running.",
    )
    switch.add_argument("mode", choices=["master", "standby"], help="the configuration to run")
    switch.add_argument("--standby", metavar="NAME", help="which standby (default: the only one)")
    switch.add_argument(
        "--dry-run", action="store_true", help="print the checks and every step's exact command"
    )
    switch.add_argument(
        "--force", action="store_true", help="switch even while Rivendell GUI modules run"
    )
    switch.add_argument(
        "--settle",
        type=float,
        default=None,
        metavar="S",
        help="seconds Rivendell must stay up after the start (default: [standby.rivendell] "
        "settle, 5 s)",
    )
    failover = commands.add_parser(
        "failover",
        help="promote a standby: checklist, plan, typed confirmation (exit 0/1/2/3)",
        description="Master down: fence, drain, promote, switch Rivendell. Master up: the "
        "switchover (read_only on the master, wait, promote). Exit codes: 0 done (with "
        "--dry-run: it could go), 1 refused: nothing changed, 2 failed half-way (finish with "
        "--resume), 3 config error.",
    )
    failover.add_argument("--standby", metavar="NAME", help="which standby (default: the only one)")
    failover.add_argument(
        "--dry-run", action="store_true", help="print the checklist and the plan; change nothing"
    )
    failover.add_argument("--yes", action="store_true", help="no prompt (only when nothing blocks)")
    failover.add_argument(
        "--fenced",
        metavar="TEXT",
        help="how the old master is kept from coming back writable, when rdconsole cannot "
        "fence it (recorded)",
    )
    failover.add_argument(
        "--override",
        metavar="TEXT",
        help="lift an overridable block (SQL thread error, stalled drain, anti-flapping) "
        "with a reason (recorded)",
    )
    failover.add_argument(
        "--resume", action="store_true", help="finish a run that was interrupted half-way"
    )
    add_replication_parsers(commands)
    commands.add_parser("report", help="the last failover as a Markdown incident report")
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
    from functools import partial

    from rdconsole.core.report import report_json, report_text
    from rdconsole.hosts.mysql import build_collectors
    from rdconsole.ops.audio import AudioCollector
    from rdconsole.ops.status import LayoutProbe, check_once
    from rdconsole.ops.switch import current_mode

    collectors = build_collectors(settings.hosts, settings.console)
    mirrors = [AudioCollector(settings, s) for s in settings.standbys if s.audio.enabled]
    # The audio check reads the links of a watched standby; the others are probed for --json.
    layouts: dict[str, LayoutProbe] = {
        s.name: partial(current_mode, settings, s.name)
        for s in settings.standbys
        if as_json and not s.audio.enabled
    }
    report = asyncio.run(check_once(settings, collectors, mirrors, layouts))
    if as_json:
        print(json.dumps(report_json(report), indent=1))
    else:
        print("\n".join(report_text(report)))
    return report.verdict.status.exit_code


def _console(settings: Settings) -> int:
    from rdconsole.hosts.mysql import build_collectors
    from rdconsole.hosts.state import FileJournal
    from rdconsole.ops.audio import AudioCollector
    from rdconsole.ops.console_replication import replication_runner
    from rdconsole.ops.failover_flow import failover_runner
    from rdconsole.ops.sync import sync_runner
    from rdconsole.ui.app import make_app

    collectors = build_collectors(settings.hosts, settings.console)
    mirrors = {s.name: AudioCollector(settings, s) for s in settings.standbys if s.audio.enabled}
    app = make_app(
        settings,
        collectors,
        journal=FileJournal(settings.console.state_dir),
        audio=mirrors,
        sync=sync_runner(settings) if mirrors else None,
        failover=failover_runner(settings),
        replication=replication_runner(settings),
    )
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
        if arguments.command == "switch":
            from rdconsole.switch_cli import switch_command

            return switch_command(
                settings,
                arguments.mode,
                arguments.standby,
                dry_run=arguments.dry_run,
                force=arguments.force,
                settle_s=arguments.settle,
            )
        if arguments.command == "failover":
            from rdconsole.failover_cli import failover_command

            return failover_command(
                settings,
                arguments.standby,
                dry_run=arguments.dry_run,
                assume_yes=arguments.yes,
                fenced=arguments.fenced,
                override=arguments.override,
                resume=arguments.resume,
            )
        if arguments.command in {"setup", "rejoin", "failback"}:
            from rdconsole.replication_cli import replication_command

            return replication_command(settings, arguments.command, arguments)
        if arguments.command == "report":
            from rdconsole.report_cli import report_command

            return report_command(settings)
        if arguments.command == "config":
            print("\n".join(effective_settings(settings)))
            return 0
        return _console(settings)
    except ConfigError as error:
        print(f"rdconsole: configuration error: {error}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
