"""The service delivering its notices by mail, end to end.

The real daemon (`renewd -d -c CONFIG`, helpers.renewd.Daemon) probes a
TLS server whose one-year leaf ends 44 days from now, so the 45-day
reminder is due at once; the policy's notice goes through the durable
outbox (state_dir/outbox/) and the libcurl mailer to aiosmtpd on
127.0.0.1 (helpers.smtp), and the test parses what arrived with Python's
email package. Also: the mail server away when the reminder falls due
(delivered after a reload once it is back), the daemon killed with the
mail queued (delivered once after the restart, not decided again),
certificate text that tries to add a Bcc header, require_tls against a
server without STARTTLS, restarts after delivery, and a stop while an
attempt hangs (libcurl's blocking SMTP waits stay on the mailer's thread).

Each test is a few seconds: poll_interval is 1 s and everything is waited
for by polling the log, the state and the servers.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import signal
import threading
import time

import pytest

from helpers.pki import UTC, today_jst
from helpers.renewd import Target, require_binary, run
from helpers.servers import Server
from helpers.smtp import Inbox, Smtp, free_port, parse

JST = dt.timezone(dt.timedelta(hours=9))

NAME = "www.renewd.test"
BARE = "renewd.test"
NOTIFY = ["web-team@example.jp", "noc@example.jp"]
TO = ["ssl-admins@example.jp", "NOC@example.jp", "infra@example.jp"]
# notify first, then [mail] to; an address given twice (any case) once
RCPT = ["web-team@example.jp", "noc@example.jp", "ssl-admins@example.jp",
        "infra@example.jp"]
FROM = "renewd@example.jp"
DAYS = 44
WDAY_JA = "月火水木金土日"          # date.weekday(): Monday is 0


def expiry_date() -> dt.date:
    return today_jst() + dt.timedelta(days=DAYS)


def reminder_leaf(serve, **subject):
    """A TLS server whose one-year leaf ends at noon JST on the day DAYS
    days from today (Japan date)."""
    e = expiry_date()
    not_after = dt.datetime(e.year, e.month, e.day, 3, 0, tzinfo=UTC)
    return serve(names=[NAME, BARE], not_before=-320, not_after=not_after,
                 **subject)


def config(renewd, srv, *, lang="en", mail=None):
    """The config at one fixed path (SIGHUP reads it again)."""
    m = {"url": renewd.mail_url, "from": FROM, "to": TO, "timeout": "5s"}
    m.update(mail or {})
    t = Target(NAME, port=srv.port, addresses=[srv.host], names=[NAME, BARE],
               notify=NOTIFY)
    text = renewd.config_text([t], poll_interval="1s", timeout="2s",
                              lang=lang, remind_at="00:00",
                              ca={"maintenance": "none"}, mail=m)
    return renewd.write(text, name="renewd.conf")


def probed() -> str:
    return rf"^renewd: debug: {re.escape(NAME)}: probed: "


QUEUED = (rf"^renewd: outbox: queued mail [^ ]+/reminder-45 for "
          rf"{re.escape(NAME)}: ")
ACCEPTED = (rf"^renewd: mail [^ ]+/reminder-45 for {re.escape(NAME)} accepted "
            rf"by the server for {len(RCPT)} recipients: ")
NOTICE = rf"^renewd: notice {re.escape(NAME)} "


def outbox(renewd, suffix):
    d = renewd.state_dir / "outbox"
    if not d.is_dir():
        return []
    return sorted(p for p in d.iterdir() if p.name.endswith(suffix))


def sent_kinds(renewd):
    st = renewd.state(NAME)
    if not st or not st.get("cycle"):
        return {}
    return {f"{s['kind']}-{s['threshold']}": s["skipped"]
            for s in st["cycle"]["sent"]}


def quiet_for(d, probes=2):
    """Let the daemon probe (and evaluate the policy) `probes` more times."""
    n = d.count(probed())
    d.wait_log(probed(), count=n + probes, timeout=8)


def assert_in_body(body: str, *needles):
    """Each needle is in the body, wherever the 72-column wrap broke it:
    English text is broken at spaces (compared with every run of white
    space made one space), Japanese anywhere (compared with the line breaks
    and the indentation after them removed)."""
    spaced = re.sub(r"\s+", " ", body)
    joined = re.sub(r"\n *", "", body)
    for s in needles:
        assert re.sub(r"\s+", " ", s) in spaced or s in joined, \
            f"{s!r} not in the body:\n{body}"


def apply_by(renewctl_bin, cfg, e: dt.date) -> dt.date:
    """A for the deadline e, as `renewctl plan` computes it from the same
    config."""
    res = run([renewctl_bin, "plan", "--expiry", e.isoformat(),
               "-c", cfg, "--json"])
    assert res.rc == 0, res.describe()
    return dt.date.fromisoformat(res.data["apply_by"])


def check_headers(msg, raw: bytes, subject: str, e: dt.date):
    heads = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")   # 7-bit headers
    assert msg["From"].addresses[0].addr_spec == FROM
    assert [a.addr_spec for a in msg["To"].addresses] == RCPT
    assert str(msg["Subject"]) == subject
    if not subject.isascii():
        assert re.search(r"^Subject: =\?(UTF-8|ISO-2022-JP)\?B\?", heads,
                         re.M), heads
    assert msg["Date"].endswith("+0900")
    sent_at = email.utils.parsedate_to_datetime(msg["Date"])
    assert abs((dt.datetime.now(UTC) - sent_at).total_seconds()) < 120
    assert re.fullmatch(r"<renewd\.[0-9a-f]{40}@example\.jp>",
                        msg["Message-ID"]), msg["Message-ID"]
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Renewd-Target"] == NAME
    assert msg["X-Renewd-Kind"] == "reminder"
    assert msg["X-Renewd-Notice"] == f"{e.isoformat()}/reminder-45"
    for h in ("Bcc", "Cc", "Reply-To"):
        assert msg[h] is None, heads


def text_of(msg) -> str:
    """The decoded body with its CRLF line ends made \\n; no other CR."""
    body = msg.get_content().replace("\r\n", "\n")
    assert "\r" not in body, repr(body)
    return body


def days_left_at(m, e: dt.date) -> int:
    """Days from the Japan date the mail was written (its Date) to e:
    DAYS, or one less if Japan's midnight passed since the leaf was made."""
    sent_at = email.utils.parsedate_to_datetime(parse(m["data"])["Date"])
    left = (e - sent_at.astimezone(JST).date()).days
    assert left in {DAYS, DAYS - 1}, (left, m["data"][:800])
    return left


