"""Prometheus metrics: `metrics_listen` makes the service answer
GET /metrics (renewd(8) "METRICS"), and `promtool check metrics` from
Debian's prometheus package accepts what it serves.

promtool comes from scripts/get-promtool (downloaded and unpacked under the
build directory, never installed: the package's postinst would start a
Prometheus server). When it cannot be had, these tests fail and say why.
"""

from __future__ import annotations

import datetime as _dt
import http.client
import re
import signal
import socket
import subprocess
import time
from typing import Dict, List, Optional, Tuple

import pytest

from helpers.pki import today_jst
from helpers.renewd import (REPO, SANITIZER_RE, Target, build_dir, scaled,
                            unused_tcp_port, wrap)

GOOD = "www.renewd.test"
BAD = "refused.renewd.test"
JST = _dt.timezone(_dt.timedelta(hours=9))
CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
NOTICE_RE = r"^renewd: notice "


# ---- promtool ---------------------------------------------------------------

@pytest.fixture(scope="session")
def promtool() -> str:
    """The path of a working promtool, fetched once per build directory."""
    cache = build_dir() / "promtool"
    try:
        p = subprocess.run([str(REPO / "scripts" / "get-promtool"),
                            str(cache)], capture_output=True, text=True,
                           timeout=600)
    except (OSError, subprocess.TimeoutExpired) as e:
        pytest.fail(f"scripts/get-promtool did not run: {e}", pytrace=False)
    if p.returncode != 0:
        pytest.fail("promtool is needed to check /metrics and could not be "
                    f"had: scripts/get-promtool {cache} exited "
                    f"{p.returncode}\n{p.stderr}", pytrace=False)
    path = p.stdout.strip()
    v = subprocess.run([path, "--version"], capture_output=True, text=True,
                       timeout=60)
    assert v.returncode == 0 and "promtool" in (v.stdout + v.stderr), \
        f"{path} --version: exit {v.returncode}\n{v.stdout}{v.stderr}"
    return path


def promtool_check(promtool: str, text: bytes) -> None:
    """promtool check metrics accepts `text`: exit 0, no lint problem."""
    p = subprocess.run([promtool, "check", "metrics"], input=text,
                       capture_output=True, timeout=120)
    out = (p.stdout + p.stderr).decode("utf-8", "replace")
    assert p.returncode == 0 and out.strip() == "", \
        f"promtool check metrics: exit {p.returncode}\n{out}\n" \
        f"--- metrics ---\n{text.decode('utf-8', 'replace')[:6000]}"


# ---- HTTP and the exposition ------------------------------------------------

def http_request(port: int, path: str = "/metrics", method: str = "GET",
                 host: str = "127.0.0.1") -> Tuple[int, Dict[str, str], bytes]:
    c = http.client.HTTPConnection(host, port, timeout=10)
    try:
        c.request(method, path)
        r = c.getresponse()
        return r.status, {k.lower(): v for k, v in r.getheaders()}, r.read()
    finally:
        c.close()


SAMPLE_RE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$')
LABEL_RE = re.compile(r'([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"')


def parse(text: str) -> Dict[Tuple[str, Tuple[Tuple[str, str], ...]], float]:
    """{(name, ((label, value), ...)): value} of every sample; checks that
    each family has HELP and TYPE before its samples and appears once."""
    out = {}
    families: List[str] = []
    current: Optional[str] = None
    for line in text.splitlines():
        if line.startswith("# HELP "):
            name = line.split(" ")[2]
            assert name not in families, f"family {name} twice"
            families.append(name)
            continue
        if line.startswith("# TYPE "):
            _, _, name, typ = line.split(" ")
            assert name == families[-1], f"TYPE {name} without HELP"
            assert typ in ("gauge", "counter"), line
            current = name
            continue
        m = SAMPLE_RE.match(line)
        assert m, f"not a sample: {line!r}"
        assert m.group(1) == current, f"{line!r} outside family {current}"
        labels = tuple(LABEL_RE.findall(m.group(2) or ""))
        key = (m.group(1), labels)
        assert key not in out, f"duplicate sample {line!r}"
        out[key] = float(m.group(3))
    return out


