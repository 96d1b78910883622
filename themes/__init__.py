"""The shipped themes (YAML), as package data: see pyproject.toml."""
