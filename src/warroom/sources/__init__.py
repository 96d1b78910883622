"""Alarm sources: fetch and normalise to `Alert`. No store, no screen."""

from warroom.sources.base import Source, SourceError, SourceSpec

__all__ = ["Source", "SourceError", "SourceSpec"]
