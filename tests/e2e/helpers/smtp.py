"""Mail servers for the tests: aiosmtpd on 127.0.0.1, keeping what it got.

    with Smtp(Inbox()) as srv:                   # plain SMTP, ephemeral port
        ... url = srv.url                        # smtp://127.0.0.1:PORT
        msgs = srv.wait_messages(1)              # poll until one arrived
        msg = parse(msgs[0]["data"])             # email.message.EmailMessage

    Smtp(Inbox(), port=p)                        # a given port (started later
                                                 # on a port the daemon uses)
    Smtp(Inbox(), tls_context=server_tls_context(hier),
         require_starttls=True, authenticator=..., auth_require_tls=True)

Inbox(refuse="554 ...") refuses every DATA with that reply. Each accepted
message is a dict: "from" (envelope), "rcpt" (the envelope's recipients, in
order), "data" (bytes as received), "tls", "auth", "accepted"
(time.monotonic() just before the "250"), "session" (see quit_after()).
"""

from __future__ import annotations

import email
import email.policy
import socket
import ssl
import time
from typing import List, Optional

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd")
from aiosmtpd.controller import Controller  # noqa: E402


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nothing listens on (at the moment of asking)."""
    with socket.socket() as s:
        s.bind((host, 0))
        return s.getsockname()[1]


class Inbox:
    """aiosmtpd handler that keeps what it accepted."""

    def __init__(self, refuse: Optional[str] = None):
        self.messages: List[dict] = []
        self.refuse = refuse
        self.quit: set = set()      # id() of each session that sent QUIT

    async def handle_QUIT(self, server, session, envelope):
        self.quit.add(id(session))
        return "221 Bye"

    def quit_after(self, m: dict) -> bool:
        """Whether the session that sent message m ended with QUIT."""
        return id(m["session"]) in self.quit

    async def handle_RCPT(self, server, session, envelope, address, opts):
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.refuse:
            return self.refuse
        self.messages.append({
            "from": envelope.mail_from,
            "rcpt": list(envelope.rcpt_tos),
            "data": envelope.original_content,
            "tls": session.ssl is not None,
            "auth": session.authenticated,
            "accepted": time.monotonic(),   # just before the "250"
            "session": session,             # for quit_after()
        })
        return "250 2.0.0 queued"


class Smtp:
    """An aiosmtpd Controller on 127.0.0.1 (a context manager, or
    start()/stop())."""

    def __init__(self, handler=None, *, port: int = 0, **kw):
        self.port = port or free_port()
        self.handler = handler if handler is not None else Inbox()
        self.ctl = Controller(self.handler, hostname="127.0.0.1",
                              port=self.port, **kw)
        self.running = False

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}"

    @property
    def messages(self) -> List[dict]:
        return self.handler.messages

    def start(self) -> "Smtp":
        self.ctl.start()
        self.running = True
        return self

    def stop(self) -> None:
        if self.running:
            self.running = False
            self.ctl.stop()

    def __enter__(self) -> "Smtp":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def wait_messages(self, n: int = 1, timeout: float = 10.0,
                      alive=None) -> List[dict]:
        """Poll until at least `n` messages arrived; the test fails when
        time runs out (or when alive() turns false). The timeout stretches
        under valgrind (helpers.renewd.scaled)."""
        from helpers.renewd import scaled
        timeout = scaled(timeout)
        end = time.monotonic() + timeout
        while len(self.messages) < n:
            if alive is not None and not alive():
                pytest.fail(f"{len(self.messages)} of {n} messages: the "
                            f"sender is gone", pytrace=False)
            if time.monotonic() > end:
                pytest.fail(f"{len(self.messages)} of {n} messages after "
                            f"{timeout}s", pytrace=False)
            time.sleep(0.05)
        return list(self.messages)


def parse(data: bytes):
    """A received message, parsed by the standard library."""
    return email.message_from_bytes(data, policy=email.policy.default)


def server_tls_context(hier) -> ssl.SSLContext:
    """A server context for STARTTLS: a leaf for localhost / 127.0.0.1
    under the test hierarchy (trusted through hier.ca_file)."""
    leaf = hier.leaf(names=["localhost"], ips=["127.0.0.1"])
    chain = hier.pki.chain_file(leaf, hier.inter)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(chain), str(leaf.key_path))
    return ctx
