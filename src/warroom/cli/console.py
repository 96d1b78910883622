"""`warroom` / `warroom --demo`: the interactive console."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from warroom import offload
from warroom.config import Config, state_dir
from warroom.engine.wiring import open_runtime
from warroom.model.clock import utcnow

if TYPE_CHECKING:
    from warroom.tui.app import WarroomApp


@asynccontextmanager
async def open_console(
    config: Config,
    *,
    actor: str | None = None,
    run_engine: bool = True,
    clock: Callable[[], datetime] = utcnow,
) -> AsyncIterator[WarroomApp]:
    """The console as `warroom` builds it: its runtime opened first, then handed to the app.

    The store is opened (and migrated) before the screen starts, so a file that
    is not ours or cannot be written is one clean line, never a broken screen.
    The runtime outlives the app and is closed here, after the app has exited.
    Tests build their consoles through this too.
    """
    runtime = await open_runtime(config, actor=actor, run_engine=run_engine, clock=clock)
    try:
        from warroom.tui.app import WarroomApp

        yield WarroomApp(runtime)
    finally:
        await runtime.close()


def _log_to_file(config: Config) -> None:
    log_dir = config.database.parent if config.database.parent.exists() else state_dir()
    logging.basicConfig(
        filename=str(log_dir / "warroom.log"),
        level=logging.INFO,
        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s",
    )
    # one INFO line per request: a poll every few seconds buries what matters
    logging.getLogger("httpx").setLevel(logging.WARNING)


async def _run(config: Config) -> int:
    try:
        async with open_console(config) as app:
            _log_to_file(config)
            await app.run_async()
    finally:
        offload.start_done()  # if the console never got as far as its first data
    return app.return_code or 0


def run_console(config: Config) -> int:
    return asyncio.run(_run(config))
