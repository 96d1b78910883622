"""`warroom schema`: the editors' JSON Schema comes from the declarations `check` decodes with.

Checked with a real validator (jsonschema, draft 7 as yaml-language-server reads
it): the shipped plans and README's examples pass, and documents `warroom check`
refuses are refused by the schema too, so an editor and `check` agree.
"""

from __future__ import annotations

import json
import re
import textwrap
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from tests.support.cli import clean_env, warroom

from warroom.config import SHIPPED_PLANS, ConfigError, load_config
from warroom.plans import load_plans

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def schemas(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, Any]]:
    """Both schemas as a responder gets them: printed by a real `warroom schema`."""
    env = clean_env(tmp_path_factory.mktemp("schema"))
    found = {}
    for what in ("plan", "config"):
        done = warroom("schema", what, env=env)
        assert done.returncode == 0, done.stderr
        assert done.stderr == ""
        found[what] = json.loads(done.stdout)
        jsonschema.Draft7Validator.check_schema(found[what])
    return found


def problems(schema: dict[str, Any], document: Any) -> list[str]:
    return [e.message for e in jsonschema.Draft7Validator(schema).iter_errors(document)]


def _example(section: str) -> str:
    match = re.search(r"```yaml\n(.*?)```", README.split(f"## {section}", 1)[1], re.S)
    assert match, section
    return match.group(1)


def test_the_shipped_plans_pass(schemas: dict[str, dict[str, Any]]) -> None:
    checked = 0
    for path in sorted(SHIPPED_PLANS.glob("*.yaml")):
        for document in yaml.safe_load_all(path.read_text(encoding="utf-8")):
            if document is not None:
                assert problems(schemas["plan"], document) == [], (path, document.get("name"))
                checked += 1
    # 6 response plans, 8 contacts, 2 schedules, 3 escalation plans, 5 runbooks
    assert checked == 24


def test_the_readme_examples_pass(schemas: dict[str, dict[str, Any]]) -> None:
    config = yaml.safe_load(_example("Configuration"))
    assert problems(schemas["config"], config) == []
    assert [s["type"] for s in config["sources"]] == [
        "demo",
        "alertmanager",
        "prometheus",
        "cloudwatch",
        "http-json",
    ]
    for document in yaml.safe_load_all(_example("Response plans")):  # a plan and its runbook
        assert problems(schemas["plan"], document) == []