def check_delivery(smtp):
    assert len(smtp.messages) == 1, smtp.messages
    m = smtp.messages[0]
    assert m["from"] == FROM
    assert m["rcpt"] == RCPT
    return m


# ---- 1 and 6: the reminder, in English, Japanese and ISO-2022-JP -----------

SUBJ_EN = dict(o="Example K.K.", l="Chiyoda-ku", st="Tokyo", c="JP")
SUBJ_JA = dict(o="株式会社レニュー", l="千代田区", st="東京都", c="JP")


def run_until_delivered(renewd, cfg, smtp):
    d = renewd.daemon(cfg)
    smtp.wait_messages(1, timeout=15, alive=d.alive)
    d.wait_log(ACCEPTED)
    d.wait_until(lambda: not outbox(renewd, ".mail"), "the entry removed")
    return d


def test_reminder_mail_english_and_restarts(renewd, serve, renewctl_bin):
    srv = reminder_leaf(serve, **SUBJ_EN)
    with Smtp(Inbox()) as smtp:
        cfg = config(renewd, srv, lang="en", mail={"url": smtp.url})
        d = run_until_delivered(renewd, cfg, smtp)
        quiet_for(d)
        m = check_delivery(smtp)
        e = srv.leaf.expiry_jst
        a, left = apply_by(renewctl_bin, cfg, e), days_left_at(m, e)

        msg = parse(m["data"])
        check_headers(msg, m["data"], f"[renewd] {NAME}: certificate "
                      f"renewal due, {left} days left (ends {e})", e)
        assert msg.get_content_charset() == "utf-8"
        body = text_of(msg)
        leaf = srv.leaf
        for label, value in (("Common Name (CN)", NAME),
                             ("Organization (O)", "Example K.K."),
                             ("Locality (L)", "Chiyoda-ku"),
                             ("State/Province (ST)", "Tokyo"),
                             ("Country (C)", "JP"),
                             ("Organizational Unit (OU)", "(none)"),
                             ("Names (SAN)", f"{NAME}, {BARE}"),
                             ("SHA-256 fingerprint", leaf.sha256)):
            assert re.search(rf"^  {re.escape(label)}: +{re.escape(value)}$",
                             body, re.M), (label, value, body)
        assert_in_body(
            body,
            f"Contract end date (E):     {e} ({e:%a}), {left} days left "
            f"(the certificate's notAfter)",
            f"Apply by (A):              {a} ({a:%a}) 23:59 JST",
            f"The certificate contract for {NAME} ends on {e} ({e:%a}) "
            f"({left} days left).",
            "    renewctl mark www.renewd.test applied\n",
            f"Notice: {e}/reminder-45")
        # the state records it; the outbox keeps only a sent record
        assert sent_kinds(renewd) == {"reminder-90": True,
                                      "reminder-60": True,
                                      "reminder-45": False}
        assert len(outbox(renewd, ".mail.sent")) == 1
        assert d.count(QUEUED) == 1 and d.count(NOTICE) == 1, d.describe()
        assert d.stop() == 0, d.describe()

        # 6. A restart after delivery sends nothing again ...
        d = renewd.daemon(cfg)
        d.wait_log(r"^renewd: started: ")
        quiet_for(d)
        assert d.count(QUEUED) == 0 and d.count(NOTICE) == 0, d.describe()
        assert d.stop() == 0, d.describe()

        # ... not even when the state that recorded it was lost (a crash
        # before the save): decided again, the outbox's sent record holds
        renewd.state_file(NAME).unlink()
        d = renewd.daemon(cfg)
        d.wait_log(rf"^renewd: debug: {re.escape(NAME)}: [^ ]+/reminder-45 "
                   r"was already queued or delivered$")
        quiet_for(d)
        assert d.count(QUEUED) == 0, d.describe()
        assert d.stop() == 0, d.describe()
        assert sent_kinds(renewd)["reminder-45"] is False
        assert len(smtp.messages) == 1, smtp.messages


