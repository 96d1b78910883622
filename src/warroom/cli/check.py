"""`warroom check`: validate the config and every plan; `file:line:col: message`."""

from __future__ import annotations

import argparse
import sys

from warroom.config import Config, ConfigError, demo_config, load_config
from warroom.plans import PlanSet, load_plans


def plans_for(config: Config) -> PlanSet:
    return load_plans(config.plans, {s.name for s in config.sources})


def run_check(args: argparse.Namespace) -> int:
    try:
        if args.demo:
            config = demo_config()
        else:
            config = load_config(args.config, required=args.config is not None)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    planset = plans_for(config)
    for error in planset.errors:
        print(error, file=sys.stderr)
    for warning in planset.warnings:
        print(f"warning: {warning}", file=sys.stderr)
    where = config.path or ("built-in demo config" if args.demo else "no config file (defaults)")
    print(
        f"{where}: {len(config.sources)} source(s), {len(planset.files)} plan file(s) in"
        f" {config.plans or '-'} with {len(planset.plans)} response plan(s);"
        f" {len(planset.errors)} error(s), {len(planset.warnings)} warning(s)"
    )
    if planset.plans:
        print("plans, in the order they are tried (first match wins):")
        for plan in planset.plans:
            print(f"  {plan.name:24} {plan.where}")
    return 1 if planset.errors else 0
