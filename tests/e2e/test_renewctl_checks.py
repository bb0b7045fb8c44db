"""renewctl's offline file checks, driven through the real binary:
`check-csr` (step 2: the CSR made in the hosting console) and `check-bundle`
(step 5: certificate, intermediate and key before installing them), with
files made by helpers.pki, in both output formats, with their exit codes
(0 ok, 1 warnings only, 2 an error, 3 a file that cannot be read)."""

import os
import pty
import re
import subprocess

import pytest

from helpers.renewd import (EXIT_CRITICAL, EXIT_OK, EXIT_UNKNOWN,
                            EXIT_WARNING, program_env, run, scaled, wrap)

HOST = "www.renewd.test"
GOOD = dict(cn=HOST, o="株式会社レニューテスト", l="千代田区", st="東京都",
            c="JP")
ESC = "\033["


def ctl(renewctl_bin, *args, stdin=None, env=None):
    return run([renewctl_bin, *args], stdin=stdin, env=env, timeout=30)


def codes(data):
    return [f["code"] for f in data["findings"]]


def finding(data, code):
    found = [f for f in data["findings"] if f["code"] == code]
    assert found, f"no {code} in {codes(data)}"
    return found[0]


# --- check-csr ----------------------------------------------------------------

def test_csr_good_human(renewctl_bin, pki):
    csr = pki.csr(**GOOD, names=[HOST, "renewd.test"])
    r = ctl(renewctl_bin, "check-csr", csr, "--name", "WWW.renewd.test")
    assert r.rc == EXIT_OK, r.describe()
    out = r.stdout
    assert out.startswith(f"CSR {csr}\n")
    assert re.search(r"^  O +株式会社レニューテスト$", out, re.M)
    assert re.search(r"^  ST +東京都$", out, re.M)
    assert re.search(r"^  L +千代田区$", out, re.M)
    assert re.search(r"^  OU +-$", out, re.M)
    assert re.search(r"^  Key +RSA-2048$", out, re.M)
    assert re.search(r"^  SAN +www.renewd.test, renewd.test$", out, re.M)
    assert re.search(r"^  OK +signature-ok: ", out, re.M)
    assert re.search(r"^  OK +ou-empty: ", out, re.M)
    assert "ERROR" not in out and "WARN" not in out
    assert "No problems found" in out
    assert ESC not in out           # not a terminal: no colour
    assert r.stderr == ""


def test_csr_good_json(renewctl_bin, pki):
    csr = pki.csr(**GOOD)
    r = ctl(renewctl_bin, "check-csr", "--json", csr, "--name", HOST)
    assert r.rc == EXIT_OK, r.describe()
    d = r.data
    assert d["file"] == str(csr)
    assert d["name"] == HOST
    assert d["ok"] is True
    assert d["subject"] == {"cn": HOST, "ou": None,
                            "o": "株式会社レニューテスト", "l": "千代田区",
                            "st": "東京都", "c": "JP"}
    assert d["key"] == "RSA-2048"
    assert d["san"] == []
    assert "O=株式会社レニューテスト" in d["subject_line"]
    for f in d["findings"]:
        assert set(f) <= {"severity", "code", "field", "message"}
        assert f["severity"] == "ok"
        assert f["message"]
    assert {"signature-ok", "key-ok", "cn-ok", "ou-empty",
            "country-ok"} <= set(codes(d))
    assert len(r.stdout.splitlines()) == 1


def test_csr_der_and_stdin(renewctl_bin, pki):
    der = pki.csr(**GOOD, der=True)
    r = ctl(renewctl_bin, "check-csr", der, "--json")
    assert r.rc == EXIT_OK, r.describe()
    pem = pki.csr(**GOOD)
    r = ctl(renewctl_bin, "check-csr", "-", "--json",
            stdin=b"pasted from the console:\n" + pem.read_bytes())
    assert r.rc == EXIT_OK, r.describe()
    assert r.data["file"] == "-"
    assert r.data["subject"]["o"] == "株式会社レニューテスト"


