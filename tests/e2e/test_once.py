"""`renewd --once [--json]` against real loopback servers.

Each test makes its certificates, starts its servers on 127.0.0.x / ::1,
writes a config into its own tmp dir and checks the Status JSON of
PRODUCT.md ("What is probed", "Status JSON"). Where the contract fixes a
value the assertion is exact; where it leaves room (the wording of errors,
which extra problem words come along) the assertion says what must and what
may appear.
"""

from __future__ import annotations

import datetime as dt
import re
import time

import pytest

from helpers.pki import UTC, iso_z, today_jst, utc_day_at, utcnow
from helpers.renewd import (EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN,
                            EXIT_WARNING, Target, scaled)

NAME = "www.renewd.test"
ALT = "renewd.test"
INTER_CN = "renewd Test SureServer CA"
ROOT_B_CN = "renewd Test Root B"
ROOT_A_CN = "renewd Test Old Root A"
SUBJECT_KEYS = ("CN", "OU", "O", "L", "ST", "C")
FAILED_PROBE = {"unreachable", "handshake-failed"}

DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}")
INSTANT_Z_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z")
INSTANT_JST_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\+09:00")


# ---- helpers ---------------------------------------------------------------

def tgt(srv, name=NAME, **kw) -> Target:
    """A target probing `srv` by address (no DNS)."""
    kw.setdefault("addresses", [srv.host])
    return Target(name, port=srv.port, **kw)


def eventually(cond, timeout=3.0):
    """The server thread may count a handshake a moment after renewd has
    already exited: give it that moment."""
    deadline = time.monotonic() + timeout
    while not cond():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def once(renewd, targets, **cfg):
    """renewd --once --json over `targets`; remembers the run's window (UTC
    instants and the JST dates seen) for date assertions."""
    days0, t0 = today_jst(), utcnow()
    res = renewd.once(renewd.config(targets, **cfg))
    res.window = (t0 - dt.timedelta(seconds=2),
                  utcnow() + dt.timedelta(seconds=2))
    res.days = {days0, today_jst()}
    return res


def days_left_options(res, expiry: dt.date) -> set:
    return {(expiry - d).days for d in res.days}


def served_chain(addr, leaf) -> list:
    """The `chain` entries after the leaf (the contract does not say whether
    the leaf itself is listed first; either is accepted)."""
    chain = addr.get("chain")
    assert isinstance(chain, list), addr
    for c in chain:
        assert set(c) >= {"subject", "issuer", "not_after"}, c
    if chain and leaf.cn and leaf.cn in (chain[0].get("subject") or "") \
            and INTER_CN not in chain[0]["subject"]:
        return chain[1:]
    return chain


def assert_problems(res, t, must=(), may=()):
    """`problems` holds every word of `must`, nothing outside must|may, and
    no word twice."""
    probs = t.get("problems")
    assert isinstance(probs, list), res.describe()
    assert len(probs) == len(set(probs)), f"repeated words: {probs}"
    missing = set(must) - set(probs)
    extra = set(probs) - set(must) - set(may)
    assert not missing and not extra, \
        f"problems {probs}: missing {sorted(missing)}, unexpected " \
        f"{sorted(extra)}\n{res.describe()}"


