"""Loopback servers for the end-to-end tests.

Every server listens on a given loopback address (127.0.0.x or ::1) and an
ephemeral port (or a port given), accepts any number of connections, serves
each in its own thread, and records what it saw (connections, SNI names,
completed handshakes, commands). `ServerPool` starts them and stops them all
at fixture teardown:

    pool = ServerPool()
    srv = pool.tls("127.0.0.2", chain_path, key_path)      # .host .port
    smtp = pool.starttls("smtp", "127.0.0.2", chain_path, key_path)
    pool.silent("127.0.0.2"); pool.garbage(...); pool.closing(...)
    port = pool.refused_port("127.0.0.2")                  # nothing listens
    a, b = pool.same_port([("127.0.0.2", mk_a), ("127.0.0.3", mk_b)])
    pool.close()

A server's TLS context accepts any key size and signature (security level
0), so weak certificates can be served.
"""

from __future__ import annotations

import errno
import os
import select
import socket
import ssl
import threading
import time
from typing import Callable, List, Optional, Sequence, Tuple

CONN_TIMEOUT = 20.0     # an idle client is dropped after this many seconds
MAX_LINE = 4096


def family_of(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


def hostport(host: str, port: int) -> str:
    """"127.0.0.2:443" / "[::1]:443"."""
    return f"[{host}]:{port}" if ":" in host else f"{host}:{port}"


def ipv6_loopback_available() -> bool:
    if not socket.has_ipv6:
        return False
    try:
        with socket.socket(socket.AF_INET6, socket.SOCK_STREAM) as s:
            s.bind(("::1", 0))
        return True
    except OSError:
        return False


def server_context(chain_path, key_path, *, tls_max: Optional[str] = None,
                   tls_min: Optional[str] = None,
                   sni_log: Optional[list] = None) -> ssl.SSLContext:
    """A TLS server context serving `chain_path` (leaf first, then whatever
    else the server should send) with `key_path`.

    tls_max / tls_min: "1.2" or "1.3". sni_log: a list every handshake
    appends the client's SNI name (None when it sent none) to."""
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    versions = {"1.2": ssl.TLSVersion.TLSv1_2, "1.3": ssl.TLSVersion.TLSv1_3}
    if tls_max:
        ctx.maximum_version = versions[tls_max]
    if tls_min:
        ctx.minimum_version = versions[tls_min]
    ctx.load_cert_chain(str(chain_path), str(key_path))
    if sni_log is not None:
        def _sni(_sslobj, name, _ctx):
            sni_log.append(name)
            return None
        ctx.sni_callback = _sni
    return ctx


class Server:
    """Base: a listening socket, an accept thread, one thread per
    connection. Subclasses implement handle(conn)."""

    kind = "base"

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.lock = threading.Lock()
        self.connections = 0        # accepted
        self.handshakes = 0         # TLS handshakes completed
        self.sni: List[Optional[str]] = []
        self.commands: List[str] = []   # protocol lines received (plain)
        self.errors: List[str] = []
        self._stop = threading.Event()
        # id(accepted socket) -> the socket now in use for it (the TLS
        # wrapper once there is one), so stop() can cut every connection.
        self._conns: dict = {}
        self._threads: List[threading.Thread] = []
        self.sock = socket.socket(family_of(host), socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            self.sock.bind((host, port))
            self.sock.listen(128)
        except OSError:
            self.sock.close()
            raise
        self.port = self.sock.getsockname()[1]
        try:
            self.setup()
        except Exception:
            self.sock.close()
            raise
        self._accepter = threading.Thread(
            target=self._accept_loop, name=f"{self.kind}-{self.address}",
            daemon=True)
        self._accepter.start()

    @property
    def address(self) -> str:
        return hostport(self.host, self.port)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.address}>"

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                r, _, _ = select.select([self.sock], [], [], 0.1)
            except (OSError, ValueError):
                return
            if not r:
                continue
            try:
                conn, _peer = self.sock.accept()
            except OSError:
                continue
            conn.settimeout(CONN_TIMEOUT)
            with self.lock:
                self.connections += 1
                self._conns[id(conn)] = conn
            t = threading.Thread(target=self._serve, args=(conn,),
                                 daemon=True)
            with self.lock:
                self._threads = [x for x in self._threads if x.is_alive()]
                self._threads.append(t)
            t.start()

    def _serve(self, conn: socket.socket) -> None:
        try:
            self.handle(conn)
        except (OSError, ssl.SSLError, ValueError) as e:
            if not self._stop.is_set():
                self.note_error(e)
        finally:
            with self.lock:
                cur = self._conns.pop(id(conn), conn)
            for sock in (cur, conn):
                try:
                    sock.close()
                except OSError:
                    pass

    def note_error(self, e) -> None:
        with self.lock:
            self.errors.append(f"{type(e).__name__}: {e}")

    def setup(self) -> None:
        """Called once the socket is bound, before the first accept."""

    def handle(self, conn: socket.socket) -> None:  # pragma: no cover
        raise NotImplementedError

    def stop(self) -> None:
        if self._stop.is_set():
            return
        self._stop.set()
        self._accepter.join(2)
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self._conns.values())
            threads = list(self._threads)
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            try:
                c.close()
            except OSError:
                pass
        for t in threads:
            t.join(2)

    # -- helpers for subclasses

    def _drain(self, s) -> None:
        """Read until the peer closes, the server stops, or an error."""
        while not self._stop.is_set():
            try:
                d = s.recv(4096)
            except socket.timeout:
                return
            except (OSError, ssl.SSLError):
                return
            if not d:
                return

    def _tls(self, conn: socket.socket, ctx: ssl.SSLContext):
        tls = ctx.wrap_socket(conn, server_side=True,
                              do_handshake_on_connect=False)
        with self.lock:
            self._conns[id(conn)] = tls
        if self._stop.is_set():
            raise OSError("server stopping")
        tls.do_handshake()
        with self.lock:
            self.handshakes += 1
        return tls


