"""Response plans kept as YAML in `plans/`: loading, validation, matching. No store, no screen."""

from warroom.plans.loader import PlanSet, load_plans
from warroom.plans.plan import (
    PlanIndex,
    Proposal,
    ResolvePolicy,
    ResponsePlan,
    propose,
    render_links,
)

__all__ = [
    "PlanIndex",
    "PlanSet",
    "Proposal",
    "ResolvePolicy",
    "ResponsePlan",
    "load_plans",
    "propose",
    "render_links",
]