def test_every_key_has_one_line_of_doc(schemas: dict[str, dict[str, Any]]) -> None:
    def walk(node: Any, where: str) -> None:
        if isinstance(node, dict):
            for name, value in (node.get("properties") or {}).items():
                doc = value.get("description", "")
                assert doc and "\n" not in doc, f"{where}.{name}"
            for key, value in node.items():
                if key != "if":  # `if kind is X`: a condition, not a key of the file
                    walk(value, f"{where}.{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, f"{where}[{index}]")

    walk(schemas["plan"], "plan")
    walk(schemas["config"], "config")


GOOD_PLAN = """\
kind: response-plan
name: disk
match: {alerts: 'alertname="DiskFull"'}
incident: {title: "Disk {labels.instance}"}
"""

# (what to change in GOOD_PLAN, what the loader says): both refuse it.
BAD_PLANS = [
    pytest.param(GOOD_PLAN + "colour: red\n", "unknown key 'colour'", id="unknown-key"),
    pytest.param(GOOD_PLAN + "resolve: auto\n", "resolve 'auto': one of", id="bad-word"),
    pytest.param(GOOD_PLAN + "reopen_within: 5\n", "not a duration", id="duration-number"),
    pytest.param(GOOD_PLAN + "reopen_within: 5 min\n", "not a duration", id="duration-words"),
    pytest.param(GOOD_PLAN + "engagements: platform\n", "expected a list", id="not-a-list"),
    pytest.param(GOOD_PLAN + "declare: {after: 2m, for: 1m}\n", "unknown key 'for'", id="nested"),
    pytest.param(
        GOOD_PLAN.replace("{title:", "{impact: 9, title:"), "impact must be 1 to 5", id="impact"
    ),
    pytest.param(
        GOOD_PLAN.replace("{title:", "{impact: {critical: 2}, title:"),
        "an impact map needs 'label'",
        id="impact-map-without-label",
    ),
    pytest.param(
        GOOD_PLAN.replace("incident:", "links: [{title: x}]\nincident:"),
        "a link needs 'url'",
        id="link-without-url",
    ),
    pytest.param(GOOD_PLAN.replace("name: disk", "name: Disk"), "plan name 'Disk'", id="name"),
    pytest.param(
        "\n".join(line for line in GOOD_PLAN.splitlines() if "incident" not in line),
        "needs 'incident'",
        id="missing-incident",
    ),
    pytest.param(
        GOOD_PLAN.replace("response-plan", "response-plans"), "unknown kind", id="unknown-kind"
    ),
    pytest.param(GOOD_PLAN.replace("kind: response-plan\n", ""), "needs a 'kind'", id="no-kind"),
]


def test_a_good_plan_passes_both(schemas: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(GOOD_PLAN, encoding="utf-8")
    assert load_plans(tmp_path).errors == []
    assert problems(schemas["plan"], yaml.safe_load(GOOD_PLAN)) == []


@pytest.mark.parametrize(("text", "said"), BAD_PLANS)
def test_a_bad_plan_is_refused_by_both(
    schemas: dict[str, dict[str, Any]], tmp_path: Path, text: str, said: str
) -> None:
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    errors = load_plans(tmp_path).errors
    assert len(errors) == 1 and said in errors[0], errors
    assert problems(schemas["plan"], yaml.safe_load(text)) != []


GOOD_RUNBOOK = """\
kind: runbook
name: disk-cleanup
parameters: [{name: path, default: "{labels.mountpoint}"}]
steps:
  - {name: usage, kind: command, argv: [du, -sh, "{params.path}"], timeout: 30s}
  - {name: decide, kind: branch, on_step: usage, choices: [{exit_code: 0, goto: ok}]}
  - {name: ask, kind: approve, message: "Delete?"}
  - {name: ok, kind: wait, until: alerts-resolved, timeout: 10m}
"""


def test_a_runbook_passes_both(schemas: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    (tmp_path / "p.yaml").write_text(GOOD_RUNBOOK, encoding="utf-8")
    planset = load_plans(tmp_path)
    assert (planset.errors, planset.warnings, list(planset.runbooks)) == ([], [], ["disk-cleanup"])
    assert problems(schemas["plan"], yaml.safe_load(GOOD_RUNBOOK)) == []


@pytest.mark.parametrize(
    ("text", "said"),
    [
        pytest.param(GOOD_RUNBOOK.replace("kind: approve", "kind: aprove"), "unknown step kind"),
        pytest.param(GOOD_RUNBOOK.replace("timeout: 30s", "timeout: soon"), "not a duration"),
        pytest.param(GOOD_RUNBOOK.replace("message:", "text:"), "unknown key 'text'"),
        pytest.param(GOOD_RUNBOOK.replace(", kind: approve", ""), "needs 'kind'"),
    ],
)
def test_a_bad_runbook_is_refused_by_both(
    schemas: dict[str, dict[str, Any]], tmp_path: Path, text: str, said: str
) -> None:
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    errors = load_plans(tmp_path).errors
    assert len(errors) == 1 and said in errors[0], errors
    assert problems(schemas["plan"], yaml.safe_load(text)) != []


GOOD_CONFIG = """\
database: w.db
label_column: pod
keymap: {incident.acknowledge: 'a,k'}
sources:
  - {name: d, type: demo, interval: 1m30s, speed: 2}
  - name: am
    type: alertmanager
    url: http://127.0.0.1:9093
    filter: ['team="a"', 'severity!="info"']
    headers: {X-Scope: "${WR_SCHEMA_TEST_TOKEN:-none}"}
    silence_on_ack: true
"""

BAD_CONFIGS = [
    pytest.param("databse: w.db\n", "unknown key 'databse'", id="unknown-key"),
    pytest.param("sources: {name: d}\n", "'sources' must be a list", id="sources-not-a-list"),
    pytest.param(
        "sources: [{name: d, type: demo, speed: fast}]\n", "'speed' must be", id="option-type"
    ),
    pytest.param(
        "sources: [{name: d, type: demo, colour: x}]\n", "unknown key 'colour'", id="option-key"
    ),
    pytest.param(
        "sources: [{name: d, type: nosuch}]\n", "unknown source type 'nosuch'", id="source-type"
    ),
    pytest.param("sources: [{type: demo}]\n", "source needs 'name'", id="no-name"),
    pytest.param(
        "sources: [{name: d, type: demo, interval: soon}]\n", "not a duration", id="interval"
    ),
    pytest.param(
        "sources: [{name: a, type: alertmanager, url: 'http://a', silence_on_ack: 'yes please'}]\n",
        "'silence_on_ack' must be true or false",
        id="bool-option",
    ),
    pytest.param("label_column: 'not a label'\n", "not a label name", id="label-column"),
    pytest.param(
        "sources: [{name: am, type: alertmanager}]\n",
        "source 'am' of type alertmanager needs 'url'",
        id="needs-url",
    ),
    pytest.param("keymap: [a]\n", "expected a mapping", id="keymap-list"),
]


def test_a_good_config_passes_both(schemas: dict[str, dict[str, Any]], tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(GOOD_CONFIG, encoding="utf-8")
    assert [s.name for s in load_config(path).sources] == ["d", "am"]
    assert problems(schemas["config"], yaml.safe_load(GOOD_CONFIG)) == []


@pytest.mark.parametrize(("text", "said"), BAD_CONFIGS)
def test_a_bad_config_is_refused_by_both(
    schemas: dict[str, dict[str, Any]], tmp_path: Path, text: str, said: str
) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert said in str(info.value)
    assert problems(schemas["config"], yaml.safe_load(text)) != []


def test_schema_needs_to_be_told_which(tmp_path: Path) -> None:
    done = warroom("schema", env=clean_env(tmp_path))
    assert done.returncode == 2
    assert "plan" in done.stderr and "config" in done.stderr
    helped = warroom("schema", "--help", env=clean_env(tmp_path))
    assert "yaml-language-server" in helped.stdout
