"""Contacts' channels from the CLI: checked by `warroom check`, tried by `warroom test-channel`.

A channel's options are the notify layer's to judge (which keys a Slack webhook
takes, what a routing key looks like); the plans only keep where each channel
is written, so a mistake is still reported at `file:line:col`.
"""

from __future__ import annotations

import sys
from typing import Any

from warroom.config import Config, state_dir
from warroom.model.contact import Contact, DeclaredChannel
from warroom.model.text import safe_text
from warroom.plans import PlanSet, load_plans

EXIT_USAGE = 2


def declaration(channel: DeclaredChannel) -> dict[str, Any]:
    return {"name": channel.name, "type": channel.type.value, **channel.options}


def channel_problems(planset: PlanSet) -> list[str]:
    """Every mistake in every contact's channels, at the channel's place in its file."""
    from warroom.notify.declare import check_channel

    found = []
    for contact in planset.contacts.values():
        for channel in contact.channels:
            where = planset.channel_where.get((contact.name, channel.name))
            for problem in check_channel(declaration(channel)):
                at = f"{where}: " if where is not None else ""
                found.append(f"{at}contact {contact.name!r} channel {channel.name!r}: {problem}")
    return found


def run_test_channel(config: Config, target: str) -> int:
    """Send a real test message to CONTACT (every channel) or CONTACT/CHANNEL."""
    import asyncio

    from warroom.engine.wiring import smtp_relay
    from warroom.notify.channels import send_test
    from warroom.notify.declare import ChannelConfigError
    from warroom.notify.message import Outcome

    planset = load_plans(config.plans, {s.name for s in config.sources})
    name, _, only = target.partition("/")
    contact = planset.contacts.get(name)
    if contact is None:
        known = ", ".join(sorted(planset.contacts)) or "none declared"
        print(f"warroom: no contact named {name!r} (known: {known})", file=sys.stderr)
        return EXIT_USAGE
    channels = _chosen(contact, only)
    if not channels:
        names = ", ".join(c.name for c in contact.channels)
        print(f"warroom: contact {name!r} has no channel {only!r} ({names})", file=sys.stderr)
        return EXIT_USAGE
    log_dir = state_dir()
    log_dir.mkdir(parents=True, exist_ok=True)  # where a `log` channel without a path writes
    failed = False
    for channel in channels:
        try:
            delivery = asyncio.run(
                send_test(declaration(channel), smtp_relay(config), name, log_dir=log_dir)
            )
        except ChannelConfigError as exc:
            print(f"warroom: contact {name!r} channel {channel.name!r}: {exc}", file=sys.stderr)
            return EXIT_USAGE
        print(
            f"{safe_text(delivery.channel)}: {delivery.outcome.value}: {safe_text(delivery.detail)}"
        )
        failed = failed or delivery.outcome is not Outcome.SENT
    return 1 if failed else 0


def _chosen(contact: Contact, only: str) -> list[DeclaredChannel]:
    if not only:
        return list(contact.channels)
    return [c for c in contact.channels if c.name == only]