@pytest.mark.parametrize("charset", ["utf-8", "iso-2022-jp"])
def test_reminder_mail_japanese(renewd, serve, renewctl_bin, charset):
    srv = reminder_leaf(serve, **SUBJ_JA)
    with Smtp(Inbox()) as smtp:
        cfg = config(renewd, srv, lang="ja",
                     mail={"url": smtp.url, "charset": charset})
        d = run_until_delivered(renewd, cfg, smtp)
        m = check_delivery(smtp)
        assert d.stop() == 0, d.describe()
        e = srv.leaf.expiry_jst
        a, left = apply_by(renewctl_bin, cfg, e), days_left_at(m, e)
        ej = f"{e.year:04d}年{e.month}月{e.day}日"
        aj = f"{a.year:04d}年{a.month}月{a.day}日（{WDAY_JA[a.weekday()]}）"

        raw = m["data"]
        msg = parse(raw)
        check_headers(msg, raw, f"[renewd] {NAME}: 証明書の更新期限が近づいて"
                      f"います（あと{left}日、契約終了 {ej}）", e)
        if charset == "iso-2022-jp":
            assert all(b < 0x80 for b in raw)
            assert msg.get_content_charset() == "iso-2022-jp"
            assert msg["Content-Transfer-Encoding"] == "7bit"
            assert "=?ISO-2022-JP?B?" in raw.decode("ascii")
            # the codec itself, not only the email package's decoding
            payload = raw.split(b"\r\n\r\n", 1)[1]
            body = payload.decode("iso-2022-jp").replace("\r\n", "\n")
            assert body == text_of(msg)
        else:
            assert msg.get_content_charset() == "utf-8"
            body = text_of(msg)
        assert "\ufffd" not in body
        leaf = srv.leaf
        for label, value in (("コモンネーム（CN）", NAME),
                             ("組織名（O）", "株式会社レニュー"),
                             ("市区町村（L）", "千代田区"),
                             ("都道府県（ST）", "東京都"),
                             ("国（C）", "JP"),
                             ("部門名（OU）", "（なし）"),
                             ("サブジェクト代替名（SAN）", f"{NAME}, {BARE}"),
                             ("SHA-256 フィンガープリント", leaf.sha256)):
            assert re.search(rf"^・{re.escape(label)}：{re.escape(value)}$",
                             body, re.M), (label, value, body)
        assert_in_body(
            body,
            "ご担当者様",
            "renewd（SSL サーバー証明書の更新管理）からのお知らせです。",
            f"{NAME} の証明書の契約は{ej}（{WDAY_JA[e.weekday()]}）に終了します"
            f"（あと{left}日）。",
            "自動的に解約されます。",
            "■ 期限（日本時間）",
            f"・契約終了日（E）：{ej}（{WDAY_JA[e.weekday()]}）（あと{left}日",
            f"・申請期限（A）：{aj} 23:59 JST まで",
            "現在、認証局で更新申請を受け付けています。",
            "■ 稼働中の証明書",
            "手順1（内容の確認）：",
            "手順3（更新申請）：",
            "■ 記録",
            "    renewctl mark www.renewd.test applied\n",
            "このメールは renewd が自動送信しています。",
            f"通知ID：{e}/reminder-45")


