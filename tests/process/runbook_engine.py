"""A lease holder that only runs runbooks: what `warroom engine` does for them, alone,
so the kill test needs no sources or plans. Usage: runbook_engine.py DB WORKDIR HOLDER.

It takes the engine lease (a 1 s TTL, so a killed holder's lease lapses at once),
renews it, and runs the run duty until killed. With a fourth argument LOG it also
runs the deliver duty, and contact `alice` has one `log` channel writing to LOG
(for notify steps)."""

from __future__ import annotations

import asyncio
import sys
from datetime import timedelta
from pathlib import Path

from warroom.engine.delivery import DeliverDuty, Deliverer
from warroom.engine.paging import Paging
from warroom.engine.run_duty import RunDuty
from warroom.model.contact import ChannelType, Contact, DeclaredChannel
from warroom.model.paging import Directory
from warroom.store import open_store

TTL = timedelta(seconds=1)


async def main(db: str, workdir: str, holder: str, log: str = "") -> None:
    store = await open_store(Path(db))
    token = None
    while token is None:
        token = await store.acquire_lease(holder, TTL)
        await asyncio.sleep(0 if token else 0.1)
    print("holding", flush=True)
    duty = RunDuty(store, token, Path(workdir), poll_seconds=0.05)
    task = asyncio.create_task(duty.forever(tick=0.1))
    if log:
        channel = DeclaredChannel("log", ChannelType.LOG, {"path": log})
        directory = Directory({"alice": Contact("alice", (channel,), ())})
        duty.paging = Paging(directory)
        deliver = DeliverDuty(store, Deliverer(directory.contacts), token)
        sender = asyncio.create_task(deliver.forever(tick=0.1))
        task.add_done_callback(lambda _: sender.cancel())
    held = True
    while held and not task.done():
        await asyncio.sleep(0.2)
        held = await store.renew_lease(token, TTL)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:5]))
