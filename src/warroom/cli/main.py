"""`warroom` and its subcommands.

Heavy imports (Textual, httpx) happen inside the commands that need them, so
`warroom incidents` in a script and the console's first frame both start fast.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from warroom import __version__
from warroom.config import Config, ConfigError, demo_config, load_config
from warroom.store import StoreError

EXIT_USAGE = 2


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warroom",
        description="Terminal incident console: triage live alerts with the keyboard.",
    )
    parser.add_argument("--version", action="version", version=f"warroom {__version__}")
    parser.add_argument(
        "--config",
        type=Path,
        help="config file (default: $WARROOM_CONFIG, then $XDG_CONFIG_HOME/warroom/config.yaml)",
    )
    parser.add_argument("--db", type=Path, help="database file, overriding the config")
    parser.add_argument(
        "--demo", action="store_true", help="use the built-in demo source (no config file needed)"
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.add_parser("console", help="the interactive console (the default)")
    engine = sub.add_parser("engine", help="headless polling and triage")
    engine.add_argument("--once", action="store_true", help="one poll cycle, then exit")
    alerts = sub.add_parser("alerts", help="poll every source once and print its alerts")
    alerts.add_argument("--json", action="store_true", help="one JSON object per line")
    incidents = sub.add_parser("incidents", help="list incidents from the database")
    incidents.add_argument("--json", action="store_true", help="one JSON object per line")
    incidents.add_argument("--all", action="store_true", help="include resolved incidents")
    sub.add_parser("check", help="validate the config and plans; exit 1 on any error")
    simulate = sub.add_parser("simulate", help="what would these alerts trigger (plan, incident)")
    simulate.add_argument("file", type=Path, help="JSON: one alert or a list, Alertmanager-shaped")
    simulate.add_argument("--json", action="store_true", help="one JSON object per line")
    simulate.add_argument(
        "--source",
        help="the source the alerts come from (default: the only"
        " configured source, else 'simulate')",
    )
    coverage = sub.add_parser("coverage", help="alerts and rules that no plan covers")
    coverage.add_argument("--json", action="store_true", help="one JSON object")
    return parser


def resolve_config(args: argparse.Namespace) -> Config:
    config = demo_config() if args.demo else load_config(args.config)
    if args.db is not None:
        from dataclasses import replace

        config = replace(config, database=args.db)
    return config


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    command = args.command or "console"
    try:
        if command == "check":
            from warroom.cli.check import run_check

            return run_check(args)
        config = resolve_config(args)
        if command == "console":
            from warroom.cli.console import run_console

            return run_console(config)
        if command == "alerts":
            # before asyncio and httpx: the requests go out first (sources.early)
            from warroom.cli.alerts import run_alerts

            return run_alerts(config, as_json=args.json)
        import asyncio

        if command == "engine":
            from warroom.cli.headless import run_engine

            return asyncio.run(run_engine(config, once=args.once))
        if command == "simulate":
            from warroom.cli.simulate import run_simulate

            return asyncio.run(run_simulate(config, args.file, args.json, args.source))
        if command == "coverage":
            from warroom.cli.coverage import run_coverage

            return asyncio.run(run_coverage(config, as_json=args.json))
        if command == "incidents":
            from warroom.cli.headless import run_incidents

            return asyncio.run(run_incidents(config, as_json=args.json, include_all=args.all))
    except ConfigError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except StoreError as exc:
        print(f"warroom: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # `warroom alerts --json | head`: the reader left; that is not our error.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    raise AssertionError(f"unhandled command {command}")
