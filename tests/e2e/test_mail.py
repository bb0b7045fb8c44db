"""Notification mail and webhooks through the outbox, against real servers.

The mailer (src/renewd/mailer.c) is driven by the test binary
build/tests/test_mailer_live (tests/unit/test_mailer_live.c): it submits one
notice to the outbox under the config's state_dir and runs the event loop
until the outcome the test expects. The servers are Python's: aiosmtpd
(plain, STARTTLS with a test CA and AUTH, without STARTTLS, refusing) and
http.server for the webhook, all on 127.0.0.1.
"""

from __future__ import annotations

import json
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from helpers.renewd import build_dir, program_env, scaled, wrap
from helpers.smtp import Inbox, Smtp, free_port, parse, server_tls_context

from aiosmtpd.smtp import AuthResult  # noqa: E402  (helpers.smtp skips)

TARGET = "www.example.jp"


class Hooks(BaseHTTPRequestHandler):
    posts: list = []
    status = 200

    def do_POST(self):
        n = int(self.headers.get("Content-Length", "0"))
        type(self).posts.append((self.headers.get("Content-Type"),
                                 self.rfile.read(n)))
        self.send_response(type(self).status)
        self.end_headers()

    def log_message(self, *a):
        pass


def config(tmp_path: Path, url: str, *, lang="ja", charset="utf-8",
           extra="", webhook=None) -> Path:
    state = tmp_path / "state"
    state.mkdir(exist_ok=True)
    text = f"""[renewd]
state_dir = {state}
lang = {lang}
[mail]
url = {url}
from = renewd@example.jp
to = ssl-admins@example.jp, noc@example.jp
charset = {charset}
timeout = 5s
{extra}
[webhook]
url = {webhook or ''}
[target {TARGET}]
names = www.example.jp, example.jp
notify = web-team@example.jp
"""
    p = tmp_path / "renewd.conf"
    p.write_text(text, encoding="utf-8")
    return p


def drive(conf: Path, expect: str, kind: str = "reminder",
          timeout: int = 20) -> str:
    binary = build_dir() / "tests" / "test_mailer_live"
    if not binary.is_file():
        pytest.fail(f"{binary} not built: run make {binary.relative_to(build_dir().parent)}"
                    if build_dir().is_absolute() else
                    f"{binary} not built: run make", pytrace=False)
    env = program_env(extra={"RENEWD_MAILER_CONF": str(conf),
                             "RENEWD_MAILER_EXPECT": expect,
                             "RENEWD_MAILER_KIND": kind,
                             "RENEWD_MAILER_TIMEOUT":
                             str(int(scaled(timeout)))})
    p = subprocess.run(wrap([binary]), env=env, capture_output=True,
                       text=True, timeout=scaled(timeout + 30))
    out = p.stdout + p.stderr
    assert p.returncode == 0, out
    assert f"outcome: reached {expect}" in out, out
    return out


def outbox_files(conf: Path, suffix: str):
    d = conf.parent / "state" / "outbox"
    return sorted(f for f in d.iterdir() if f.name.endswith(suffix))


def test_plain_smtp_japanese_once(tmp_path):
    with Smtp(Inbox()) as srv:
        conf = config(tmp_path, f"smtp://127.0.0.1:{srv.port}")
        drive(conf, "sent")
        assert len(srv.handler.messages) == 1
        m = srv.handler.messages[0]
        assert m["from"] == "renewd@example.jp"
        assert m["rcpt"] == ["web-team@example.jp", "ssl-admins@example.jp",
                             "noc@example.jp"]
        msg = parse(m["data"])
        assert str(msg["Subject"]) == (
            "[renewd] www.example.jp: 証明書の更新申請の受付が始まりました"
            "（契約終了まであと90日）")
        assert msg["Auto-Submitted"] == "auto-generated"
        assert msg["X-Renewd-Kind"] == "reminder"
        assert msg["Message-ID"].startswith("<renewd.")
        assert msg["Date"].endswith("+0900")
        assert msg.get_content_charset() == "utf-8"
        body = msg.get_content()
        assert "renewctl mark www.example.jp applied" in body
        assert "株式会社エグザンプル" in body
        assert "手順3" in body
        # delivered: no entry left, a sent record instead
        assert outbox_files(conf, ".mail") == []
        assert len(outbox_files(conf, ".sent")) == 1

        # the same notice again (a restart before the state was saved):
        # not sent twice
        drive(conf, "nothing")
        assert len(srv.handler.messages) == 1


