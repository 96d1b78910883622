"""Shared test helpers.

Tests that need a real binary (Alertmanager, Prometheus, ...) skip on a laptop
that lacks it, with the package to install; in CI (`WARROOM_REQUIRE_REAL=1`,
set by `.ci/run`) they fail instead, so a missing install step cannot hide.
"""

from __future__ import annotations

import os
import shutil

import pytest


def require_binary(name: str, debian_package: str) -> str:
    path = shutil.which(name)
    if path:
        return path
    message = f"{name} not found: install it with `apt-get install {debian_package}`"
    if os.environ.get("WARROOM_REQUIRE_REAL") == "1":
        pytest.fail(f"{message} (WARROOM_REQUIRE_REAL=1: real components are required)")
    pytest.skip(message)