# ---- 2: the mail server away when the reminder falls due -------------------

def test_server_down_then_reload_delivers_once(renewd, serve):
    srv = reminder_leaf(serve, **SUBJ_EN)
    port = free_port()                      # nothing listens there yet
    cfg = config(renewd, srv, mail={"url": f"smtp://127.0.0.1:{port}"})
    d = renewd.daemon(cfg)
    d.wait_log(QUEUED)
    d.wait_log(rf"^renewd: mail [^ ]+/reminder-45 for {re.escape(NAME)} not "
               r"sent \(attempt 1\): .*; next attempt in 60s$")
    d.wait_until(lambda: sent_kinds(renewd).get("reminder-45") is False,
                 "the state recording the reminder")
    entry = json.loads(outbox(renewd, ".mail")[0].read_text())
    assert entry["attempts"] == 1 and entry["failed"] is False
    assert entry["rcpt"] == RCPT

    # The server comes back; the admin reloads: the waiting entry is due
    # at once (not after the backoff), and goes once.
    with Smtp(Inbox(), port=port) as smtp:
        t0 = time.monotonic()
        d.send(signal.SIGHUP)
        smtp.wait_messages(1, timeout=10, alive=d.alive)
        assert time.monotonic() - t0 < 10
        d.wait_log(ACCEPTED)
        quiet_for(d)
        check_delivery(smtp)
        assert d.count(QUEUED) == 1, d.describe()
        assert outbox(renewd, ".mail") == []
        assert len(outbox(renewd, ".mail.sent")) == 1
        d.send(signal.SIGHUP)                 # nothing left to retry
        d.wait_log(r"^renewd: SIGHUP: reloading", count=2)
        quiet_for(d)
        assert len(smtp.messages) == 1
        assert d.stop() == 0, d.describe()