def test_iso2022jp(tmp_path):
    with Smtp(Inbox()) as srv:
        conf = config(tmp_path, f"smtp://127.0.0.1:{srv.port}",
                      charset="iso-2022-jp")
        drive(conf, "sent", kind="overdue")
        msg = parse(srv.handler.messages[0]["data"])
        assert all(b < 0x80 for b in srv.handler.messages[0]["data"])
        assert msg.get_content_charset() == "iso-2022-jp"
        assert "【至急】" in str(msg["Subject"])
        assert "renewctl mark www.example.jp applied" in msg.get_content()


@pytest.fixture
def tls_server_files(hier):
    return server_tls_context(hier)


def test_starttls_required_with_auth(tmp_path, hier, tls_server_files):
    seen = []

    def auth(server, session, envelope, mechanism, data):
        seen.append((mechanism, data.login, data.password))
        return AuthResult(success=data.login == b"renewd" and
                          data.password == b"s3cret pass")

    pw = tmp_path / "smtp.password"
    pw.write_text("s3cret pass\n")
    pw.chmod(0o600)
    with Smtp(Inbox(), tls_context=tls_server_files, require_starttls=True,
              authenticator=auth, auth_require_tls=True) as srv:
        conf = config(tmp_path, f"smtp://127.0.0.1:{srv.port}", lang="en",
                      extra=f"require_tls = yes\nusername = renewd\n"
                            f"password_file = {pw}\nca_file = {hier.ca_file}")
        out = drive(conf, "sent", kind="install")
        assert len(srv.handler.messages) == 1
        m = srv.handler.messages[0]
        assert m["tls"] and m["auth"]
        assert seen and seen[0][1] == b"renewd"
        msg = parse(m["data"])
        assert str(msg["Subject"]).startswith(
            "[renewd] www.example.jp: install the renewed certificate")
        assert "renewctl mark www.example.jp issued" in msg.get_content()
        assert "world" not in out      # the password file is private


def test_starttls_untrusted_is_retried(tmp_path, tls_server_files):
    # no ca_file: the test CA is not among the system's roots
    with Smtp(Inbox(), tls_context=tls_server_files) as srv:
        conf = config(tmp_path, f"smtp://127.0.0.1:{srv.port}",
                      extra="require_tls = yes")
        out = drive(conf, "retry")
        assert srv.handler.messages == []
        assert "attempts=1 failed=0" in out
        assert len(outbox_files(conf, ".mail")) == 1


def test_no_starttls_but_required(tmp_path):
    with Smtp(Inbox()) as srv:
        conf = config(tmp_path, f"smtp://127.0.0.1:{srv.port}",
                      extra="require_tls = yes")
        out = drive(conf, "retry")
        assert srv.handler.messages == []
        assert ("the mail server does not offer STARTTLS and "
                "require_tls = yes") in out
        files = outbox_files(conf, ".mail")
        assert len(files) == 1
        entry = json.loads(files[0].read_text())
        assert entry["attempts"] == 1 and entry["failed"] is False
        assert "does not offer STARTTLS" in entry["last_error"]


def test_server_away_is_retried(tmp_path):
    port = free_port()          # nothing listens there
    conf = config(tmp_path, f"smtp://127.0.0.1:{port}")
    out = drive(conf, "retry")
    assert "next attempt in 60s" in out
    entry = json.loads(outbox_files(conf, ".mail")[0].read_text())
    assert entry["attempts"] == 1
    assert entry["next_attempt"] is not None


