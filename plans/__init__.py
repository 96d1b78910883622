"""The example response plans (YAML), as package data: see pyproject.toml."""
