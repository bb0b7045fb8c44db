"""Self-tests of the end-to-end machinery (helpers/), with Python's own TLS,
SMTP, IMAP and POP3 clients and openssl s_client. They need no renewd."""

from __future__ import annotations

import concurrent.futures
import datetime as dt
import imaplib
import os
import poplib
import shutil
import smtplib
import socket
import ssl
import subprocess
import time

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from helpers import renewd as rdmod
from helpers.dns import query
from helpers.pki import JST, UTC, iso_z, jst_date, utc_day_at, when
from helpers.renewd import Target, line_of

OPENSSL = shutil.which("openssl")


def client_ctx(cafile=None, *, verify=True):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
    if verify:
        ctx.load_verify_locations(str(cafile))
    else:
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
    return ctx


def tls_connect(host, port, ctx, sni):
    raw = socket.create_connection((host, port), timeout=5)
    return ctx.wrap_socket(raw, server_hostname=sni)


def peer_der(tls):
    return tls.getpeercert(binary_form=True)


def s_client(host, port, *args, sni=None, timeout=10):
    """openssl s_client -showcerts; returns (stdout, number of served
    certificates)."""
    if OPENSSL is None:
        pytest.skip("openssl not installed")
    target = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    argv = [OPENSSL, "s_client", "-connect", target, "-showcerts",
            *(["-servername", sni] if sni else ["-noservername"]), *args]
    p = subprocess.run(argv, input=b"", capture_output=True, timeout=timeout)
    out = p.stdout.decode("utf-8", "replace")
    return out, out.count("-----BEGIN CERTIFICATE-----")


def openssl_verify(cafile, untrusted, leaf, *extra):
    if OPENSSL is None:
        pytest.skip("openssl not installed")
    argv = [OPENSSL, "verify", "-CAfile", str(cafile)]
    if untrusted:
        argv += ["-untrusted", str(untrusted)]
    argv += [*extra, str(leaf)]
    p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
    return p.returncode, p.stdout + p.stderr


# ---- pki -------------------------------------------------------------------

def test_pki_three_tier_chain_verifies(hier):
    leaf = hier.leaf(names=["www.renewd.test", "renewd.test"])
    inter_file = hier.pki.bundle("u", [hier.inter])
    rc, out = openssl_verify(hier.ca_file, inter_file, leaf.cert_path)
    assert rc == 0, out
    assert leaf.dns_names == ["www.renewd.test", "renewd.test"]
    assert leaf.cn == "www.renewd.test"
    assert leaf.issuer is hier.inter
    assert leaf.cert.issuer == hier.inter.subject
    assert hier.inter.cert.issuer == hier.root_b.subject


def test_pki_cross_certificate(hier):
    x = hier.cross_b
    assert x.subject == hier.root_b.subject
    assert x.cert.issuer == hier.root_a.subject
    assert x.cert.public_key().public_numbers() == \
        hier.root_b.cert.public_key().public_numbers()
    # With only the old root trusted, the leaf verifies through the cross.
    leaf = hier.leaf(names=["x.renewd.test"])
    only_a = hier.pki.bundle("only-a", [hier.root_a])
    untrusted = hier.pki.bundle("u", [hier.inter, x])
    rc, out = openssl_verify(only_a, untrusted, leaf.cert_path)
    assert rc == 0, out


def test_pki_leaf_fields_keys_and_times(hier, pki):
    leaf = hier.leaf(names=["jp.renewd.test"], o="株式会社レニュー",
                     l="千代田区", st="東京都", c="JP", ou="情報システム部",
                     key="ec256", not_before=-2, not_after=200)
    from cryptography.x509.oid import NameOID as N
    assert leaf.attr(N.ORGANIZATION_NAME) == "株式会社レニュー"
    assert leaf.attr(N.LOCALITY_NAME) == "千代田区"
    assert leaf.attr(N.STATE_OR_PROVINCE_NAME) == "東京都"
    assert leaf.attr(N.ORGANIZATIONAL_UNIT_NAME) == "情報システム部"
    assert leaf.key_desc == "EC-256"
    assert isinstance(leaf.key, ec.EllipticCurvePrivateKey)
    now = dt.datetime.now(UTC)
    assert abs((leaf.not_after - now) - dt.timedelta(days=200)) < \
        dt.timedelta(minutes=5)
    assert abs((now - leaf.not_before) - dt.timedelta(days=2)) < \
        dt.timedelta(minutes=5)
    weak = hier.leaf(names=["weak.renewd.test"], key="rsa1024")
    assert weak.key_desc == "RSA-1024"
    assert isinstance(weak.key, rsa.RSAPrivateKey)
    # Same (kind, slot): same key, made once.
    assert pki.keys.get("rsa1024", "leaf") is weak.key
    ctl = hier.leaf(names=["c.renewd.test"], o="Evil\x1b[31m\nCorp\x07")
    assert ctl.attr(N.ORGANIZATION_NAME) == "Evil\x1b[31m\nCorp\x07"
    ss = pki.leaf(None, names=["self.renewd.test"])
    assert ss.cert.issuer == ss.subject and ss.issuer is None
    ipl = hier.leaf(ips=["127.0.0.2"])
    assert ipl.ip_names == ["127.0.0.2"] and ipl.cn == "127.0.0.2"


