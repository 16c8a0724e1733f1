"""Sending one message through the configured SMTP server (``smtp://`` with STARTTLS, ``smtps://``).

Takes plain values (the URL), knows nothing of events. Credentials never travel in clear: on a plain
``smtp://`` connection whose server does not offer STARTTLS, the login is refused unless the server is
on this machine (loopback), where a relay without TLS is normal.
"""

from __future__ import annotations

import ipaddress
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

TIMEOUT = 30.0


class MailerConfigError(ValueError):
    """The SMTP URL cannot be used."""


@dataclass(frozen=True)
class SmtpServer:
    host: str
    port: int
    implicit_tls: bool
    username: str | None = None
    password: str | None = None

    @classmethod
    def from_url(cls, url: str) -> SmtpServer:
        parts = urlsplit(url)
        if parts.scheme not in ("smtp", "smtps"):
            raise MailerConfigError("the SMTP URL must start with smtp:// or smtps://")
        if not parts.hostname:
            raise MailerConfigError("the SMTP URL has no host")
        try:
            port = parts.port
        except ValueError as exc:
            raise MailerConfigError("the SMTP URL's port is not a number") from exc
        implicit = parts.scheme == "smtps"
        return cls(
            host=parts.hostname,
            port=port or (465 if implicit else 587),
            implicit_tls=implicit,
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
        )

    @property
    def loopback(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False


def send(server: SmtpServer, message: EmailMessage, *, timeout: float = TIMEOUT) -> None:
    """Hand ``message`` to the server; raises (smtplib.SMTPException, OSError) when it is not taken."""
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if server.implicit_tls:
        client = smtplib.SMTP_SSL(server.host, server.port, timeout=timeout, context=context)
    else:
        client = smtplib.SMTP(server.host, server.port, timeout=timeout)
    with client:
        client.ehlo()
        secure = server.implicit_tls
        if not secure and client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
            secure = True
        if server.username:
            if not secure and not server.loopback:
                raise smtplib.SMTPException(
                    f"{server.host} offers no STARTTLS: not sending the SMTP password in clear"
                )
            client.login(server.username, server.password or "")
        client.send_message(message)