class Scrape:
    def __init__(self, body: bytes) -> None:
        self.body = body
        self.text = body.decode("utf-8")
        self.samples = parse(self.text)

    def get(self, name: str, **labels) -> Optional[float]:
        want = tuple(sorted(labels.items()))
        for (n, ls), v in self.samples.items():
            if n == name and tuple(sorted(ls)) == want:
                return v
        return None

    def value(self, name: str, **labels) -> float:
        v = self.get(name, **labels)
        assert v is not None, f"no {name}{labels}\n{self.text[:8000]}"
        return v

    def series(self, name: str) -> List[Dict[str, str]]:
        return [dict(ls) for (n, ls) in self.samples if n == name]


def scrape(port: int) -> Scrape:
    status, headers, body = http_request(port)
    assert status == 200, (status, body[:300])
    assert headers.get("content-type") == CONTENT_TYPE, headers
    return Scrape(body)


def jst_midnight_after(d: _dt.date) -> int:
    nxt = d + _dt.timedelta(days=1)
    return int(_dt.datetime(nxt.year, nxt.month, nxt.day,
                            tzinfo=JST).timestamp())


def config(renewd, targets, port, *, poll="1h", **kw):
    kw.setdefault("ca", {"maintenance": "none"})
    kw.setdefault("timeout", "2s")
    return renewd.write(renewd.config_text(
        targets, poll_interval=poll, metrics_listen=f"127.0.0.1:{port}",
        **kw), name="renewd.conf")


# ---- tests ------------------------------------------------------------------