@pytest.mark.parametrize("what,kw,name,rc,code,field", [
    ("1024-bit key", dict(GOOD, key="rsa1024"), None, EXIT_CRITICAL,
     "weak-key", None),
    ("EC key", dict(GOOD, key="ec256"), None, EXIT_WARNING, "ec-key", None),
    ("OU present", dict(GOOD, ou="Sales"), None, EXIT_CRITICAL,
     "ou-present", "ou"),
    ("C=US", dict(GOOD, c="US"), None, EXIT_WARNING, "country-not-jp", "c"),
    ("C missing", dict(GOOD, c=None), None, EXIT_CRITICAL, "missing-field",
     "c"),
    ("CN missing", dict(GOOD, cn=None), HOST, EXIT_CRITICAL,
     "missing-field", "cn"),
    ("CN is not --name", GOOD, "mail.renewd.test", EXIT_CRITICAL,
     "cn-mismatch", "cn"),
    ("O missing", dict(GOOD, o=None), None, EXIT_CRITICAL, "missing-field",
     "o"),
    ("ST missing", dict(GOOD, st=None), None, EXIT_CRITICAL, "missing-field",
     "st"),
    ("L missing", dict(GOOD, l=None), None, EXIT_CRITICAL, "missing-field",
     "l"),
    ("control characters in O", dict(GOOD, o="Evil\x1b[2J\r\nK.K."), None,
     EXIT_CRITICAL, "bad-encoding", "o"),
])
def test_csr_findings(renewctl_bin, pki, what, kw, name, rc, code, field):
    csr = pki.csr(**kw)
    args = ["check-csr", csr] + (["--name", name] if name else [])
    r = ctl(renewctl_bin, *args, "--json")
    assert r.rc == rc, f"{what}\n{r.describe()}"
    f = [f for f in r.data["findings"] if f["code"] == code]
    assert f, f"{what}: no {code}\n{r.describe()}"
    assert f[0].get("field") == field
    assert f[0]["severity"] == ("error" if rc == EXIT_CRITICAL else
                                "warning")
    assert r.data["ok"] is (rc != EXIT_CRITICAL)

    h = ctl(renewctl_bin, *args)
    assert h.rc == rc
    mark = "ERROR" if rc == EXIT_CRITICAL else "WARN"
    assert re.search(rf"^  {mark} +{code}: ", h.stdout, re.M), h.describe()
    # Text from the file never reaches the terminal raw.
    assert "\x1b" not in h.stdout and "\r" not in h.stdout


def test_csr_messages_say_what_to_do(renewctl_bin, pki):
    csr = pki.csr(**dict(GOOD, ou="Sales", key="rsa1024"))
    d = ctl(renewctl_bin, "check-csr", csr, "--name", "mail.renewd.test",
            "--json").data
    assert "Make a new CSR with OU left empty".lower() in \
        finding(d, "ou-present")["message"].lower()
    assert "2022-06-23" in finding(d, "ou-present")["message"]
    assert "RSA 2048-bit key" in finding(d, "weak-key")["message"]
    assert "CN = mail.renewd.test" in finding(d, "cn-mismatch")["message"]


def test_csr_bad_signature(renewctl_bin, pki, tmp_path):
    der = bytearray(pki.csr(**GOOD, der=True).read_bytes())
    der[-1] ^= 0x01                 # a byte of the signature
    bad = tmp_path / "tampered.der"
    bad.write_bytes(bytes(der))
    r = ctl(renewctl_bin, "check-csr", bad, "--json")
    assert r.rc == EXIT_CRITICAL, r.describe()
    assert "bad-signature" in codes(r.data)
    assert "signature-ok" not in codes(r.data)


@pytest.mark.parametrize("content,why", [
    (b"", "empty"),
    (b"hello\n", "not a CSR"),
    (b"-----BEGIN CERTIFICATE REQUEST-----\n!!! not base64 !!!\n"
     b"-----END CERTIFICATE REQUEST-----\n", "damaged"),
])
def test_csr_unreadable(renewctl_bin, tmp_path, content, why):
    p = tmp_path / "x.csr"
    p.write_bytes(content)
    r = ctl(renewctl_bin, "check-csr", p)
    assert r.rc == EXIT_UNKNOWN, r.describe()
    assert r.stdout == ""
    assert r.stderr.startswith("renewctl: check-csr: ")
    assert why in r.stderr
    r = ctl(renewctl_bin, "check-csr", p, "--json")
    assert r.rc == EXIT_UNKNOWN
    assert r.data["ok"] is False
    assert r.data["subject"] is None
    assert codes(r.data) == ["unreadable"]
    assert why in r.data["error"]