def test_permanent_refusal_is_kept(tmp_path):
    with Smtp(Inbox(refuse="554 5.7.1 message refused")) as srv:
        conf = config(tmp_path, f"smtp://127.0.0.1:{srv.port}")
        out = drive(conf, "failed", kind="lapsed")
        assert "REFUSED" in out
        entry = json.loads(outbox_files(conf, ".mail")[0].read_text())
        assert entry["failed"] is True
        assert "554" in entry["last_error"]


def test_webhook(tmp_path):
    Hooks.posts = []
    Hooks.status = 200
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Hooks)
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        with Smtp(Inbox()) as srv:
            conf = config(tmp_path, f"smtp://127.0.0.1:{srv.port}",
                          lang="en", webhook="http://127.0.0.1:%d/hook" %
                          httpd.server_address[1])
            drive(conf, "sent", kind="renewed")
            assert len(srv.handler.messages) == 1
        assert len(Hooks.posts) == 1
        ctype, body = Hooks.posts[0]
        assert ctype == "application/json"
        j = json.loads(body)
        assert j["text"].startswith("[renewd] www.example.jp: renewed")
        assert j["renewd"]["kind"] == "renewed"
        assert j["renewd"]["target"] == TARGET
        assert j["renewd"]["new_expiry"] == "2028-03-31"
    finally:
        httpd.shutdown()
        httpd.server_close()


class RefuseRcpt(Inbox):
    async def handle_RCPT(self, server, session, envelope, address, opts):
        if address.startswith("noc@"):
            return "550 5.1.1 no such user"
        envelope.rcpt_tos.append(address)
        return "250 OK"


def test_one_refused_recipient_does_not_hold_back_the_others(tmp_path):
    with Smtp(RefuseRcpt()) as srv:
        conf = config(tmp_path, f"smtp://127.0.0.1:{srv.port}")
        drive(conf, "sent")
        assert len(srv.handler.messages) == 1
        assert srv.handler.messages[0]["rcpt"] == [
            "web-team@example.jp", "ssl-admins@example.jp"]


def test_busy_server_is_retried(tmp_path):
    with Smtp(Inbox(refuse="451 4.3.0 try again later")) as srv:
        conf = config(tmp_path, f"smtp://127.0.0.1:{srv.port}")
        out = drive(conf, "retry")
        assert "451 4.3.0 try again later" in out
        entry = json.loads(outbox_files(conf, ".mail")[0].read_text())
        assert entry["failed"] is False and entry["attempts"] == 1


KINDS = ["reminder", "apply-by", "overdue", "lapsed", "install", "renewed",
         "problem"]


@pytest.mark.parametrize("lang", ["en", "ja"])
def test_every_kind_reads_back(tmp_path, lang):
    """Each notification kind, in each language, goes through a real SMTP
    server and reads back as a proper message naming its kind and target,
    with the text in the language asked for."""
    with Smtp(Inbox()) as srv:
        for kind in KINDS:
            d = tmp_path / kind
            d.mkdir()
            drive(config(d, f"smtp://127.0.0.1:{srv.port}", lang=lang),
                  "sent", kind=kind)
        assert len(srv.handler.messages) == len(KINDS)
        seen = []
        for m in srv.handler.messages:
            msg = parse(m["data"])
            kind = msg["X-Renewd-Kind"]
            seen.append(kind)
            assert msg["X-Renewd-Target"] == "www.example.jp"
            assert msg["Auto-Submitted"] == "auto-generated"
            subject = str(msg["Subject"])
            body = msg.get_content()
            assert "www.example.jp" in subject, subject
            # (the certificate's own O= is Japanese in both languages)
            assert ("証明書" in body) == (lang == "ja"), (kind, body[:300])
            assert ("certificate" in body) == (lang == "en"), \
                (kind, body[:300])
            assert "\r" not in subject and "\n" not in subject
        assert sorted(seen) == sorted(KINDS)
