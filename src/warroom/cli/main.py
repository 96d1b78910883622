"""`warroom` and its subcommands.

Heavy imports (Textual, httpx) happen inside the commands that need them, so
`warroom incidents` in a script and the console's first frame both start fast.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, TypeVar

from warroom import __version__
from warroom.config import Config, ConfigError, demo_config, load_config
from warroom.store import StoreError

if TYPE_CHECKING:
    from warroom.model import AlertKey
    from warroom.model.matchers import Matcher

EXIT_USAGE = 2
T = TypeVar("T")


def _global_options(parser: argparse.ArgumentParser, defaults: bool) -> None:
    """On the main parser with defaults; on each subcommand without (SUPPRESS), so
    `warroom --db X ack 4` and `warroom ack 4 --db X` both work and neither clobbers."""

    def default(value: object) -> object:
        return value if defaults else argparse.SUPPRESS

    parser.add_argument(
        "--config",
        type=Path,
        default=default(None),
        help="config file (default: $WARROOM_CONFIG, then $XDG_CONFIG_HOME/warroom/config.yaml)",
    )
    parser.add_argument(
        "--db",
        type=Path,
        default=default(None),
        help="database file or URL (postgresql://USER:${PGPASS}@HOST/DB), overriding the config",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        default=default(False),
        help="use the built-in demo source (no config file needed)",
    )


def _incident_id(text: str) -> int:
    """`4` or `#4`, as the console and the timeline write it."""
    try:
        value = int(text.removeprefix("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an incident number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"not an incident number: {text!r}")
    return value


def _parsed(parse: Callable[[str], T]) -> Callable[[str], T]:
    """An argparse `type` whose ValueError message is shown as is (exit 2)."""

    def convert(text: str) -> T:
        try:
            return parse(text)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from None

    convert.__name__ = parse.__name__
    return convert


def _alert_key(text: str) -> AlertKey:
    from warroom.cli.records import parse_alert_key

    return parse_alert_key(text)


def _silence_ref(text: str) -> tuple[str, str]:
    source, sep, silence_id = text.partition(":")
    if not sep or not source or not silence_id:
        raise ValueError(f"not a silence (SOURCE:ID): {text!r}")
    return source, silence_id


def _matchers(text: str) -> list[Matcher]:
    from warroom.model.matchers import parse_matchers

    found = parse_matchers(text)
    if not found:
        raise ValueError("no matchers given")
    return found


def _duration(text: str) -> timedelta:
    from warroom.model.clock import parse_duration

    return parse_duration(text)


def _time(text: str) -> datetime:
    from warroom.cli.oncall import parse_time

    return parse_time(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="warroom",
        description="Terminal incident console: triage live alerts with the keyboard.",
    )
    parser.add_argument("--version", action="version", version=f"warroom {__version__}")
    _global_options(parser, defaults=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, defaults=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    def command(name: str, help: str, json_help: str | None = None) -> argparse.ArgumentParser:
        found = sub.add_parser(name, help=help, description=help, parents=[common])
        if json_help:
            found.add_argument("--json", action="store_true", help=json_help)
        return found

    command("console", "the interactive console (the default)")
    engine = command("engine", "headless polling and triage")
    engine.add_argument("--once", action="store_true", help="one poll cycle, then exit")
    command("alerts", "poll every source once and print its alerts", "one JSON object per line")
    incidents = command("incidents", "list incidents from the database", "one JSON object per line")
    incidents.add_argument("--all", action="store_true", help="include resolved incidents")
    incidents.add_argument(
        "--search",
        metavar="TEXT",
        help="incidents (resolved too) whose title, summary, notes or timeline hold TEXT",
    )
    command("check", "validate the config and plans; exit 1 on any error")
    simulate = command(
        "simulate", "what would these alerts trigger (plan, incident)", "one JSON object per line"
    )
    simulate.add_argument("file", type=Path, help="JSON: one alert or a list, Alertmanager-shaped")
    simulate.add_argument(
        "--source",
        help="the source the alerts come from (default: the only"
        " configured source, else 'simulate')",
    )
    command("coverage", "alerts and rules that no plan covers", "one JSON object")
    handoff = command("handoff", "the shift hand-off: what is burning, what changed, who is next")
    handoff.add_argument(
        "--since", default="12h", metavar="DURATION", help="the shift's length (default: 12h)"
    )
    style = handoff.add_mutually_exclusive_group()
    style.add_argument("--markdown", action="store_true", help="one Markdown document")
    style.add_argument("--json", action="store_true", help="one JSON object")
    related = command("related", "an incident's related items, or add one", "one JSON object")
    related.add_argument("id", type=_incident_id, metavar="ID")
    related.add_argument(
        "add",
        nargs="*",
        metavar="add TARGET",
        help="add URL, incident:N or file:PATH (a file is copied into the database)",
    )
    related.add_argument("--title", default="", help="the item's title")
    metrics = command(
        "metrics", "the series an incident's Metrics tab draws", "one JSON object, UTC times"
    )
    metrics.add_argument("id", type=_incident_id, metavar="ID")
    schema = command(
        "schema",
        "print a JSON Schema of plan or config files for editors (yaml-language-server)",
    )
    schema.add_argument(
        "what", choices=("plan", "config"), help="plan: a document in plans/; config: the config"
    )
    oncall = command(
        "oncall", "who is on call now (or --at TIME), per schedule", "one JSON object per schedule"
    )
    oncall.add_argument("schedule", nargs="?", help="one schedule (default: all)")
    oncall.add_argument(
        "--at", type=_parsed(_time), help="a time: 2026-12-24T17:00 (your zone), ...Z, now"
    )
    shifts = command(
        "shifts", "a schedule's shifts (default: the next 7 days)", "one JSON object per shift"
    )
    shifts.add_argument("schedule", help="the schedule")
    shifts.add_argument(
        "--from", dest="start", type=_parsed(_time), help="from this time (default: now)"
    )
    shifts.add_argument(
        "--to", dest="end", type=_parsed(_time), help="to this time (default: 7 days on)"
    )
    pages = command(
        "pages", "who was paged, how, and what became of each page", "one JSON object per line"
    )
    pages.add_argument("id", nargs="?", type=_incident_id, metavar="ID", help="one incident")
    analysis = command(
        "analysis", "the post-incident analysis: timeline, metrics, runbooks, questions, actions"
    )
    analysis.add_argument("id", type=_incident_id, metavar="ID", help="the incident")
    analysis.add_argument(
        "words", nargs="*", metavar="WRITE",
        help="answer QUESTION TEXT | mark EVENT_ID MARK | action add TITLE | action ITEM STATUS",
    )  # fmt: skip
    for option, meaning in (("owner", "owner"), ("due", "due date, YYYY-MM-DD"), ("link", "URL")):
        analysis.add_argument(f"--{option}", help=f"the action item's {meaning}")
    analysis_style = analysis.add_mutually_exclusive_group()
    analysis_style.add_argument("--markdown", action="store_true", help="one Markdown document")
    analysis_style.add_argument("--json", action="store_true", help="one JSON object")
    migrate = command(
        "migrate", "copy a bastion's whole history into another store (SQLite, PostgreSQL)"
    )
    migrate.add_argument(
        "--from", dest="source", required=True, metavar="LOCATION",
        help="the store to copy: sqlite:PATH, a path, or postgresql://USER@HOST/DATABASE",
    )  # fmt: skip
    migrate.add_argument("--to", dest="target", required=True, metavar="LOCATION",
                         help="where to: created if missing; must hold no history")  # fmt: skip
    migrate.add_argument(
        "--replace", action="store_true", help="empty a target that holds a history first"
    )
    test_channel = command("test-channel", "send a real test message to a contact's channels")
    test_channel.add_argument("target", help="CONTACT (every channel) or CONTACT/CHANNEL")
    _action_commands(command)
    _override_commands(command)
    _runbook_commands(command)
    return parser


def _runbook_commands(command: Command) -> None:
    """Start a runbook on an incident, show a run, signal a step: as the Runbook tab does."""
    runbook = command("runbook", "start a runbook, show a run, confirm or approve its steps", None)
    verbs = runbook.add_subparsers(dest="runbook_command", metavar="start|show|signal")
    verbs.required = True
    start = verbs.add_parser("start", help="start a runbook of the plans on an incident")
    start.add_argument("id", type=_incident_id, metavar="ID", help="the incident")
    start.add_argument("name", help="the runbook")
    start.add_argument(
        "--param", action="append", default=[], metavar="K=V",
        help="a parameter's value (default: from the incident's alert labels)",
    )  # fmt: skip
    show = verbs.add_parser("show", help="a run: its steps, their states and output")
    show.add_argument("id", type=_run_id, metavar="RUN", help="the run")
    signal = verbs.add_parser("signal", help="confirm, approve, reject, retry, skip, cancel")
    signal.add_argument("id", type=_run_id, metavar="RUN", help="the run")
    signal.add_argument("step", help="the step (for cancel: any step of the run)")
    signal.add_argument("verb", choices=("confirm", "approve", "reject", "retry", "skip", "cancel"))
    signal.add_argument("--reason", default="", help="why (reject, cancel): the timeline keeps it")
    for parser in (start, show, signal):
        parser.add_argument("--json", action="store_true", help="one JSON object")


def _run_id(text: str) -> int:
    try:
        value = int(text.removeprefix("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a run number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"not a run number: {text!r}")
    return value


async def _run_runbook(args: argparse.Namespace, config: Config) -> int:
    from warroom.cli import runbooks

    if args.runbook_command == "start":
        return await runbooks.run_start(config, args.id, args.name, args.param, args.json)
    if args.runbook_command == "show":
        return await runbooks.run_show(config, args.id, args.json)
    return await runbooks.run_signal(config, args.id, args.step, args.verb, args.reason, args.json)


def _override_commands(command: Command) -> None:
    """Take a shift (an on-call override), list them, cancel one: as the On-call tab does."""
    override = command(
        "override",
        "take a shift: put someone on call in a schedule for a while (or --cancel ID)",
        "one JSON object",
    )
    override.add_argument("schedule", nargs="?", help="the schedule")
    override.add_argument("--with", dest="with_", metavar="NAME", help="who takes the shift")
    override.add_argument(
        "--replace", metavar="NAME", help="instead of whom (alone: takes them off)"
    )
    override.add_argument(
        "--from", dest="start", type=_parsed(_time), help="from this time (default: now)"
    )
    override.add_argument("--to", dest="end", type=_parsed(_time), help="until this time")
    override.add_argument(
        "--for", dest="duration", type=_parsed(_duration), help="for this long, e.g. 2h"
    )
    override.add_argument("--reason", help="why: the console log keeps it")
    override.add_argument("--cancel", type=_override_id, metavar="ID", help="cancel an override")
    overrides = command(
        "overrides", "on-call overrides in force or to come", "one JSON object per override"
    )
    overrides.add_argument("schedule", nargs="?", help="one schedule (default: all)")


def _override_id(text: str) -> int:
    try:
        value = int(text.removeprefix("#"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not an override number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"not an override number: {text!r}")
    return value


async def _run_override(args: argparse.Namespace, config: Config) -> int:
    from warroom.cli import overrides

    if args.command == "overrides":
        return await overrides.run_overrides(config, args.schedule, args.json)
    if args.cancel is not None:
        return await overrides.run_cancel(config, args.cancel, args.json)
    return await overrides.run_override(
        config,
        args.schedule,
        args.with_,
        args.replace,
        args.start,
        args.end,
        args.duration,
        args.reason,
        args.json,
    )


Command = Callable[[str, str, str | None], argparse.ArgumentParser]
ONE_LINE = "one JSON object per incident acted on"


def _action_commands(command: Command) -> None:
    """What a responder does in the console, from a script: same service, same timeline."""
    ack = command("ack", "acknowledge incidents", ONE_LINE)
    ack.add_argument("ids", nargs="+", type=_incident_id, metavar="ID")
    resolve = command("resolve", "resolve an incident", ONE_LINE)
    resolve.add_argument("id", type=_incident_id, metavar="ID")
    resolve.add_argument("--reason", default="", help="why: recorded in the timeline")
    resolve.add_argument(
        "--force", action="store_true", help="resolve even while its alerts still fire"
    )
    reopen = command("reopen", "reopen a resolved incident", ONE_LINE)
    reopen.add_argument("id", type=_incident_id, metavar="ID")
    note = command("note", "add a note to an incident's timeline", ONE_LINE)
    note.add_argument("id", type=_incident_id, metavar="ID")
    note.add_argument("text", nargs="+", metavar="TEXT", help="the note; - reads it from stdin")
    impact = command("impact", "set an incident's impact (1 critical ... 5 no impact)", ONE_LINE)
    impact.add_argument("id", type=_incident_id, metavar="ID")
    impact.add_argument("impact", type=int, choices=range(1, 6), metavar="N")
    escalate = command("escalate", "page an incident's next escalation stage now", ONE_LINE)
    escalate.add_argument("id", type=_incident_id, metavar="ID")
    escalate.add_argument(
        "--stage", type=int, metavar="N", help="page stage N (from 1) instead of the next"
    )
    escalate.add_argument("--plan", metavar="REF", help="which engagement, when it engages several")
    declare = command("declare", "declare an incident, ad hoc or under a plan", ONE_LINE)
    declare.add_argument("--title", required=True)
    declare.add_argument("--impact", type=int, choices=range(1, 6), required=True, metavar="N")
    declare.add_argument("--plan", metavar="NAME", help="declare under this response plan")
    declare.add_argument(
        "--alert",
        action="extend",
        nargs="+",
        default=[],
        type=_parsed(_alert_key),
        metavar="SOURCE:FINGERPRINT",
        help="alerts to attach (several, or --alert again)",
    )
    declare.add_argument(
        "--move", action="store_true", help="take alerts out of the open incident that holds them"
    )
    show = command("show", "an incident, its alerts and its whole timeline", "one JSON object")
    show.add_argument("id", type=_incident_id, metavar="ID")
    silence = command(
        "silence", "silence alerts at their Alertmanager, or expire a silence", "one JSON object"
    )
    what = silence.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--alert",
        action="extend",
        nargs="+",
        type=_parsed(_alert_key),
        metavar="SOURCE:FINGERPRINT",
        help="silence exactly these alerts (several, or --alert again)",
    )
    what.add_argument(
        "--matchers",
        type=_parsed(_matchers),
        metavar="MATCHERS",
        help='Alertmanager matchers, e.g. \'alertname="X",cluster="c1"\' (with --source)',
    )
    what.add_argument(
        "--expire", type=_parsed(_silence_ref), metavar="SOURCE:ID", help="expire this silence"
    )
    silence.add_argument("--source", metavar="NAME", help="where --matchers silences")
    silence.add_argument("--duration", type=_parsed(_duration), help="how long, e.g. 2h, 1d")
    silence.add_argument("--comment", help="why: Alertmanager and the timeline keep it")


def resolve_config(args: argparse.Namespace) -> Config:
    """The config for a command. The console and the running engine start with the
    sources that are fine, one with a mistake failing with its reason (the Sources tab
    shows it); a command run once refuses any mistake (exit 2, all listed), so a script
    learns at once."""
    command = args.command or "console"
    lenient = command == "console" or (command == "engine" and not args.once)
    config = demo_config() if args.demo else load_config(args.config, lenient=lenient)
    if args.db is not None:
        from warroom.model.value import replace

        config = replace(config, database=args.db)
    return config


ACTIONS = {
    "ack",
    "resolve",
    "reopen",
    "note",
    "impact",
    "declare",
    "show",
    "silence",
    "pages",
    "escalate",
}


def _check_silence(parser: argparse.ArgumentParser, args: argparse.Namespace) -> None:
    if args.expire is None and (args.duration is None or not args.comment):
        parser.error("warroom silence: --duration and --comment are needed to create a silence")
    if args.source is not None and args.matchers is None:
        parser.error("warroom silence: --source goes with --matchers (an alert names its source)")


async def _run_action(args: argparse.Namespace, config: Config) -> int:
    """The scripted actions; each module is imported only when its command runs."""
    from warroom.model import Impact

    command, as_json = args.command, args.json
    if command == "show":
        from warroom.cli.show import run_show

        return await run_show(config, args.id, as_json)
    if command in ("pages", "escalate"):
        from warroom.cli.pages import run_escalate, run_pages

        if command == "pages":
            return await run_pages(config, args.id, as_json)
        return await run_escalate(config, args.id, args.stage, args.plan, as_json)
    if command == "silence":
        from warroom.cli import silence

        if args.expire is not None:
            source, silence_id = args.expire
            return await silence.run_expire(config, source, silence_id, as_json)
        if args.matchers is not None:
            return await silence.run_silence_matchers(
                config, args.matchers, args.source, args.duration, args.comment, as_json
            )
        return await silence.run_silence_alerts(
            config, args.alert, args.duration, args.comment, as_json
        )
    from warroom.cli import act

    if command == "ack":
        return await act.run_ack(config, args.ids, as_json)
    if command == "resolve":
        return await act.run_resolve(config, args.id, args.reason, args.force, as_json)
    if command == "reopen":
        return await act.run_reopen(config, args.id, as_json)
    if command == "note":
        text = sys.stdin.read() if args.text == ["-"] else " ".join(args.text)
        return await act.run_note(config, args.id, text, as_json)
    if command == "impact":
        return await act.run_impact(config, args.id, Impact(args.impact), as_json)
    assert command == "declare"
    return await act.run_declare(
        config, args.title, Impact(args.impact), args.plan, args.alert, args.move, as_json
    )


async def _run_related(args: argparse.Namespace, config: Config) -> int:
    from warroom.cli import related
    from warroom.model.clock import utcnow

    if args.command == "metrics":
        return await related.run_metrics(config, args.id, args.json, utcnow())
    target = None
    if args.add:
        if args.add[0] != "add" or len(args.add) != 2:
            print("warroom: related: write `related ID add TARGET`", file=sys.stderr)
            return EXIT_USAGE
        target = args.add[1]
    return await related.run_related(config, args.id, target, args.title, args.json)


def _run_handoff(args: argparse.Namespace, config: Config) -> int:
    """A bad --since is one line naming it, like the store's and config's errors."""
    import asyncio

    from warroom.cli.handoff import run_handoff
    from warroom.model.clock import parse_duration

    try:
        since = parse_duration(args.since)
    except ValueError as exc:
        print(f"warroom: --since: {exc}", file=sys.stderr)
        return EXIT_USAGE
    if since <= timedelta(0):
        print(f"warroom: --since: {args.since!r} is no time at all (use e.g. 12h)", file=sys.stderr)
        return EXIT_USAGE
    style = "json" if args.json else "markdown" if args.markdown else "text"
    return asyncio.run(run_handoff(config, since, style))


def _run_analysis_write(args: argparse.Namespace, config: Config) -> int:
    import asyncio

    from warroom.cli.analysis_write import ItemFields, run_write

    if args.markdown:
        print("warroom: analysis: --markdown is for reading; writes take --json", file=sys.stderr)
        return EXIT_USAGE
    fields = ItemFields(args.owner, args.due, args.link)
    return asyncio.run(run_write(config, args.id, args.words, fields, args.json))


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    command = args.command or "console"
    if command == "silence":
        _check_silence(parser, args)
    if command == "override":
        from warroom.cli.overrides import check_arguments

        check_arguments(parser, args)
    if command == "console":
        from warroom import offload

        offload.pause_for_start()  # resumed by the console once its first data shows
    try:
        if command == "check":
            from warroom.cli.check import run_check

            return run_check(args)
        if command == "test-channel":
            from warroom.cli.channels import run_test_channel

            return run_test_channel(resolve_config(args), args.target)
        if command in ("oncall", "shifts"):
            from warroom.cli.oncall import run_oncall, run_shifts

            config = resolve_config(args)
            if command == "oncall":
                return run_oncall(config, args.schedule, args.at, args.json)
            return run_shifts(config, args.schedule, args.start, args.end, args.json)
        if command == "schema":
            from warroom.cli.schema import run_schema

            return run_schema(args.what)
        if command == "migrate":
            import asyncio

            from warroom.cli.migrate import run_migrate

            return asyncio.run(run_migrate(args.source, args.target, args.replace))
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
        if command in ACTIONS:
            return asyncio.run(_run_action(args, config))
        if command == "handoff":
            return _run_handoff(args, config)
        if command in ("related", "metrics"):
            return asyncio.run(_run_related(args, config))
        if command == "analysis":
            from warroom.cli.analysis import run_analysis

            if args.words or any(v is not None for v in (args.owner, args.due, args.link)):
                return _run_analysis_write(args, config)
            style = "json" if args.json else "markdown"
            return asyncio.run(run_analysis(config, args.id, style))
        if command in ("override", "overrides"):
            return asyncio.run(_run_override(args, config))
        if command == "runbook":
            return asyncio.run(_run_runbook(args, config))
        if command == "incidents" and args.search is not None:
            from warroom.cli.search import run_search

            return asyncio.run(run_search(config, args.search, as_json=args.json))
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