def test_metrics_scrape(renewd, serve, servers, promtool):
    srv = serve(names=[GOOD], not_before=-325, not_after=40)  # reminder due
    refused = servers.refused_port("127.0.0.3")
    port = unused_tcp_port()
    cfg = config(renewd, [
        Target(GOOD, port=srv.port, addresses=[srv.host]),
        Target(BAD, port=refused, addresses=["127.0.0.3"]),
    ], port)

    d = renewd.daemon(cfg)
    d.wait_log(r"^renewd: started: 2 targets from ")
    d.wait_log(rf"^renewd: debug: {re.escape(GOOD)}: probed: ")
    d.wait_log(rf"^renewd: debug: {re.escape(BAD)}: probe failed ")
    d.wait_log(rf"{NOTICE_RE}{re.escape(GOOD)} reminder-45 ")
    assert re.search(rf"^renewd: serving metrics on "
                     rf"http://127\.0\.0\.1:{port}/metrics$", d.log(), re.M)

    s = scrape(port)
    promtool_check(promtool, s.body)

    good_addr = f"{srv.host}:{srv.port}"
    bad_addr = f"127.0.0.3:{refused}"
    version = (REPO / "VERSION").read_text().strip()
    assert s.value("renewd_build_info", version=version) == 1
    assert s.value("renewd_targets") == 2
    # The reminder's mail waits: nothing listens at the [mail] url.
    assert s.value("renewd_mail_queue_length") == 1
    assert s.value("renewd_probes_total", result="success") >= 1
    assert s.value("renewd_probes_total", result="failure") >= 1
    assert s.value("renewd_notifications_total", kind="reminder",
                   result="sent") == 1
    assert s.value("renewd_notifications_total", kind="reminder",
                   result="failed") == 0
    kinds = {x["kind"] for x in s.series("renewd_notifications_total")}
    assert kinds == {"reminder", "apply-by", "overdue", "lapsed", "install",
                     "renewed", "problem"}

    # The good target: its deadline is the leaf's JST date.
    e = srv.leaf.expiry_jst
    days = s.value("renewd_target_day_count_left", target=GOOD)
    assert days in {(e - today_jst()).days, (e - today_jst()).days + 1}, days
    assert s.value("renewd_target_expiry_timestamp_seconds",
                   target=GOOD) == jst_midnight_after(e)
    apply_by = s.value("renewd_target_apply_by_timestamp_seconds",
                       target=GOOD)
    assert time.time() < apply_by < jst_midnight_after(e)
    assert s.value("renewd_cert_not_after_timestamp_seconds", target=GOOD,
                   address=good_addr) == int(srv.leaf.not_after.timestamp())
    assert s.value("renewd_probe_success", target=GOOD,
                   address=good_addr) == 1
    assert 0 <= s.value("renewd_probe_duration_seconds", target=GOOD,
                        address=good_addr) < 5
    assert s.value("renewd_target_probe_success", target=GOOD) == 1
    assert s.value("renewd_target_watched", target=GOOD) == 1
    last = s.value("renewd_target_last_probe_timestamp_seconds", target=GOOD)
    assert time.time() - 120 < last <= time.time()
    assert s.value("renewd_target_last_success_timestamp_seconds",
                   target=GOOD) == last
    states = {x["state"]: s.value("renewd_target_state", **x)
              for x in s.series("renewd_target_state") if x["target"] == GOOD}
    assert states == {"waiting": 0, "notified": 1, "applied": 0, "issued": 0,
                      "verified": 0, "lapsed": 0}, states
    assert [x for x in s.series("renewd_target_problem")
            if x["target"] == GOOD] == []

    # The refused one: probed, failed, no certificate and no deadline.
    assert s.value("renewd_target_probe_success", target=BAD) == 0
    assert s.value("renewd_probe_success", target=BAD, address=bad_addr) == 0
    assert s.get("renewd_cert_not_after_timestamp_seconds", target=BAD,
                 address=bad_addr) is None
    assert s.value("renewd_target_problem", target=BAD,
                   problem="unreachable") == 1
    assert s.get("renewd_target_day_count_left", target=BAD) is None
    assert s.get("renewd_target_last_success_timestamp_seconds",
                 target=BAD) is None
    assert s.value("renewd_target_state", target=BAD, state="waiting") == 1

    # Other paths and methods.
    assert http_request(port, "/other")[0] == 404
    assert http_request(port, "/")[0] == 404
    assert http_request(port, "/metrics/x")[0] == 404
    status, headers, _ = http_request(port, "/metrics", "POST")
    assert status == 405 and headers.get("allow") == "GET, HEAD", headers
    assert http_request(port, "/metrics", "DELETE")[0] == 405
    status, headers, body = http_request(port, "/metrics", "HEAD")
    assert status == 200 and body == b""
    assert http_request(port, "/metrics?x=1")[0] == 200

    # Junk and half requests do not hurt the service.
    for junk in (b"\x16\x03\x01\x00\x05hello\r\n\r\n",
                 b"GET /metrics HTTP/1.1\r\nHost: x\r\nX: " + b"a" * 40000,
                 b"GET /met"):
        with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
            try:
                c.sendall(junk)
                c.shutdown(socket.SHUT_WR)
                c.recv(4096)
            except OSError:     # the server may hang up first
                pass

    assert d.alive(), d.describe()
    again = scrape(port)
    promtool_check(promtool, again.body)
    assert again.value("renewd_targets") == 2
    assert d.stop() == 0, d.describe()


def test_metrics_mail_queue_drains(renewd, serve, promtool):
    """renewd_mail_queue_length counts the outbox's mails until the SMTP
    server has taken them."""
    Controller = pytest.importorskip("aiosmtpd.controller").Controller

    class Inbox:
        def __init__(self):
            self.n = 0

        async def handle_DATA(self, server, session, envelope):
            self.n += 1
            return "250 2.0.0 queued"

    srv = serve(names=[GOOD], not_before=-325, not_after=40)
    port = unused_tcp_port()
    inbox = Inbox()
    smtp_port = unused_tcp_port()
    ctl = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    ctl.start()
    try:
        cfg = config(renewd, [Target(GOOD, port=srv.port,
                                     addresses=[srv.host])], port,
                     mail={"url": f"smtp://127.0.0.1:{smtp_port}"})
        d = renewd.daemon(cfg)
        d.wait_log(rf"{NOTICE_RE}{re.escape(GOOD)} reminder-45 ")
        d.wait_until(lambda: inbox.n >= 1, "the reminder mail")
        s = d.wait_until(
            lambda: (x := scrape(port)).value(
                "renewd_mail_queue_length") == 0 and x,
            "an empty mail queue")
        promtool_check(promtool, s.body)
        assert s.value("renewd_notifications_total", kind="reminder",
                       result="sent") == 1
        assert d.stop() == 0, d.describe()
    finally:
        ctl.stop()


