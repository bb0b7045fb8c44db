"""Socket activation (systemd/renewd.socket): a control socket passed by the
service manager is used as it is, and left for the manager to remove.
systemd-socket-activate (Debian's systemd package) plays the manager."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import time

import pytest

from helpers.renewd import (Target, program_env, require_binary, run,
                            scaled, wrap)

ACTIVATE = shutil.which("systemd-socket-activate")
NAME = "www.renewd.test"

pytestmark = pytest.mark.skipif(ACTIVATE is None,
                                reason="systemd-socket-activate is missing")


def test_passed_socket_is_used_and_kept(renewd, serve):
    srv = serve()
    sock = renewd.dir / "activated.sock"
    # The configuration names another path: the passed socket wins.
    cfg = renewd.write(renewd.config_text(
        [Target(NAME, port=srv.port, addresses=[srv.host])]),
        name="renewd.conf")
    log = open(renewd.dir / "activate.log", "w")
    mgr = subprocess.Popen([ACTIVATE, "-l", str(sock),
                            *wrap([require_binary("renewd"), "-c", cfg])],
                           stdout=log, stderr=subprocess.STDOUT,
                           env=program_env(), start_new_session=True)
    try:
        deadline = time.monotonic() + 10
        while not sock.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        assert sock.exists(), "systemd-socket-activate did not listen"
        # The first connection starts renewd, which answers on it.
        r = run([require_binary("renewctl"), "-s", str(sock), "--json",
                 "status"], timeout=30, env=program_env())
        assert r.rc in (0, 1, 3), r.describe()
        assert [t["target"] for t in r.data["targets"]] == [NAME]
        assert not os.path.exists(renewd.socket), \
            "renewd bound its own socket as well"
    finally:
        os.killpg(mgr.pid, signal.SIGTERM)
        mgr.wait(timeout=scaled(20))
        log.close()
    text = (renewd.dir / "activate.log").read_text()
    assert "control socket passed by systemd" in text, text
    assert sock.exists(), "renewd removed the socket systemd owns"
