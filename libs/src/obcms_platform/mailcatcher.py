"""An SMTP server that keeps what it receives: `make run`'s outgoing mail (the gateway's
development mailbox shows it) and the tests' real SMTP server.

It is aiosmtpd's server, storing each message in a Maildir. `refusing` makes it answer
"451 try again later" to every message, as a mail server in trouble does.
"""

from __future__ import annotations

import mailbox
import socket
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox


class _Keeper(Mailbox):
    def __init__(self, maildir: Path) -> None:
        super().__init__(maildir)
        self.refusing = False

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.refusing:
            return "451 4.3.0 Mail server busy, try again later"
        result: str = await super().handle_DATA(server, session, envelope)
        return result


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as probe:
        probe.bind((host, 0))
        port: int = probe.getsockname()[1]
        return port


class MailCatcher:
    """The SMTP server on `host`:`port` (a free one by default), keeping mail in `maildir`."""

    def __init__(self, maildir: Path, host: str = "127.0.0.1", port: int = 0) -> None:
        self.maildir = maildir
        self.host = host
        self.port = port or free_port(host)
        self._keeper = _Keeper(maildir)
        self._controller = Controller(self._keeper, hostname=host, port=self.port)

    def start(self) -> MailCatcher:
        self._controller.start()
        return self

    def stop(self) -> None:
        self._controller.stop()

    @property
    def refusing(self) -> bool:
        return self._keeper.refusing

    @refusing.setter
    def refusing(self, value: bool) -> None:
        self._keeper.refusing = value

    def messages(self) -> list[EmailMessage]:
        """What arrived, oldest first."""
        return read_maildir(self.maildir)


def read_maildir(maildir: Path) -> list[EmailMessage]:
    """The messages of `maildir`, oldest first (an absent folder holds none)."""
    if not maildir.exists():
        return []
    box = mailbox.Maildir(maildir, factory=None, create=False)
    found: list[tuple[float, EmailMessage]] = []
    for _, entry in box.iteritems():
        parsed = message_from_bytes(entry.as_bytes(), policy=default)
        assert isinstance(parsed, EmailMessage)
        found.append((entry.get_date(), parsed))
    return [message for _, message in sorted(found, key=lambda pair: pair[0])]