def test_metrics_reload_and_many_scrapes(renewd, serve, promtool):
    srv = serve(names=[GOOD, "new.renewd.test"], not_before=-10,
                not_after=200)
    port = unused_tcp_port()
    targets = [Target(GOOD, port=srv.port, addresses=[srv.host])]
    cfg = config(renewd, targets, port)

    d = renewd.daemon(cfg)
    d.wait_log(rf"^renewd: debug: {re.escape(GOOD)}: probed: ")
    for _ in range(20):
        assert scrape(port).value("renewd_targets") == 1

    # A reload adds a target; the listener itself stays as it was.
    other = unused_tcp_port()
    cfg.write_text(renewd.config_text(
        targets + [Target("new.renewd.test", port=srv.port,
                          addresses=[srv.host])],
        poll_interval="1h", timeout="2s", ca={"maintenance": "none"},
        metrics_listen=f"127.0.0.1:{other}"))
    d.send(signal.SIGHUP)
    d.wait_log(r"^renewd: configuration reloaded from ")
    assert re.search(r"^renewd: metrics_listen: a change takes effect at "
                     rf"the next start \(still 127\.0\.0\.1:{port}\)$",
                     d.log(), re.M), d.describe()
    d.wait_log(r"^renewd: debug: new\.renewd\.test: probed: ")
    s = scrape(port)
    promtool_check(promtool, s.body)
    assert s.value("renewd_targets") == 2
    assert s.value("renewd_target_probe_success",
                   target="new.renewd.test") == 1
    assert (srv.leaf.expiry_jst - today_jst()).days <= s.value(
        "renewd_target_day_count_left", target="new.renewd.test") <= \
        (srv.leaf.expiry_jst - today_jst()).days + 1
    with pytest.raises(OSError):
        http_request(other)
    assert d.stop() == 0, d.describe()


def test_metrics_port_in_use(renewd, serve):
    srv = serve(names=[GOOD, "new.renewd.test"], not_before=-10,
                not_after=200)
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen(1)
        port = busy.getsockname()[1]
        cfg = config(renewd, [Target(GOOD, port=srv.port,
                                     addresses=[srv.host])], port)
        d = renewd.daemon(cfg)
        rc = d.wait(timeout=20)
    assert rc == 1, d.describe()
    assert not SANITIZER_RE.search(d.log()), d.describe()
    assert re.search(rf"^renewd: metrics_listen: cannot listen on "
                     rf"127\.0\.0\.1:{port}", d.log(), re.M), d.describe()


def test_metrics_off_by_default(renewd, serve):
    srv = serve(names=[GOOD, "new.renewd.test"], not_before=-10,
                not_after=200)
    cfg = renewd.write(renewd.config_text(
        [Target(GOOD, port=srv.port, addresses=[srv.host])],
        poll_interval="1h", timeout="2s"), name="renewd.conf")
    d = renewd.daemon(cfg)
    d.wait_log(rf"^renewd: debug: {re.escape(GOOD)}: probed: ")
    assert "serving metrics" not in d.log(), d.describe()
    assert d.stop() == 0, d.describe()


def test_promtool_accepts_escaped_labels(promtool, tmp_path):
    """The writer's awkward cases (quotes, backslashes, newlines, Japanese,
    a byte that is not UTF-8 in a label value) as promtool reads them."""
    unit = build_dir() / "tests" / "test_metrics"
    if not unit.is_file():
        pytest.skip(f"{unit} not built (make {unit.relative_to(REPO)})"
                    if unit.is_relative_to(REPO) else f"{unit} not built")
    out = tmp_path / "sample.prom"
    p = subprocess.run(wrap([unit, "--dump", out]), capture_output=True,
                       text=True, timeout=scaled(60))
    assert p.returncode == 0, p.stderr
    body = out.read_bytes()
    promtool_check(promtool, body)
    s = Scrape(body)
    names = {x["target"] for x in s.series("renewd_target_watched")}
    assert 'quote\\" backslash\\\\ newline\\n 株式会社 \ufffd' in names, names
