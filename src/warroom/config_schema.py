"""The config file, declared: every key, its type, default and one line of doc.

`config.py` decodes the file against `CONFIG` with the schema walker and `warroom
schema config` prints it for editors. A source's options come from the source
registry (`sources/registry.py`: their types and checks), so a new source type
is declared once, there, and its keys are known here, to `check` and to editors.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from datetime import timedelta
from typing import Any

from warroom.model.secret import Secret as SecretValue
from warroom.schema.types import (
    Duration,
    Field,
    Invalid,
    ListOf,
    MapOf,
    Plain,
    Record,
    Secret,
    SecretIfReference,
    Struct,
    Text,
    Type,
    Variant,
)
from warroom.sources.options import Check, OptionError
from warroom.sources.registry import SOURCE_TYPES, SourceType

SOURCE_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,62}$")
LABEL_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
DEFAULT_INTERVAL = timedelta(seconds=15)

# One line for each source option, whichever types take it.
OPTION_DOCS: dict[str, str] = {
    "username": "HTTP basic auth user (with password)",
    "password": "HTTP basic auth password; write ${ENV}, resolved when a request is sent",
    "bearer_token": "sent as Authorization: Bearer; write ${ENV}, resolved when sent",
    "ca_file": "a CA bundle (PEM) to verify the server with",
    "verify": "false: do not verify the server's certificate (default: true)",
    "timeout": "a deadline for the whole answer, not each read (default: 10s)",
    "max_bytes": "the largest answer read, in bytes (default: 64 MiB)",
    "headers": "extra HTTP headers; a value with ${ENV} is a credential",
    "filter": "Alertmanager matchers (or a list of them), applied by Alertmanager",
    "receiver": "only alerts routed to receivers matching this regex",
    "silenced": "include silenced alerts (default: false)",
    "inhibited": "include inhibited alerts (default: false)",
    "silence_on_ack": "acknowledging silences the alert until it resolves (default: false)",
    "region": "the AWS region, e.g. eu-west-1",
    "profile": "the AWS profile for credentials (default: environment or instance role)",
    "endpoint_url": "another CloudWatch endpoint (a VPC endpoint, a test server)",
    "severity": "the severity given to CloudWatch alarms, which carry none",
    "scenario": "the demo's story: night (default) or steady",
    "speed": "how fast the demo's story runs (default: 1.0)",
    "seed": "what the demo's metric noise is drawn from (default: 0)",
    "items": "where the list of problems is in the answer (a dotted JSON path)",
    "fields": "alert fields (fingerprint, name, severity, ...) to JSON paths in each item",
    "labels": "labels to JSON paths in each item",
    "annotations": "annotations to JSON paths in each item",
    "firing_values": "state values that mean firing",
    "pending_values": "state values that mean pending",
    "suppressed_values": "state values that mean suppressed",
    "resolved_values": "state values that mean resolved",
}


def _checked(check: Check) -> Callable[[Any], Any]:
    """A registry check (which only raises) as a walker check (which returns the value)."""

    def run(value: Any) -> Any:
        check(value)
        return value

    return run


def _smtp(value: Any) -> Any:
    """Checked by the notify layer that sends through it, with the same words."""
    from warroom.notify.declare import check_smtp

    problems = check_smtp(value) if isinstance(value, Mapping) else []
    if problems:
        raise Invalid(f"smtp: {problems[0]}")
    return value


def _source_name(value: str) -> str:
    if not SOURCE_NAME.match(value):
        raise Invalid(f"source name {value!r}: use letters, digits, '.', '_' or '-' (max 63)")
    return value


def _interval(value: timedelta) -> timedelta:
    if value < timedelta(seconds=1):
        raise Invalid("interval must be at least 1s")
    return value


def _label_name(value: str) -> str:
    if not LABEL_NAME.fullmatch(value):
        raise Invalid(f"not a label name: {value!r}")
    return value


def _option_type(key: str, declared: type | tuple[type, ...]) -> Type:
    if declared is SecretValue:
        return Secret()
    if key == "headers":
        return MapOf(SecretIfReference())
    return Plain(declared if isinstance(declared, tuple) else (declared,))


def label(record: Mapping[str, Any]) -> str:
    name = record.get("name")
    return f"source {name!r}" if isinstance(name, str) else "source"


def _base_fields(type_field: Field, url: Field) -> tuple[Field, ...]:
    return (
        Field(
            "name",
            Text(convert=_source_name, pattern=SOURCE_NAME.pattern),
            "unique; letters, digits, '.', '_' or '-'",
            required=True,
        ),
        type_field,
        url,
        Field(
            "interval",
            Duration(),
            "how often to poll, at least 1s (e.g. 500ms, 15s, 1m30s)",
            default="15s",
            check=_interval,
        ),
    )


def _source_struct(type_name: str, kind: SourceType) -> Struct:
    def needs_url(record: Record) -> None:
        if kind.needs_url and not record.get("url") and "url" not in record.failed:
            raise Invalid(f"{label(record)} of type {type_name} needs 'url'", ("url",))

    def across_options(record: Record) -> None:
        if kind.check is None:
            return
        written = [key for key in record.written if key in kind.options]
        if not all(key in record for key in written):
            return  # an option of the wrong type: the checks across options cannot run
        try:
            kind.check({key: record[key] for key in written})
        except OptionError as exc:
            raise Invalid(f"{label(record)}: {exc}", exc.at) from exc
        except ValueError as exc:
            raise Invalid(f"{label(record)}: {exc}") from exc

    url_check = kind.url_check

    def check_url(value: str) -> str:
        if value:  # an empty url is no url: `needs_url` says so
            url_check(value)
        return value

    fields = _base_fields(
        Field("type", Text(), f"{type_name}: the kind of source", required=True),
        Field("url", Text(convert=check_url), "the base URL (http or https)"),
    )
    options = tuple(
        Field(
            key,
            _option_type(key, declared),
            OPTION_DOCS.get(key, key),
            say_key=True,
            check=_checked(kind.checks[key]) if key in kind.checks else None,
        )
        for key, declared in kind.options.items()
    )
    return Struct(
        fields=(*fields, *options),
        noun="source",
        context=f" for source type {type_name}",
        doc=f"a source of type {type_name}",
        checks=(needs_url, across_options),
        requires=("url",) if kind.needs_url else (),
    )


SOURCE = Variant(
    tag="type",
    variants={name: _source_struct(name, SOURCE_TYPES[name]) for name in sorted(SOURCE_TYPES)},
    fallback=Struct(
        fields=_base_fields(
            Field("type", Text(), "the kind of source", required=True),
            Field("url", Text(), "the base URL (http or https)"),
        ),
        noun="source",
        closed=False,
    ),
    subject="source type",
)

CONFIG = Struct(
    fields=(
        Field(
            "database",
            Secret(),
            "the shared SQLite file (default: $XDG_STATE_HOME/warroom/warroom.db),"
            " relative to this file, or postgresql://USER:${PGPASS}@HOST/DATABASE",
        ),
        Field("plans", Text(), "the directory of response plans (YAML); relative to this file"),
        Field("sources", ListOf(SOURCE), "where alerts come from", say_key=True),
        Field("keymap", MapOf(Text()), "binding id -> keys, e.g. incident.acknowledge: a,k"),
        Field("theme", Text(), "warroom-night, warroom-day or a theme file's name"),
        Field("themes", Text(), "a directory of extra theme files (YAML)"),
        Field(
            "smtp",
            MapOf(SecretIfReference()),
            "the mail relay email channels send through: host, port, from, security"
            " (starttls, tls or none on loopback), username, password (${ENV})",
            check=_smtp,
        ),
        Field(
            "label_column",
            Text(convert=_label_name, pattern=f"^{LABEL_NAME.pattern}$"),
            "the label the Alerts tab shows in a column of its own",
            default="instance",
        ),
    ),
    noun="the config",
    doc="warroom's config: the database, plans, sources, keys and theme",
)
