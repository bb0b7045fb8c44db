"""Faults in the world around renewd, end to end.

- DNS: a nameserver where nothing answers, and one that answers SERVFAIL
  (a tiny UDP server here): the target is unknown with a "resolve ..."
  error within about the timeout, the other targets are fine.
- A TLS server that trickles its handshake one byte a second (a proxy in
  front of a real TLS server): one failed probe, "timed out after 2s
  during handshake", the run over in about 2 s.
- The mail server dropping the connection after the message, before its
  reply: the mail stays in the outbox (renewctl queue shows the error),
  the daemon carries on, and delivers it once after a good server takes
  the port and a SIGHUP.
- The clock jumping (libfaketime): a day forward makes the 45-day
  reminder due and it is sent once; back again, nothing repeats.
- A crash after the mail server accepted the message but before the
  connection ended (QUIT unanswered): the restart does not send it again.
- SIGKILL at random moments while 30 reminders are being delivered: after
  the last restart every reminder arrived, none twice but for a kill in
  the few milliseconds between the server's "250" and the record on disk,
  and every state file parses.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import re
import signal
import socket
import struct
import threading
import time
from collections import Counter
from pathlib import Path

import pytest

from helpers.pki import UTC, today_jst
from helpers.renewd import (EXIT_WARNING, Daemon, Target, program_env,
                            require_binary, run, scaled)
from helpers.servers import Server
from helpers.smtp import Inbox, Smtp, free_port, parse

NAME = "www.renewd.test"
FROM = "renewd@example.jp"
TO = "ssl-admins@example.jp"
FAKETIME_LIB = Path("/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1")


# ---- helpers ---------------------------------------------------------------

class ServfailDns:
    """A UDP DNS server on 127.0.0.1 answering every query SERVFAIL."""

    def __init__(self) -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.settimeout(0.1)
        self.port = self.sock.getsockname()[1]
        self.queries = 0
        self._stop = threading.Event()
        self._t = threading.Thread(target=self._loop, daemon=True)
        self._t.start()

    @property
    def nameserver(self) -> str:
        return f"127.0.0.1:{self.port}"

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                msg, peer = self.sock.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            if len(msg) < 12:
                continue
            qid, flags = struct.unpack(">HH", msg[:4])
            qd = struct.unpack(">H", msg[4:6])[0]
            # QR, the query's opcode and RD, RA, rcode 2; the question echoed
            rflags = 0x8000 | (flags & 0x7900) | 0x0080 | 2
            reply = struct.pack(">HHHHHH", qid, rflags, qd, 0, 0, 0) + \
                msg[12:]
            self.queries += 1
            try:
                self.sock.sendto(reply, peer)
            except OSError:
                pass

    def stop(self) -> None:
        self._stop.set()
        self._t.join(2)
        self.sock.close()


class TrickleProxy(Server):
    """Forwards client -> upstream at once and upstream -> client one byte
    a second."""

    kind = "trickle"

    def __init__(self, host: str, upstream) -> None:
        self.upstream = upstream
        super().__init__(host)

    def handle(self, conn):
        up = socket.create_connection(self.upstream, timeout=5)
        with self.lock:
            self._conns[id(up)] = up

        def fwd():
            try:
                while True:
                    d = conn.recv(4096)
                    if not d:
                        break
                    up.sendall(d)
            except OSError:
                pass
        threading.Thread(target=fwd, daemon=True).start()
        up.settimeout(0.2)
        pending = b""
        while not self._stop.is_set():
            if not pending:
                try:
                    pending = up.recv(4096)
                except socket.timeout:
                    continue
                if not pending:
                    break
            conn.sendall(pending[:1])
            pending = pending[1:]
            if self._stop.wait(1.0):
                break
        up.close()


class DroppingSmtp(Server):
    """Speaks SMTP up to DATA, reads the whole message and its final ".",
    then closes the connection without a reply."""

    kind = "dropping"

    def setup(self) -> None:
        self.dropped = 0

    def handle(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 drop ESMTP\r\n")
        in_data = False
        for line in f:
            if in_data:
                if line == b".\r\n":
                    with self.lock:
                        self.dropped += 1
                    f.close()
                    conn.shutdown(socket.SHUT_RDWR)
                    return
            elif line[:4].upper() == b"EHLO":
                conn.sendall(b"250-drop\r\n250 8BITMIME\r\n")
            elif line[:4].upper() == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                in_data = True
            else:
                conn.sendall(b"250 ok\r\n")


def reminder_leaf(serve, days, names=(NAME,), host="127.0.0.2"):
    """A server whose one-year leaf ends at noon JST `days` Japan days from
    today."""
    e = today_jst() + dt.timedelta(days=days)
    not_after = dt.datetime(e.year, e.month, e.day, 3, 0, tzinfo=UTC)
    return serve(host, names=list(names), not_before=-320,
                 not_after=not_after)


def daemon_config(renewd, targets, mail_url, *, poll="1s", timeout="2s",
                  mail_timeout="5s"):
    text = renewd.config_text(
        targets, poll_interval=poll, timeout=timeout, remind_at="00:00",
        ca={"maintenance": "none"},
        mail={"url": mail_url, "from": FROM, "to": TO,
              "timeout": mail_timeout})
    return renewd.write(text, name="renewd.conf")


def outbox(renewd, suffix):
    d = renewd.state_dir / "outbox"
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name.endswith(suffix))


def away_from_jst_midnight(margin=120):
    """Sleep past Japan midnight when it is less than `margin` seconds off,
    so a test's "days left" cannot change under it."""
    now = dt.datetime.now(UTC) + dt.timedelta(hours=9)
    secs = now.hour * 3600 + now.minute * 60 + now.second
    left = 86400 - secs
    if left < margin:
        time.sleep(left + 2)


