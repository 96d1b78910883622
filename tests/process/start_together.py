"""Run `warroom ARGS` in this process once every sibling is ready to.

Usage: python start_together.py FD ARGS...

Python's start-up and warroom's imports take a varying second or more on a busy
machine, so processes spawned one after another would open the database one
after another. Each imports first, says `ready`, then blocks reading FD, a
pipe whose write end the test closes once all are ready: the end of file wakes
them together, which is what a race test needs.
"""

from __future__ import annotations

import os
import sys

import warroom.cli.check
import warroom.cli.headless
import warroom.engine
import warroom.store.database  # noqa: F401  # imported now, not after the start
from warroom.cli.main import main

if __name__ == "__main__":
    print("ready", flush=True)
    os.read(int(sys.argv[1]), 1)
    sys.exit(main(sys.argv[2:]))