def assert_instant_in_run(res, s):
    assert isinstance(s, str) and INSTANT_Z_RE.fullmatch(s), s
    t = dt.datetime.strptime(s, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    lo, hi = res.window
    assert lo <= t <= hi, f"{s} outside the run {lo}..{hi}"


def hexval(s) -> str:
    assert isinstance(s, str), s
    return s.replace(":", "").lower()


def assert_failed_address(res, addr):
    assert addr.get("ok") is False, res.describe()
    assert isinstance(addr.get("error"), str) and addr["error"].strip(), \
        f"a failed probe needs an error text\n{res.describe()}"


def no_control_chars(s: str) -> bool:
    return not any(ord(ch) < 0x20 or 0x7f <= ord(ch) <= 0x9f for ch in s)


# ---- a good chain ----------------------------------------------------------

def test_good_three_tier_chain(hier, serve, renewd):
    # notAfter 15:30 UTC is 00:30 JST the next day: the deadline date E is
    # that next day.
    not_after = utc_day_at(200, 15, 30)
    srv = serve(names=[NAME, ALT], o="Example K.K.", l="Chiyoda-ku",
                st="Tokyo", c="JP", not_before=-1, not_after=not_after)
    leaf = srv.leaf
    res = once(renewd, [tgt(srv, names=[NAME, ALT])])
    assert res.rc == EXIT_OK, res.describe()

    assert len(res.targets()) == 1
    t = res.target(NAME)
    expiry = not_after.date() + dt.timedelta(days=1)
    assert leaf.expiry_jst == expiry
    assert t["product"] == "ssl"
    assert t["state"] == "waiting"
    assert t["expiry"] == expiry.isoformat()
    assert t["expiry_source"] == "certificate"
    assert t["not_after"] == iso_z(leaf.not_after)
    assert t["days_left"] in days_left_options(res, expiry)
    assert DATE_RE.fullmatch(t["apply_by"]), t["apply_by"]
    apply_by = dt.date.fromisoformat(t["apply_by"])
    # E minus 5 review + 1 install business days: at least 6 calendar days,
    # at most what weekends, holidays and the year-end close add.
    assert 6 <= (expiry - apply_by).days <= 25, t["apply_by"]
    assert t["reminders_sent"] == []
    nn = t["next_notification"]
    assert nn["kind"] == "reminder" and nn["threshold"] == 90, nn
    assert nn["due"] == \
        f"{(expiry - dt.timedelta(days=90)).isoformat()}T09:00:00+09:00"
    assert_instant_in_run(res, t["last_probe"])
    assert_instant_in_run(res, t["last_success"])
    assert t["problems"] == []

    a = res.address(NAME)
    assert a["address"] == f"127.0.0.2:{srv.port}"
    assert a["ok"] is True
    assert a["error"] is None
    assert a["not_before"] == iso_z(leaf.not_before)
    assert a["not_after"] == iso_z(leaf.not_after)
    assert re.fullmatch(r"[0-9a-fA-F:]+", a["serial"]), a["serial"]
    assert int(hexval(a["serial"]), 16) == leaf.serial
    assert hexval(a["sha256"]) == leaf.sha256
    assert {k: a["subject"].get(k, "absent") for k in SUBJECT_KEYS} == {
        "CN": NAME, "OU": None, "O": "Example K.K.", "L": "Chiyoda-ku",
        "ST": "Tokyo", "C": "JP"}
    assert INTER_CN in a["issuer"]
    assert a["san"] == [NAME, ALT]
    assert a["key"] == "RSA-2048"
    assert a["sig_alg"] == "sha256WithRSAEncryption"
    assert a["tls_version"] == "TLSv1.3"
    assert a["verify_ok"] is True
    assert a["verify_error"] is None
    assert a["names_ok"] is True
    chain = served_chain(a, leaf)
    assert len(chain) == 1, a["chain"]
    assert INTER_CN in chain[0]["subject"]
    assert ROOT_B_CN in chain[0]["issuer"]
    assert chain[0]["not_after"] == iso_z(hier.inter.not_after)

    # SNI carries the target's name; every probe is a fresh handshake.
    assert srv.sni and set(srv.sni) == {NAME}
    assert eventually(lambda: srv.handshakes >= 1)


def test_ec_key_over_tls12(serve, renewd):
    srv = serve(names=[NAME], key="ec256", tls_max="1.2", not_after=300)
    res = once(renewd, [tgt(srv)])
    assert res.rc == EXIT_OK, res.describe()
    t = res.target(NAME)
    assert t["problems"] == []
    a = res.address(NAME)
    assert a["key"] == "EC-256"
    assert a["tls_version"] == "TLSv1.2"
    # Signed by the RSA intermediate.
    assert a["sig_alg"] == "sha256WithRSAEncryption"
    assert a["san"] == [NAME]
    assert a["subject"]["CN"] == NAME
    assert hexval(a["sha256"]) == srv.leaf.sha256


@pytest.mark.parametrize("tz", ["<-10>10", "<+14>-14", "UTC", "Asia/Tokyo"])
def test_expiry_is_the_japan_date_whatever_the_tz(serve, renewd, tz):
    # 14:59:59 UTC is still the same day in Japan; 15:00:00 is the next.
    same = utc_day_at(150, 14, 59, 59)
    nextd = utc_day_at(160, 15, 0, 0)
    s1 = serve(names=["a.renewd.test"], not_after=same)
    s2 = serve(names=["b.renewd.test"], not_after=nextd)
    cfg = renewd.config([tgt(s1, "a.renewd.test"), tgt(s2, "b.renewd.test")])
    days0 = today_jst()
    res = renewd.once(cfg, tz=tz)
    days = {days0, today_jst()}
    assert res.rc == EXIT_OK, res.describe()
    ea = same.date()
    eb = nextd.date() + dt.timedelta(days=1)
    ta, tb = res.target("a.renewd.test"), res.target("b.renewd.test")
    assert ta["expiry"] == ea.isoformat()
    assert tb["expiry"] == eb.isoformat()
    assert ta["days_left"] in {(ea - d).days for d in days}
    assert tb["days_left"] in {(eb - d).days for d in days}
    assert ta["not_after"] == iso_z(same)
    assert tb["not_after"] == iso_z(nextd)


# ---- what is wrong with a certificate --------------------------------------

def test_leaf_only_is_chain_incomplete(serve, renewd):
    srv = serve(names=[NAME], extra=())
    res = once(renewd, [tgt(srv)])
    assert res.rc != EXIT_OK, res.describe()
    t = res.target(NAME)
    assert_problems(res, t, must={"chain-incomplete"}, may={"untrusted"})
    a = res.address(NAME)
    assert a["ok"] is True       # a handshake completed, a leaf was seen
    assert a["names_ok"] is True
    assert served_chain(a, srv.leaf) == []
    assert hexval(a["sha256"]) == srv.leaf.sha256


def test_wrong_name_is_hostname_mismatch(serve, renewd):
    srv = serve(names=["other.renewd.test"])
    res = once(renewd, [tgt(srv)])
    assert res.rc != EXIT_OK, res.describe()
    t = res.target(NAME)
    assert_problems(res, t, must={"hostname-mismatch"})
    a = res.address(NAME)
    assert a["names_ok"] is False
    assert a["san"] == ["other.renewd.test"]
    assert srv.sni and set(srv.sni) == {NAME}


def test_second_name_not_covered(serve, renewd):
    srv = serve(names=[NAME])
    res = once(renewd, [tgt(srv, names=[NAME, "shop.renewd.test"])])
    assert res.rc != EXIT_OK, res.describe()
    t = res.target(NAME)
    assert_problems(res, t, must={"name-not-covered"})
    a = res.address(NAME)
    assert a["names_ok"] is False
    assert a["verify_ok"] is True


def test_self_signed_is_untrusted(pki, servers, renewd):
    leaf = pki.leaf(None, names=[NAME], o="Example K.K.", c="JP")
    srv = servers.tls("127.0.0.2", pki.chain_file(leaf), leaf.key_path)
    res = once(renewd, [tgt(srv)])
    assert res.rc != EXIT_OK, res.describe()
    t = res.target(NAME)
    assert_problems(res, t, must={"untrusted"}, may={"chain-incomplete"})
    a = res.address(NAME)
    assert a["verify_ok"] is False
    assert isinstance(a["verify_error"], str) and a["verify_error"]
    assert hexval(a["sha256"]) == leaf.sha256
    # Still inspected in full.
    assert a["subject"]["O"] == "Example K.K."
    assert t["expiry"] == leaf.expiry_jst.isoformat()


def test_expired_is_critical(serve, renewd):
    srv = serve(names=[NAME], not_before=-400, not_after=-3)
    res = once(renewd, [tgt(srv)])
    assert res.rc == EXIT_CRITICAL, res.describe()
    t = res.target(NAME)
    assert_problems(res, t, must={"expired"}, may={"untrusted"})
    expiry = srv.leaf.expiry_jst
    assert t["expiry"] == expiry.isoformat()
    assert t["days_left"] in days_left_options(res, expiry)
    assert t["days_left"] < 0
    a = res.address(NAME)
    assert a["ok"] is True
    assert a["verify_ok"] is False
    assert isinstance(a["verify_error"], str) and a["verify_error"]
    assert a["not_after"] == iso_z(srv.leaf.not_after)


def test_not_yet_valid(serve, renewd):
    srv = serve(names=[NAME], not_before=10, not_after=400)
    res = once(renewd, [tgt(srv)])
    assert res.rc != EXIT_OK, res.describe()
    t = res.target(NAME)
    assert_problems(res, t, must={"not-yet-valid"}, may={"untrusted"})
    a = res.address(NAME)
    assert a["verify_ok"] is False
    assert a["not_before"] == iso_z(srv.leaf.not_before)


def test_weak_key(serve, renewd):
    srv = serve(names=[NAME], key="rsa1024")
    res = once(renewd, [tgt(srv)])
    assert res.rc != EXIT_OK, res.describe()
    t = res.target(NAME)
    assert_problems(res, t, must={"weak-key"}, may={"untrusted"})
    a = res.address(NAME)
    assert a["key"] == "RSA-1024"
    assert hexval(a["sha256"]) == srv.leaf.sha256


def test_cross_signed_root_sent_along(hier, serve, renewd):
    srv = serve(names=[NAME], extra=(hier.inter, hier.cross_b))
    res = once(renewd, [tgt(srv)])
    assert res.rc != EXIT_OK, res.describe()
    t = res.target(NAME)
    assert_problems(res, t, must={"cross-root-chain"})
    a = res.address(NAME)
    assert a["verify_ok"] is True
    chain = served_chain(a, srv.leaf)
    assert len(chain) == 2, a["chain"]
    assert INTER_CN in chain[0]["subject"]
    assert ROOT_B_CN in chain[1]["subject"]
    assert ROOT_A_CN in chain[1]["issuer"]
    assert chain[1]["not_after"] == iso_z(hier.cross_b.not_after)


def test_intermediate_expiring_before_the_leaf(hier, pki, serve, renewd):
    short = pki.intermediate("renewd Test Short CA", hier.root_b,
                             not_after=100)
    srv = serve(names=[NAME], issuer=short, extra=(short,), not_after=200)
    res = once(renewd, [tgt(srv)])
    assert res.rc != EXIT_OK, res.describe()
    t = res.target(NAME)
    assert_problems(res, t, must={"intermediate-expiring"})
    assert t["expiry"] == srv.leaf.expiry_jst.isoformat()
    a = res.address(NAME)
    assert a["verify_ok"] is True
    chain = served_chain(a, srv.leaf)
    assert len(chain) == 1
    assert "renewd Test Short CA" in chain[0]["subject"]
    assert chain[0]["not_after"] == iso_z(short.not_after)


# ---- subject fields --------------------------------------------------------

JA = {"O": "株式会社レニューテスト", "L": "千代田区", "ST": "東京都"}


def test_japanese_subject_comes_back_byte_exact(serve, renewd):
    srv = serve(names=[NAME], o=JA["O"], l=JA["L"], st=JA["ST"], c="JP")
    res = once(renewd, [tgt(srv, expect=f"O={JA['O']}, ST={JA['ST']}, "
                                        f"L={JA['L']}, C=JP")])
    assert res.rc == EXIT_OK, res.describe()
    t = res.target(NAME)
    assert t["problems"] == []      # expect matches: no subject-mismatch
    a = res.address(NAME)
    assert {k: a["subject"].get(k, "absent") for k in SUBJECT_KEYS} == {
        "CN": NAME, "OU": None, "C": "JP", **JA}


def test_control_characters_are_neutralised(serve, renewd):
    srv = serve(names=[NAME], o="Evil\x1b[2J\rCorp\x07", l="Line1\nLine2",
                st="Tab\there", c="JP")
    res = once(renewd, [tgt(srv)])
    a = res.address(NAME)
    for k in ("O", "L", "ST"):
        v = a["subject"][k]
        assert isinstance(v, str) and no_control_chars(v), (k, v)
    assert "Evil" in a["subject"]["O"] and "Corp" in a["subject"]["O"]
    assert "Line1" in a["subject"]["L"] and "Line2" in a["subject"]["L"]
    # The human report never carries them either.
    human = renewd.once(renewd.config([tgt(srv)]), json=False)
    assert NAME in human.stdout
    for ch in ("\x1b", "\x07", "\r"):
        assert ch not in human.stdout, repr(human.stdout)


def test_expect_mismatch(serve, renewd):
    subj = dict(o="Example K.K.", st="Tokyo", l="Chiyoda-ku", c="JP")
    srv = serve(names=[NAME], **subj)
    same = serve("127.0.0.3", names=["same.renewd.test"], **subj)
    res = once(renewd, [
        tgt(srv, expect="O=Other K.K., ST=Tokyo, L=Chiyoda-ku, C=JP"),
        tgt(same, "same.renewd.test",
            expect="O=Example K.K., ST=Tokyo, L=Chiyoda-ku, C=JP")])
    assert res.rc != EXIT_OK, res.describe()
    assert_problems(res, res.target(NAME), must={"subject-mismatch"})
    # The same subject against a matching expect.
    assert res.target("same.renewd.test")["problems"] == []


# ---- STARTTLS --------------------------------------------------------------

STARTTLS_COMMAND = {"smtp": "STARTTLS", "imap": "STARTTLS", "pop3": "STLS"}


@pytest.mark.parametrize("proto,banner", [("smtp", 1), ("smtp", 3),
                                          ("imap", 1), ("pop3", 1)])
def test_starttls(serve, renewd, proto, banner):
    name = f"{proto}.renewd.test"
    srv = serve(starttls=proto, names=[name], o="Example K.K.", c="JP",
                banner_lines=banner)
    res = once(renewd, [tgt(srv, name, starttls=proto)])
    assert res.rc == EXIT_OK, res.describe()
    t = res.target(name)
    assert t["problems"] == []
    a = res.address(name)
    assert a["ok"] is True and a["error"] is None
    assert a["subject"]["CN"] == name
    assert hexval(a["sha256"]) == srv.leaf.sha256
    assert a["verify_ok"] is True and a["names_ok"] is True
    assert t["expiry"] == srv.leaf.expiry_jst.isoformat()
    plain = [c for c in srv.commands if not c.startswith("tls: ")]
    assert any(c.upper().split()[-1] == STARTTLS_COMMAND[proto]
               for c in plain), srv.commands
    assert eventually(lambda: srv.handshakes >= 1)
    assert set(srv.sni) == {name}


# ---- several addresses -----------------------------------------------------

def mixed_pair(hier, servers, name):
    a = hier.leaf(names=[name], not_after=100)
    b = hier.leaf(names=[name], not_after=200)
    ca, cb = hier.served(a), hier.served(b)
    sa, sb = servers.same_port([
        ("127.0.0.2", lambda h, p: servers.tls(h, ca, a.key_path, p)),
        ("127.0.0.3", lambda h, p: servers.tls(h, cb, b.key_path, p))])
    return a, b, sa.port


def check_mixed(res, name, a, b, port):
    t = res.target(name)
    assert_problems(res, t, must={"mixed-certificates"})
    got = {x["address"] for x in t["addresses"]}
    assert got == {f"127.0.0.2:{port}", f"127.0.0.3:{port}"}, got
    a2 = res.address(name, f"127.0.0.2:{port}")
    a3 = res.address(name, f"127.0.0.3:{port}")
    assert hexval(a2["sha256"]) == a.sha256
    assert hexval(a3["sha256"]) == b.sha256
    assert a2["ok"] is True and a3["ok"] is True
    # E is the earliest leaf notAfter among the addresses.
    assert t["expiry"] == a.expiry_jst.isoformat()
    assert t["not_after"] == iso_z(a.not_after)


def test_mixed_certificates_by_addresses(hier, servers, renewd):
    name = "lb.renewd.test"
    a, b, port = mixed_pair(hier, servers, name)
    res = once(renewd, [Target(name, port=port,
                               addresses=["127.0.0.2", "127.0.0.3"])])
    assert res.rc != EXIT_OK, res.describe()
    check_mixed(res, name, a, b, port)


def test_mixed_certificates_through_dns(hier, servers, renewd, dnsmasq):
    name = "lb.renewd.test"
    a, b, port = mixed_pair(hier, servers, name)
    dns = dnsmasq({name: ["127.0.0.2", "127.0.0.3"]})
    res = once(renewd, [Target(name, port=port)], nameservers=dns.nameserver)
    assert res.rc != EXIT_OK, res.describe()
    check_mixed(res, name, a, b, port)


def test_hosts_file_before_dns(serve, renewd):
    srv = serve(names=["hosts.renewd.test"])
    renewd.hosts_file.write_text("127.0.0.2\thosts.renewd.test\n")
    res = once(renewd, [Target("hosts.renewd.test", port=srv.port)])
    assert res.rc == EXIT_OK, res.describe()
    assert res.address("hosts.renewd.test")["address"] == \
        f"127.0.0.2:{srv.port}"


def test_name_that_does_not_resolve(renewd, dnsmasq):
    dns = dnsmasq({"other.renewd.test": ["127.0.0.2"]})
    res = once(renewd, [Target("nowhere.renewd.test", port=443)],
               nameservers=dns.nameserver)
    assert res.rc == EXIT_UNKNOWN, res.describe()
    t = res.target("nowhere.renewd.test")
    assert t["problems"], res.describe()
    assert t.get("expiry") is None


def test_ipv6_loopback(serve, renewd, ipv6):
    srv = serve(ipv6, names=["v6.renewd.test"])
    res = once(renewd, [tgt(srv, "v6.renewd.test")])
    assert res.rc == EXIT_OK, res.describe()
    a = res.address("v6.renewd.test")
    assert a["address"] == f"[::1]:{srv.port}"
    assert a["ok"] is True
    assert res.target("v6.renewd.test")["problems"] == []


def test_ipv6_through_dns(serve, renewd, dnsmasq, ipv6):
    srv = serve(ipv6, names=["v6.renewd.test"])
    dns = dnsmasq({"v6.renewd.test": ["::1"]})
    res = once(renewd, [Target("v6.renewd.test", port=srv.port)],
               nameservers=dns.nameserver)
    assert res.rc == EXIT_OK, res.describe()
    assert res.address("v6.renewd.test")["address"] == f"[::1]:{srv.port}"


def test_ip_literal_target_sends_no_sni(hier, servers, renewd):
    leaf = hier.leaf(ips=["127.0.0.2"], names=[])
    srv = servers.tls("127.0.0.2", hier.served(leaf), leaf.key_path)
    res = once(renewd, [Target("127.0.0.2", port=srv.port)])
    assert res.rc == EXIT_OK, res.describe()
    t = res.target("127.0.0.2")
    assert t["problems"] == []
    a = res.address("127.0.0.2")
    assert a["names_ok"] is True
    assert a["address"] == f"127.0.0.2:{srv.port}"
    assert srv.sni and set(srv.sni) == {None}, srv.sni


# ---- servers that misbehave ------------------------------------------------

def test_stalling_servers_cost_one_timeout(serve, servers, renewd):
    stall = servers.silent("127.0.0.2")
    stall_smtp = servers.silent("127.0.0.3")
    good = serve(names=[NAME])
    res = once(renewd, [
        tgt(stall, "stall.renewd.test"),
        tgt(stall_smtp, "mx.renewd.test", starttls="smtp"),
        tgt(good)], timeout="2s")
    assert 1.5 <= res.elapsed < scaled(8), res.describe()
    assert res.rc != EXIT_OK, res.describe()
    for name in ("stall.renewd.test", "mx.renewd.test"):
        t = res.target(name)
        assert t["problems"] and set(t["problems"]) <= FAILED_PROBE, \
            res.describe()
        assert_failed_address(res, res.address(name))
        assert t.get("expiry") is None
    assert res.target(NAME)["problems"] == []
    assert res.address(NAME)["ok"] is True
    assert stall.connections >= 1 and stall_smtp.connections >= 1


def test_garbage_is_handshake_failed(servers, renewd):
    g1 = servers.garbage("127.0.0.2")
    g2 = servers.garbage("127.0.0.3")
    res = once(renewd, [tgt(g1, "junk.renewd.test"),
                        tgt(g2, "junkmx.renewd.test", starttls="smtp")],
               timeout="3s")
    assert res.elapsed < scaled(10), res.describe()
    assert res.rc == EXIT_UNKNOWN, res.describe()
    t = res.target("junk.renewd.test")
    assert_problems(res, t, must={"handshake-failed"})
    assert_failed_address(res, res.address("junk.renewd.test"))
    t2 = res.target("junkmx.renewd.test")
    assert t2["problems"] and set(t2["problems"]) <= FAILED_PROBE
    assert_failed_address(res, res.address("junkmx.renewd.test"))


def test_flooding_server_is_bounded(servers, renewd):
    f1 = servers.flood("127.0.0.2", limit=64 << 20)
    f2 = servers.flood("127.0.0.3", limit=64 << 20)
    res = once(renewd, [tgt(f1, "flood.renewd.test"),
                        tgt(f2, "floodmx.renewd.test", starttls="smtp")],
               timeout="3s")
    assert res.elapsed < scaled(10), res.describe()
    assert res.rc == EXIT_UNKNOWN, res.describe()
    for name in ("flood.renewd.test", "floodmx.renewd.test"):
        t = res.target(name)
        assert t["problems"] and set(t["problems"]) <= FAILED_PROBE, \
            res.describe()
        assert_failed_address(res, res.address(name))


def test_server_that_closes_at_once(servers, renewd):
    srv = servers.closing("127.0.0.2")
    res = once(renewd, [tgt(srv, "close.renewd.test")])
    assert res.rc == EXIT_UNKNOWN, res.describe()
    t = res.target("close.renewd.test")
    assert t["problems"] and set(t["problems"]) <= FAILED_PROBE
    assert_failed_address(res, res.address("close.renewd.test"))


def test_connection_refused_is_unreachable(servers, renewd):
    port = servers.refused_port("127.0.0.2")
    res = once(renewd, [Target("down.renewd.test", port=port,
                               addresses=["127.0.0.2"])])
    assert res.rc == EXIT_UNKNOWN, res.describe()
    t = res.target("down.renewd.test")
    assert_problems(res, t, must={"unreachable"})
    a = res.address("down.renewd.test")
    assert a["address"] == f"127.0.0.2:{port}"
    assert_failed_address(res, a)
    assert t.get("expiry") is None and t.get("days_left") is None


# ---- exit codes, report, no side effects -----------------------------------

def test_reminder_due_is_warning_and_nothing_is_sent(hier, serve, servers,
                                                     renewd):
    # 40 days out on a long-lived leaf: 90, 60 and 45 are all crossed.
    srv = serve(names=[NAME], not_before=-365, not_after=40)
    mx_leaf = hier.leaf(names=["mx.renewd.test"])
    mx = servers.starttls("smtp", "127.0.0.1", hier.served(mx_leaf),
                          mx_leaf.key_path)
    before = renewd.all_files()
    res = once(renewd, [tgt(srv, notify="web@example.jp")],
               mail={"url": f"smtp://127.0.0.1:{mx.port}"})
    assert res.rc == EXIT_WARNING, res.describe()
    t = res.target(NAME)
    assert t["problems"] == []
    expiry = srv.leaf.expiry_jst
    assert t["days_left"] in days_left_options(res, expiry)
    assert t["reminders_sent"] == []
    nn = t["next_notification"]
    assert nn["kind"] == "reminder" and nn["threshold"] == 45, nn
    assert INSTANT_JST_RE.fullmatch(nn["due"]), nn
    # --once sends no mail and changes no state.
    assert mx.connections == 0
    assert renewd.all_files() == before


def test_contract_end_and_product(serve, renewd):
    srv = serve(names=[NAME], not_after=200)
    end = today_jst() + dt.timedelta(days=150)
    res = once(renewd, [tgt(srv, product="ev", contract_end=end)])
    assert res.rc == EXIT_OK, res.describe()
    t = res.target(NAME)
    assert t["product"] == "ev"
    assert t["expiry"] == end.isoformat()
    assert t["expiry_source"] != "certificate"
    assert t["days_left"] in days_left_options(res, end)
    assert t["not_after"] == iso_z(srv.leaf.not_after)
    assert t["problems"] == []


def test_exit_code_is_the_worst_target(serve, renewd):
    ok = serve(names=["ok.renewd.test"], not_after=300)
    warn = serve(names=["warn.renewd.test"], not_before=-365, not_after=40)
    res = once(renewd, [tgt(ok, "ok.renewd.test"),
                        tgt(warn, "warn.renewd.test")])
    assert res.rc == EXIT_WARNING, res.describe()
    dead = serve(names=["dead.renewd.test"], not_before=-400, not_after=-1)
    res = once(renewd, [tgt(ok, "ok.renewd.test"),
                        tgt(warn, "warn.renewd.test"),
                        tgt(dead, "dead.renewd.test")])
    assert res.rc == EXIT_CRITICAL, res.describe()
    assert len(res.targets()) == 3


def test_human_report_names_every_target(serve, servers, renewd):
    good = serve(names=["good.renewd.test"], not_after=300)
    old = serve(names=["old.renewd.test"], not_before=-400, not_after=-2)
    port = servers.refused_port("127.0.0.2")
    cfg = renewd.config([tgt(good, "good.renewd.test"),
                         tgt(old, "old.renewd.test"),
                         Target("down.renewd.test", port=port,
                                addresses=["127.0.0.2"])])
    res = renewd.once(cfg, json=False)
    assert res.rc == EXIT_CRITICAL, res.describe()
    for name in ("good.renewd.test", "old.renewd.test", "down.renewd.test"):
        assert name in res.stdout, res.describe()
    assert res.stdout.strip()[:1] != "{", "without --json the report is text"
    assert "\x1b[" not in res.stdout, "no colour when not on a terminal"
