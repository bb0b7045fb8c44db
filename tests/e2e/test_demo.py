"""`make demo` (demo/run) runs from start to end: the tour shows the status
table and a reminder mail, and leaves nothing running."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from helpers.renewd import program_env, require_binary

ROOT = Path(__file__).resolve().parents[2]


def test_demo_tour_runs_and_cleans_up():
    build = Path(require_binary("renewd")).parent
    p = subprocess.run([sys.executable, str(ROOT / "demo" / "run"),
                        "--no-wait", "--build", str(build)],
                       capture_output=True, text=True, timeout=120,
                       env=program_env())
    out = p.stdout
    assert p.returncode == 0, out + p.stderr
    for needle in ("== renewctl status", "www.demo.test", "shop.demo.test",
                   "mail.demo.test", "legacy.demo.test", "chain-incomplete",
                   "== Mail received", "Subject: [renewd] shop.demo.test",
                   "X-Renewd-Kind: reminder", "== Try next",
                   "demo: stopped renewd"):
        assert needle in out, f"{needle!r} missing\n{out}\n{p.stderr}"
    pid = int(out.split("started (pid ")[1].split(")")[0])
    assert not os.path.exists(f"/proc/{pid}") or \
        "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
    assert list((build / "demo" / "inbox").glob("*.eml"))


def test_demo_stops_on_ctrl_c():
    """Left running, the demo stops everything it started on SIGINT."""
    import signal
    import time

    build = Path(require_binary("renewd")).parent
    p = subprocess.Popen([sys.executable, str(ROOT / "demo" / "run"),
                          "--build", str(build)], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True,
                         env=program_env())
    lines = []
    deadline = time.monotonic() + 90
    for line in p.stdout:
        lines.append(line)
        if "press Ctrl-C" in line or time.monotonic() > deadline:
            break
    out = "".join(lines)
    assert "press Ctrl-C" in out, out
    pid = int(out.split("started (pid ")[1].split(")")[0])
    p.send_signal(signal.SIGINT)
    rest, _ = p.communicate(timeout=30)
    assert p.returncode == 0, out + rest
    assert "demo: stopped renewd" in rest, rest
    assert not os.path.exists(f"/proc/{pid}") or \
        "zombie" in Path(f"/proc/{pid}/status").read_text().lower()
