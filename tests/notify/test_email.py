"""Email pages through a real SMTP server (aiosmtpd) on loopback.

The server is started with `loop.create_server` on port 0 (aiosmtpd's Controller
wants a fixed port). STARTTLS uses a certificate made by the test; refusals,
4xx answers and dropped connections are the server's own behaviour, scripted
through aiosmtpd's handler hooks.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import email
import ipaddress
import ssl
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from tests.notify.standins import require_module

from warroom.model.incident import Impact
from warroom.notify import (
    Action,
    Attempt,
    Link,
    Notice,
    Outcome,
    SmtpRelay,
    declare_smtp,
    open_channel,
)
from warroom.notify.channels import Channel

aiosmtpd_smtp = require_module("aiosmtpd.smtp", "aiosmtpd")

NOW = dt.datetime(2026, 11, 26, 12, 0, tzinfo=dt.UTC)


@dataclass
class Handler:
    """Records what the server took; refuses what it is told to, as a relay would."""

    refuse: dict[str, str] = field(default_factory=dict)  # address -> reply
    data_reply: str = "250 2.0.0 queued as 4XyZ"
    drop_at: str = ""  # "RCPT" or "DATA": drop the connection there, answering nothing
    hang_data: float = 0.0
    messages: list[EmailMessage] = field(default_factory=list)
    envelopes: list[tuple[str, list[str]]] = field(default_factory=list)
    tls: list[bool] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, options: Any
    ) -> str:
        if self.drop_at == "RCPT":
            server.transport.abort()
            return "250 OK"
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.drop_at == "DATA":  # the whole message arrived; the 250 never leaves
            server.transport.abort()
            return "250 OK"
        if self.hang_data:
            await asyncio.sleep(self.hang_data)
        if not self.data_reply.startswith("250"):
            return self.data_reply
        self.tls.append(session.ssl is not None)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        self.messages.append(
            email.message_from_bytes(envelope.original_content, policy=default_policy)
        )
        return self.data_reply


class DropMidData(aiosmtpd_smtp.SMTP):  # type: ignore[misc,name-defined]
    """Says 354, reads the first line of the message, and drops the connection."""

    async def smtp_DATA(self, arg: str) -> None:
        await self.push("354 End data with <CR><LF>.<CR><LF>")
        await self._reader.readline()
        self.transport.abort()


@contextlib.asynccontextmanager
async def smtp_server(
    handler: Handler, factory: Any = None, implicit_tls: ssl.SSLContext | None = None, **kwargs: Any
) -> AsyncIterator[int]:
    loop = asyncio.get_running_loop()
    make = factory or aiosmtpd_smtp.SMTP
    server = await loop.create_server(
        lambda: make(handler, hostname="relay.test", **kwargs), "127.0.0.1", 0, ssl=implicit_tls
    )
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()


def relay(port: int, **kw: Any) -> SmtpRelay:
    return declare_smtp(
        {
            "host": "127.0.0.1",
            "port": port,
            "from": "warroom@bastion.example",
            "security": "none",
            **kw,
        }
    )


def mail_channel(port: int, to: Any = "alice@example.com", **kw: Any) -> Channel:
    return open_channel(
        {"name": "mail", "type": "email", "to": to}, relay(port, **kw), contact="alice"
    )


def notice(
    action: Action = Action.TRIGGER, key: str = "inc-7:eng-1:s0:l0:alice:mail:trigger", **kw: Any
) -> Notice:
    fields: dict[str, Any] = {
        "key": key,
        "incident_id": 7,
        "title": "Disk filling on prod",
        "action": action,
        "impact": Impact.HIGH,
        "summary": "db-1 at 97%\nsecond line",
        "links": (Link("Dashboard", "https://grafana.example/d/disk"),),
        "thread": "inc-7:eng-1:alice:mail",
        **kw,
    }
    return Notice(**fields)


def make_certificate(directory: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1, as a relay on loopback would present."""
    require_module("cryptography", "cryptography")
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "relay.test")])
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(dt.datetime.now(dt.UTC) - dt.timedelta(minutes=5))
        .not_valid_after(dt.datetime.now(dt.UTC) + dt.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")]
            ),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "relay.crt", directory / "relay.key"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def server_tls(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


async def test_mail_goes_through_with_a_stable_message_id_and_one_thread() -> None:
    handler = Handler()
    async with smtp_server(handler) as port:
        channel = mail_channel(port)
        first = await channel.send(notice(), Attempt(1, NOW))
        # the answer was lost: resent once, marked, with the same Message-ID
        again = await channel.send(notice(repeat_of="page #12"), Attempt(2, NOW))
        ack = await channel.send(
            notice(Action.ACKNOWLEDGE, key="inc-7:...:acknowledge"), Attempt(1, NOW)
        )
    assert [d.outcome for d in (first, again, ack)] == [Outcome.SENT] * 3, first.line
    assert first.channel == "email alice/mail"
    assert "queued as 4XyZ" in first.reference
    one, two, three = handler.messages
    assert one["Message-ID"] == two["Message-ID"] != three["Message-ID"]
    assert one["Message-ID"].endswith("@bastion.example>")
    assert one["References"] == three["References"] == three["In-Reply-To"]
    assert "may be a duplicate" in two["Subject"] and "may be a duplicate" not in one["Subject"]
    assert one["Subject"] == "[warroom] Incident #7 needs you: Disk filling on prod"
    assert one["Auto-Submitted"] == "auto-generated"
    body = one.get_content().replace("\r\n", "\n")
    assert (
        "db-1 at 97%\nsecond line" in body and "Dashboard: https://grafana.example/d/disk" in body
    )
    assert handler.envelopes[0] == ("warroom@bastion.example", ["alice@example.com"])


async def test_a_hostile_title_cannot_add_headers() -> None:
    handler = Handler()
    async with smtp_server(handler) as port:
        delivery = await mail_channel(port).send(
            notice(title="x\r\nBcc: evil@example.com\x1b[2J", summary="ok\r\n.\r\nMAIL FROM:<x@y>"),
            Attempt(1, NOW),
        )
    assert delivery.outcome is Outcome.SENT, delivery.line
    [message] = handler.messages
    assert message["Bcc"] is None and "\x1b" not in message["Subject"]
    assert handler.envelopes == [("warroom@bastion.example", ["alice@example.com"])]


async def test_starttls_with_a_self_signed_certificate_and_a_password_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    aiosmtpd_auth = require_module("aiosmtpd.smtp", "aiosmtpd")
    cert, key = make_certificate(tmp_path)
    handler = Handler()

    def authenticate(server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> Any:
        handler.logins.append(f"{data.login.decode()}:{data.password.decode()}")
        ok = data.login == b"warroom" and data.password == b"s3cret-pass"
        return aiosmtpd_auth.AuthResult(success=ok, handled=False)  # False: the server says 535

    async with smtp_server(
        handler,
        tls_context=server_tls(cert, key),
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    ) as port:
        smtp = relay(
            port,
            security="starttls",
            ca_file=str(cert),
            username="warroom",
            password="${SMTP_PASSWORD}",
        )
        assert "s3cret" not in repr(smtp)
        monkeypatch.setenv("SMTP_PASSWORD", "s3cret-pass")  # read when sent, not when declared
        channel = open_channel({"name": "mail", "type": "email", "to": "alice@example.com"}, smtp)
        delivery = await channel.send(notice(), Attempt(1, NOW))
        monkeypatch.setenv("SMTP_PASSWORD", "wrong")
        refused = await channel.send(notice(), Attempt(1, NOW))
    assert delivery.outcome is Outcome.SENT, delivery.line
    assert handler.tls == [True]
    assert handler.logins[0] == "warroom:s3cret-pass"
    assert refused.outcome is Outcome.FAILED and "refused the login" in refused.detail
    assert "wrong" not in refused.line and "s3cret" not in delivery.line


async def test_implicit_tls_as_on_port_465(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    handler = Handler()
    async with smtp_server(handler, implicit_tls=server_tls(cert, key)) as port:
        smtp = relay(port, security="tls", ca_file=str(cert))
        channel = open_channel({"name": "mail", "type": "email", "to": "a@example.com"}, smtp)
        delivery = await channel.send(notice(), Attempt(1, NOW))
    assert delivery.outcome is Outcome.SENT, delivery.line
    assert len(handler.messages) == 1


async def test_a_relay_without_starttls_is_refused_rather_than_sent_in_clear() -> None:
    handler = Handler()
    async with smtp_server(handler) as port:
        delivery = await mail_channel(port, security="starttls").send(notice(), Attempt(1, NOW))
    assert delivery.outcome is Outcome.FAILED
    assert "does not offer STARTTLS" in delivery.detail
    assert handler.messages == []


async def test_a_certificate_nobody_vouches_for_is_refused(tmp_path: Path) -> None:
    cert, key = make_certificate(tmp_path)
    handler = Handler()
    async with smtp_server(handler, tls_context=server_tls(cert, key)) as port:
        delivery = await mail_channel(port, security="starttls").send(notice(), Attempt(1, NOW))
    assert delivery.outcome is Outcome.FAILED
    assert "TLS certificate rejected" in delivery.detail and "ca_file" in delivery.detail
    assert handler.messages == []


async def test_one_recipient_refused_is_sent_to_the_others_and_reported() -> None:
    handler = Handler(refuse={"gone@example.com": "550 5.1.1 no such user"})
    async with smtp_server(handler) as port:
        channel = mail_channel(port, to=["alice@example.com", "gone@example.com"])
        delivery = await channel.send(notice(), Attempt(1, NOW))
    assert delivery.outcome is Outcome.SENT, delivery.line
    assert "mailed to 1 recipient(s)" in delivery.detail
    assert "refused: gone@example.com (550 5.1.1 no such user)" in delivery.detail
    assert handler.envelopes == [("warroom@bastion.example", ["alice@example.com"])]


async def test_every_recipient_refused_is_permanent_and_nothing_is_sent() -> None:
    refuse = {a: "550 5.1.1 no such user" for a in ("a@example.com", "b@example.com")}
    handler = Handler(refuse=refuse)
    async with smtp_server(handler) as port:
        delivery = await mail_channel(port, to=list(refuse)).send(notice(), Attempt(1, NOW))
    assert delivery.outcome is Outcome.FAILED
    assert "every recipient refused" in delivery.detail and "b@example.com (550" in delivery.detail
    assert handler.messages == []


async def test_4xx_refusals_are_retried() -> None:
    handler = Handler(refuse={"alice@example.com": "450 4.2.1 mailbox busy, try later"})
    async with smtp_server(handler) as port:
        by_rcpt = await mail_channel(port).send(notice(), Attempt(1, NOW))
        handler.refuse = {}
        handler.data_reply = "451 4.3.0 queue full"
        by_data = await mail_channel(port).send(notice(), Attempt(3, NOW))
    assert by_rcpt.outcome is Outcome.RETRY and "450" in by_rcpt.detail
    assert by_data.outcome is Outcome.RETRY and "451 4.3.0 queue full" in by_data.detail
    assert by_data.retry_after is not None and by_rcpt.retry_after is not None
    assert by_data.retry_after > by_rcpt.retry_after  # attempt 3 waits longer than attempt 1
    assert handler.messages == []


@pytest.mark.parametrize("where", ["mid-message", "before-the-reply"])
async def test_a_connection_dropped_during_data_is_an_unknown_outcome(where: str) -> None:
    if where == "mid-message":
        handler = Handler()
        factory: Any = DropMidData
    else:
        handler = Handler(drop_at="DATA")
        factory = None
    async with smtp_server(handler, factory) as port:
        delivery = await mail_channel(port).send(notice(), Attempt(1, NOW))
    assert delivery.outcome is Outcome.UNKNOWN, delivery.line
    assert "during DATA" in delivery.detail and "may have queued" in delivery.detail


async def test_a_connection_dropped_before_data_delivered_nothing_so_it_is_retried() -> None:
    handler = Handler(drop_at="RCPT")
    async with smtp_server(handler) as port:
        delivery = await mail_channel(port).send(notice(), Attempt(1, NOW))
    assert delivery.outcome is Outcome.RETRY, delivery.line
    assert "RCPT TO" in delivery.detail


async def test_one_deadline_for_the_whole_conversation() -> None:
    handler = Handler(hang_data=5)
    async with smtp_server(handler) as port:
        at_data = await mail_channel(port, timeout="500ms").send(notice(), Attempt(1, NOW))
    assert at_data.outcome is Outcome.UNKNOWN and "500ms" not in at_data.detail
    assert "no answer within 0.5s" in at_data.detail

    # a relay that accepts the connection and never greets
    silent = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    try:
        port = silent.sockets[0].getsockname()[1]
        greeting = await mail_channel(port, timeout="500ms").send(notice(), Attempt(1, NOW))
    finally:
        silent.close()
    assert greeting.outcome is Outcome.RETRY, greeting.line


async def test_no_relay_listening_is_retried() -> None:
    from tests.e2e.servers import free_port

    delivery = await mail_channel(free_port()).send(notice(), Attempt(1, NOW))
    assert delivery.outcome is Outcome.RETRY, delivery.line