class TLSServer(Server):
    """Serves a certificate chain over TLS from the first byte."""

    kind = "tls"

    def __init__(self, host: str, chain_path, key_path, port: int = 0, *,
                 tls_max: Optional[str] = None,
                 tls_min: Optional[str] = None) -> None:
        self.chain_path = chain_path
        self._ctx_args = (chain_path, key_path,
                          dict(tls_max=tls_max, tls_min=tls_min))
        super().__init__(host, port)

    def setup(self):
        chain, key, kw = self._ctx_args
        self.ctx = server_context(chain, key, sni_log=self.sni, **kw)

    def handle(self, conn):
        tls = self._tls(conn, self.ctx)
        self._drain(tls)


class StartTLSServer(Server):
    """A plain-text greeting and command loop that switches to TLS on the
    protocol's STARTTLS command. proto: smtp | imap | pop3.

    smtp: 220 greeting; EHLO -> 250-...STARTTLS; STARTTLS -> 220, then TLS.
    imap: * OK greeting; TAG CAPABILITY; TAG STARTTLS -> TAG OK, then TLS.
    pop3: +OK greeting; CAPA; STLS -> +OK, then TLS.
    After TLS the same command loop goes on inside the tunnel.
    banner_lines > 1 makes the SMTP greeting a multi-line 220- reply."""

    kind = "starttls"
    PROTOS = ("smtp", "imap", "pop3")

    def __init__(self, proto: str, host: str, chain_path, key_path,
                 port: int = 0, *, tls_max: Optional[str] = None,
                 offer_starttls: bool = True, banner_lines: int = 1) -> None:
        if proto not in self.PROTOS:
            raise ValueError(proto)
        self.proto = proto
        self.banner_lines = banner_lines
        self.offer = offer_starttls
        self.chain_path = chain_path
        self._ctx_args = (chain_path, key_path, dict(tls_max=tls_max))
        super().__init__(host, port)

    def setup(self):
        chain, key, kw = self._ctx_args
        self.ctx = server_context(chain, key, sni_log=self.sni, **kw)

    # Reads one line byte by byte, so nothing of a following TLS
    # ClientHello is consumed.
    def _readline(self, s) -> Optional[str]:
        buf = bytearray()
        while len(buf) < MAX_LINE:
            try:
                b = s.recv(1)
            except socket.timeout:
                return None
            if not b:
                return None
            buf += b
            if b == b"\n":
                break
        line = buf.decode("utf-8", "replace").rstrip("\r\n")
        return line

    def handle(self, conn):
        s = conn
        in_tls = False
        greet = {"smtp": "".join(
                     f"220-mail.renewd.test greeting line {i}\r\n"
                     for i in range(1, self.banner_lines)) +
                 "220 mail.renewd.test ESMTP ready\r\n",
                 "imap": "* OK [CAPABILITY IMAP4rev1 %sLOGINDISABLED] ready\r\n"
                 % ("STARTTLS " if self.offer else ""),
                 "pop3": "+OK POP3 ready\r\n"}[self.proto]
        s.sendall(greet.encode())
        while not self._stop.is_set():
            line = self._readline(s)
            if line is None:
                return
            with self.lock:
                self.commands.append(("tls: " if in_tls else "") + line)
            reply, switch, close = getattr(self, "_" + self.proto)(line,
                                                                   in_tls)
            if reply:
                s.sendall(reply.encode())
            if close:
                return
            if switch:
                s = self._tls(conn, self.ctx)
                in_tls = True

    def _smtp(self, line, in_tls):
        verb = line.split(" ", 1)[0].upper()
        if verb == "EHLO":
            caps = ["mail.renewd.test", "PIPELINING", "SIZE 10240000"]
            if self.offer and not in_tls:
                caps.append("STARTTLS")
            caps.append("8BITMIME")
            text = "".join(f"250-{c}\r\n" for c in caps[:-1])
            return text + f"250 {caps[-1]}\r\n", False, False
        if verb == "HELO":
            return "250 mail.renewd.test\r\n", False, False
        if verb == "STARTTLS" and self.offer and not in_tls:
            return "220 2.0.0 Ready to start TLS\r\n", True, False
        if verb in ("NOOP", "RSET"):
            return "250 2.0.0 OK\r\n", False, False
        if verb == "QUIT":
            return "221 2.0.0 Bye\r\n", False, True
        return "502 5.5.2 Command not recognised\r\n", False, False

    def _imap(self, line, in_tls):
        parts = line.split(" ", 2)
        tag = parts[0] if parts else "*"
        cmd = parts[1].upper() if len(parts) > 1 else ""
        if cmd == "CAPABILITY":
            caps = "IMAP4rev1 " + ("STARTTLS " if self.offer and not in_tls
                                   else "") + "LOGINDISABLED"
            return (f"* CAPABILITY {caps}\r\n{tag} OK CAPABILITY completed\r\n",
                    False, False)
        if cmd == "STARTTLS" and self.offer and not in_tls:
            return f"{tag} OK Begin TLS negotiation now\r\n", True, False
        if cmd == "NOOP":
            return f"{tag} OK NOOP completed\r\n", False, False
        if cmd == "LOGOUT":
            return (f"* BYE logging out\r\n{tag} OK LOGOUT completed\r\n",
                    False, True)
        return f"{tag} BAD unknown command\r\n", False, False

    def _pop3(self, line, in_tls):
        cmd = line.split(" ", 1)[0].upper()
        if cmd == "CAPA":
            caps = ["USER"] + (["STLS"] if self.offer and not in_tls else [])
            return "+OK capabilities\r\n" + "".join(
                f"{c}\r\n" for c in caps) + ".\r\n", False, False
        if cmd == "STLS" and self.offer and not in_tls:
            return "+OK Begin TLS negotiation\r\n", True, False
        if cmd == "NOOP":
            return "+OK\r\n", False, False
        if cmd == "QUIT":
            return "+OK bye\r\n", False, True
        return "-ERR unknown command\r\n", False, False


