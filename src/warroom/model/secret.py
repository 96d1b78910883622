"""A credential from the config, kept as written and resolved only where it is sent.

The config may live in git, so a token is a `${ENV}` reference; what the process
holds between load and use is that reference, never the value. Every repr and
str of a `Secret` (and so of a spec, a config, an exception or a log line that
shows one) is redacted: `Secret('${AM_TOKEN}')`, or `Secret(***)` for a literal.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from urllib.parse import urlsplit, urlunsplit

from warroom.model.value import Value

# `${VAR}`, `${VAR:-default}`, and `$$` for a literal dollar
ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}|\$\$")


class SecretUnset(LookupError):
    """A referenced environment variable is not set (and has no default)."""

    def __init__(self, variable: str) -> None:
        super().__init__(f"environment variable {variable} is not set")
        self.variable = variable


def substitute(text: str, env: Mapping[str, str] | None = None) -> str:
    """`text` with every `${VAR}` replaced from the environment; SecretUnset if one is not set."""
    environ = os.environ if env is None else env

    def replace(match: re.Match[str]) -> str:
        if match.group() == "$$":
            return "$"
        var, default = match.group(1), match.group(2)
        value = environ.get(var)
        if value is not None:
            return value
        if default is not None:
            return default
        raise SecretUnset(var)

    return ENV_REF.sub(replace, text)


class Secret(Value, frozen=True):
    """A value as written in the config: a literal, or text with `${ENV}` references."""

    template: str

    def resolve(self, env: Mapping[str, str] | None = None) -> str:
        """The value to send, read from the environment now; SecretUnset names what is missing."""
        return substitute(self.template, env)

    @property
    def references(self) -> list[str]:
        """The environment variables named, in order (`$$` is a literal dollar, none)."""
        return [m.group(1) for m in ENV_REF.finditer(self.template) if m.group(1)]

    def __repr__(self) -> str:
        if not self.references:
            return "Secret(***)"
        # variable names are fit to show; literal text around them and defaults are not
        parts: list[str] = []
        last = 0
        for match in ENV_REF.finditer(self.template):
            if not match.group(1):
                continue  # `$$`: part of the literal text
            if match.start() > last:
                parts.append("***")
            default = ":-***" if match.group(2) is not None else ""
            parts.append(f"${{{match.group(1)}{default}}}")
            last = match.end()
        if last < len(self.template):
            parts.append("***")
        return f"Secret({''.join(parts)!r})"

    __str__ = __repr__


def reveal(value: str | Secret) -> str:
    """A plain option is its own value; a Secret is resolved (SecretUnset when it cannot be)."""
    return value.resolve() if isinstance(value, Secret) else value


def redact_url(url: str) -> str:
    """The URL without user:password, for reprs, messages and logs."""
    try:
        parts = urlsplit(url)
        if parts.username is None and parts.password is None:
            return url
        host = parts.hostname or ""
        if parts.port:
            host += f":{parts.port}"
    except ValueError:
        return re.sub(r"//[^/?#]*@", "//***@", url)
    return urlunsplit((parts.scheme, host, parts.path, parts.query, parts.fragment))
