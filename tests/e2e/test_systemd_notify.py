"""The service talks to systemd (renewd(8), systemd/renewd.service): READY=1
with a STATUS= line once it watches its targets, RELOADING=1 then READY=1
around a SIGHUP, STOPPING=1 on SIGTERM, and WATCHDOG=1 pings within
WatchdogSec=. A test-owned datagram socket stands in for systemd."""

from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import tempfile
import time
from pathlib import Path

import pytest

from helpers import renewd as helper
from helpers.renewd import Target, program_env, scaled

NAME = "www.renewd.test"


class Notify:
    """An AF_UNIX datagram socket as NOTIFY_SOCKET."""

    def __init__(self) -> None:
        # sun_path is short: not under pytest's long tmp_path.
        self.dir = Path(tempfile.mkdtemp(prefix="renewd-notify-", dir="/tmp"))
        self.path = self.dir / "notify"
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(str(self.path))
        self.got: list[str] = []

    def close(self) -> None:
        self.sock.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def wait(self, prefix: str, d, timeout: float = 10.0) -> str:
        """The next message starting with prefix (others are kept in
        .got); fails when the daemon exits or time runs out."""
        end = time.monotonic() + timeout
        while True:
            left = end - time.monotonic()
            if left <= 0:
                pytest.fail(f"no {prefix!r} from renewd after {timeout}s; "
                            f"got {self.got}\n{d.describe()}", pytrace=False)
            r, _, _ = select.select([self.sock], [], [], min(left, 0.2))
            if r:
                msg = self.sock.recv(4096).decode("utf-8", "replace")
                self.got.append(msg)
                if msg.startswith(prefix):
                    return msg
            elif not d.alive() and prefix != "STOPPING=1":
                pytest.fail(f"renewd exited before {prefix!r}; got "
                            f"{self.got}\n{d.describe()}", pytrace=False)


@pytest.fixture
def notify():
    n = Notify()
    yield n
    n.close()


def _start(renewd, cfg, notify, **extra):
    env = program_env(extra={"NOTIFY_SOCKET": str(notify.path), **extra})
    d = helper.Daemon([renewd.binary, "-d", "-c", cfg],
                      renewd.dir / "daemon.log", env=env)
    renewd.daemons.append(d)      # killed at teardown if a test fails
    return d


def test_ready_status_reload_stop(renewd, serve, notify):
    srv = serve()
    cfg = renewd.write(renewd.config_text(
        [Target(NAME, port=srv.port, addresses=[srv.host])],
        poll_interval="1s"), name="renewd.conf")
    d = _start(renewd, cfg, notify)

    notify.wait("READY=1", d)
    status = notify.wait("STATUS=", d)
    assert "\n" not in status and "1 target" in status, status
    assert "attention" in status, status

    d.wait_until(lambda: (st := renewd.state(NAME)) and st["cycle"],
                 "the first probe")
    d.send(signal.SIGHUP)
    msg = notify.wait("RELOADING=1", d)
    assert "MONOTONIC_USEC=" in msg
    notify.wait("READY=1", d)
    # After the reload the line names the deadline the probes have found.
    status = notify.wait("STATUS=", d)
    assert "nearest deadline" in status and NAME in status, status

    assert d.stop() == 0, d.describe()
    notify.wait("STOPPING=1", d)
    # Not under a watchdog: no pings.
    assert not [m for m in notify.got if m.startswith("WATCHDOG=1")]


def test_watchdog_pings(renewd, serve, notify):
    srv = serve()
    cfg = renewd.write(renewd.config_text(
        [Target(NAME, port=srv.port, addresses=[srv.host])],
        poll_interval="1h"), name="renewd.conf")
    # 0.6 s: systemd would kill a service silent for that long (longer
    # under valgrind, which slows everything down).
    usec = int(scaled(0.6) * 1e6)
    d = _start(renewd, cfg, notify, WATCHDOG_USEC=str(usec))
    notify.wait("READY=1", d)
    t0 = time.monotonic()
    for _ in range(4):
        notify.wait("WATCHDOG=1", d, timeout=usec / 1e6)
    assert time.monotonic() - t0 < 4 * usec / 1e6
    assert d.stop() == 0, d.describe()


def test_watchdog_for_another_process(renewd, serve, notify):
    """WATCHDOG_PID names someone else: the pings are not ours to send."""
    srv = serve()
    cfg = renewd.write(renewd.config_text(
        [Target(NAME, port=srv.port, addresses=[srv.host])],
        poll_interval="1h"), name="renewd.conf")
    d = _start(renewd, cfg, notify, WATCHDOG_USEC="200000",
               WATCHDOG_PID=str(os.getpid()))
    notify.wait("READY=1", d)
    time.sleep(0.6)
    assert d.stop() == 0, d.describe()
    notify.wait("STOPPING=1", d)
    assert not [m for m in notify.got if m.startswith("WATCHDOG=1")]