def test_csr_given_a_certificate_or_nothing(renewctl_bin, hier, tmp_path):
    leaf = hier.leaf(names=[HOST])
    r = ctl(renewctl_bin, "check-csr", leaf.cert_path)
    assert r.rc == EXIT_UNKNOWN
    assert "a certificate, not a CSR" in r.stderr
    r = ctl(renewctl_bin, "check-csr", tmp_path / "missing.csr")
    assert r.rc == EXIT_UNKNOWN
    assert "No such file" in r.stderr
    r = ctl(renewctl_bin, "check-csr")
    assert r.rc == EXIT_UNKNOWN
    assert "usage: renewctl check-csr" in r.stderr
    r = ctl(renewctl_bin, "check-csr", "a.csr", "b.csr")
    assert r.rc == EXIT_UNKNOWN
    assert "unexpected argument" in r.stderr


def test_colour_only_on_a_terminal(renewctl_bin, pki):
    csr = pki.csr(**dict(GOOD, ou="Sales"))

    def on_pty(extra):
        env = program_env(extra=extra)
        env.pop("NO_COLOR", None)
        env.update(extra)
        master, slave = pty.openpty()
        try:
            p = subprocess.Popen(wrap([renewctl_bin, "check-csr", csr]),
                                 stdout=slave, stderr=subprocess.DEVNULL,
                                 stdin=subprocess.DEVNULL, env=env)
            os.close(slave)
            slave = -1
            chunks = []
            while True:
                try:
                    b = os.read(master, 65536)
                except OSError:
                    break
                if not b:
                    break
                chunks.append(b)
            assert p.wait(timeout=scaled(30)) == EXIT_CRITICAL
        finally:
            if slave != -1:
                os.close(slave)
            os.close(master)
        return b"".join(chunks).decode("utf-8")

    coloured = on_pty({"TERM": "xterm"})
    assert ESC + "31m" in coloured      # red ERROR
    assert ESC + "32m" in coloured      # green OK
    assert ESC not in on_pty({"TERM": "xterm", "NO_COLOR": "1"})
    assert ESC not in on_pty({"TERM": "dumb"})


# --- check-bundle --------------------------------------------------------------

@pytest.fixture(scope="module")
def other_ca(pki):
    """An intermediate of another CA, unrelated to the test hierarchy."""
    root = pki.root("Other Test Root", slot="other-root")
    return pki.intermediate("Other Test CA", root, slot="other-ca")


def bundle(renewctl_bin, hier, leaf, chain, *, key=True, name=HOST,
           ca_file=True, json=True, extra=()):
    args = ["check-bundle", "--cert", leaf.cert_path, "--chain", chain]
    if key is True:
        args += ["--key", leaf.key_path]
    elif key:
        args += ["--key", key]
    if ca_file is True:
        args += ["--ca-file", hier.ca_file]
    elif ca_file:
        args += ["--ca-file", ca_file]
    if name:
        args += ["--name", name]
    if json:
        args.append("--json")
    return ctl(renewctl_bin, *args, *extra)


def test_bundle_good(renewctl_bin, hier, pki):
    leaf = hier.leaf(names=[HOST, "renewd.test"], **{k: GOOD[k] for k in
                                                     ("o", "l", "st", "c")})
    chain = pki.bundle("chain", [hier.inter])
    r = bundle(renewctl_bin, hier, leaf, chain)
    assert r.rc == EXIT_OK, r.describe()
    d = r.data
    assert d["ok"] is True
    assert d["file"] == str(leaf.cert_path)
    assert d["chain"] == str(chain)
    assert d["key_file"] == str(leaf.key_path)
    assert d["ca_file"] == str(hier.ca_file)
    assert d["subject"]["cn"] == HOST
    assert d["subject"]["o"] == "株式会社レニューテスト"
    assert d["san"] == [HOST, "renewd.test"]
    assert d["key"] == "RSA-2048"
    assert "renewd Test SureServer CA" in d["issuer"]
    assert d["not_after"].startswith(leaf.expiry_jst.isoformat())
    assert d["not_after"].endswith("+09:00")
    assert {"key-match", "intermediate-ok", "chain-3tier", "trusted",
            "validity-ok", "name-ok", "key-ok"} <= set(codes(d))
    assert all(f["severity"] == "ok" for f in d["findings"])

    h = bundle(renewctl_bin, hier, leaf, chain, json=False)
    assert h.rc == EXIT_OK
    assert h.stdout.startswith(f"Bundle: certificate {leaf.cert_path}, "
                               f"chain {chain}, key {leaf.key_path}\n")
    assert re.search(r"^  Issuer +CN=renewd Test SureServer CA", h.stdout,
                     re.M)
    assert re.search(r"^  Valid +\d{4}-\d\d-\d\d \d\d:\d\d JST to "
                     r"\d{4}-\d\d-\d\d \d\d:\d\d JST, \d+ days left$",
                     h.stdout, re.M), h.stdout
    assert re.search(r"^  OK +key-match: ", h.stdout, re.M)
    assert "the bundle is ready to install" in h.stdout


