"""A real SMTP server on loopback for the worker's tests: aiosmtpd's Controller on 127.0.0.1 and a free port.

It records every message it accepts (with its Message-ID), can be stopped and started again on the same port
(a mail server that goes down and comes back), can be told to answer a status such as 451 or 550 at RCPT or
DATA, can offer a login (AUTH PLAIN/LOGIN without TLS, on loopback only), and can leave out SMTPUTF8.
"""

from __future__ import annotations

import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

HOST = "127.0.0.1"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: tuple[str, ...]
    message: EmailMessage
    raw: bytes

    @property
    def message_id(self) -> str:
        return str(self.message["Message-ID"])


@dataclass
class _Handler:
    received: list[Received] = field(default_factory=list)
    rcpt_answer: str | None = None
    data_answer: str | None = None
    refusals: dict[str, str] = field(default_factory=dict)

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if self.rcpt_answer or address in self.refusals:
            return self.rcpt_answer or self.refusals[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.data_answer:
            return self.data_answer
        raw = bytes(envelope.original_content)
        parsed = message_from_bytes(raw, policy=default)
        assert isinstance(parsed, EmailMessage)
        self.received.append(Received(str(envelope.mail_from), tuple(envelope.rcpt_tos), parsed, raw))
        return "250 Message accepted for delivery"


class SmtpServer:
    """Start with `start()` (or as a context manager); `messages` is everything accepted, across restarts."""

    def __init__(self, *, logins: dict[str, str] | None = None, smtputf8: bool = True) -> None:
        self.port = free_port()
        self.logins = logins
        self.smtputf8 = smtputf8
        self.logged_in: list[str] = []
        self._handler = _Handler()
        self._controller: Controller | None = None

    # -- lifecycle ------------------------------------------------------------------------------------

    def start(self) -> SmtpServer:
        if self._controller is not None:
            return self
        options: dict[str, Any] = {"enable_SMTPUTF8": self.smtputf8}
        if self.logins is not None:  # AUTH is offered, not required: aiosmtpd warns about requiring it without TLS
            options |= {"authenticator": self._authenticate, "auth_require_tls": False}
        controller = Controller(self._handler, hostname=HOST, port=self.port, ready_timeout=5, **options)
        controller.start()  # asyncio binds with SO_REUSEADDR, so the same port is free again right after stop()
        self._controller = controller
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def __enter__(self) -> SmtpServer:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # -- behaviour ------------------------------------------------------------------------------------

    def answer(self, status: str | None, *, at: str = "RCPT") -> None:
        """Answer every RCPT (or DATA) with `status`, e.g. "451 4.3.0 Try again later"; None accepts again."""
        if at == "RCPT":
            self._handler.rcpt_answer = status
        elif at == "DATA":
            self._handler.data_answer = status
        else:
            raise ValueError(f"answer at RCPT or DATA, not {at}")

    def refuse(self, address: str, status: str = "550 5.1.1 No such user here") -> None:
        """Answer RCPT for this one address with `status`; the others are accepted."""
        self._handler.refusals[address] = status

    def _authenticate(self, _server: Any, _session: Any, _envelope: Any, _mechanism: str, data: Any) -> AuthResult:
        assert self.logins is not None
        if isinstance(data, LoginPassword):
            user, password = data.login.decode(), data.password.decode()
            if self.logins.get(user) == password:
                self.logged_in.append(user)
                return AuthResult(success=True)
        return AuthResult(success=False, handled=False)

    # -- what arrived ---------------------------------------------------------------------------------

    @property
    def messages(self) -> list[Received]:
        return list(self._handler.received)

    def message_ids(self) -> list[str]:
        return [m.message_id for m in self.messages]

    def wait_for(self, count: int, timeout: float = 20.0) -> list[Received]:
        """Poll (for a worker in another process) until `count` messages arrived or `timeout` seconds passed."""
        deadline = time.monotonic() + timeout
        while len(self._handler.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.messages