# ---- 1: DNS answering nothing, and SERVFAIL --------------------------------

@pytest.mark.parametrize("kind", ["silent", "servfail"])
def test_dns_failure_makes_the_target_unknown(renewd, serve, kind):
    good = serve(names=[NAME])
    dns = ServfailDns() if kind == "servfail" else None
    try:
        ns = dns.nameserver if dns else renewd.dead_nameserver
        res = renewd.once(renewd.config(
            [Target("lost.renewd.test", port=good.port),
             Target(NAME, port=good.port, addresses=[good.host])],
            timeout="2s", nameservers=ns))
    finally:
        if dns:
            dns.stop()
    # one target unknown among known ones: a warning overall (renewd(8))
    assert res.rc == EXIT_WARNING, res.describe()
    assert res.elapsed < scaled(4.5), res.describe()
    t = res.target("lost.renewd.test")
    assert t["severity"] == "unknown", res.describe()
    assert t["expiry"] is None and t["addresses"] == [], res.describe()
    assert t["problems"] == ["unreachable"], res.describe()
    assert t["error"].startswith("resolve lost.renewd.test: "), \
        res.describe()
    assert res.target(NAME)["problems"] == [], res.describe()
    assert res.address(NAME)["ok"] is True
    if dns:
        assert dns.queries >= 1
        # an answer, not a wait (under valgrind its start alone is longer)
        assert res.elapsed < scaled(2.5), res.describe()


# ---- 2: a TLS server trickling its handshake --------------------------------

def test_trickling_handshake_times_out(renewd, serve, servers):
    real = serve("127.0.0.3", names=[NAME])
    proxy = servers.add(TrickleProxy("127.0.0.2", (real.host, real.port)))
    res = renewd.once(renewd.config(
        [Target(NAME, port=proxy.port, addresses=[proxy.host])],
        timeout="2s"))
    assert res.rc != 0, res.describe()
    assert 1.8 <= res.elapsed < scaled(4), res.describe()
    a = res.address(NAME)
    assert a["ok"] is False, res.describe()
    assert "timed out after 2s during handshake" in json.dumps(a), \
        res.describe()
    assert proxy.connections == 1, res.describe()


# ---- 3: the mail server dropping the connection after DATA ------------------

