"""The domain layer: pure functions and values, no I/O."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta, timezone

import pytest

from warroom.model import Impact, IncidentStatus, LeaseInfo, Severity, SourceHealth, fingerprint_of
from warroom.model.clock import format_age, parse_duration, parse_timestamp, to_epoch
from warroom.model.text import escape_json_output, safe_text

# ---------------------------------------------------------------- Severity


@pytest.mark.parametrize(
    ("spelling", "expected"),
    [
        ("critical", Severity.CRITICAL),
        ("CRITICAL", Severity.CRITICAL),
        ("  Crit ", Severity.CRITICAL),
        ("page", Severity.CRITICAL),
        ("P1", Severity.CRITICAL),
        ("fatal", Severity.CRITICAL),
        ("high", Severity.ERROR),
        ("error", Severity.ERROR),
        ("err", Severity.ERROR),
        ("Major", Severity.ERROR),
        ("p2", Severity.ERROR),
        ("warning", Severity.WARNING),
        ("WARN", Severity.WARNING),
        ("medium", Severity.WARNING),
        ("minor", Severity.WARNING),
        ("p3", Severity.WARNING),
        ("info", Severity.INFO),
        ("informational", Severity.INFO),
        ("low", Severity.INFO),
        ("notice", Severity.INFO),
        ("p4", Severity.INFO),
        ("none", Severity.NONE),
        ("", Severity.NONE),
        (None, Severity.NONE),
        ("bogus", Severity.NONE),
        (3, Severity.NONE),
    ],
)
def test_severity_parse_spellings(spelling: object, expected: Severity) -> None:
    assert Severity.parse(spelling) is expected


def test_severity_rank_orders_most_urgent_first() -> None:
    ordered = sorted(Severity, key=lambda s: s.rank)
    assert ordered == [
        Severity.CRITICAL,
        Severity.ERROR,
        Severity.WARNING,
        Severity.INFO,
        Severity.NONE,
    ]


# ---------------------------------------------------------------- fingerprint_of


def test_fingerprint_is_independent_of_label_order() -> None:
    a = {"alertname": "Disk", "instance": "db-1", "severity": "warning"}
    b = {"severity": "warning", "instance": "db-1", "alertname": "Disk"}
    assert fingerprint_of(a) == fingerprint_of(b)


def test_fingerprint_differs_when_labels_differ() -> None:
    base = {"alertname": "Disk", "instance": "db-1"}
    assert fingerprint_of(base) != fingerprint_of({**base, "instance": "db-2"})
    assert fingerprint_of(base) != fingerprint_of({**base, "extra": ""})
    # keys and values must not be confusable by concatenation
    assert fingerprint_of({"ab": "c"}) != fingerprint_of({"a": "bc"})


def test_fingerprint_is_a_short_hex_string() -> None:
    fp = fingerprint_of({"alertname": "x"})
    assert len(fp) == 16
    int(fp, 16)


def test_fingerprint_is_stable_across_processes() -> None:
    """No salted hash(): another interpreter with another hash seed agrees."""
    labels = {"alertname": "Disk", "instance": "db-1", "ünï": "cödé"}
    code = (
        "import json, sys; from warroom.model import fingerprint_of;"
        "print(fingerprint_of(json.loads(sys.argv[1])))"
    )
    seen = set()
    for seed in ("1", "2", "12345"):
        env = {**os.environ, "PYTHONHASHSEED": seed}
        out = subprocess.run(
            [sys.executable, "-c", code, json.dumps(labels)],
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        seen.add(out.stdout.strip())
    assert seen == {fingerprint_of(labels)}


# ---------------------------------------------------------------- durations


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("15s", 15),
        ("1m30s", 90),
        ("500ms", 0.5),
        ("2h", 7200),
        ("1d", 86400),
        ("1w", 604800),
        ("1.5h", 5400),
        ("1h1m1s", 3661),
        (" 15s ", 15),
    ],
)
def test_parse_duration(text: str, seconds: float) -> None:
    assert parse_duration(text) == timedelta(seconds=seconds)


@pytest.mark.parametrize(
    "text", ["", "   ", "15", "s", "15x", "1m 30s", "-5s", "15S", "abc", "5s!"]
)
def test_parse_duration_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError, match="not a duration"):
        parse_duration(text)


# ---------------------------------------------------------------- timestamps


def test_parse_timestamp_zulu() -> None:
    parsed = parse_timestamp("2024-05-01T12:00:00Z")
    assert parsed == datetime(2024, 5, 1, 12, 0, tzinfo=UTC)
    assert parsed.utcoffset() == timedelta(0)


def test_parse_timestamp_lowercase_z() -> None:
    assert parse_timestamp("2024-05-01T12:00:00z") == datetime(2024, 5, 1, 12, tzinfo=UTC)


def test_parse_timestamp_offset_is_converted_to_utc() -> None:
    parsed = parse_timestamp("2024-05-01T14:30:00+02:00")
    assert parsed == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert parsed.tzinfo == UTC
    west = parse_timestamp("2024-05-01T07:30:00-05:00")
    assert west == datetime(2024, 5, 1, 12, 30, tzinfo=UTC)
    assert west.tzinfo == UTC


def test_parse_timestamp_nanoseconds_are_truncated_to_microseconds() -> None:
    parsed = parse_timestamp("2024-05-01T12:00:00.123456789Z")
    assert parsed == datetime(2024, 5, 1, 12, 0, 0, 123456, tzinfo=UTC)
    with_offset = parse_timestamp("2024-05-01T13:00:00.987654321+01:00")
    assert with_offset == datetime(2024, 5, 1, 12, 0, 0, 987654, tzinfo=UTC)


def test_parse_timestamp_short_fraction() -> None:
    assert parse_timestamp("2024-05-01T12:00:00.5Z").microsecond == 500000


def test_parse_timestamp_go_zero_time() -> None:
    """Alertmanager sends 0001-01-01T00:00:00Z as endsAt of firing alerts."""
    assert parse_timestamp("0001-01-01T00:00:00Z") == datetime(1, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize("text", ["2024-05-01T12:00:00", "2024-05-01 12:00:00.123456789"])
def test_parse_timestamp_rejects_naive(text: str) -> None:
    with pytest.raises(ValueError, match="without a zone"):
        parse_timestamp(text)


@pytest.mark.parametrize("text", ["", "yesterday", "2024-13-01T00:00:00Z"])
def test_parse_timestamp_rejects_garbage(text: str) -> None:
    with pytest.raises(ValueError):
        parse_timestamp(text)


def test_to_epoch_rejects_naive_datetime() -> None:
    with pytest.raises(ValueError, match="naive"):
        to_epoch(datetime(2024, 1, 1))
    assert to_epoch(datetime(1970, 1, 1, 1, tzinfo=timezone(timedelta(hours=1)))) == 0.0


# ---------------------------------------------------------------- ages


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [
        (-30, "now"),
        (0, "now"),
        (9.9, "now"),
        (10, "10s"),
        (19, "10s"),
        (59, "50s"),
        (60, "1m"),
        (119, "1m"),
        (3599, "59m"),
        (3600, "1h00m"),
        (3660, "1h01m"),
        (86399, "23h59m"),
        (86400, "1d00h"),
        (90000, "1d01h"),
        (10 * 86400 + 5 * 3600, "10d05h"),
    ],
)
def test_format_age_buckets(seconds: float, shown: str) -> None:
    assert format_age(timedelta(seconds=seconds)) == shown


# ---------------------------------------------------------------- untrusted text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("\x1b[31mred", "\u241b[31mred"),  # ESC -> ␛
        ("a\x9b31mb", "a<U+009B>31mb"),  # 8-bit CSI
        ("nul\x00here", "nul\u2400here"),  # NUL -> ␀
        ("del\x7f", "del\u2421"),  # DEL -> ␡
        ("abc\u202edef", "abc<U+202E>def"),  # right-to-left override
        ("x\u2066y\u2069", "x<U+2066>y<U+2069>"),  # isolates
        ("line1\nline2", "line1\u240aline2"),  # one line only
        ("bell\x07", "bell\u2407"),
        ("a\u2028b", "a<U+2028>b"),
        ("\x85next", "<U+0085>next"),
        ("tab\there", "tab here"),
    ],
)
def test_safe_text_makes_controls_visible(raw: str, shown: str) -> None:
    assert safe_text(raw) == shown


def test_safe_text_leaves_plain_text_alone() -> None:
    plain = "Disk /var/lib/postgresql on db-3 is 91% full — ünïcödé 日本 [bold]x[/] $HOME"
    assert safe_text(plain) == plain


def test_safe_text_output_never_contains_controls() -> None:
    raw = "".join(chr(c) for c in range(0x00, 0xA0)) + "\u202a\u202b\u202c\u202d\u202e\u2066\u2067"
    shown = safe_text(raw)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in shown)
    assert not any(c in shown for c in "\u202a\u202b\u202c\u202d\u202e\u2066\u2067")


def test_safe_text_converts_non_strings() -> None:
    assert safe_text(42) == "42"
    assert safe_text(None) == "None"


def test_safe_text_limit_adds_ellipsis() -> None:
    assert safe_text("abcdefgh", limit=5) == "abcd…"
    assert len(safe_text("x" * 500, limit=60)) == 60
    assert safe_text("abcde", limit=5) == "abcde"  # exactly at the limit: untouched
    assert safe_text("abc", limit=10) == "abc"


def test_safe_text_limit_counts_stand_ins() -> None:
    shown = safe_text("\x9b" * 10, limit=12)
    assert len(shown) == 12
    assert shown.endswith("…")


# ---------------------------------------------------------------- JSON output

_UNSAFE_IN_OUTPUT = [chr(c) for c in range(0x7F, 0xA0)] + list(
    "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u2028\u2029"
)


def test_escape_json_output_round_trips_and_removes_raw_controls() -> None:
    obj = {
        "csi": "x\x9b31my",
        "bidi": "abc\u202edef\u2066g\u2069",
        "del": "d\x7f",
        "esc": "\x1b[2J",
        "nl": "a\nb",
        "ls": "a\u2028b",
        "plain": "日本 ünï — ok",
        "nested": [{"k\x9b": "v\u200f"}],
    }
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    assert "\x9b" in text  # json.dumps alone leaves C1 raw: the reason for the function
    escaped = escape_json_output(text)
    assert json.loads(escaped) == obj
    for char in _UNSAFE_IN_OUTPUT:
        assert char not in escaped, f"raw U+{ord(char):04X} left in output"
    assert not any(ord(c) < 0x20 for c in escaped)
    assert "日本 ünï — ok" in escaped  # non-ASCII text stays readable


def test_escape_json_output_leaves_safe_json_unchanged() -> None:
    text = json.dumps({"a": [1, 2.5, None, True], "b": "ünï"}, ensure_ascii=False)
    assert escape_json_output(text) == text


def test_escape_json_output_keeps_indented_json_valid() -> None:
    obj = {"a": "x\x9by", "b": [1, 2]}
    escaped = escape_json_output(json.dumps(obj, ensure_ascii=False, indent=2))
    assert json.loads(escaped) == obj


def test_print_json_line_is_escape_free(capsys: pytest.CaptureFixture[str]) -> None:
    from warroom.cli.output import print_json_line

    obj = {"name": "evil\x9b2J\u202e", "n": 1}
    print_json_line(obj)
    out = capsys.readouterr().out
    assert out.endswith("\n") and out.count("\n") == 1
    assert json.loads(out) == obj
    assert "\x9b" not in out and "\u202e" not in out


# ---------------------------------------------------------------- incidents, health


def test_impact_scale_and_meanings() -> None:
    assert [int(i) for i in Impact] == [1, 2, 3, 4, 5]
    assert Impact.CRITICAL < Impact.HIGH < Impact.MEDIUM < Impact.LOW < Impact.NO_IMPACT
    assert Impact(1).meaning.startswith("Critical: full application failure")
    assert "many customers" in Impact.CRITICAL.meaning
    assert Impact(2).meaning.startswith("High: full application failure")
    assert "subset" in Impact.HIGH.meaning
    assert Impact(3).meaning.startswith("Medium: partial application failure")
    assert Impact(4).meaning.startswith("Low: partial application failure")
    assert Impact(5).meaning.startswith("No impact: customers are not currently affected")
    assert len({i.meaning for i in Impact}) == 5


def test_impact_labels() -> None:
    assert Impact.CRITICAL.label == "1 critical"
    assert Impact.NO_IMPACT.label == "5 no impact"
    with pytest.raises(ValueError):
        Impact(0)
    with pytest.raises(ValueError):
        Impact(6)


def test_incident_status_activity() -> None:
    assert IncidentStatus.OPEN.is_active
    assert IncidentStatus.ACKNOWLEDGED.is_active
    assert not IncidentStatus.RESOLVED.is_active


def test_source_health_staleness() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    interval = timedelta(seconds=15)
    assert not SourceHealth("s", interval).is_stale(now)  # never polled yet
    assert SourceHealth("s", interval, last_attempt=now).is_stale(now)  # tried, never succeeded
    fresh = SourceHealth("s", interval, last_success=now - timedelta(seconds=30))
    assert not fresh.is_stale(now)
    old = SourceHealth("s", interval, last_success=now - timedelta(seconds=46))
    assert old.is_stale(now)
    failing = SourceHealth("s", interval, last_success=now, failures=1)
    assert failing.is_failing
    assert not failing.is_stale(now)  # one failed poll is not yet three missed intervals
    assert failing.is_stale(now + timedelta(seconds=46))
    assert not fresh.is_failing
    assert fresh.age(now) == timedelta(seconds=30)
    assert SourceHealth("s", interval).age(now) is None


def test_lease_info_liveness() -> None:
    now = datetime(2026, 1, 1, 12, tzinfo=UTC)
    assert LeaseInfo("engine", "a", now + timedelta(seconds=1)).is_live(now)
    assert not LeaseInfo("engine", "a", now).is_live(now)


def test_lone_surrogates_become_replacement_characters_everywhere_in_decoded_json() -> None:
    from warroom.offload import loads

    body = (
        b'[{"labels": {"k\\udc00": "a\\ud800b"}, "pair": "\\ud83d\\ude00",'
        b' "literal": "\\\\ud800", "n": [1, null, "\\uDBFF"]}]'
    )
    decoded = loads(body)
    assert decoded == [
        {
            "labels": {"k\ufffd": "a\ufffdb"},
            "pair": "\U0001f600",  # a valid pair is one character, left alone
            "literal": "\\ud800",  # an escaped backslash: text, not an escape
            "n": [1, None, "\ufffd"],
        }
    ]
    json.dumps(decoded, ensure_ascii=False).encode("utf-8")  # no surrogate left to refuse


def test_plain_json_is_decoded_without_the_surrogate_walk() -> None:
    from warroom.offload import loads

    assert loads(b'{"a": "\\u00e9\\u202e"}') == {"a": "\u00e9\u202e"}


def _records_out(capsys: pytest.CaptureFixture[str], records: list[dict[str, object]]) -> str:
    from warroom.cli.output import print_json_records

    print_json_records(records, first_key="source")
    return capsys.readouterr().out


def test_json_records_are_one_line_each_even_with_the_boundary_inside_values(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records: list[dict[str, object]] = [
        {
            "source": f"s{i}",
            "labels": {"source": '},{"source":"x"}', "k": '\n},{"source":'},
            "annotations": {},
            "n": i,
        }
        for i in range(3)
    ]
    out = _records_out(capsys, records)
    assert out.endswith("\n") and out.count("\n") == 3
    assert [json.loads(line) for line in out.splitlines()] == records


def test_json_records_fall_back_when_the_split_would_be_wrong_or_orjson_refuses(
    capsys: pytest.CaptureFixture[str],
) -> None:
    nested: list[dict[str, object]] = [
        {"source": "a", "items": [{"x": 1}, {"source": "inner"}]},
        {"source": "b", "items": []},
    ]
    out = _records_out(capsys, nested)
    assert [json.loads(line) for line in out.splitlines()] == nested
    refused: list[dict[str, object]] = [
        {"source": "a", "lone": "x\ud800y", "big": 2**70},
        {"source": "b", "ok": "ünï \x9b\u202e"},
    ]
    out = _records_out(capsys, refused)
    lines = out.splitlines()
    assert len(lines) == 2
    assert json.loads(lines[0]) == {"source": "a", "lone": "x\ud800y", "big": 2**70}
    assert json.loads(lines[1]) == refused[1]
    assert "ünï" in out
    for raw in ("\x9b", "\u202e", "\ud800"):
        assert raw not in out


def test_json_records_escape_del_and_c1_from_orjson_output(
    capsys: pytest.CaptureFixture[str],
) -> None:
    records: list[dict[str, object]] = [{"source": "a", "v": "d\x7f \x1b[2J"}]
    out = _records_out(capsys, records)
    assert "\x7f" not in out and "\x1b" not in out
    assert json.loads(out) == records[0]
