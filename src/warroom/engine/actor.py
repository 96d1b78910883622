"""Who did it: every action is recorded with the responder's name."""

from __future__ import annotations

import getpass
import os
import socket


def current_actor() -> str:
    """The OS user; under sudo, the person who ran sudo, not root."""
    sudo_user = os.environ.get("SUDO_USER")
    if sudo_user and sudo_user != "root":
        return sudo_user
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return f"uid{os.getuid()}"


def process_identity() -> str:
    """Names the lease holder in the status bar: user@host:pid."""
    return f"{current_actor()}@{socket.gethostname()}:{os.getpid()}"
