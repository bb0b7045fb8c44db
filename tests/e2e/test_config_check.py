"""`renewd -t -c FILE`: 0 for a good config, 1 with "FILE:LINE: message"
for a bad one (PRODUCT.md: "Bad config is a clear error with file and line,
never a crash and never a silent default")."""

from __future__ import annotations

import re

import pytest

from helpers.renewd import Target, line_of

GOOD_TARGETS = [
    Target("www.renewd.test", port=443, addresses=["127.0.0.2", "::1"],
           names=["www.renewd.test", "renewd.test"], starttls="none",
           product="ssl", contract_end="2027-03-31",
           expect="O=Example K.K., ST=Tokyo, L=Chiyoda-ku, C=JP",
           notify="web-team@example.jp"),
    Target("mail.renewd.test", port=25, starttls="smtp", product="ev"),
    Target("imap.renewd.test", port=143, starttls="imap"),
    Target("pop.renewd.test", port=110, starttls="pop3"),
    Target("127.0.0.2", port=8443),
]

# The example of PRODUCT.md's "Configuration", inline comments and all;
# only the paths are the test's own.
CONTRACT_EXAMPLE = """\
[renewd]
state_dir = {state_dir}
socket = {socket}
socket_group = root            ; may read status
admin_group = root             ; may also mark / probe / reload
poll_interval = 6h             ; per target, with jitter
concurrency = 64               ; probes in flight at once
timeout = 10s                  ; connect + STARTTLS + handshake, per address
ca_file = {ca_file}
nameservers =                  ; e.g. 127.0.0.1:5353; default: /etc/resolv.conf
hosts_file = {hosts_file}      ; consulted before DNS
thresholds = 90,60,45,30,15    ; days before the deadline
remind_at = 09:00              ; Japan time: reminders are mailed in office hours
lang = en                      ; en | ja, for mail and renewctl text
metrics_listen =               ; e.g. 127.0.0.1:9793 serves Prometheus /metrics

[ca]
maintenance = 4th-wed 20:00-08:00   ; Japan time; the CA refuses applications then
review_days_ssl = 5            ; worst-case business days from application to issue
review_days_ev = 10
install_days = 1               ; business days kept for download + install
closed = 12-29..01-03          ; besides weekends and Japanese public holidays

[mail]
url = smtp://127.0.0.1:25      ; smtp:// with STARTTLS when offered, or smtps://
require_tls = no
from = renewd@example.jp
to = ssl-admins@example.jp     ; default recipients: group addresses
; username =, password_file =

[target www.example.jp]
port = 443
addresses =                    ; optional IPs to probe instead of DNS (each backend of a
                               ; load balancer); SNI and name checks still use the names
names = www.example.jp, example.jp  ; every name must be covered by the certificate
starttls = none                ; none | smtp | imap | pop3
product = ssl                  ; ssl | ev
contract_end =                 ; optional YYYY-MM-DD, when the contract ends before/after the leaf
expect = O=Example K.K., ST=Tokyo, L=Chiyoda-ku, C=JP   ; optional step-1 check
notify = web-team@example.jp   ; adds to [mail] to
"""


def assert_error_at(res, path, line):
    assert res.rc == 1, res.describe()
    pat = rf"(^|\n){re.escape(str(path))}:{line}: \S"
    assert re.search(pat, res.stderr), \
        f"expected \"{path}:{line}: message\" on stderr\n{res.describe()}"


def test_good_config(renewd):
    cfg = renewd.config(GOOD_TARGETS, timeout="2s",
                        nameservers="127.0.0.1:5353",
                        poll_interval="6h", concurrency=8,
                        remind_at="09:00", lang="ja")
    res = renewd.check(cfg)
    assert res.rc == 0, res.describe()
    assert str(cfg) + ":" not in res.stderr


def test_the_contract_example_checks(renewd):
    cfg = renewd.write(CONTRACT_EXAMPLE.format(
        state_dir=renewd.state_dir, socket=renewd.socket,
        ca_file=renewd.ca_file, hosts_file=renewd.hosts_file))
    res = renewd.check(cfg)
    assert res.rc == 0, res.describe()


# (what, section the bad line goes into, the bad line)
BAD = [
    ("unknown key", "renewd", "colour = blue"),
    ("bad duration", "renewd", "poll_interval = soon"),
    ("bad timeout", "renewd", "timeout = -3s"),
    ("bad threshold", "renewd", "thresholds = 90, abc, 30"),
    ("bad time of day", "renewd", "remind_at = 25:61"),
    ("bad lang", "renewd", "lang = klingon"),
    ("bad nameserver", "renewd", "nameservers = 127.0.0.1:notaport"),
    ("bad maintenance", "ca", "maintenance = sometimes"),
    ("bad port", "target", "port = 99999"),
    ("port not a number", "target", "port = https"),
    ("bad starttls", "target", "starttls = ftp"),
    ("bad product", "target", "product = gold"),
    ("bad contract_end", "target", "contract_end = 2027-13-45"),
    ("bad address", "target", "addresses = 127.0.0.2, not-an-address"),
    ("unknown target key", "target", "prot = 443"),
    ("not key = value", "target", "this line is not ini"),
]


def config_with(renewd, section, bad):
    """A good config with `bad` as the last line of `section`; returns the
    path and the bad line's number."""
    text = renewd.config_text(
        [Target("www.renewd.test", port=443, addresses=["127.0.0.2"])],
        ca={"review_days_ssl": 5})
    lines = text.splitlines()
    head = {"renewd": "[renewd]", "ca": "[ca]",
            "target": "[target www.renewd.test]"}[section]
    i = lines.index(head) + 1
    while i < len(lines) and lines[i].strip() and \
            not lines[i].startswith("["):
        i += 1
    lines.insert(i, bad)
    text = "\n".join(lines) + "\n"
    return renewd.write(text), line_of(text, bad)


@pytest.mark.parametrize("what,section,bad", BAD, ids=[b[0] for b in BAD])
def test_bad_config_is_file_and_line(renewd, what, section, bad):
    path, line = config_with(renewd, section, bad)
    assert_error_at(renewd.check(path), path, line)


def test_unknown_section(renewd):
    text = renewd.config_text([Target("www.renewd.test", port=443)]) + \
        "\n[bogus]\nkey = value\n"
    path = renewd.write(text)
    assert_error_at(renewd.check(path), path, line_of(text, "[bogus]"))


def test_every_error_is_reported(renewd):
    text = renewd.config_text([
        Target("a.renewd.test", port=443, starttls="ftp"),
        Target("b.renewd.test", port=70000)])
    path = renewd.write(text)
    res = renewd.check(path)
    assert_error_at(res, path, line_of(text, "starttls = ftp"))
    assert_error_at(res, path, line_of(text, "port = 70000"))


def test_missing_config_file(renewd, tmp_path):
    path = tmp_path / "no-such.conf"
    res = renewd.check(path)
    assert res.rc == 1, res.describe()
    assert str(path) in res.stderr


def test_once_refuses_a_bad_config(renewd):
    path, line = config_with(renewd, "target", "starttls = ftp")
    res = renewd.once(path)
    assert res.rc == 3, res.describe()      # UNKNOWN for a monitoring system
    assert f"{path}:{line}:" in res.stderr, res.describe()
