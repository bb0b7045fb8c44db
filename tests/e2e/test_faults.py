"""Faults in the world around renewd, end to end.

- DNS: a nameserver where nothing answers, and one that answers SERVFAIL
  (a tiny UDP server here): the target is unknown with a "resolve ..."
  error within about the timeout, the other targets are fine.
- A TLS server that trickles its handshake one byte a second (a proxy in
  front of a real TLS server): one failed probe, "timed out after 2s
  during handshake", the run over in about 2 s.
- A TLS server sending a megabyte of certificates (a thousand copies of
  the intermediate, or a leaf with a 1 MB extension): the probe fails at
  once with "the server's certificate chain is larger than 102400 bytes",
  the other target is fine, and the daemon's memory does not grow with
  repeated probes of it.
- The mail server dropping the connection on DATA, in the middle of the
  message, or after the message before its reply: the mail stays in the
  outbox (renewctl queue shows the error), the daemon carries on, and
  delivers it once after a good server takes the port and a SIGHUP.
- The clock jumping (libfaketime): a day forward makes the 45-day
  reminder due and it is sent once; back again, nothing repeats.
- A crash after the mail server accepted the message but before the
  connection ended (QUIT unanswered): the restart does not send it again.
- The state directory read-only or full (a small tmpfs over it, remounted
  read-only or filled up; root only, skipped when mounting is not
  permitted; without root, chmod stands in for read-only): a save that
  fails leaves the old file whole, is logged and retried, the mail goes
  once; once there is room the state is saved. A restart meanwhile
  decides the notice again from the old file and the outbox does not
  send it twice (a read-only state directory stops the start, clearly).
- The outbox (state_dir/outbox, a tmpfs of its own) read-only or full:
  the notice cannot be queued, so the state does not record it; it is
  offered again at every probe and, after a restart, decided again; once
  the outbox can be written it goes out once and the state records it.
  Known weakness (strict xfail): a mail delivered while the outbox is
  read-only cannot be recorded, and its entry cannot be removed, so the
  next start sends it again.
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
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

import pytest
from cryptography import x509

from helpers.pki import UTC, today_jst
from helpers.renewd import (EXIT_UNKNOWN, EXIT_WARNING, Daemon, Target,
                            VALGRIND, program_env, require_binary, run,
                            scaled)
from helpers.servers import Server
from helpers.smtp import Inbox, Smtp, free_port, parse

NAME = "www.renewd.test"
OTHER = "other.renewd.test"
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
    """Speaks SMTP up to DATA, then closes the connection without a reply:
    at the DATA command itself ("data"), after the first `body_lines`
    lines of the message ("mid-body"), or after its final "." ("end")."""

    kind = "dropping"
    DROP_AT = ("data", "mid-body", "end")

    def __init__(self, host: str, drop_at: str = "end",
                 body_lines: int = 5) -> None:
        if drop_at not in self.DROP_AT:
            raise ValueError(drop_at)
        self.drop_at = drop_at
        self.body_lines = body_lines
        super().__init__(host)

    def setup(self) -> None:
        self.dropped = 0
        self.lines_read = 0         # of the message, at the drop

    def _drop(self, f, conn, lines: int) -> None:
        with self.lock:
            self.dropped += 1
            self.lines_read = lines
        f.close()
        conn.shutdown(socket.SHUT_RDWR)

    def handle(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 drop ESMTP\r\n")
        in_data = False
        lines = 0
        for line in f:
            if in_data:
                if line == b".\r\n":
                    self._drop(f, conn, lines)
                    return
                lines += 1
                if self.drop_at == "mid-body" and lines == self.body_lines:
                    self._drop(f, conn, lines)
                    return
            elif line[:4].upper() == b"EHLO":
                conn.sendall(b"250-drop\r\n250 8BITMIME\r\n")
            elif line[:4].upper() == b"DATA":
                if self.drop_at == "data":
                    self._drop(f, conn, 0)
                    return
                conn.sendall(b"354 go ahead\r\n")
                in_data = True
            else:
                conn.sendall(b"250 ok\r\n")


class SmallFs:
    """A directory that can be made read-only or full while renewd runs: a
    small tmpfs mounted over it (root), remounted read-only or filled by a
    hidden file. Without root only read-only is possible, by chmod (root
    writes through permission bits, so it needs the mount). Skips the test
    when neither works; close() unmounts."""

    FAULTS = ("read-only", "full")
    ERRORS = {"read-only": "(Read-only file system|Permission denied)",
              "full": "No space left on device"}

    def __init__(self, path: Path, fault: str, size: str = "1m") -> None:
        if fault not in self.FAULTS:
            raise ValueError(fault)
        self.path = Path(path)
        self.path.mkdir(exist_ok=True)
        self.fault = fault
        self.filler = self.path / ".filler"
        self.mounted = False
        if os.geteuid() != 0:
            if fault != "read-only":
                pytest.skip(f"filling {self.path} needs a tmpfs mount, "
                            "which needs root")
            return
        r = subprocess.run(["mount", "-t", "tmpfs", "-o",
                            f"size={size},mode=0700", "renewd-test",
                            str(self.path)], capture_output=True, text=True)
        if r.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs over {self.path} (needed to "
                        f"make it {fault} as root): {r.stderr.strip()}")
        self.mounted = True

    def _remount(self, how: str) -> None:
        # EBUSY while a file on it is open for writing: try again
        for _ in range(50):
            r = subprocess.run(["mount", "-o", f"remount,{how}",
                                str(self.path)], capture_output=True,
                               text=True)
            if r.returncode == 0:
                return
            time.sleep(0.1)
        raise AssertionError(f"remount,{how} {self.path}: {r.stderr}")

    def break_(self) -> None:
        """Make writing fail: read-only, or not a byte free."""
        if self.fault == "read-only":
            if self.mounted:
                self._remount("ro")
            else:
                self.path.chmod(0o500)
            return
        fd = os.open(self.filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600)
        try:
            chunk = 1 << 16
            while chunk:
                try:
                    os.write(fd, bytes(chunk))
                except OSError:
                    chunk //= 2     # what is left of the last page
        finally:
            os.close(fd)
        try:
            (self.path / ".probe").write_bytes(b"x")
        except OSError:
            return
        raise AssertionError(f"{self.path} still takes a write")

    def repair(self) -> None:
        if self.fault == "read-only":
            if self.mounted:
                self._remount("rw")
            else:
                self.path.chmod(0o700)
        else:
            self.filler.unlink()

    def close(self) -> None:
        if not self.mounted:
            self.path.chmod(0o700)
            return
        self.mounted = False
        if subprocess.run(["umount", str(self.path)],
                          capture_output=True).returncode != 0:
            subprocess.run(["umount", "-l", str(self.path)],
                           capture_output=True)


@pytest.fixture
def small_fs(renewd):
    """small_fs(path, fault) -> a SmallFs; every one is unmounted at the
    end, after the test's daemons are stopped."""
    made = []

    def _make(path, fault):
        fs = SmallFs(path, fault)
        made.append(fs)
        return fs
    yield _make
    renewd.close()          # a daemon holds the state directory open
    for fs in reversed(made):
        fs.close()


