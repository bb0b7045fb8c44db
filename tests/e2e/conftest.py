"""Fixtures shared by every end-to-end test (see helpers/ for the machinery).

Session-wide (made once, cheap to use):
  keys      helpers.pki.KeyPool: private keys reused by (kind, slot)
  pki       helpers.pki.PKI writing into a session tmp dir
  hier      helpers.pki.Hierarchy: root_a, root_b, inter (under root_b),
            cross_b (root_b cross-signed by root_a), ca_file (root_a+root_b)

Per test:
  servers   helpers.servers.ServerPool, every server stopped at teardown
  serve     serve(host="127.0.0.2", port=0, extra=None, tls_max=None,
            starttls=None, banner_lines=1, leaf=None, **leaf kwargs) -> a running server with .leaf
            and .chain_path; extra=None serves leaf + hier.inter, extra=()
            the leaf alone, or the certificates given
  renewd    helpers.renewd.Renewd in this test's tmp dir, trusting
            hier.ca_file; its runs fail with "renewd not built: run make"
            when the binary is missing; services it started (.daemon())
            are killed at teardown
  dnsmasq   dnsmasq({"name": ["127.0.0.2", ...]}) -> a running
            helpers.dns.Dnsmasq (.nameserver = "127.0.0.1:PORT")
  ipv6      skips the test when ::1 cannot be used
  renewctl_bin  the renewctl binary's path (fails clearly when missing)

Every test, under RENEWD_VALGRIND=1 (make valgrind): the programs it starts
write their valgrind reports to its tmp dir (valgrind/), and the test fails
at teardown when one shows a memory error or a definite or indirect leak
(helpers.renewd.wrap, valgrind_problems).
"""

from __future__ import annotations

import pytest

from helpers import renewd as rdmod
from helpers.dns import Dnsmasq, dnsmasq_available
from helpers.pki import PKI, KeyPool, make_hierarchy
from helpers.renewd import Renewd, require_binary
from helpers.servers import ServerPool, ipv6_loopback_available


# First of a test's fixtures (autouse), so torn down last: after `renewd`
# has killed the services a test left running.
@pytest.fixture(autouse=True)
def valgrind_reports(tmp_path):
    if not rdmod.VALGRIND:
        yield
        return
    d = tmp_path / "valgrind"
    rdmod.set_valgrind_dir(d)
    try:
        yield
    finally:
        rdmod.set_valgrind_dir(None)
    problems = rdmod.valgrind_problems(d)
    if problems:
        pytest.fail("valgrind found memory errors or leaks:\n" +
                    "\n".join(problems), pytrace=False)


@pytest.fixture(scope="session")
def keys():
    return KeyPool()


@pytest.fixture(scope="session")
def pki(tmp_path_factory, keys):
    return PKI(tmp_path_factory.mktemp("pki"), keys)


@pytest.fixture(scope="session")
def hier(pki):
    return make_hierarchy(pki)


@pytest.fixture
def servers():
    pool = ServerPool()
    yield pool
    pool.close()


@pytest.fixture
def serve(hier, servers):
    def _serve(host="127.0.0.2", *, port=0, extra=None, tls_max=None,
               starttls=None, banner_lines=1, leaf=None, **leaf_kw):
        if leaf is None:
            leaf = hier.leaf(**leaf_kw)
        chain = hier.pki.chain_file(
            leaf, *((hier.inter,) if extra is None else extra))
        if starttls:
            srv = servers.starttls(starttls, host, chain, leaf.key_path,
                                   port, tls_max=tls_max,
                                   banner_lines=banner_lines)
        else:
            srv = servers.tls(host, chain, leaf.key_path, port,
                              tls_max=tls_max)
        srv.leaf = leaf
        return srv
    return _serve


@pytest.fixture
def renewd(tmp_path, hier):
    rd = Renewd(tmp_path / "renewd", hier.ca_file)
    yield rd
    rd.close()


@pytest.fixture
def renewctl_bin():
    return require_binary("renewctl")


@pytest.fixture
def dnsmasq(tmp_path):
    started = []

    def _start(records, **kw):
        if not dnsmasq_available():
            pytest.fail("dnsmasq not installed (dnsmasq-base; see "
                        "scripts/install-deps)", pytrace=False)
        d = Dnsmasq(tmp_path / f"dns{len(started)}", records, **kw)
        started.append(d)
        return d.start()
    yield _start
    for d in started:
        d.stop()


@pytest.fixture
def ipv6():
    if not ipv6_loopback_available():
        pytest.skip("::1 is not available here")
    return "::1"
