"""Alarm sources: fetch and normalise to `Alert`. No store, no screen."""

import sys

# httpx imports its command-line client (click, rich, pygments: ~0.1 s) from its
# package __init__, inside try/except ImportError. We never use it; blocking it
# before any source imports httpx keeps `warroom alerts` and the console lean.
sys.modules.setdefault("httpx._main", None)  # type: ignore[arg-type]

from warroom.sources.base import Source, SourceError, SourceSpec  # noqa: E402

__all__ = ["Source", "SourceError", "SourceSpec"]
