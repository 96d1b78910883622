"""An http step: one request, its status checked by the model (`expect_status`).

Parameter values are percent-encoded where they land in the URL, so a label
cannot add a path, a query or another host; the rendered URL must pass the same
check as sources' and channels' (`model/urls.py`). Redirects are not followed (a
step names the endpoint it means), and only the first 64 KiB of the body are
read, cleaned of escapes, for branches and the timeline.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from urllib.parse import quote

from warroom.engine.step_process import clean_output
from warroom.model.argv import Param, parse
from warroom.model.runbook import Outcome
from warroom.model.runbook_steps import Http
from warroom.model.secret import redact_url
from warroom.model.urls import UrlFault, check_http_url

BODY_BYTES = 65536


def render_url(step: str, template: str, params: Mapping[str, str | None]) -> str:
    """The URL with each parameter's value percent-encoded; ValueError naming the
    parameter without a value."""
    out: list[str] = []
    for part in parse(template):
        if isinstance(part, Param):
            value = params.get(part.name)
            if value is None:
                raise ValueError(f"step {step!r}: parameter {part.name!r} has no value")
            out.append(quote(value, safe=""))
        else:
            out.append(part)
    return "".join(out)


async def request(
    step: str, spec: Http, params: Mapping[str, str | None], limit: timedelta
) -> Outcome:
    try:
        url = render_url(step, spec.url, params)
        check_http_url(url)
    except UrlFault as exc:
        return Outcome(error=f"step {step!r}: not a usable URL: {exc}", refused=True)
    except ValueError as exc:
        return Outcome(error=str(exc), refused=True)
    shown = redact_url(url)
    import httpx  # here, not at the top: the console's first frame must not pay for it

    try:
        async with (
            httpx.AsyncClient(timeout=limit.total_seconds(), follow_redirects=False) as client,
            client.stream(spec.method, url) as response,
        ):
            body = b""
            async for data in response.aiter_bytes():
                body += data
                if len(body) >= BODY_BYTES:
                    break
    except httpx.TimeoutException:
        return Outcome(timed_out=True, error=f"{spec.method} {shown}: no answer in time")
    except httpx.HTTPError as exc:
        return Outcome(error=f"{spec.method} {shown}: {type(exc).__name__}")
    text = clean_output(body[:BODY_BYTES].decode("utf-8", errors="replace"))
    return Outcome(status=response.status_code, output=text)
