"""`warroom schema plan|config`: a JSON Schema for editors, from the declarations `check` uses.

Save it and point yaml-language-server at it (a `# yaml-language-server:
$schema=PATH` line at the top of the file, or `yaml.schemas` in the editor's
settings): keys complete with their docs, and a wrong key, type or word is
underlined before `warroom check` runs.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from warroom.schema.jsonschema import document

WHAT = ("plan", "config")


def schema_for(what: str) -> dict[str, Any]:
    if what == "plan":
        from warroom.plans.kinds import DOCUMENT

        return document(
            "warroom plan",
            DOCUMENT,
            "One YAML document of a file in plans/ (several per file, '---' between them).",
        )
    from warroom.config_schema import CONFIG

    return document("warroom config", CONFIG, CONFIG.doc)


def run_schema(what: str) -> int:
    json.dump(schema_for(what), sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
