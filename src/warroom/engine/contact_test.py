"""A real test message to every channel of a contact, from the console's On-call tab.

The CLI's `warroom test-channel` does the same from a shell; here the outcome
is one line per channel, for a notification.
"""

from __future__ import annotations

from pathlib import Path

from warroom.model.contact import Contact


async def send_contact_test(contact: Contact, log_dir: Path) -> list[tuple[str, bool]]:
    """(line, arrived) per channel: sent, retry, failed with what to fix, or unknown."""
    from warroom.notify.channels import send_test
    from warroom.notify.declare import ChannelConfigError
    from warroom.notify.message import Outcome

    found: list[tuple[str, bool]] = []
    for channel in contact.channels:
        declaration = {"name": channel.name, "type": channel.type.value, **channel.options}
        try:
            delivery = await send_test(declaration, contact=contact.name, log_dir=log_dir)
        except ChannelConfigError as exc:
            found.append((f"{channel.name}: not sent: {exc}", False))
            continue
        arrived = delivery.outcome is Outcome.SENT
        found.append((f"{delivery.channel}: {delivery.outcome.value}: {delivery.detail}", arrived))
    return found
