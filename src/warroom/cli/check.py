"""`warroom check`: validate the config and the plan files, report `file:line: message`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from warroom.config import ConfigError, load_config
from warroom.yamlnodes import LocatedError, compose_documents


def run_check(args: argparse.Namespace) -> int:
    errors: list[str] = []
    try:
        config = load_config(args.config, required=args.config is not None)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return 1
    plan_dir = config.plans
    plan_files: list[Path] = []
    if plan_dir is not None:
        if not plan_dir.is_dir():
            errors.append(f"{config.path}: plans directory {plan_dir} does not exist")
        else:
            plan_files = sorted([*plan_dir.rglob("*.yaml"), *plan_dir.rglob("*.yml")])
    for path in plan_files:
        try:
            compose_documents(path)
        except LocatedError as exc:
            errors.append(str(exc))
    for error in errors:
        print(error, file=sys.stderr)
    where = config.path or "no config file (defaults)"
    print(
        f"{where}: {len(config.sources)} source(s), {len(plan_files)} plan file(s),"
        f" {len(errors)} error(s)"
    )
    return 1 if errors else 0
