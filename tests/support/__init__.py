"""Helpers shared by test folders: import them as `tests.support.<module>`."""
