"""Declarations of what config and plan files hold, one walker for them, and their JSON Schema."""