def test_smtp_drop_after_data_keeps_the_mail(renewd, serve, servers):
    srv = reminder_leaf(serve, 44)
    drop = servers.add(DroppingSmtp("127.0.0.1"))
    cfg = daemon_config(renewd, [Target(NAME, port=srv.port,
                                        addresses=[srv.host])],
                        f"smtp://127.0.0.1:{drop.port}", mail_timeout="3s")
    d = renewd.daemon(cfg)
    d.wait_log(rf"^renewd: mail [^ ]+/reminder-45 for {re.escape(NAME)} not "
               r"sent \(attempt 1\): .*; next attempt in 60s$")
    assert drop.dropped == 1
    ctl = [require_binary("renewctl"), "-s", renewd.socket]
    q = d.wait_until(lambda: (r := run([*ctl, "--json", "queue"]))
                     and r.rc == 0 and r.data["notices"]
                     and r.data["notices"][0]["attempts"] >= 1 and r,
                     "the queued reminder")
    n = q.data["notices"]
    assert len(n) == 1 and n[0]["target"] == NAME, n
    assert n[0]["last_error"] and n[0]["failed"] is False, n
    human = run([*ctl, "queue"])
    assert human.rc == 0 and n[0]["last_error"] in human.stdout, \
        human.describe()
    assert len(outbox(renewd, ".mail")) == 1
    assert d.alive()

    port = drop.port
    drop.stop()
    with Smtp(Inbox(), port=port) as smtp:
        d.send(signal.SIGHUP)
        smtp.wait_messages(1, timeout=10, alive=d.alive)
        d.wait_until(lambda: not outbox(renewd, ".mail"), "an empty outbox")
        d.wait_log(rf"^renewd: debug: {re.escape(NAME)}: probed: ", count=2)
        time.sleep(0.5)
        assert len(smtp.messages) == 1, smtp.messages
        assert parse(smtp.messages[0]["data"])["X-Renewd-Kind"] == "reminder"
        assert drop.dropped == 1
        assert d.stop() == 0, d.describe()