def state_and_outbox(renewd, small_fs, fault):
    """The state directory and its outbox as two small file systems of
    their own (so that either can fail alone): (state, outbox)."""
    st = small_fs(renewd.state_dir, fault)
    ob = small_fs(renewd.state_dir / "outbox", fault)
    return st, ob


def recorded(renewd):
    """The reminders NAME's state file records as sent: [60, 45]."""
    st = renewd.state(NAME) or {}
    return [s["threshold"] for s in st.get("cycle", {}).get("sent", [])
            if s["kind"] == "reminder" and not s["skipped"]]


def loose_files(renewd):
    """What is in the state directory besides the state file (temp files
    a failed write would leave); the outbox and the filler aside."""
    return [n for n in renewd.state_files()
            if n != f"{NAME}.json" and not n.startswith(".")]


def reminder_45_while(renewd, srv, smtp, broken):
    """The 60-day reminder sent and saved with thresholds = 60; then
    `broken` breaks, thresholds = 60, 45 and a SIGHUP make the 45-day
    reminder due. Returns (daemon, config, the state file's bytes from
    before)."""
    targets = [Target(NAME, port=srv.port, addresses=[srv.host])]
    cfg = daemon_config(renewd, targets, smtp.url, thresholds="60")
    d = renewd.daemon(cfg)
    smtp.wait_messages(1, alive=d.alive)
    d.wait_until(lambda: recorded(renewd) == [60], "reminder-60 saved")
    d.wait_until(lambda: not outbox(renewd, ".mail"), "an empty outbox")
    before = renewd.state_file(NAME).read_bytes()
    broken.break_()
    daemon_config(renewd, targets, smtp.url, thresholds="60, 45")
    d.send(signal.SIGHUP)
    return d, cfg, before


