"""Labels and annotations are stored as the same JSON text whichever encoder writes them.

`text_map_json` (orjson) replaced `dumps` (the stdlib) for alert rows; rows
already stored, digests and the SQL that reads `labels` with json_each expect
one spelling: compact, keys sorted, non-ASCII as is.
"""

from __future__ import annotations

import random

from warroom.store.rows import dumps, text_map_json

HOSTILE = [
    {},
    {"alertname": "DiskFull", "instance": "web-1:9100", "severity": "critical"},
    {"z": "1", "a": 'ü\u2028\u2029\x00\x1f\x7f"\\/\n\t\r\b\f', "é": "😀", "Z": "", "_": "x"},
    {"bell": "\x07\x1b[2J", "rtl": "\u202e", "bom": "\ufeff", "max": "\U0010ffff"},
    {"lone": "\ud800"},  # a lone surrogate: the stdlib writes it, orjson refuses it
]


def test_text_maps_are_written_as_dumps_writes_them() -> None:
    rng = random.Random(9)
    alphabet = [chr(c) for c in [*range(0x250), 0x2028, 0x2029, 0xFEFF, 0x1F600, 0x10FFFF]]
    samples = list(HOSTILE)
    for _ in range(500):
        samples.append(
            {
                "".join(rng.choices(alphabet, k=rng.randint(0, 6))): "".join(
                    rng.choices(alphabet, k=rng.randint(0, 12))
                )
                for _ in range(rng.randint(0, 6))
            }
        )
    for sample in samples:
        assert text_map_json(sample) == dumps(sample), sample
