"""A command step's argv, rendered from its parameters: never a shell.

Each argv element is rendered on its own, so a value can never split into more
arguments, and the process is started with the list as it is (no `sh -c`): a
label holding `$(touch /tmp/x)`, backticks or `;` is one literal argument.
An argv list stops command injection but not argument injection (CWE-88), so a
value is refused, with the step and argument named, before anything runs when:
- it is missing or empty (`‹labels.x?›` is fine in a title, never in argv);
- it starts with `-` (it would be read as an option), unless it comes after a
  literal `--` (the end of options); a literal `-v` written in the file is fine;
- it holds a control character (NUL, ESC, newline ...) or is not valid text;
- it is longer than MAX_VALUE_BYTES.
The program (argv[0]) is a literal from the file, never a template.

Step templates name only parameters, `{params.NAME}`: alert fields reach a step
through a parameter's default (`default: "{labels.instance}"`), so a runbook
started by hand and one started from an alert render the same way.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence

from warroom.model.value import Value

MAX_VALUE_BYTES = 4096  # a value longer than a path is no host name, file or service
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
ALERT_FIELDS = ("labels", "annotations", "name", "source", "severity", "fingerprint", "plan")


class TemplateSyntax(ValueError):
    """A step template that can never render; `position` is the character at fault."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(message)
        self.position = position


class Param(Value, frozen=True):
    name: str
    position: int  # where `{` stands in the text, to point at it


Part = str | Param


def parse(text: str) -> tuple[Part, ...]:
    """Literal text and `{params.NAME}` fields; `{{` and `}}` are literal braces."""
    parts: list[Part] = []
    literal: list[str] = []
    i = 0
    while i < len(text):
        if text.startswith("{{", i) or text.startswith("}}", i):
            literal.append(text[i])
            i += 2
            continue
        if text[i] == "}":
            raise TemplateSyntax("single '}' (write '}}' for a literal brace)", i)
        if text[i] != "{":
            literal.append(text[i])
            i += 1
            continue
        end = text.find("}", i)
        if end < 0:
            raise TemplateSyntax("'{' without a closing '}' (write '{{' for a literal brace)", i)
        if literal:
            parts.append("".join(literal))
            literal = []
        parts.append(_param(text[i + 1 : end].strip(), i))
        i = end + 1
    if literal:
        parts.append("".join(literal))
    return tuple(parts)


def _param(spec: str, position: int) -> Param:
    root, _, key = spec.partition(".")
    if root == "params" and _NAME.match(key):
        return Param(key, position)
    if root in ALERT_FIELDS:
        raise TemplateSyntax(
            f"{{{spec}}}: a step names parameters ({{params.NAME}}); take alert fields"
            f' through a parameter\'s default (e.g. default: "{{labels.instance}}")',
            position,
        )
    raise TemplateSyntax(f"unknown template field {{{spec}}} (write {{params.NAME}})", position)


def params_named(text: str) -> list[Param]:
    return [p for p in parse(text) if isinstance(p, Param)]


class ArgvRefused(ValueError):
    """A step that must not run as rendered; the message names the step and argument."""

    def __init__(self, step: str, index: int, element: str, reason: str) -> None:
        super().__init__(f"step {step!r}, argument {index} ({element!r}): {reason}")
        self.step = step
        self.index = index
        self.reason = reason


def value_problem(value: str) -> str | None:
    """Why a substituted value may not reach a process, or None."""
    if not value:
        return "is empty"
    if any(unicodedata.category(c) == "Cs" for c in value):
        return "is not valid text (a lone surrogate)"
    bad = next((c for c in value if _control(c)), None)
    if bad is not None:
        return f"holds the control character U+{ord(bad):04X}"
    size = len(value.encode("utf-8"))
    if size > MAX_VALUE_BYTES:
        return f"is {size} bytes long, more than {MAX_VALUE_BYTES}"
    return None


def _control(char: str) -> bool:
    code = ord(char)
    return code < 0x20 or 0x7F <= code <= 0x9F


def render_argv(
    step: str, argv: Sequence[str], params: Mapping[str, str | None]
) -> tuple[str, ...]:
    """The argv to run, or ArgvRefused for the first element that must not run.

    `params` maps each parameter to its value, None when it has none."""
    if not argv:
        raise ArgvRefused(step, 0, "", "a command needs a program")
    rendered: list[str] = []
    options_ended = False
    for index, element in enumerate(argv):
        parts = parse(element)
        if index == 0 and any(isinstance(p, Param) for p in parts):
            raise ArgvRefused(step, 0, element, "the program must be a literal, not a template")
        if "\0" in element:
            raise ArgvRefused(step, index, element, "holds a NUL character")
        out: list[str] = []
        for part in parts:
            if isinstance(part, str):
                out.append(part)
                continue
            value = params.get(part.name)
            if value is None:
                raise ArgvRefused(step, index, element, f"parameter {part.name!r} has no value")
            problem = value_problem(value)
            if problem is None and value.startswith("-") and not options_ended:
                problem = "starts with '-', so the program would read it as an option"
            if problem is not None:
                raise ArgvRefused(
                    step, index, element, f"the value of parameter {part.name!r} {problem}"
                )
            out.append(value)
        rendered.append("".join(out))
        if index and element == "--":
            options_ended = True
    return tuple(rendered)


def render_text(text: str, params: Mapping[str, str | None]) -> str:
    """Instructions, a URL or a message: a missing value shows as `‹params.x?›`.

    For what a responder reads; a URL is checked again where it is requested."""
    out: list[str] = []
    for part in parse(text):
        if isinstance(part, str):
            out.append(part)
        else:
            value = params.get(part.name)
            out.append(value if value is not None else f"‹params.{part.name}?›")
    return "".join(out)
