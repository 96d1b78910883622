"""`warroom` / `warroom --demo`: the interactive console."""

from __future__ import annotations

import asyncio
import logging

from warroom.config import Config, state_dir
from warroom.store import open_store


async def _check_store(config: Config) -> None:
    """Open (and migrate) once before the screen starts, so a bad file is a clean error."""
    store = await open_store(config.database)
    await store.close()


def run_console(config: Config) -> int:
    asyncio.run(_check_store(config))
    log_dir = config.database.parent if config.database.parent.exists() else state_dir()
    logging.basicConfig(
        filename=str(log_dir / "warroom.log"),
        level=logging.INFO,
        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s",
    )
    # one INFO line per request: a poll every few seconds buries what matters
    logging.getLogger("httpx").setLevel(logging.WARNING)
    from warroom.tui.app import WarroomApp

    app = WarroomApp(config)
    app.run()
    return app.return_code or 0