def reminder_leaf(serve, days, names=(NAME,), host="127.0.0.2"):
    """A server whose one-year leaf ends at noon JST `days` Japan days from
    today."""
    e = today_jst() + dt.timedelta(days=days)
    not_after = dt.datetime(e.year, e.month, e.day, 3, 0, tzinfo=UTC)
    return serve(host, names=list(names), not_before=-320,
                 not_after=not_after)


def daemon_config(renewd, targets, mail_url, *, poll="1s", timeout="2s",
                  mail_timeout="5s", **renewd_keys):
    """renewd.conf (rewritten in place, for a SIGHUP) for a daemon with
    `targets` mailing to `mail_url`; other keywords are [renewd] keys."""
    text = renewd.config_text(
        targets, poll_interval=poll, timeout=timeout, remind_at="00:00",
        ca={"maintenance": "none"},
        mail={"url": mail_url, "from": FROM, "to": TO,
              "timeout": mail_timeout}, **renewd_keys)
    return renewd.write(text, name="renewd.conf")


def renewctl(renewd, *args):
    """renewctl on the test daemon's socket."""
    return run([require_binary("renewctl"), "-s", renewd.socket, *args])


def notices(smtp):
    """How many mails of each notice ("reminder-45": 1, ...) arrived."""
    return Counter(parse(m["data"])["X-Renewd-Notice"].rsplit("/", 1)[-1]
                   for m in smtp.messages)


def probed(name=NAME):
    """The debug line of a successful probe of `name`."""
    return rf"^renewd: debug: {re.escape(name)}: probed: "


def wait_probes(d, n=2, name=NAME):
    """Until `name` was probed `n` more times (at poll = 1s: ~n s)."""
    d.wait_log(probed(name), count=d.count(probed(name)) + n)


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


# ---- 3: a megabyte of certificates ------------------------------------------

CHAIN_TOO_LARGE = ("TLS handshake failed: the server's certificate chain is "
                   "larger than 102400 bytes, the most renewd reads")
PADDING_OID = x509.ObjectIdentifier("1.3.6.1.4.1.55555.1")   # made up


def megabyte_chain_server(serve, hier, shape):
    """A TLS server for NAME sending about 1 MB of certificates: the leaf
    and a thousand copies of the intermediate ("padding"), or a leaf that
    carries a 1 MB extension ("huge-leaf") and the intermediate."""
    if shape == "padding":
        return serve(names=[NAME], extra=[hier.inter] * 1000)
    size = 1 << 20
    blob = b"\x04\x83" + size.to_bytes(3, "big") + bytes(size)
    return serve(leaf=hier.leaf(names=[NAME], extensions=[
        x509.UnrecognizedExtension(PADDING_OID, blob)]))


