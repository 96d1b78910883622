"""Data shipped with warroom: the themes and example plans, kept at the top of the
repository (themes/, plans/) and mapped here by pyproject.toml, so a checkout and
an installed wheel find them the same way (importlib.resources)."""
