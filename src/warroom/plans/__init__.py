"""Response plans kept as YAML in `plans/`: loading and validation (issue #4 fills this in)."""