class SilentServer(Server):
    """Accepts and never sends a byte; holds the connection until the client
    closes it or the server stops."""

    kind = "silent"

    def handle(self, conn):
        self._drain(conn)


class GarbageServer(Server):
    """Answers with bytes that are neither TLS nor any STARTTLS protocol:
    some at once, more after each read, then closes."""

    kind = "garbage"
    PAYLOAD = (b"\x00\xffGARBAGE\x7f\x80 this is not TLS \xde\xad\xbe\xef\r\n"
               b"\x17\x03\x03\xff\xff" + bytes(range(256)))

    def handle(self, conn):
        conn.sendall(self.PAYLOAD)
        for _ in range(4):
            try:
                d = conn.recv(4096)
            except (socket.timeout, OSError):
                return
            if not d:
                return
            try:
                conn.sendall(self.PAYLOAD)
            except OSError:
                return


class ClosingServer(Server):
    """Accepts and closes at once."""

    kind = "closing"

    def handle(self, conn):
        try:
            conn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


class FloodServer(Server):
    """Sends an endless stream of bytes until the client goes away (or
    `limit` bytes went out)."""

    kind = "flood"

    def __init__(self, host: str, port: int = 0, *,
                 limit: int = 256 << 20) -> None:
        self.limit = limit
        self.sent = 0
        super().__init__(host, port)

    def handle(self, conn):
        chunk = os.urandom(16384)
        while not self._stop.is_set() and self.sent < self.limit:
            try:
                conn.sendall(chunk)
            except (OSError, socket.timeout):
                return
            with self.lock:
                self.sent += len(chunk)


