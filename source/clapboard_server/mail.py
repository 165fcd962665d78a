"""Outgoing email through an SMTP server, when the server is configured with one.

Configure with an URL (``smtp=`` of the server, ``--smtp`` of ``clapboard server``, or
:envvar:`CLAPBOARD_SMTP_URL`)::

    smtp://[user[:password]@]host[:port][?from=address][&starttls=true]
    smtps://...                                   (TLS from the first byte)

Without one, nothing is sent and invitations are only recorded.
"""

from __future__ import annotations

import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import parse_qs, unquote, urlsplit

from .errors import ApiError, ValidationError

#: Environment variable holding the SMTP URL.
SMTP_VARIABLE = "CLAPBOARD_SMTP_URL"
DEFAULT_SENDER = "clapboard@localhost"


class MailError(ApiError):
    """The SMTP server refused or could not be reached; nothing was sent."""

    status_code = 502


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to send email."""

    host: str
    port: int
    sender: str = DEFAULT_SENDER
    username: str | None = None
    password: str | None = None
    tls: bool = False
    starttls: bool = False
    timeout: float = 10.0

    @classmethod
    def from_url(cls, url: str) -> SmtpSettings:
        """Settings from an ``smtp://`` or ``smtps://`` URL."""
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
            raise ValidationError(f"Not an SMTP URL (smtp://host:port or smtps://host:port): {url!r}.")
        query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
        tls = parts.scheme == "smtps"
        return cls(
            host=parts.hostname, port=parts.port or (465 if tls else 25),
            sender=query.get("from", DEFAULT_SENDER),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            tls=tls, starttls=query.get("starttls", "").lower() in ("1", "true", "yes"),
        )


class Mailer:
    """Sends email with :class:`SmtpSettings`, or does nothing when there are none."""

    def __init__(self, settings: SmtpSettings | None = None) -> None:
        self.settings = settings

    @classmethod
    def configured(cls, url: str | None = None) -> Mailer:
        """A mailer for ``url``, else :envvar:`CLAPBOARD_SMTP_URL`, else a disabled one."""
        url = url or os.environ.get(SMTP_VARIABLE)
        return cls(SmtpSettings.from_url(url) if url else None)

    @property
    def enabled(self) -> bool:
        return self.settings is not None

    def send(self, to: str, subject: str, body: str) -> bool:
        """Send a plain-text message; return whether one was sent. Raise :class:`MailError` on failure."""
        settings = self.settings
        if settings is None:
            return False
        message = EmailMessage()
        message["From"] = settings.sender
        message["To"] = to
        message["Subject"] = subject
        message.set_content(body)
        try:
            if settings.tls:
                client: smtplib.SMTP = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout,
                                                        context=ssl.create_default_context())
            else:
                client = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
            with client:
                if settings.starttls:
                    client.starttls(context=ssl.create_default_context())
                if settings.username:
                    client.login(settings.username, settings.password or "")
                client.send_message(message)
        except (OSError, smtplib.SMTPException) as error:
            raise MailError(f"The invitation email to {to} could not be sent: {error}.") from None
        return True