class MuteAfterAcceptSmtp(Server):
    """Accepts the message ("250" to its final "."), then never answers
    QUIT: the mail is the server's, the client still waits."""

    kind = "mute-after-accept"

    def setup(self) -> None:
        self.accepted = threading.Event()

    def handle(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 mute ESMTP\r\n")
        in_data = False
        for line in f:
            if in_data:
                if line == b".\r\n":
                    conn.sendall(b"250 2.0.0 queued as 1\r\n")
                    self.accepted.set()
                    in_data = False
            elif line[:4].upper() == b"QUIT":
                self._drain(conn)
                return
            elif line[:4].upper() == b"EHLO":
                conn.sendall(b"250-mute\r\n250 8BITMIME\r\n")
            elif line[:4].upper() == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                in_data = True
            else:
                conn.sendall(b"250 ok\r\n")


def test_crash_after_the_server_accepted_does_not_resend(
        renewd, serve, servers):
    """The server said 250 to the message; the daemon dies before the
    connection is over (here: QUIT unanswered). The mail was delivered:
    the restart must not send it again."""
    srv = reminder_leaf(serve, 44)
    mute = servers.add(MuteAfterAcceptSmtp("127.0.0.1"))
    cfg = daemon_config(renewd, [Target(NAME, port=srv.port,
                                        addresses=[srv.host])],
                        f"smtp://127.0.0.1:{mute.port}", mail_timeout="5s")
    d = renewd.daemon(cfg)
    assert mute.accepted.wait(10), d.describe()
    time.sleep(0.3)
    d.kill()
    port = mute.port
    mute.stop()
    with Smtp(Inbox(), port=port) as smtp:
        d = renewd.daemon(cfg)
        d.wait_log(r"^renewd: started: ")
        n = d.count(rf"^renewd: debug: {re.escape(NAME)}: probed: ")
        d.wait_log(rf"^renewd: debug: {re.escape(NAME)}: probed: ",
                   count=n + 2)
        time.sleep(0.3)
        assert d.stop() == 0, d.describe()
        assert smtp.messages == [], "sent again after the server took it"
    assert outbox(renewd, ".mail") == []


# ---- 4: the clock jumping ---------------------------------------------------

def faketime_daemon(renewd, cfg, offset):
    env = program_env(extra={
        "LD_PRELOAD": str(FAKETIME_LIB), "FAKETIME": offset,
        "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_RESET": "1"})
    # Under ASan the sanitizer runtime must come first; libfaketime is only
    # a time shim, so the order does not matter here.
    env["ASAN_OPTIONS"] = (env.get("ASAN_OPTIONS", "") +
                           ":verify_asan_link_order=0").lstrip(":")
    d = Daemon([renewd.binary, "-d", "-c", cfg], renewd.dir / "daemon.log",
               env=env)
    renewd.daemons.append(d)
    return d


@pytest.mark.skipif(not FAKETIME_LIB.exists(),
                    reason="libfaketime is not installed")
def test_clock_jumps_forward_then_back(renewd, serve):
    away_from_jst_midnight()
    srv = reminder_leaf(serve, 46)          # 45-day reminder due tomorrow
    probed = rf"^renewd: debug: {re.escape(NAME)}: probed: "
    notice = rf"^renewd: notice {re.escape(NAME)} reminder-"
    r45 = rf"^renewd: notice {re.escape(NAME)} reminder-45 "

    def notices(smtp):
        return Counter(parse(m["data"])["X-Renewd-Notice"].rsplit("/", 1)[-1]
                       for m in smtp.messages)

    with Smtp(Inbox()) as smtp:
        cfg = daemon_config(renewd, [Target(NAME, port=srv.port,
                                            addresses=[srv.host])], smtp.url)
        # 46 days left: the 60-day reminder is caught up, the 45-day one
        # is not due yet
        d = faketime_daemon(renewd, cfg, "+0")
        smtp.wait_messages(1, timeout=10, alive=d.alive)
        d.wait_until(lambda: not outbox(renewd, ".mail"), "an empty outbox")
        n = d.count(probed)
        d.wait_log(probed, count=n + 2)
        assert d.count(r45) == 0, d.describe()
        assert d.stop() == 0, d.describe()
        assert notices(smtp) == {"reminder-60": 1}

        # a day later: the 45-day reminder, once
        d = faketime_daemon(renewd, cfg, "+1d")
        d.wait_log(r45)
        smtp.wait_messages(2, timeout=10, alive=d.alive)
        d.wait_until(lambda: not outbox(renewd, ".mail"), "an empty outbox")
        n = d.count(probed)
        d.wait_log(probed, count=n + 2)
        assert d.count(notice) == 1, d.describe()
        assert d.stop() == 0, d.describe()

        # the clock back: nothing repeats
        d = faketime_daemon(renewd, cfg, "+0")
        d.wait_log(probed, count=3)
        assert d.count(notice) == 0, d.describe()
        assert not outbox(renewd, ".mail")
        assert d.stop() == 0, d.describe()
        assert notices(smtp) == {"reminder-60": 1, "reminder-45": 1}


# ---- 5: SIGKILL at random moments while reminders are due ------------------

def test_sigkill_loop_delivers_every_reminder_once(renewd, serve):
    names = [f"t{i:02d}.renewd.test" for i in range(30)]
    srvs = [reminder_leaf(serve, 40, names=names, host=h)
            for h in ("127.0.0.2", "127.0.0.3", "127.0.0.4")]
    targets = [Target(n, port=srvs[i % 3].port, addresses=[srvs[i % 3].host])
               for i, n in enumerate(names)]
    rng = random.Random(os.getpid() ^ int(time.time()))
    with Smtp(Inbox()) as smtp:
        cfg = daemon_config(renewd, targets, smtp.url, poll="1h",
                            timeout="1s")
        for _ in range(50):
            d = renewd.daemon(cfg, debug=False)
            time.sleep(rng.uniform(0, 0.3))
            d.kill()
            for p in renewd.state_dir.glob("*.json"):
                json.loads(p.read_text("utf-8"))
        d = renewd.daemon(cfg, debug=False)
        smtp.wait_messages(len(names), timeout=20, alive=d.alive)
        d.wait_until(lambda: not outbox(renewd, ".mail") and all(
            renewd.state(n) for n in names), "an empty outbox", timeout=20)
        time.sleep(0.5)
        assert d.stop() == 0, d.describe()
        got = Counter()
        for m in smtp.messages:
            msg = parse(m["data"])
            got[(msg["X-Renewd-Target"], msg["X-Renewd-Kind"],
                 msg["X-Renewd-Notice"].rsplit("/", 1)[-1])] += 1
        want = {(n, "reminder", "reminder-45") for n in names}
        # Nothing lost, nothing else sent.
        assert set(got) == want, sorted(got.items())
        # A kill between the server's "250" and the delivery record on
        # disk (one fsync, a few ms) cannot be told from one before the
        # "250": that mail goes again. Only that window may repeat one, so
        # repeats are rare and never pile up on one notice.
        repeats = {k: v for k, v in got.items() if v > 1}
        assert all(v == 2 for v in repeats.values()), repeats
        assert len(repeats) <= 5, repeats
        for n in names:
            st = renewd.state(n)
            assert st["target"] == n
            assert any(s["kind"] == "reminder" and s["threshold"] == 45 and
                       not s["skipped"] for s in st["cycle"]["sent"]), st
        for p in renewd.state_dir.rglob("*"):
            if p.is_file() and p.suffix == ".json":
                json.loads(p.read_text("utf-8"))