class ServerPool:
    """Starts servers and stops them all in close()."""

    def __init__(self) -> None:
        self.servers: List[Server] = []
        self._held: List[socket.socket] = []

    def add(self, srv: Server) -> Server:
        if srv not in self.servers:
            self.servers.append(srv)
        return srv

    def tls(self, host, chain_path, key_path, port=0, **kw) -> TLSServer:
        return self.add(TLSServer(host, chain_path, key_path, port, **kw))

    def starttls(self, proto, host, chain_path, key_path, port=0,
                 **kw) -> StartTLSServer:
        return self.add(StartTLSServer(proto, host, chain_path, key_path,
                                       port, **kw))

    def silent(self, host, port=0) -> SilentServer:
        return self.add(SilentServer(host, port))

    def garbage(self, host, port=0) -> GarbageServer:
        return self.add(GarbageServer(host, port))

    def closing(self, host, port=0) -> ClosingServer:
        return self.add(ClosingServer(host, port))

    def flood(self, host, port=0, **kw) -> FloodServer:
        return self.add(FloodServer(host, port, **kw))

    def refused_port(self, host: str) -> int:
        """A port on `host` where a connection is refused: bound (so nobody
        else takes it until close()) but not listening."""
        s = socket.socket(family_of(host), socket.SOCK_STREAM)
        s.bind((host, 0))
        self._held.append(s)
        return s.getsockname()[1]

    def same_port(self, makers: Sequence[Tuple[str, Callable[[str, int],
                                                             Server]]],
                  tries: int = 50) -> List[Server]:
        """Start one server per (host, maker(host, port)) all on one port
        (e.g. one name served by 127.0.0.2 and 127.0.0.3). A maker may be
        a pool method (lambda h, p: pool.tls(h, chain, key, p)) or build a
        Server itself; either way the pool stops it."""
        last = None
        for _ in range(tries):
            started: List[Server] = []
            port = 0
            try:
                for host, mk in makers:
                    srv = mk(host, port)
                    started.append(srv)
                    port = srv.port
                for s in started:
                    self.add(s)
                return started
            except OSError as e:
                if e.errno != errno.EADDRINUSE:
                    for s in started:
                        s.stop()
                    raise
                last = e
                for s in started:
                    s.stop()
        raise RuntimeError(f"no common free port: {last}")

    def close(self) -> None:
        for s in self.servers:
            s.stop()
        self.servers.clear()
        for s in self._held:
            s.close()
        self._held.clear()


def wait_port(host: str, port: int, timeout: float = 5.0) -> bool:
    """Until something accepts on host:port (for servers started elsewhere)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            with socket.create_connection((host, port), 0.5):
                return True
        except OSError:
            time.sleep(0.05)
    return False