def peak_rss_kib(pid: int) -> int:
    """The process's peak resident set (VmHWM), in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")


@pytest.mark.parametrize("shape", ["padding", "huge-leaf"])
def test_megabyte_chain_is_refused_clearly(renewd, serve, hier, shape):
    big = megabyte_chain_server(serve, hier, shape)
    good = serve("127.0.0.3", names=[OTHER])
    res = renewd.once(renewd.config(
        [Target(NAME, port=big.port, addresses=[big.host]),
         Target(OTHER, port=good.port, addresses=[good.host])],
        timeout="2s"))
    assert res.rc == EXIT_WARNING, res.describe()
    assert res.elapsed < scaled(1.5), res.describe()  # no wait for a timeout
    a = res.address(NAME)
    assert a["ok"] is False and a["error"] == CHAIN_TOO_LARGE, \
        res.describe()
    assert res.target(NAME)["problems"] == ["handshake-failed"], \
        res.describe()
    assert res.address(OTHER)["ok"] is True, res.describe()
    assert res.target(OTHER)["problems"] == [], res.describe()


def test_megabyte_chain_daemon_stays_bounded(renewd, serve, hier):
    big = megabyte_chain_server(serve, hier, "padding")
    good = serve("127.0.0.3", names=[OTHER])
    cfg = daemon_config(renewd, [
        Target(NAME, port=big.port, addresses=[big.host]),
        Target(OTHER, port=good.port, addresses=[good.host])],
        renewd.mail_url)
    d = renewd.daemon(cfg)
    d.wait_log(rf"^renewd: debug: {re.escape(NAME)}: probe failed \(1 in a "
               rf"row\): .*{re.escape(CHAIN_TOO_LARGE)}")
    wait_probes(d, 1, OTHER)
    before = peak_rss_kib(d.pid)
    for _ in range(10):             # probed again and again, at once
        r = renewctl(renewd, "--json", "probe", NAME)
        assert r.rc == EXIT_UNKNOWN, r.describe()
        assert CHAIN_TOO_LARGE in r.stdout, r.describe()
    grown = peak_rss_kib(d.pid) - before
    # Nothing of the megabytes is read or kept: the peak stays put (under
    # ASan its quarantine holds freed blocks, about 200 KiB a probe).
    # (Under valgrind the RSS is mostly valgrind's own: not checked.)
    if not VALGRIND:
        assert grown < 6144, f"peak RSS grew by {grown} KiB\n{d.describe()}"
    wait_probes(d, 2, OTHER)        # the other target is still probed
    assert big.connections >= 11
    assert d.stop() == 0, d.describe()


# ---- 4: the mail server dropping the connection during DATA -----------------

@pytest.mark.parametrize("drop_at", DroppingSmtp.DROP_AT)
def test_smtp_drop_during_data_keeps_the_mail(renewd, serve, servers,
                                              drop_at):
    srv = reminder_leaf(serve, 44)
    drop = servers.add(DroppingSmtp("127.0.0.1", drop_at))
    cfg = daemon_config(renewd, [Target(NAME, port=srv.port,
                                        addresses=[srv.host])],
                        f"smtp://127.0.0.1:{drop.port}", mail_timeout="3s")
    d = renewd.daemon(cfg)
    d.wait_log(rf"^renewd: mail [^ ]+/reminder-45 for {re.escape(NAME)} not "
               r"sent \(attempt 1\): .*; next attempt in 60s$")
    assert drop.dropped == 1
    if drop_at == "mid-body":       # the server had part of the message
        assert drop.lines_read == drop.body_lines
    q = d.wait_until(lambda: (r := renewctl(renewd, "--json", "queue"))
                     and r.rc == 0 and r.data["notices"]
                     and r.data["notices"][0]["attempts"] >= 1 and r,
                     "the queued reminder")
    n = q.data["notices"]
    assert len(n) == 1 and n[0]["target"] == NAME, n
    assert n[0]["last_error"] and n[0]["failed"] is False, n
    human = renewctl(renewd, "queue")
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
        wait_probes(d, 1)
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
        wait_probes(d)
        time.sleep(0.3)
        assert d.stop() == 0, d.describe()
        assert smtp.messages == [], "sent again after the server took it"
    assert outbox(renewd, ".mail") == []


# ---- 5: the clock jumping ---------------------------------------------------

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
    notice = rf"^renewd: notice {re.escape(NAME)} reminder-"
    r45 = rf"^renewd: notice {re.escape(NAME)} reminder-45 "

    with Smtp(Inbox()) as smtp:
        cfg = daemon_config(renewd, [Target(NAME, port=srv.port,
                                            addresses=[srv.host])], smtp.url)
        # 46 days left: the 60-day reminder is caught up, the 45-day one
        # is not due yet
        d = faketime_daemon(renewd, cfg, "+0")
        smtp.wait_messages(1, timeout=10, alive=d.alive)
        d.wait_until(lambda: not outbox(renewd, ".mail"), "an empty outbox")
        wait_probes(d)
        assert d.count(r45) == 0, d.describe()
        assert d.stop() == 0, d.describe()
        assert notices(smtp) == {"reminder-60": 1}

        # a day later: the 45-day reminder, once
        d = faketime_daemon(renewd, cfg, "+1d")
        d.wait_log(r45)
        smtp.wait_messages(2, timeout=10, alive=d.alive)
        d.wait_until(lambda: not outbox(renewd, ".mail"), "an empty outbox")
        wait_probes(d)
        assert d.count(notice) == 1, d.describe()
        assert d.stop() == 0, d.describe()

        # the clock back: nothing repeats
        d = faketime_daemon(renewd, cfg, "+0")
        d.wait_log(probed(), count=3)
        assert d.count(notice) == 0, d.describe()
        assert not outbox(renewd, ".mail")
        assert d.stop() == 0, d.describe()
        assert notices(smtp) == {"reminder-60": 1, "reminder-45": 1}


# ---- 6: the state directory read-only or full -------------------------------

def state_not_saved(fault):
    """The warning of the first failed save of NAME's state."""
    return (rf"^renewd: {re.escape(NAME)}: state not saved: .*: "
            rf"{SmallFs.ERRORS[fault]} \(kept in memory; retried every "
            r"60s\)$")