# ---- 3: killed with the mail queued, not yet delivered ---------------------

def test_sigkill_with_mail_queued_delivers_once_after_restart(
        renewd, serve, servers):
    srv = reminder_leaf(serve, **SUBJ_EN)
    # A server that accepts and never answers: the attempt hangs in flight
    silent = servers.silent("127.0.0.1")
    cfg = config(renewd, srv, mail={"url": f"smtp://127.0.0.1:{silent.port}"})
    d = renewd.daemon(cfg)
    d.wait_log(QUEUED)
    d.wait_until(lambda: sent_kinds(renewd).get("reminder-45") is False,
                 "the state recording the reminder")
    d.wait_until(lambda: silent.connections > 0, "the first attempt")
    d.kill()
    assert d.rc == -signal.SIGKILL
    files = outbox(renewd, ".mail")
    assert len(files) == 1 and outbox(renewd, ".sent") == []
    entry = json.loads(files[0].read_text())
    assert entry["attempts"] == 0 and entry["failed"] is False
    silent.stop()

    with Smtp(Inbox(), port=silent.port) as smtp:
        d = renewd.daemon(cfg)
        d.wait_log(r"^renewd: outbox: 1 message waiting in ")
        smtp.wait_messages(1, timeout=10, alive=d.alive)
        d.wait_log(ACCEPTED)
        quiet_for(d)
        check_delivery(smtp)
        # delivered from the outbox, not decided again
        assert d.count(QUEUED) == 0 and d.count(NOTICE) == 0, d.describe()
        assert sent_kinds(renewd)["reminder-45"] is False
        assert outbox(renewd, ".mail") == []
        assert len(outbox(renewd, ".mail.sent")) == 1
        assert d.stop() == 0, d.describe()


def test_sigterm_with_mail_in_flight_keeps_it(renewd, serve, servers):
    srv = reminder_leaf(serve, **SUBJ_EN)
    silent = servers.silent("127.0.0.1")
    cfg = config(renewd, srv, mail={"url": f"smtp://127.0.0.1:{silent.port}",
                                    "timeout": "30s"})
    d = renewd.daemon(cfg)
    d.wait_log(QUEUED)
    d.wait_until(lambda: silent.connections > 0, "the first attempt")
    t0 = time.monotonic()
    assert d.stop() == 0, d.describe()
    assert time.monotonic() - t0 < 3, d.describe()
    assert re.search(rf"^renewd: mail [^ ]+/reminder-45 for {re.escape(NAME)} "
                     r"abandoned at shutdown; it stays queued$", d.log(),
                     re.M), d.describe()
    entry = json.loads(outbox(renewd, ".mail")[0].read_text())
    assert entry["attempts"] == 0 and entry["failed"] is False
    assert sent_kinds(renewd)["reminder-45"] is False


class SwallowingSmtp(Server):
    """Speaks SMTP up to DATA, reads the whole message and its final ".",
    and from then on says nothing (keeps reading)."""

    kind = "swallow"

    def setup(self) -> None:
        self.ended = threading.Event()
        self.after_end: list = []

    def handle(self, conn):
        f = conn.makefile("rb")
        conn.sendall(b"220 swallow ESMTP\r\n")
        in_data = False
        for line in f:
            if self.ended.is_set():
                self.after_end.append(line)
            elif in_data:
                if line == b".\r\n":
                    self.ended.set()
            elif line[:4].upper() == b"EHLO":
                conn.sendall(b"250-swallow\r\n250 8BITMIME\r\n")
            elif line[:4].upper() == b"DATA":
                conn.sendall(b"354 go ahead\r\n")
                in_data = True
            else:
                conn.sendall(b"250 ok\r\n")


