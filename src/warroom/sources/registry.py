"""Which source types exist and what options each takes.

Pure data plus a lazy factory: config validation reads the option schemas, and
only the types actually configured get imported (so the console does not pay for
httpx or botocore when it runs the demo).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from warroom.sources.jsonmap import check_options as check_http_json

# Option names and types only: importing this module must not import httpx.
HTTP_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "username": str,
    "password": str,
    "bearer_token": str,
    "ca_file": str,
    "verify": bool,
    "timeout": str,
    "max_bytes": int,
    "headers": dict,
}

if TYPE_CHECKING:
    from warroom.sources.base import Source, SourceSpec


@dataclass(frozen=True, slots=True)
class SourceType:
    module: str
    factory: str
    options: dict[str, type | tuple[type, ...]] = field(default_factory=dict)
    needs_url: bool = True
    # Raises ValueError for options that can never work; config adds file:line.
    check: Callable[[Mapping[str, Any]], None] | None = None


SOURCE_TYPES: dict[str, SourceType] = {
    "demo": SourceType(
        "warroom.sources.demo",
        "DemoSource",
        options={"scenario": str, "speed": float},
        needs_url=False,
    ),
    "alertmanager": SourceType(
        "warroom.sources.alertmanager",
        "AlertmanagerSource",
        options={
            **HTTP_OPTIONS,
            "filter": (str, list),
            "receiver": str,
            "silenced": bool,
            "inhibited": bool,
            "silence_on_ack": bool,
        },
    ),
    "prometheus": SourceType(
        "warroom.sources.prometheus", "PrometheusSource", options=dict(HTTP_OPTIONS)
    ),
    "cloudwatch": SourceType(
        "warroom.sources.cloudwatch",
        "CloudWatchSource",
        options={
            **HTTP_OPTIONS,
            "region": str,
            "profile": str,
            "endpoint_url": str,
            "severity": str,
        },
        needs_url=False,
    ),
    "http-json": SourceType(
        "warroom.sources.httpjson",
        "HttpJsonSource",
        options={
            **HTTP_OPTIONS,
            "items": str,
            "fields": dict,
            "labels": dict,
            "annotations": dict,
            "firing_values": list,
            "pending_values": list,
            "suppressed_values": list,
            "resolved_values": list,
        },
        check=check_http_json,
    ),
}


def build_source(spec: SourceSpec) -> Source:
    kind = SOURCE_TYPES[spec.type]
    module = importlib.import_module(kind.module)
    factory: Any = getattr(module, kind.factory)
    source: Source = factory(spec)
    return source