def test_pki_time_helpers():
    t = utc_day_at(10, 15, 30)
    assert t.tzinfo is UTC and (t.hour, t.minute) == (15, 30)
    assert jst_date(t) == t.date() + dt.timedelta(days=1)
    assert jst_date(utc_day_at(0, 14, 59, 59)) == utc_day_at(0, 0).date()
    assert iso_z(dt.datetime(2027, 3, 31, 14, 59, 59, tzinfo=UTC)) == \
        "2027-03-31T14:59:59Z"
    assert iso_z(dt.datetime(2027, 4, 1, 0, 0, tzinfo=JST)) == \
        "2027-03-31T15:00:00Z"
    assert when(dt.datetime(2030, 1, 1)).tzinfo is UTC


# ---- TLS servers -----------------------------------------------------------

def test_tls_server_serves_chain_and_records_sni(hier, serve):
    srv = serve("127.0.0.2", names=["www.renewd.test"])
    ctx = client_ctx(hier.ca_file)
    with tls_connect(srv.host, srv.port, ctx, "www.renewd.test") as t:
        assert peer_der(t) == srv.leaf.der
        assert t.version() == "TLSv1.3"
    out, n = s_client(srv.host, srv.port, sni="www.renewd.test")
    assert n == 2, out      # leaf + intermediate
    assert "renewd Test SureServer CA" in out
    # No SNI from an IP-literal client.
    with tls_connect(srv.host, srv.port, client_ctx(verify=False), None):
        pass
    deadline = time.monotonic() + 2
    while (len(srv.sni) < 3 or srv.handshakes < 3) and \
            time.monotonic() < deadline:
        time.sleep(0.01)
    assert srv.sni == ["www.renewd.test", "www.renewd.test", None]
    assert srv.connections == 3 and srv.handshakes == 3


def test_tls_server_leaf_only_and_cross(hier, serve):
    only = serve("127.0.0.2", names=["a.renewd.test"], extra=())
    _, n = s_client(only.host, only.port, sni="a.renewd.test")
    assert n == 1
    cross = serve("127.0.0.2", names=["b.renewd.test"],
                  extra=(hier.inter, hier.cross_b))
    out, n = s_client(cross.host, cross.port, sni="b.renewd.test")
    assert n == 3, out
    # A verifying client still gets there.
    with tls_connect(cross.host, cross.port, client_ctx(hier.ca_file),
                     "b.renewd.test"):
        pass


def test_tls_server_tls12_and_weak_key(hier, serve):
    srv = serve("127.0.0.2", names=["old.renewd.test"], tls_max="1.2",
                key="rsa1024")
    with tls_connect(srv.host, srv.port, client_ctx(hier.ca_file),
                     "old.renewd.test") as t:
        assert t.version() == "TLSv1.2"
        assert peer_der(t) == srv.leaf.der


def test_stop_cuts_open_tls_connections(hier, serve):
    srv = serve("127.0.0.2", names=["hold.renewd.test"])
    held = tls_connect(srv.host, srv.port, client_ctx(hier.ca_file),
                       "hold.renewd.test")
    deadline = time.monotonic() + 2
    while srv.handshakes < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    t0 = time.monotonic()
    srv.stop()
    assert time.monotonic() - t0 < 1.5
    held.settimeout(2)
    try:
        assert held.recv(1) == b""
    except (ssl.SSLError, OSError):
        pass
    held.close()


def test_tls_server_many_connections(hier, serve):
    srv = serve("127.0.0.2", names=["many.renewd.test"])
    ctx = client_ctx(hier.ca_file)

    def one(_):
        with tls_connect(srv.host, srv.port, ctx, "many.renewd.test") as t:
            return peer_der(t)
    with concurrent.futures.ThreadPoolExecutor(16) as ex:
        ders = list(ex.map(one, range(40)))
    assert all(d == srv.leaf.der for d in ders)
    assert srv.connections == 40


