"""Which source types exist and what options each takes.

Pure data plus a lazy factory: config validation reads the option schemas, and
only the types actually configured get imported (so the console does not pay for
httpx or botocore when it runs the demo).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from warroom.model.secret import Secret
from warroom.model.value import Value, field
from warroom.sources.jsonmap import check_options as check_http_json
from warroom.sources.options import (
    HTTP_CHECKS,
    Check,
    check_matchers,
    check_path,
    check_path_map,
    check_positive,
    check_regex,
    check_region,
    check_scalars,
    check_scenario,
    check_severity,
    check_url,
)

# Option names and types only: importing this module must not import httpx.
# A Secret option keeps its `${ENV}` reference until a request is built; so does a
# header value that holds one (config.py reads `headers` that way).
HTTP_OPTIONS: dict[str, type | tuple[type, ...]] = {
    "username": str,
    "password": Secret,
    "bearer_token": Secret,
    "ca_file": str,
    "verify": bool,
    "timeout": str,
    "max_bytes": int,
    "headers": dict,
}

if TYPE_CHECKING:
    from warroom.model import Alert
    from warroom.sources.base import Source, SourceSpec


class SourceType(Value, frozen=True):
    module: str
    factory: str
    options: dict[str, type | tuple[type, ...]] = field(default_factory=dict)
    needs_url: bool = True
    # per option: raises OptionError for a value that can never work; config adds file:line:col
    checks: dict[str, Check] = field(default_factory=dict)
    url_check: Check = check_url
    # the options together: raises ValueError (OptionError to point at one of them)
    check: Callable[[Mapping[str, Any]], None] | None = None


SOURCE_TYPES: dict[str, SourceType] = {
    "demo": SourceType(
        "warroom.sources.demo",
        "DemoSource",
        options={"scenario": str, "speed": float, "seed": int},
        needs_url=False,
        checks={"scenario": check_scenario, "speed": check_positive},
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
        # Alertmanager's `receiver` parameter is a regex over receiver names
        checks={**HTTP_CHECKS, "filter": check_matchers, "receiver": check_regex},
    ),
    "prometheus": SourceType(
        "warroom.sources.prometheus",
        "PrometheusSource",
        options=dict(HTTP_OPTIONS),
        checks=dict(HTTP_CHECKS),
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
        checks={
            **HTTP_CHECKS,
            "region": check_region,
            "endpoint_url": check_url,
            "severity": check_severity,
        },
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
        checks={
            **HTTP_CHECKS,
            "items": check_path,
            "fields": check_path_map,
            "labels": check_path_map,
            "annotations": check_path_map,
            "firing_values": check_scalars,
            "pending_values": check_scalars,
            "suppressed_values": check_scalars,
            "resolved_values": check_scalars,
        },
        url_check=lambda url: check_url(url, allow_query=True),
        check=check_http_json,
    ),
}


def build_source(spec: SourceSpec) -> Source:
    """The source, or a stand-in that fails every poll with the reason it could not be built.

    Config load checks every option, but a CA file deleted since, a missing
    optional dependency or a bug must cost this one source, with its reason in
    its health, never the command or the console (nor leave an engine hanging).
    """
    from warroom.sources.base import SourceError

    if spec.problem:  # the config said what is wrong with it, where
        return BrokenSource(spec, f"misconfigured: {spec.problem}")
    try:
        kind = SOURCE_TYPES[spec.type]
        module = importlib.import_module(kind.module)
        factory: Any = getattr(module, kind.factory)
        source: Source = factory(spec)
    except SourceError as exc:
        return BrokenSource(spec, exc.reason)
    except ImportError as exc:
        return BrokenSource(spec, f"cannot load its module: {exc}")
    except Exception as exc:  # ValueError for an option, or a bug: fail this source only
        text = str(exc) or type(exc).__name__
        return BrokenSource(spec, f"misconfigured: {text}")
    return source


class BrokenSource:
    """A source that could not be built: every poll fails with why."""

    def __init__(self, spec: SourceSpec, reason: str) -> None:
        self.name = spec.name
        self.interval = spec.interval
        self.reason = reason

    async def fetch(self) -> list[Alert]:
        from warroom.sources.base import SourceError

        raise SourceError(self.name, self.reason)

    async def close(self) -> None:
        return None