def test_server_silent_after_the_message_does_not_hold_the_loop(
        renewd, serve, servers):
    """libcurl waits for the reply to the end of the message blocking; the
    wait is on the mailer's own thread, so the daemon keeps answering
    meanwhile, and a SIGTERM is honoured after a few seconds at most, the
    entry staying queued."""
    srv = reminder_leaf(serve, **SUBJ_EN)
    mute = servers.add(SwallowingSmtp("127.0.0.1"))
    cfg = config(renewd, srv, mail={"url": f"smtp://127.0.0.1:{mute.port}",
                                    "timeout": "30s"})
    d = renewd.daemon(cfg)
    d.wait_log(QUEUED)
    assert mute.ended.wait(10), d.describe()
    for _ in range(3):
        r = run([require_binary("renewctl"), "-s", renewd.socket, "status",
                 NAME], timeout=5)
        assert r.rc == 1, r.describe()          # 1: a warning
        assert NAME in r.stdout
    assert mute.after_end == [], mute.after_end
    t0 = time.monotonic()
    assert d.stop(timeout=15) == 0, d.describe()
    assert time.monotonic() - t0 < 10, d.describe()
    d.wait_log(rf"^renewd: mail [^ ]+/reminder-45 for {re.escape(NAME)}: "
               r"still waiting for the server at shutdown; abandoned, it "
               r"stays queued$")
    entry = json.loads(outbox(renewd, ".mail")[0].read_text())
    assert entry["attempts"] == 0 and entry["failed"] is False
    assert outbox(renewd, ".sent") == []


# ---- 4: certificate text that tries to add headers -------------------------

def test_header_injection_from_the_certificate(renewd, serve):
    srv = reminder_leaf(serve, o="Evil K.K.\r\nBcc: victim@example.com",
                        ou="x\nTo: other@example.com\r\n\r\nbody",
                        l="Chiyoda-ku", st="Tokyo", c="JP")
    with Smtp(Inbox()) as smtp:
        cfg = config(renewd, srv, mail={"url": smtp.url})
        d = run_until_delivered(renewd, cfg, smtp)
        quiet_for(d, 1)
        assert d.stop() == 0, d.describe()
        m = check_delivery(smtp)            # the envelope: exactly RCPT
        raw = m["data"]
        heads = raw.split(b"\r\n\r\n", 1)[0]
        assert b"victim" not in heads and b"other@" not in heads, heads
        msg = parse(raw)
        assert msg["Bcc"] is None and msg["Cc"] is None
        assert [a.addr_spec for a in msg["To"].addresses] == RCPT
        assert not msg.defects
        body = text_of(msg)
        assert_in_body(body, "  Organization (O): Evil K.K.\\x0d\\x0aBcc: "
                       "victim@example.com\n",
                       "  Organizational Unit (OU): x\\x0aTo: "
                       "other@example.com\\x0d\\x0a\\x0d\\x0abody\n")
        assert not re.search(r"^(Bcc|To):", body, re.M | re.I), body


# ---- 5: require_tls against a server without STARTTLS ----------------------

def test_require_tls_without_starttls_keeps_the_mail(renewd, serve):
    srv = reminder_leaf(serve, **SUBJ_EN)
    with Smtp(Inbox()) as smtp:
        cfg = config(renewd, srv, mail={"url": smtp.url,
                                        "require_tls": "yes"})
        d = renewd.daemon(cfg)
        d.wait_log(QUEUED)
        d.wait_log(rf"^renewd: mail [^ ]+/reminder-45 for {re.escape(NAME)} "
                   r"not sent \(attempt 1\): the mail server does not offer "
                   r"STARTTLS and require_tls = yes; next attempt in 60s$")
        quiet_for(d, 1)
        assert d.stop() == 0, d.describe()
        assert smtp.messages == []
        files = outbox(renewd, ".mail")
        assert len(files) == 1 and outbox(renewd, ".sent") == []
        entry = json.loads(files[0].read_text())
        assert entry["attempts"] == 1 and entry["failed"] is False
        assert "does not offer STARTTLS" in entry["last_error"]
        assert entry["rcpt"] == RCPT
        assert d.count(ACCEPTED) == 0
