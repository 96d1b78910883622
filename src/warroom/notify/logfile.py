"""The `log` channel: each page is one JSON line appended to a local file.

It is what the demo pages into, so `warroom --demo` engages people without a
network, and what a team can point at a file its own tooling tails. The line
is written with one `write` on a file opened for appending, so pages from
several processes never interleave; it holds only what the notice says, with
control characters stripped, never a secret (a log channel has none).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from warroom.model.clock import utcnow
from warroom.notify.declare import ChannelSpec
from warroom.notify.message import Action, Attempt, Delivery, Notice, failed, sent
from warroom.notify.render import clean

DEFAULT_NAME = "pages.log"


class LogChannel:
    idempotent = False
    actions = frozenset(Action)

    def __init__(self, spec: ChannelSpec, directory: Path | None = None) -> None:
        self.name = spec.name
        self.type = spec.type
        self.label = spec.label
        written = spec.options.get("path")
        # the state directory is warroom's to make; a path the plan writes is not
        self.make_parent = not written and directory is not None
        self.path = (
            Path(written).expanduser() if written else (directory or Path.cwd()) / DEFAULT_NAME
        )

    async def send(self, notice: Notice, attempt: Attempt | None = None) -> Delivery:
        record = {
            "at": (notice.at or utcnow()).isoformat(),
            "key": notice.key,
            "action": notice.action.value,
            "incident": notice.incident_id,
            "title": clean(notice.title, 300),
            "impact": int(notice.impact),
            "summary": clean(notice.summary, 2000),
            "repeat_of": notice.repeat_of,
        }
        line = (json.dumps(record, ensure_ascii=False) + "\n").encode()
        try:
            if self.make_parent:
                self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
            try:
                os.write(fd, line)
            finally:
                os.close(fd)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            return failed(self.label, f"{self.label}: cannot write {self.path}: {reason}")
        return sent(self.label, notice.key, f"written to {self.path}")

    async def close(self) -> None:
        return None
