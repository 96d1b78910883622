"""The console on PostgreSQL when the database goes away: it says "database
unreachable", keeps what it shows, and picks up again when the server is back.

The fault is real: the console reaches a real PostgreSQL through a loopback
proxy that resets every connection and refuses new ones (a server restarting, a
link gone), then lets them through again.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.postgres import PostgresServer, running_postgres
from tests.support.tcp_proxy import TcpProxy, tcp_proxy

from warroom.engine import Service
from warroom.model import Impact
from warroom.model.value import replace
from warroom.store import open_store

from .conftest import Harness

_DATABASES = itertools.count(1)


@pytest.fixture(scope="module")
def postgres_server() -> Iterator[PostgresServer]:
    with running_postgres() as server:
        yield server


@pytest.fixture
def proxy(postgres_server: PostgresServer) -> Iterator[TcpProxy]:
    with tcp_proxy(postgres_server.port) as proxy:
        yield proxy


@pytest.fixture
def pg_console(tmp_path: Path, postgres_server: PostgresServer, proxy: TcpProxy) -> Harness:
    name = f"console_{next(_DATABASES)}"
    postgres_server.psql(f"CREATE DATABASE {name}")
    harness = Harness(tmp_path)
    # as the config gives it: a Path (pathlib folds the `//`; open_store unfolds it)
    harness.config = replace(harness.config, database=Path(proxy.url(postgres_server.url(name))))
    harness.direct = postgres_server.url(name)  # type: ignore[attr-defined]
    return harness


async def test_console_keeps_its_screen_and_says_database_unreachable(
    pg_console: Harness, proxy: TcpProxy
) -> None:
    console = pg_console
    await console.seed([console.alert("diskfull", "DiskFull"), console.alert("cpu", "CpuHigh")])
    async with console.start() as ui:
        await ui.wait_for(lambda: len(ui.rows()) == 2, what="the two alerts")
        shown = ui.rows()
        proxy.refuse(True)
        proxy.cut()
        await ui.wait_for(
            lambda: any("database unreachable" in n for n in ui.notifications()),
            within=10,
            what="a notification naming the fault",
        )
        await ui.pilot.pause(3.0)  # restarts of the feed fail meanwhile
        assert ui.app.is_running
        assert ui.rows() == shown, "the console dropped what it showed"
        notes = [n for n in ui.notifications() if "unreachable" in n]
        assert all("Traceback" not in n for n in notes)

        # the server is back: another host's incident reaches this console
        proxy.refuse(False)
        store = await open_store(console.direct)  # type: ignore[attr-defined]
        try:
            await Service(store, "bob").declare_incident(
                [console.alert("cpu", "CpuHigh").key], "CPU", Impact.LOW
            )
        finally:
            await store.close()
        await ui.press("f2")
        await ui.wait_for(lambda: "CPU" in ui.screen(), within=10, what="the new incident")