def test_same_port_two_addresses_different_leaves(hier, servers):
    a = hier.leaf(names=["lb.renewd.test"])
    b = hier.leaf(names=["lb.renewd.test"])
    ca, cb = hier.served(a), hier.served(b)
    sa, sb = servers.same_port([
        ("127.0.0.2", lambda h, p: servers.tls(h, ca, a.key_path, p)),
        ("127.0.0.3", lambda h, p: servers.tls(h, cb, b.key_path, p))])
    assert sa.port == sb.port
    ctx = client_ctx(hier.ca_file)
    with tls_connect("127.0.0.2", sa.port, ctx, "lb.renewd.test") as t:
        assert peer_der(t) == a.der
    with tls_connect("127.0.0.3", sa.port, ctx, "lb.renewd.test") as t:
        assert peer_der(t) == b.der
    assert a.sha256 != b.sha256


def test_ipv6_server(hier, serve, ipv6):
    srv = serve(ipv6, names=["v6.renewd.test"])
    with tls_connect("::1", srv.port, client_ctx(hier.ca_file),
                     "v6.renewd.test") as t:
        assert peer_der(t) == srv.leaf.der
    assert srv.address == f"[::1]:{srv.port}"


# ---- STARTTLS servers ------------------------------------------------------

def test_smtp_starttls(hier, serve):
    srv = serve("127.0.0.2", starttls="smtp", names=["mail.renewd.test"])
    with smtplib.SMTP(srv.host, srv.port, timeout=5) as s:
        code, _ = s.ehlo("client.renewd.test")
        assert code == 250 and s.has_extn("starttls")
        code, _ = s.starttls(context=client_ctx(verify=False))
        assert code == 220
        assert peer_der(s.sock) == srv.leaf.der
        assert "STARTTLS" not in s.ehlo("client.renewd.test")[1].decode()
    assert [c.upper() for c in srv.commands[:4]] == [
        "EHLO CLIENT.RENEWD.TEST", "STARTTLS",
        "TLS: EHLO CLIENT.RENEWD.TEST", "TLS: QUIT"]
    _, n = s_client(srv.host, srv.port, "-starttls", "smtp",
                    sni="mail.renewd.test")
    assert n == 2
    assert srv.sni == [None, "mail.renewd.test"]


def test_smtp_multiline_banner(hier, servers):
    leaf = hier.leaf(names=["mail.renewd.test"])
    srv = servers.starttls("smtp", "127.0.0.2", hier.served(leaf),
                           leaf.key_path, banner_lines=3)
    with smtplib.SMTP(srv.host, srv.port, timeout=5) as s:
        s.ehlo("client.renewd.test")
        assert s.starttls(context=client_ctx(verify=False))[0] == 220
    with socket.create_connection((srv.host, srv.port), timeout=5) as c:
        banner = b""
        while not banner.endswith(b"ESMTP ready\r\n"):
            banner += c.recv(4096)
    assert banner.count(b"220-") == 2


def test_imap_starttls(hier, serve):
    srv = serve("127.0.0.2", starttls="imap", names=["imap.renewd.test"])
    m = imaplib.IMAP4(srv.host, srv.port, timeout=5)
    try:
        assert "STARTTLS" in m.capabilities
        typ, _ = m.starttls(ssl_context=client_ctx(verify=False))
        assert typ == "OK"
        assert peer_der(m.sock) == srv.leaf.der
    finally:
        m.shutdown()
    assert any(c.endswith(" STARTTLS") for c in srv.commands)
    _, n = s_client(srv.host, srv.port, "-starttls", "imap",
                    sni="imap.renewd.test")
    assert n == 2


def test_pop3_stls(hier, serve):
    srv = serve("127.0.0.2", starttls="pop3", names=["pop.renewd.test"])
    p = poplib.POP3(srv.host, srv.port, timeout=5)
    try:
        assert "STLS" in p.capa()
        resp = p.stls(context=client_ctx(verify=False))
        assert resp.startswith(b"+OK")
        assert peer_der(p.sock) == srv.leaf.der
        assert p.quit().startswith(b"+OK")
    finally:
        p.file = p.sock = None
    assert "STLS" in srv.commands
    _, n = s_client(srv.host, srv.port, "-starttls", "pop3",
                    sni="pop.renewd.test")
    assert n == 2


# ---- misbehaving servers ---------------------------------------------------

def test_silent_server(servers):
    srv = servers.silent("127.0.0.2")
    with socket.create_connection((srv.host, srv.port), timeout=5) as c:
        c.settimeout(0.3)
        with pytest.raises(socket.timeout):
            c.recv(1)
        # A TLS client stalls too.
        raw = socket.create_connection((srv.host, srv.port), timeout=0.5)
        with pytest.raises((socket.timeout, ssl.SSLError)):
            client_ctx(verify=False).wrap_socket(raw)
        raw.close()
    assert srv.connections == 2
    # Stopping does not wait for clients that hang on.
    hang = socket.create_connection((srv.host, srv.port), timeout=5)
    t0 = time.monotonic()
    srv.stop()
    assert time.monotonic() - t0 < 3
    hang.close()


