"""A real SMTP server (aiosmtpd) in a thread of the test process, recording what it accepts."""

from __future__ import annotations

import asyncio
import email
import email.policy
import socket
import threading

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Recorder:
    """The server's handler. `reply` refuses every message with that SMTP reply ("451 …",
    "550 …") while set; `hold_at` makes the server wait, before accepting the message with that
    number (1-based), until `release` is set — `reached` says it is waiting. A message whose
    client went away before the server accepted it is not delivered (aiosmtpd cancels the
    handler when the connection is lost)."""

    def __init__(self):
        self.accepted: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.refused = 0
        self.reply: str | None = None
        self.hold_at: int | None = None
        self.reached = threading.Event()
        self.release = threading.Event()
        self._seen = 0

    async def handle_DATA(self, server, session, envelope):
        if self.reply is not None:
            self.refused += 1
            return self.reply
        self._seen += 1
        if self.hold_at is not None and self._seen == self.hold_at:
            self.reached.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
        message = email.message_from_bytes(envelope.original_content or envelope.content,
                                           policy=email.policy.default)
        self.accepted.append(message)
        self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 OK"

    def message_ids(self) -> list[str]:
        return [m["Message-ID"] for m in self.accepted]


class MailServer:
    def __init__(self):
        self.recorder = Recorder()
        self.port = free_port()
        self.controller = Controller(self.recorder, hostname="127.0.0.1", port=self.port)

    def __enter__(self) -> MailServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.recorder.release.set()
        self.controller.stop()
