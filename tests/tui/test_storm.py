"""The console keeps reading keys while a 50,000-alert poll is in flight."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from tests.e2e.loopback import Reply, Request, loopback
from tests.e2e.storm import storm_body
from tests.support.waiting import until

from warroom.cli.console import open_console
from warroom.config import Config
from warroom.sources.base import SourceSpec

STORM = 50_000


async def test_keys_move_the_cursor_while_a_50k_poll_is_in_flight(tmp_path: Path) -> None:
    body = storm_body(STORM)
    requests: list[Request] = []

    def handler(request: Request) -> Reply:
        requests.append(request)
        return Reply(200, body)

    with loopback(handler) as server:
        spec = SourceSpec(
            "am",
            "alertmanager",
            interval=timedelta(seconds=3),
            url=server.url,
            options={"timeout": "60s"},
        )
        config = Config(database=tmp_path / "w.db", sources=(spec,))
        async with open_console(config, actor="alice") as app, app.run_test(size=(80, 24)):
            await app.ready.wait()
            view: Any = app.query_one("#view-alerts")
            await until(lambda: len(view.alerts) == STORM, 90, "the first poll on screen")
            table = view.table
            assert table.row_count == 2000  # drawn: the most urgent; the rest behind /
            note = app.query_one("#alerts-overflow")
            assert note.display and "of 50,000 alerts" in str(note.render())

            async def last_success() -> object:
                return (await app.store.source_health())[0].last_success

            # polls never overlap: when a new request arrives, the previous poll is
            # done, and last_success changes only when this one has landed
            polls_before = len(requests)
            await until(
                lambda: len(requests) > polls_before, 60, "the next poll to start", interval=0.01
            )
            before = await last_success()
            moved = 0
            key = "down"
            while await last_success() == before:
                row = table.cursor_row
                app.simulate_key(key)  # as a terminal sends it: no waiting for idle
                await until(
                    lambda: table.cursor_row != row,  # noqa: B023 (awaited in this same pass)
                    10,
                    f"{key} to move the cursor",
                    interval=0.01,
                )
                moved += 1
                key = "up" if key == "down" else "down"
            assert moved >= 3  # the cursor answered keys while 50,000 alerts were processed
