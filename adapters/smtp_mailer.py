"""Mail over SMTP: plain-text Swedish messages with a stable Message-ID, STARTTLS, TLS or none, credentials.

Configuration comes from the environment (RUTIN_SMTP_HOST, _PORT, _SECURITY=starttls|tls|none, _USER,
_PASSWORD, RUTIN_MAIL_FROM). Failures become AdapterError: a server that is down or busy is retryable; a
recipient the server refuses is not. The password is never part of any message or log line.
"""

from __future__ import annotations

import base64
import contextlib
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate
from typing import Literal

from engine.errors import AdapterError, RutinError

Security = Literal["starttls", "tls", "none"]


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    security: Security = "starttls"
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    sender: str = "rutin@localhost"
    timeout: float = 20.0

    @staticmethod
    def from_env(env: dict[str, str] | None = None) -> SmtpSettings | None:
        """None when no host is configured (the worker then leaves mail in the outbox and says so)."""
        values = os.environ if env is None else env
        host = values.get("RUTIN_SMTP_HOST")
        if not host:
            return None
        chosen = values.get("RUTIN_SMTP_SECURITY", "starttls")
        security: Security
        if chosen == "tls":
            security = "tls"
        elif chosen == "none":
            security = "none"
        elif chosen == "starttls":
            security = "starttls"
        else:
            raise RutinError(f"RUTIN_SMTP_SECURITY '{chosen}' is not one of starttls, tls, none")
        default_port = {"starttls": "587", "tls": "465", "none": "25"}[security]
        try:
            port = int(values.get("RUTIN_SMTP_PORT", default_port))
        except ValueError as exc:
            raise RutinError("RUTIN_SMTP_PORT must be a number, e.g. 587") from exc
        return SmtpSettings(
            host,
            port,
            security,
            values.get("RUTIN_SMTP_USER") or None,
            values.get("RUTIN_SMTP_PASSWORD") or None,
            values.get("RUTIN_MAIL_FROM", "rutin@localhost"),
        )


class SmtpMailer:
    """Keeps one connection for a batch of messages and reconnects when the server drops it."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings
        self._client: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        s = self.settings
        context = ssl.create_default_context()
        client: smtplib.SMTP | None = None
        try:
            if s.security == "tls":
                client = smtplib.SMTP_SSL(s.host, s.port, timeout=s.timeout, context=context)
            else:
                client = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
                if s.security == "starttls":
                    client.starttls(context=context)
            if s.user:
                _login(client, s.user, s.password or "")
        except smtplib.SMTPAuthenticationError:
            _quietly_close(client)
            raise AdapterError(
                f"the mail server {s.host} refused the login of {s.user}",
                "check RUTIN_SMTP_USER and RUTIN_SMTP_PASSWORD",
                retryable=True,
            ) from None  # not `from exc`: the server's answer may echo what was sent
        except (OSError, smtplib.SMTPException) as exc:
            _quietly_close(client)
            raise AdapterError(
                f"cannot reach the mail server {s.host}:{s.port} ({type(exc).__name__})",
                "the mail stays in the outbox and is tried again",
                retryable=True,
            ) from exc
        return client

    def send(self, to: str, subject: str, body: str, message_id: str) -> None:
        message = EmailMessage()
        message["From"] = self.settings.sender
        message["To"] = to
        message["Subject"] = subject
        message["Message-ID"] = message_id
        message["Date"] = formatdate(localtime=False, usegmt=True)
        message.set_content(body, charset="utf-8")
        for attempt in (1, 2):  # a kept connection may have been closed by the server: reconnect once
            if self._client is None:
                self._client = self._connect()
            try:
                self._client.send_message(message)
                return
            except smtplib.SMTPRecipientsRefused as exc:
                codes = [code for code, _text in exc.recipients.values()]
                temporary = bool(codes) and all(code < 500 for code in codes)  # 4xx: greylisting, a full mailbox
                raise AdapterError(f"the mail server refused the recipient {to}", retryable=temporary) from exc
            except smtplib.SMTPResponseException as exc:
                self.close()
                raise AdapterError(
                    f"the mail server answered {exc.smtp_code} to a message for {to}", retryable=exc.smtp_code < 500
                ) from exc
            except (TimeoutError, smtplib.SMTPServerDisconnected, ConnectionError) as exc:
                self.close()
                if attempt == 2:
                    raise AdapterError(
                        f"the mail server {self.settings.host} dropped the connection", retryable=True
                    ) from exc
            except (smtplib.SMTPException, UnicodeError) as exc:  # e.g. an address with å for a server without SMTPUTF8
                self.close()
                raise AdapterError(
                    f"the message for {to} cannot be sent: {type(exc).__name__}", retryable=False
                ) from exc

    def close(self) -> None:
        if self._client is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self._client.quit()
            self._client = None


def _quietly_close(client: smtplib.SMTP | None) -> None:
    if client is not None:
        with contextlib.suppress(OSError, smtplib.SMTPException):
            client.close()


def _login(client: smtplib.SMTP, user: str, password: str) -> None:
    """LOGIN as smtplib does; a user or password with å/ä/ö goes as AUTH PLAIN in UTF-8, which smtplib cannot."""
    try:
        client.login(user, password)
        return
    except UnicodeEncodeError:
        pass
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode("ascii")
    code, _answer = client.docmd("AUTH", f"PLAIN {token}")
    if code != 235:
        raise smtplib.SMTPAuthenticationError(code, b"authentication failed")