def test_bundle_key_from_another_server(renewctl_bin, hier, pki):
    leaf = hier.leaf(names=[HOST])
    other = hier.leaf(names=[HOST], slot="another-server")
    chain = pki.bundle("chain", [hier.inter])
    r = bundle(renewctl_bin, hier, leaf, chain, key=other.key_path)
    assert r.rc == EXIT_CRITICAL, r.describe()
    f = finding(r.data, "key-mismatch")
    assert f["severity"] == "error"
    assert "a different server is active than the one that made the CSR" \
        in f["message"]
    assert "chain-3tier" in codes(r.data)       # the rest still checked
    h = bundle(renewctl_bin, hier, leaf, chain, key=other.key_path,
               json=False)
    assert re.search(r"^  ERROR +key-mismatch: ", h.stdout, re.M)
    assert re.search(r"^1 error, 0 warnings: fix it before installing",
                     h.stdout, re.M), h.stdout


@pytest.mark.parametrize("what", ["empty", "unrelated"])
def test_bundle_missing_intermediate(renewctl_bin, hier, pki, other_ca,
                                     what):
    leaf = hier.leaf(names=[HOST])
    chain = pki.bundle("chain", [] if what == "empty" else [other_ca])
    r = bundle(renewctl_bin, hier, leaf, chain)
    assert r.rc == EXIT_CRITICAL, r.describe()
    assert "missing-intermediate" in codes(r.data)
    assert "untrusted" in codes(r.data)
    assert "chain-3tier" not in codes(r.data)


def test_bundle_cross_root(renewctl_bin, hier, pki):
    leaf = hier.leaf(names=[HOST])
    chain = pki.bundle("chain", [hier.inter, hier.cross_b])
    r = bundle(renewctl_bin, hier, leaf, chain)
    assert r.rc == EXIT_CRITICAL, r.describe()
    f = finding(r.data, "cross-root")
    assert "remove the cross-root certificate: install only the " \
        "SureServer CA intermediate" in f["message"]
    assert "renewd Test Root B" in f["message"]
    assert "intermediate-ok" in codes(r.data)
    assert "trusted" in codes(r.data)       # it verifies, but not 3-tier
    assert "chain-3tier" not in codes(r.data)


def test_bundle_root_sent_along_is_a_warning(renewctl_bin, hier, pki):
    leaf = hier.leaf(names=[HOST])
    chain = pki.bundle("chain", [hier.inter, hier.root_b])
    r = bundle(renewctl_bin, hier, leaf, chain)
    assert r.rc == EXIT_WARNING, r.describe()
    assert "root-in-chain" in codes(r.data)
    assert r.data["ok"] is True


def test_bundle_expired_leaf(renewctl_bin, hier, pki):
    leaf = hier.leaf(names=[HOST], not_before=-400, not_after=-1)
    chain = pki.bundle("chain", [hier.inter])
    r = bundle(renewctl_bin, hier, leaf, chain)
    assert r.rc == EXIT_CRITICAL, r.describe()
    assert "expired" in codes(r.data)
    assert r.data["days_left"] < 0
    assert "validity-ok" not in codes(r.data)


def test_bundle_ends_soon_is_a_warning(renewctl_bin, hier, pki):
    leaf = hier.leaf(names=[HOST], not_after=10)
    chain = pki.bundle("chain", [hier.inter])
    r = bundle(renewctl_bin, hier, leaf, chain)
    assert r.rc == EXIT_WARNING, r.describe()
    assert "expires-soon" in codes(r.data)
    assert r.data["days_left"] in (9, 10, 11)


def test_bundle_weak_leaf(renewctl_bin, hier, pki):
    leaf = hier.leaf(names=[HOST], key="rsa1024")
    chain = pki.bundle("chain", [hier.inter])
    r = bundle(renewctl_bin, hier, leaf, chain)
    assert r.rc == EXIT_CRITICAL, r.describe()
    assert finding(r.data, "weak-key")["severity"] == "error"
    assert r.data["key"] == "RSA-1024"
    assert "key-match" in codes(r.data)