def test_garbage_server(servers):
    srv = servers.garbage("127.0.0.2")
    with socket.create_connection((srv.host, srv.port), timeout=5) as c:
        assert c.recv(4096).startswith(b"\x00\xffGARBAGE")
    raw = socket.create_connection((srv.host, srv.port), timeout=5)
    with pytest.raises((ssl.SSLError, OSError)):
        client_ctx(verify=False).wrap_socket(raw)
    raw.close()


def test_closing_server(servers):
    srv = servers.closing("127.0.0.2")
    with socket.create_connection((srv.host, srv.port), timeout=5) as c:
        try:
            assert c.recv(1) == b""
        except ConnectionResetError:
            pass
    raw = socket.create_connection((srv.host, srv.port), timeout=5)
    with pytest.raises((ssl.SSLError, OSError)):
        client_ctx(verify=False).wrap_socket(raw)
    raw.close()


def test_refused_port(servers):
    port = servers.refused_port("127.0.0.2")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.2", port), timeout=5)


def test_flood_server(servers):
    srv = servers.flood("127.0.0.2", limit=1 << 20)
    got = 0
    with socket.create_connection((srv.host, srv.port), timeout=5) as c:
        while got < 100000:
            got += len(c.recv(65536))
    assert got >= 100000


# ---- dnsmasq ---------------------------------------------------------------

def test_dnsmasq_answers_only_its_records(dnsmasq):
    dns = dnsmasq({"lb.renewd.test": ["127.0.0.2", "127.0.0.3"],
                   "v6.renewd.test": ["::1"]})
    assert dns.nameserver == f"127.0.0.1:{dns.port}"
    assert sorted(query(dns.host, dns.port, "lb.renewd.test")) == \
        ["127.0.0.2", "127.0.0.3"]
    assert query(dns.host, dns.port, "lb.renewd.test", "AAAA") == []
    assert query(dns.host, dns.port, "v6.renewd.test", "AAAA") == ["::1"]
    assert query(dns.host, dns.port, "nothing.renewd.test") == []


# ---- the renewd runner -----------------------------------------------------

def test_config_text_has_contract_keys(renewd):
    text = renewd.config_text(
        [Target("www.renewd.test", port=8443,
                addresses=["127.0.0.2", "127.0.0.3"],
                names=["www.renewd.test", "renewd.test"], starttls="none",
                product="ev", contract_end=dt.date(2027, 3, 31),
                expect="O=Example K.K., C=JP", notify="web@example.jp")],
        timeout="2s", nameservers="127.0.0.1:5353")
    for line in ("[renewd]", f"state_dir = {renewd.state_dir}",
                 f"socket = {renewd.socket}", "timeout = 2s",
                 f"ca_file = {renewd.ca_file}", "nameservers = 127.0.0.1:5353",
                 f"hosts_file = {renewd.hosts_file}",
                 "thresholds = 90, 60, 45, 30, 15", "[mail]",
                 "[target www.renewd.test]", "port = 8443",
                 "addresses = 127.0.0.2, 127.0.0.3",
                 "names = www.renewd.test, renewd.test", "starttls = none",
                 "product = ev", "contract_end = 2027-03-31",
                 "expect = O=Example K.K., C=JP", "notify = web@example.jp"):
        assert line in text.splitlines(), line
    assert line_of(text, "port = 8443") > line_of(text, "[target ")
    assert renewd.dead_nameserver.startswith("127.0.0.1:")
    p = renewd.config([], timeout=None)
    assert "timeout" not in p.read_text()


def test_missing_binary_fails_clearly(monkeypatch, tmp_path):
    monkeypatch.setenv("RENEWD_BUILD", str(tmp_path / "nowhere"))
    with pytest.raises(pytest.fail.Exception, match="renewd not built: "
                       "run make"):
        rdmod.require_binary("renewd")
    assert not rdmod.have_binary("renewctl")


def test_run_kills_a_hang():
    with pytest.raises(pytest.fail.Exception, match="still running"):
        rdmod.run(["sleep", "30"], timeout=0.5)


def test_program_env_scrubs_service_manager():
    os.environ["NOTIFY_SOCKET"] = "/nonexistent"
    try:
        env = rdmod.program_env(tz="UTC")
    finally:
        del os.environ["NOTIFY_SOCKET"]
    assert "NOTIFY_SOCKET" not in env and env["TZ"] == "UTC"
