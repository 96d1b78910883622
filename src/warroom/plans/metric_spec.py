"""A CloudWatch metric typed by hand (the Metrics tab's `p`), read as a plan's
`metrics:` entry is, so the syntax a responder already knows from plans works
there, templates filled from the incident's alerts included:

    cloudwatch: {namespace: AWS/EC2, metric: CPUUtilization, dimensions: {InstanceId: i-1}}
    {title: CPU, cloudwatch: {namespace: AWS/EC2, metric: CPUUtilization}, source: cw}

Anything else typed there is PromQL. A spec with a mistake is refused in one
line naming it (`metric:1:45: unknown key 'perid' ...`), never kept.
"""

from __future__ import annotations

import yaml

from warroom.plans.kinds import PLAN_METRIC
from warroom.plans.plan import PlanMetric
from warroom.schema.walk import Walk

BY_HAND = "by hand"
FILE = "metric"  # what the one line of a mistake names


def is_cloudwatch(text: str) -> bool:
    """The text means a CloudWatch spec, not PromQL (no PromQL starts like this)."""
    text = text.strip()
    return text.startswith("cloudwatch:") or (text.startswith("{") and "cloudwatch:" in text)


def parse_cloudwatch(text: str) -> PlanMetric:
    """The spec as a plan's metric (title "by hand" unless given); ValueError in one line."""
    try:
        node = yaml.compose(text.strip(), Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"{FILE}:1:{mark.column + 1}" if mark is not None else FILE
        raise ValueError(f"{at}: not a CloudWatch spec: {getattr(exc, 'problem', exc)}") from None
    if not isinstance(node, yaml.MappingNode):
        raise ValueError(f"{FILE}: write cloudwatch: {{namespace: NS, metric: NAME, ...}}")
    keys = {k.value for k, _ in node.value if isinstance(k, yaml.ScalarNode)}
    if "title" not in keys:
        tag = "tag:yaml.org,2002:str"
        start = node.start_mark
        title = (
            yaml.ScalarNode(tag, "title", start, start),
            yaml.ScalarNode(tag, BY_HAND, start, start),
        )
        node.value.insert(0, title)
    walk = Walk(FILE)
    spec = walk.decode(node, PLAN_METRIC)
    errors = walk.errors()
    if errors or not isinstance(spec, PlanMetric):
        raise ValueError("; ".join(str(e) for e in errors) or f"{FILE}: not a CloudWatch spec")
    if spec.promql is not None:
        raise ValueError(f"{FILE}: a CloudWatch spec or PromQL, not both")
    return spec
