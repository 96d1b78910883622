"""What a page costs on the wire, per channel, against loopback stand-ins (prints figures).

    python tests/bench/bench_notify.py [--sends 50]

Prints the time to check 1,000 channel declarations (what loading plans pays),
then for each channel the median and worst time of one send to a stand-in on
loopback (a fresh connection every time, as the channels make them), and of one
email through aiosmtpd. The distance to a real provider adds its round trips;
these figures are warroom's own share of "firing -> first page on the wire".
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from tests.e2e.loopback import Reply, Request, loopback
from tests.notify.standins import ROUTING_KEY, PagerDuty, Receiver, Slack, Teams

from warroom.notify import Attempt, Notice, Outcome, check_channel, declare_smtp, open_channel

SECRET = "whsec_" + base64.b64encode(b"0123456789abcdef0123456789abcdef").decode()


def notice(i: int) -> Notice:
    return Notice(key=f"bench-{i}", incident_id=i, title="Disk filling on prod", thread=f"t{i}")


async def timed_sends(channel: object, sends: int) -> list[float]:
    times = []
    for i in range(sends):
        start = time.perf_counter()
        delivery = await channel.send(notice(i), Attempt(1, datetime.now(UTC)))  # type: ignore[attr-defined]
        times.append(time.perf_counter() - start)
        assert delivery.outcome is Outcome.SENT, delivery.line
    await channel.close()  # type: ignore[attr-defined]
    return times


def report(name: str, times: list[float]) -> None:
    """The first send pays for importing the wire (httpx, aiosmtplib) and its TLS setup."""
    first, rest = times[0] * 1000, times[1:]
    median, worst = statistics.median(rest) * 1000, max(rest) * 1000
    print(
        f"  {name:<10} first {first:6.1f} ms   then median {median:5.1f} ms, worst {worst:6.1f} ms"
    )


async def smtp_times(sends: int) -> list[float]:
    from aiosmtpd.smtp import SMTP

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
            return "250 OK"

    loop = asyncio.get_running_loop()
    server = await loop.create_server(lambda: SMTP(Sink(), hostname="relay.test"), "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    relay = declare_smtp(
        {"host": "127.0.0.1", "port": port, "from": "w@example.com", "security": "none"}
    )
    try:
        channel = open_channel({"name": "mail", "type": "email", "to": "a@example.com"}, relay)
        return await timed_sends(channel, sends)
    finally:
        server.close()


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--sends", type=int, default=50)
    args = parser.parse_args()
    start = time.perf_counter()
    for i in range(1000):
        check_channel(
            {"name": f"c{i}", "type": "webhook", "url": "https://h.example/x", "secret": SECRET}
        )
    print(f"check 1,000 channel declarations: {(time.perf_counter() - start) * 1000:.1f} ms")
    print(f"one send, {args.sends} times each:")
    stand_ins: dict[str, tuple[Callable[[Request], Reply], Callable[[str], dict[str, str]]]] = {
        "pagerduty": (
            PagerDuty(),
            lambda u: {"routing_key": ROUTING_KEY, "url": u + "/v2/enqueue"},
        ),
        "slack": (Slack(), lambda u: {"url": u + "/services/T/B/x"}),
        "teams": (Teams(), lambda u: {"url": u + "/workflows/x"}),
        "webhook": (Receiver(SECRET), lambda u: {"url": u + "/hook", "secret": SECRET}),
    }
    for kind, (handler, options) in stand_ins.items():
        with loopback(handler) as server:
            channel = open_channel({"name": "c", "type": kind, **options(server.url)})
            report(kind, await timed_sends(channel, args.sends))
    report("email", await smtp_times(args.sends))


if __name__ == "__main__":
    asyncio.run(main())