STATE_RETRIED = rf"^renewd: debug: {re.escape(NAME)}: state still not saved: "


@pytest.mark.parametrize("fault", SmallFs.FAULTS)
def test_state_not_saved_is_retried(renewd, serve, small_fs, fault):
    state, _ = state_and_outbox(renewd, small_fs, fault)
    srv = reminder_leaf(serve, 44)
    with Smtp(Inbox()) as smtp:
        d, _, before = reminder_45_while(renewd, srv, smtp, state)
        d.wait_log(state_not_saved(fault))
        smtp.wait_messages(2, alive=d.alive)    # the outbox is fine
        wait_probes(d)
        # retried (at every probe), the old file whole, nothing left over
        assert d.count(STATE_RETRIED) >= 1, d.describe()
        assert renewd.state_file(NAME).read_bytes() == before
        assert loose_files(renewd) == []

        state.repair()
        d.wait_log(rf"^renewd: {re.escape(NAME)}: state saved again$")
        assert recorded(renewd) == [60, 45]
        wait_probes(d)
        assert d.stop() == 0, d.describe()
        assert d.count(state_not_saved(fault)) == 1, d.describe()
        assert notices(smtp) == {"reminder-60": 1, "reminder-45": 1}
        assert outbox(renewd, ".mail") == []
        assert loose_files(renewd) == []


