"""`warroom check`: validate the config and every plan; `file:line:col: message`."""

from __future__ import annotations

import argparse
import re
import sys

from warroom.cli.channels import channel_problems
from warroom.cli.keymap_check import keymap_problems, theme_problem
from warroom.config import Config, ConfigError, demo_config, read_config
from warroom.model.clock import utcnow
from warroom.model.oncall import on_call
from warroom.plans import PlanSet, load_plans


def plans_for(config: Config) -> PlanSet:
    return load_plans(config.plans, {s.name for s in config.sources})


def _line_column(message: str) -> tuple[int, int]:
    """`file:LINE:COL: ...` sorts by place in the file, as an editor lists problems."""
    found = re.match(r"^.*?:(\d+):(\d+): ", message)
    return (int(found.group(1)), int(found.group(2))) if found else (0, 0)


def run_check(args: argparse.Namespace) -> int:
    try:
        if args.demo:
            config, mistakes = demo_config(), []
        else:
            read = read_config(args.config, required=args.config is not None)
            config, mistakes = read.config, [str(e) for e in read.errors]
    except ConfigError as exc:  # nothing usable: unreadable, not YAML, not a mapping
        for problem in exc.problems:
            print(problem, file=sys.stderr)
        return 1
    # every mistake at once: a source's mistake does not hide a keymap's or the theme's;
    # a credential's unset variable only fails its source at use; here it is a mistake
    errors = [*mistakes, *config.unset, *keymap_problems(config)]
    if (unknown_theme := theme_problem(config)) is not None:
        errors.append(unknown_theme)
    errors.sort(key=_line_column)
    for error in errors:
        print(error, file=sys.stderr)
    planset = plans_for(config)
    planset.errors += channel_problems(planset)
    for error in planset.errors:
        print(error, file=sys.stderr)
    for warning in planset.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    where = config.path or ("built-in demo config" if args.demo else "no config file (defaults)")
    print(
        f"{where}: {len(config.sources)} source(s), {len(planset.files)} plan file(s) in"
        f" {config.plans or '-'} with {len(planset.plans)} response plan(s),"
        f" {len(planset.contacts)} contact(s), {len(planset.schedules)} schedule(s),"
        f" {len(planset.escalation_plans)} escalation plan(s), {len(planset.runbooks)} runbook(s);"
        f" {len(errors) + len(planset.errors)} error(s), {len(planset.warnings)} warning(s)"
    )
    if planset.plans:
        print("plans, in the order they are tried (first match wins):")
        for plan in planset.plans:
            print(f"  {plan.name:24} {plan.where}")
    if planset.schedules:
        now = utcnow()
        print("on call now:")
        for name, schedule in planset.schedules.items():
            people = ", ".join(on_call(schedule, now)) or "nobody"
            print(f"  {name:24} {people}")
    return 1 if errors or planset.errors else 0
