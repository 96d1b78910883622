"""Untrusted text made safe to show.

Everything from a source, a plan or another responder may carry terminal escape
sequences (ESC, CSI as U+009B), NULs, or bidirectional overrides that reorder
what the responder reads. Those are replaced by visible stand-ins, so the text
is shown literally and never acts on the terminal. Markup is a separate concern:
the TUI never parses this text as markup at all.
"""

from __future__ import annotations

import re
from typing import Any

_BIDI = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_UNSAFE = re.compile(f"[\x00-\x1f\x7f-\x9f{_BIDI}\u2028\u2029\ufeff]")


def _stand_in(match: re.Match[str]) -> str:
    char = match.group()
    code = ord(char)
    if char == "\t":
        return " "
    if code < 0x20:
        return chr(0x2400 + code)  # Unicode control pictures: ␀ ␛ ␊ ...
    if code == 0x7F:
        return "\u2421"  # ␡
    return f"<U+{code:04X}>"


def strip_unsafe(value: str) -> str:
    """Remove control and bidi characters outright: for text a responder is typing
    or pasting, where a visible stand-in would end up in the note itself."""
    return _UNSAFE.sub("", value.replace("\t", " "))


def safe_text(value: object, limit: int | None = None) -> str:
    """One line, no control or bidi characters, optionally cut to `limit` chars."""
    text = _UNSAFE.sub(_stand_in, str(value))
    if limit is not None and len(text) > limit:
        text = text[: max(0, limit - 1)] + "…"
    return text


# lone surrogates too: no UTF-8 encoder takes them; as \uXXXX escapes they are valid JSON
_JSON_UNSAFE = re.compile(f"[\x7f-\x9f{_BIDI}\u2028\u2029\ufeff\ud800-\udfff]")


def escape_json_output(text: str) -> str:
    """JSON text with C1, bidi and DEL characters as \\u escapes (still valid JSON).

    `json.dumps` escapes C0 inside strings but leaves U+009B (a CSI on many
    terminals) and bidi overrides raw; output piped to a terminal must not carry
    them. C0 outside strings is JSON's own whitespace and stays.
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def escape_json_bytes(data: bytes) -> bytes:
    """`escape_json_output` for UTF-8 JSON, without decoding the usual ASCII case
    (checked at C speed): there only DEL can need escaping."""
    if data.isascii():
        return data.replace(b"\x7f", b"\\u007f")
    return escape_json_output(data.decode()).encode()


_SURROGATE = re.compile("[\ud800-\udfff]")


def replace_lone_surrogates(value: Any) -> Any:
    """`value` (decoded JSON) with every lone UTF-16 surrogate as U+FFFD.

    JSON may spell one as `\\ud800`, and `json.loads` hands it back as is: a
    str that no UTF-8 encoder accepts, so one hostile label would make every
    write to the database and the terminal fail. A valid pair is decoded to a
    single character, so any surrogate left is lone.
    """
    if isinstance(value, str):
        return value if value.isascii() else _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list):
        return [replace_lone_surrogates(v) for v in value]
    if isinstance(value, dict):
        return {replace_lone_surrogates(k): replace_lone_surrogates(v) for k, v in value.items()}
    return value
