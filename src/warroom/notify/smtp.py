"""Email through the configured relay, one SMTP conversation per send.

Commands go one at a time (MAIL, each RCPT, DATA) rather than through
`aiosmtplib.send`, because what the outbox needs depends on where it broke:
- before DATA nothing was delivered: retry;
- a connection lost or the deadline during DATA may have delivered (the relay
  can queue the message and die before its 250): outcome unknown;
- a recipient refused while others were taken: sent, the refusal reported;
  every recipient refused: failed (or retry when any refusal was a 4xx). One
  refused "for now" (4xx) while others took it is reported, not retried: a
  retry would mail everyone else twice.
The Message-ID comes from the notice's key, so a resend after a lost answer
carries the same one (mail clients and some relays drop the second copy), and
every message of an incident references one thread id.

STARTTLS is explicit: a relay that does not offer it fails the send with a
reason instead of carrying the password and the page in clear text; `security:
none` is only accepted for a relay on loopback (declare.py checks that).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
from collections.abc import Sequence
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from email.utils import format_datetime
from typing import TYPE_CHECKING

from warroom.model.secret import SecretUnset
from warroom.model.text import safe_text
from warroom.notify.declare import ChannelSpec, SmtpRelay
from warroom.notify.message import (
    Action,
    Attempt,
    Delivery,
    Notice,
    backoff,
    failed,
    retry,
    sent,
    unknown,
)
from warroom.notify.render import clean, headline, impact_line, repeat_line, safe_link
from warroom.notify.tls import tls_context

if TYPE_CHECKING:
    pass


class _Phase:
    """Where the conversation is, for what a broken connection means."""

    def __init__(self) -> None:
        self.name = "connect"
        self.data_started = False


def _id(kind: str, value: str, domain: str) -> str:
    return f"<warroom.{kind}.{hashlib.sha256(value.encode()).hexdigest()[:40]}@{domain}>"


class EmailChannel:
    idempotent = False
    actions = frozenset(Action)

    def __init__(self, spec: ChannelSpec, relay: SmtpRelay) -> None:
        self.spec = spec
        self.name = spec.name
        self.type = spec.type
        self.label = spec.label
        self.relay = relay
        to = spec.options["to"]
        self.recipients: tuple[str, ...] = tuple(to) if isinstance(to, list) else (str(to),)

    def __repr__(self) -> str:
        return f"EmailChannel({self.label!r}, relay={self.relay.host}:{self.relay.port})"

    async def close(self) -> None:
        return None

    @property
    def domain(self) -> str:
        return self.relay.sender.rpartition("@")[2] or "warroom.invalid"

    def message_id(self, notice: Notice) -> str:
        return _id("msg", notice.key, self.domain)

    def message(self, notice: Notice, attempt: Attempt) -> EmailMessage:
        msg = EmailMessage(policy=SMTP_POLICY)
        repeat = repeat_line(notice)
        subject = f"[warroom] {headline(notice)}: {clean(notice.title, 200)}"
        msg["Subject"] = f"{subject} {repeat}" if repeat else subject
        msg["From"] = self.relay.sender
        msg["To"] = ", ".join(self.recipients)
        msg["Date"] = format_datetime(attempt.now)
        msg["Message-ID"] = self.message_id(notice)
        thread = _id("thread", notice.dedup_key, self.domain)
        msg["References"] = thread
        if notice.action is not Action.TRIGGER:
            msg["In-Reply-To"] = thread
        msg["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to the bastion
        msg["X-Warroom-Incident"] = str(notice.incident_id)
        lines = [repeat] if repeat else []
        lines += [f"{headline(notice)}: {clean(notice.title, 1000)}", impact_line(notice), ""]
        if notice.summary:
            lines += [clean(notice.summary, 20000, lines=True), ""]
        if notice.url and safe_link(notice.url):
            lines.append(f"Incident: {notice.url}")
        for link in notice.links:
            url = safe_link(link.url)
            if url:
                lines.append(f"{clean(link.title, 200)}: {url}")
        msg.set_content("\n".join(lines).rstrip() + "\n", cte="quoted-printable")
        return msg

    async def send(self, notice: Notice, attempt: Attempt | None = None) -> Delivery:
        attempt = attempt or Attempt()
        relay = self.relay
        try:
            password = relay.password.resolve() if relay.password is not None else None
        except SecretUnset as exc:
            return failed(self.label, f"smtp password: {exc}: set it where the engine runs")
        message = self.message(notice, attempt)
        phase = _Phase()
        seconds = relay.timeout.total_seconds()
        try:
            async with asyncio.timeout(seconds):
                return await self._converse(notice, attempt, message, password, phase)
        except TimeoutError:
            return self._broken(phase, f"no answer within {seconds:g}s", notice, attempt)

    async def _converse(
        self,
        notice: Notice,
        attempt: Attempt,
        message: EmailMessage,
        password: str | None,
        phase: _Phase,
    ) -> Delivery:
        import ssl

        import aiosmtplib

        relay = self.relay
        where = f"{relay.host}:{relay.port}"
        client = aiosmtplib.SMTP(
            hostname=relay.host,
            port=relay.port,
            use_tls=relay.security == "tls",
            start_tls=False,  # done below, so a relay without it is named as such
            tls_context=tls_context(relay.verify, relay.ca_file, system_cas=True),
            timeout=relay.timeout.total_seconds(),
        )
        try:
            phase.name = "connect"
            await client.connect()
            if relay.security == "starttls":
                phase.name = "EHLO"
                await client.ehlo()
                phase.name = "STARTTLS"
                if not client.supports_extension("starttls"):
                    return failed(
                        self.label,
                        f"the relay {where} does not offer STARTTLS: mail would go in clear"
                        " text; enable it on the relay (or security: tls for port 465)",
                    )
                await client.starttls()
            if relay.username is not None:
                phase.name = "login"
                await client.login(relay.username, password or "")
            phase.name = "MAIL FROM"
            await client.mail(relay.sender)
            phase.name = "RCPT TO"
            refused: list[aiosmtplib.SMTPRecipientRefused] = []
            for recipient in self.recipients:
                try:
                    await client.rcpt(recipient)
                except aiosmtplib.SMTPRecipientRefused as exc:
                    refused.append(exc)
            if len(refused) == len(self.recipients):
                with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                    await client.rset()
                return self._all_refused(refused, notice, attempt)
            phase.name = "DATA"
            phase.data_started = True
            reply = await client.data(message.as_bytes(policy=SMTP_POLICY))
            phase.name = "QUIT"
            with contextlib.suppress(aiosmtplib.SMTPException, OSError):
                await client.quit()
            detail = f"{notice.action} mailed to {len(self.recipients) - len(refused)} recipient(s)"
            if refused:
                detail += "; refused: " + ", ".join(_refusal(e) for e in refused)
            reference = safe_text(reply.message, 120) or self.message_id(notice)
            return sent(self.label, reference, detail)
        except ssl.SSLCertVerificationError as exc:
            message_text = safe_text(exc.verify_message, 120)
            return failed(
                self.label, f"{where}: TLS certificate rejected: {message_text} (set ca_file)"
            )
        except aiosmtplib.SMTPAuthenticationError as exc:
            if 400 <= exc.code < 500:
                return self._retry(f"login refused for now ({exc.code})", notice, attempt)
            return failed(
                self.label,
                f"{where} refused the login ({exc.code} {safe_text(exc.message, 80)}):"
                " check smtp username and password",
            )
        except aiosmtplib.SMTPResponseException as exc:
            said = f"{phase.name} answered {exc.code} {safe_text(exc.message, 100)}"
            if 400 <= exc.code < 500:
                return self._retry(said, notice, attempt)
            if exc.code < 0:  # aiosmtplib's own code for a connection it could not make
                return self._broken(phase, said, notice, attempt)
            return failed(self.label, f"{where}: {said}")
        except (aiosmtplib.SMTPServerDisconnected, aiosmtplib.SMTPTimeoutError) as exc:
            return self._broken(phase, safe_text(exc, 120) or type(exc).__name__, notice, attempt)
        except aiosmtplib.SMTPConnectError as exc:
            return self._retry(f"cannot connect to {where}: {safe_text(exc, 120)}", notice, attempt)
        except aiosmtplib.SMTPException as exc:
            return failed(self.label, f"{where}: {phase.name}: {safe_text(exc, 120)}")
        except OSError as exc:  # ssl.SSLError is one
            return self._broken(phase, f"{where}: {safe_text(exc, 120)}", notice, attempt)
        finally:
            client.close()

    def _retry(self, reason: str, notice: Notice, attempt: Attempt) -> Delivery:
        return retry(self.label, reason, backoff(attempt.number, notice.key))

    def _broken(self, phase: _Phase, reason: str, notice: Notice, attempt: Attempt) -> Delivery:
        if phase.data_started and phase.name == "DATA":
            return unknown(
                self.label,
                f"connection lost during DATA ({reason}): the relay may have queued the mail",
            )
        if phase.name == "QUIT":
            return sent(self.label, self.message_id(notice), f"{notice.action} mailed")
        return self._retry(f"connection lost at {phase.name}: {reason}", notice, attempt)

    def _all_refused(self, refused: Sequence[object], notice: Notice, attempt: Attempt) -> Delivery:
        import aiosmtplib

        errors = [e for e in refused if isinstance(e, aiosmtplib.SMTPRecipientRefused)]
        listed = ", ".join(_refusal(e) for e in errors)
        if any(400 <= e.code < 500 for e in errors):
            return self._retry(f"every recipient refused for now: {listed}", notice, attempt)
        return failed(self.label, f"every recipient refused: {listed}; check the addresses in 'to'")


def _refusal(exc: object) -> str:
    import aiosmtplib

    if isinstance(exc, aiosmtplib.SMTPRecipientRefused):
        return f"{exc.recipient} ({exc.code} {safe_text(exc.message, 60)})"
    return safe_text(exc, 80)