@pytest.mark.parametrize("fault", SmallFs.FAULTS)
def test_restart_with_the_state_unsaved_sends_nothing_twice(
        renewd, serve, small_fs, fault):
    """Stopped before the state recording the 45-day reminder could be
    saved: the next start decides it again from the old file, and the
    outbox, which delivered it, does not send it again."""
    state, _ = state_and_outbox(renewd, small_fs, fault)
    srv = reminder_leaf(serve, 44)
    with Smtp(Inbox()) as smtp:
        d, cfg, before = reminder_45_while(renewd, srv, smtp, state)
        d.wait_log(state_not_saved(fault))
        smtp.wait_messages(2, alive=d.alive)
        d.wait_until(lambda: not outbox(renewd, ".mail"), "an empty outbox")
        assert d.stop() == 0, d.describe()
        assert re.search(r"^renewd: 1 state could not be saved$", d.log(),
                         re.M), d.describe()
        assert renewd.state_file(NAME).read_bytes() == before

        d = renewd.daemon(cfg)
        if fault == "read-only":
            # no start on a state directory that cannot be written
            assert d.wait() == 1, d.describe()
            assert re.search(r"^renewd: state directory .* is not "
                             r"writable: ", d.log(), re.M), d.describe()
            state.repair()
            d = renewd.daemon(cfg)
        d.wait_log(rf"^renewd: debug: {re.escape(NAME)}: [^ ]+/reminder-45 "
                   r"was already queued or delivered$")
        if fault == "full":
            state.repair()
        d.wait_until(lambda: recorded(renewd) == [60, 45],
                     "reminder-45 saved")
        wait_probes(d)
        assert d.stop() == 0, d.describe()
        assert notices(smtp) == {"reminder-60": 1, "reminder-45": 1}


# ---- 7: the outbox read-only or full ----------------------------------------

@pytest.mark.parametrize("fault", SmallFs.FAULTS)
def test_outbox_unwritable_notice_is_decided_again(renewd, serve, small_fs,
                                                    fault):
    _, ob = state_and_outbox(renewd, small_fs, fault)
    srv = reminder_leaf(serve, 44)
    why = rf"[^ ]+/reminder-45: cannot write .*: {SmallFs.ERRORS[fault]}$"
    cannot_queue = rf"^renewd: {re.escape(NAME)}: cannot queue {why}"
    still = rf"^renewd: debug: {re.escape(NAME)}: still cannot queue {why}"
    with Smtp(Inbox()) as smtp:
        d, cfg, before = reminder_45_while(renewd, srv, smtp, ob)
        d.wait_log(cannot_queue)
        d.wait_log(rf"^renewd: {re.escape(NAME)}: 1 notice not taken by the "
                   r"outbox sink; retried every 60s$")
        d.wait_log(still)               # offered again at the next probe
        wait_probes(d)
        # one warning, whatever the number of attempts
        assert d.count(r"^renewd: (?!debug: ).*(cannot queue|cannot "
                       r"write)") == 1, d.describe()
        # not queued, so not recorded: the state file is the old one
        assert renewd.state_file(NAME).read_bytes() == before
        assert loose_files(renewd) == []
        assert d.stop() == 0, d.describe()
        assert re.search(r"notice not taken by the sink; the state is not "
                         r"saved, so they are decided again at the next "
                         r"start$", d.log(), re.M), d.describe()
        assert renewd.state_file(NAME).read_bytes() == before

        # decided again after a restart; still no room, still not sent
        d = renewd.daemon(cfg)
        d.wait_log(cannot_queue)
        assert notices(smtp) == {"reminder-60": 1}

        ob.repair()
        d.wait_log(r"^renewd: outbox: .* takes notices again$")
        d.wait_log(rf"^renewd: notice {re.escape(NAME)} reminder-45 ")
        smtp.wait_messages(2, alive=d.alive)
        d.wait_until(lambda: recorded(renewd) == [60, 45],
                     "reminder-45 saved")
        d.wait_until(lambda: not outbox(renewd, ".mail"), "an empty outbox")
        wait_probes(d)
        assert d.stop() == 0, d.describe()
        assert notices(smtp) == {"reminder-60": 1, "reminder-45": 1}
        assert [p.name for p in (renewd.state_dir / "outbox").iterdir()
                if ".tmp." in p.name] == []


