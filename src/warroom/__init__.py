"""warroom: a terminal incident console for on-call responders."""

__version__ = "0.1.0"