def test_bundle_name_not_covered(renewctl_bin, hier, pki):
    leaf = hier.leaf(names=[HOST])
    chain = pki.bundle("chain", [hier.inter])
    r = bundle(renewctl_bin, hier, leaf, chain, name="mail.renewd.test")
    assert r.rc == EXIT_CRITICAL, r.describe()
    assert "name-mismatch" in codes(r.data)


def test_bundle_untrusted_root(renewctl_bin, hier, pki, other_ca):
    leaf = hier.leaf(names=[HOST])
    chain = pki.bundle("chain", [hier.inter])
    anchors = pki.bundle("other-anchors", [other_ca.issuer])
    r = bundle(renewctl_bin, hier, leaf, chain, ca_file=anchors)
    assert r.rc == EXIT_CRITICAL, r.describe()
    assert "untrusted" in codes(r.data)
    assert "chain-3tier" in codes(r.data)


def test_bundle_default_ca_file(renewctl_bin, hier, pki):
    """Without --ca-file the system bundle is used; the test roots are not
    in it (or it is missing, and verification is skipped with a warning)."""
    leaf = hier.leaf(names=[HOST])
    chain = pki.bundle("chain", [hier.inter])
    r = bundle(renewctl_bin, hier, leaf, chain, ca_file=None)
    if os.path.exists("/etc/ssl/certs/ca-certificates.crt"):
        assert r.rc == EXIT_CRITICAL, r.describe()
        assert "untrusted" in codes(r.data)
        assert r.data["ca_file"] == "/etc/ssl/certs/ca-certificates.crt"
    else:
        assert r.rc == EXIT_WARNING, r.describe()
        assert "trust-not-checked" in codes(r.data)
        assert r.data["ca_file"] is None


def test_bundle_unreadable(renewctl_bin, hier, pki, tmp_path):
    leaf = hier.leaf(names=[HOST])
    chain = pki.bundle("chain", [hier.inter])
    csr = pki.csr(**GOOD)

    # A CSR where the certificate should be.
    r = ctl(renewctl_bin, "check-bundle", "--cert", csr, "--chain", chain,
            "--ca-file", hier.ca_file)
    assert r.rc == EXIT_UNKNOWN, r.describe()
    assert "--cert: this is a CSR" in r.stderr
    # A missing --ca-file that was asked for.
    r = ctl(renewctl_bin, "check-bundle", "--cert", leaf.cert_path,
            "--chain", chain, "--ca-file", tmp_path / "nope.pem", "--json")
    assert r.rc == EXIT_UNKNOWN, r.describe()
    assert r.data["ok"] is False and codes(r.data) == ["unreadable"]
    # The certificate given as the key.
    r = ctl(renewctl_bin, "check-bundle", "--cert", leaf.cert_path,
            "--chain", chain, "--key", leaf.cert_path, "--ca-file",
            hier.ca_file)
    assert r.rc == EXIT_UNKNOWN, r.describe()
    assert "--key: " in r.stderr
    # A damaged chain file.
    bad = tmp_path / "bad-chain.pem"
    bad.write_text("-----BEGIN CERTIFICATE-----\n@@@@\n"
                   "-----END CERTIFICATE-----\n")
    r = ctl(renewctl_bin, "check-bundle", "--cert", leaf.cert_path,
            "--chain", bad, "--ca-file", hier.ca_file)
    assert r.rc == EXIT_UNKNOWN, r.describe()
    assert "--chain: certificate 1 is damaged" in r.stderr


@pytest.mark.parametrize("args,why", [
    (["--chain", "x"], "--cert is required"),
    (["--cert", "x"], "--chain is required"),
    (["--cert", "x", "--chain", "y", "z"], "unexpected argument"),
    (["--cert", "x", "--chain", "y", "--name", ""], "empty name"),
    (["--bogus"], "unknown option"),
])
def test_bundle_usage(renewctl_bin, args, why):
    r = ctl(renewctl_bin, "check-bundle", *args)
    assert r.rc == EXIT_UNKNOWN, r.describe()
    assert why in r.stderr
    assert "usage: renewctl check-bundle --cert F --chain F" in r.stderr


def test_help(renewctl_bin):
    h = ctl(renewctl_bin, "help", "check-bundle").stdout
    assert h.startswith("usage: renewctl check-bundle --cert F --chain F")
    for opt in ("--cert", "--chain", "--key", "--ca-file", "--name",
                "--json"):
        assert opt in h
    assert ctl(renewctl_bin, "check-bundle", "--help").stdout == h
    c = ctl(renewctl_bin, "check-csr", "-h").stdout
    assert c.startswith("usage: renewctl check-csr FILE [--name HOST]")