def test_read_only_outbox_at_delivery_holds_the_mail(renewd, serve,
                                                     small_fs):
    """A delivery the outbox could not record would go again after a
    restart: with the outbox read-only nothing is sent (the record is
    prepared before each attempt); once it is writable, the mail goes,
    once."""
    _, ob = state_and_outbox(renewd, small_fs, "read-only")
    srv = reminder_leaf(serve, 44)
    port = free_port()
    cfg = daemon_config(renewd, [Target(NAME, port=srv.port,
                                        addresses=[srv.host])],
                        f"smtp://127.0.0.1:{port}")
    d = renewd.daemon(cfg)
    d.wait_log(rf"^renewd: mail [^ ]+/reminder-45 for {re.escape(NAME)} not "
               r"sent \(attempt 1\): ")
    ob.break_()
    with Smtp(Inbox(), port=port) as smtp:
        d.send(signal.SIGHUP)               # the queued mail is due again
        d.wait_log(rf"^renewd: mail [^ ]+/reminder-45 for {re.escape(NAME)} "
                   r"not sent: the delivery could not be recorded \(cannot "
                   r"write .*\); retrying later$")
        assert smtp.messages == []
        ob.repair()
        d.send(signal.SIGHUP)
        smtp.wait_messages(1, alive=d.alive)
        d.wait_log(r"^renewd: mail [^ ]+/reminder-45 for .* accepted by the "
                   r"server")
        d.wait_until(lambda: not outbox(renewd, ".mail"), "an empty outbox")
        assert d.stop() == 0, d.describe()
        d = renewd.daemon(cfg)
        d.wait_log(r"^renewd: started: ")
        d.send(signal.SIGHUP)       # whatever waits is due at once
        d.wait_log(r"^renewd: configuration reloaded from ")
        wait_probes(d)
        time.sleep(0.5)
        assert d.stop() == 0, d.describe()
        assert len(smtp.messages) == 1, "sent again after a restart"


# ---- 8: SIGKILL at random moments while reminders are due ------------------

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
        # Under valgrind a start takes seconds: fewer rounds, kills spread
        # over the longer start.
        for _ in range(10 if VALGRIND else 50):
            d = renewd.daemon(cfg, debug=False)
            time.sleep(rng.uniform(0, scaled(0.3)))
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
        first = {}
        for m in smtp.messages:
            msg = parse(m["data"])
            key = (msg["X-Renewd-Target"], msg["X-Renewd-Kind"],
                   msg["X-Renewd-Notice"].rsplit("/", 1)[-1])
            got[key] += 1
            first.setdefault(key, m)
        want = {(n, "reminder", "reminder-45") for n in names}
        # Nothing lost, nothing else sent.
        assert set(got) == want, sorted(got.items())
        # ... and nothing twice, but for what SMTP cannot prevent: a kill
        # after the message's final "." went out and before renewd read
        # the server's "250" and made the delivery record (one open(),
        # outbox.c): one round trip. renewd sends QUIT only after that
        # record, so a repeat is explained only if the session that
        # delivered the first copy died without QUIT.
        repeats = {k: v for k, v in got.items() if v > 1}
        for k, v in repeats.items():
            assert v == 2, repeats
            assert not smtp.handler.quit_after(first[k]), (
                k, "sent again although its first session ended with QUIT")
        for n in names:
            st = renewd.state(n)
            assert st["target"] == n
            assert any(s["kind"] == "reminder" and s["threshold"] == 45 and
                       not s["skipped"] for s in st["cycle"]["sent"]), st
        for p in renewd.state_dir.rglob("*"):
            if p.is_file() and p.suffix == ".json":
                json.loads(p.read_text("utf-8"))
