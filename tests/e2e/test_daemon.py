"""The service: `renewd -c CONFIG` in the foreground (renewd(8)).

Real time, short intervals: poll_interval is a second, and the
certificates are made with dates that put reminders in the past, so they
are due at once. Every test stops its daemon by PID; the fixture kills a
daemon a failed test left behind.
"""

from __future__ import annotations

import json
import random
import re
import signal
import time

from helpers.pki import today_jst
from helpers.renewd import Target, scaled

NAME = "www.renewd.test"
DATE = r"\d{4}-\d{2}-\d{2}"
NO_WINDOW = {"maintenance": "none"}   # notices are never held back
NOTICE_RE = r"^renewd: notice "


def tgt(srv, name=NAME, **kw) -> Target:
    kw.setdefault("addresses", [srv.host])
    return Target(name, port=srv.port, **kw)


def probed(name=NAME) -> str:
    return rf"^renewd: debug: {re.escape(name)}: probed: "


def config(renewd, targets, *, poll="1s", **kw):
    """The config at one fixed path (SIGHUP reads it again)."""
    kw.setdefault("ca", NO_WINDOW)
    kw.setdefault("timeout", "2s")
    return renewd.write(renewd.config_text(targets, poll_interval=poll, **kw),
                        name="renewd.conf")


def sent(state) -> dict:
    """{"reminder-45": skipped, ...} of the state's cycle."""
    out = {}
    for s in state["cycle"]["sent"]:
        th = s["threshold"]
        out[f"{s['kind']}-{th}" if th is not None else s["kind"]] = \
            s["skipped"]
    return out


def test_reminder_once_state_and_restart(renewd, serve):
    srv = serve(not_before=-325, not_after=40)   # a one-year leaf
    cfg = config(renewd, [tgt(srv)])

    d = renewd.daemon(cfg)
    d.wait_log(r"^renewd: started: 1 target from ")
    m = d.wait_log(rf"{NOTICE_RE}{re.escape(NAME)} reminder-45 "
                   rf"\(({DATE})/reminder-45\): (\d+) days left, apply by "
                   rf"({DATE})( \(target=.*\))?$")[0]
    assert m.group(1) == srv.leaf.expiry_jst.isoformat(), d.describe()
    assert int(m.group(2)) in {(srv.leaf.expiry_jst - today_jst()).days,
                               (srv.leaf.expiry_jst - today_jst()).days + 1}
    st = d.wait_until(lambda: (s := renewd.state(NAME)) and
                      s["cycle"] and s["cycle"]["sent"] and s,
                      "a state file with the sent reminder")
    assert st["v"] == 1 and st["target"] == NAME
    assert st["cycle"]["state"] == "notified"
    assert st["cycle"]["expiry"] == srv.leaf.expiry_jst.isoformat()
    assert sent(st) == {"reminder-45": False, "reminder-90": True,
                        "reminder-60": True}, st["cycle"]["sent"]
    assert st["last_probe_ok"] is True and st["observation"] is not None
    d.wait_log(probed(), count=2, timeout=8)     # polls go on, quietly
    assert d.count(NOTICE_RE) == 1, d.describe()
    assert not re.search(r"^renewd: (?!debug: ).*probed", d.log(), re.M)
    assert d.stop() == 0, d.describe()
    assert renewd.state_files() == [f"{NAME}.json"]

    # A restart remembers: the reminder is not sent again.
    d2 = renewd.daemon(cfg)
    d2.wait_log(probed(), count=2, timeout=6)
    assert d2.count(NOTICE_RE) == 0, d2.describe()
    assert d2.stop() == 0, d2.describe()
    assert sent(renewd.state(NAME)) == sent(st)


def test_one_state_file_per_target(renewd, serve, servers):
    srv = serve()
    dead = servers.refused_port("127.0.0.2")
    targets = [tgt(srv, "a.renewd.test"), tgt(srv, "b.renewd.test"),
               Target("down.renewd.test", port=dead, addresses=["127.0.0.2"])]
    d = renewd.daemon(config(renewd, targets))
    d.wait_until(lambda: len(renewd.state_files()) == 3, "3 state files")
    d.wait_log(r"^renewd: down\.renewd\.test: unreachable: ")
    for t in targets:
        st = d.wait_until(lambda: renewd.state(t.name), t.name)
        assert st["v"] == 1 and st["target"] == t.name
    assert renewd.state("a.renewd.test")["last_probe_ok"] is True
    down = renewd.state("down.renewd.test")
    assert down["last_probe_ok"] is False and down["outage"] is not None
    assert d.count(NOTICE_RE) == 0, d.describe()  # 200 days: nothing due
    assert d.stop() == 0, d.describe()
    for p in renewd.state_dir.iterdir():
        want = "0o700" if p.is_dir() else "0o600"     # the mail outbox
        assert oct(p.stat().st_mode & 0o777) == want, p


def test_state_dir_created(renewd, serve):
    srv = serve()
    sd = renewd.dir / "new-state"
    cfg = config(renewd, [tgt(srv)], state_dir=str(sd))
    d = renewd.daemon(cfg)
    d.wait_until(lambda: (sd / f"{NAME}.json").exists(), "a state file")
    assert oct(sd.stat().st_mode & 0o777) == "0o700"
    # A second renewd on the same state_dir refuses to start.
    d2 = renewd.daemon(cfg)
    assert d2.wait(10) == 1
    assert re.search(r"state directory .*new-state is in use by another "
                     r"renewd", d2.log()), d2.describe()
    assert d.alive()
    assert d.stop() == 0, d.describe()

    # Impossible: a file stands where the directory should be.
    blocker = renewd.dir / "blocker"
    blocker.write_text("")
    bad = config(renewd, [tgt(srv)], state_dir=str(blocker / "state"))
    d = renewd.daemon(bad)
    assert d.wait(10) == 1
    assert re.search(r"cannot create the state directory .*blocker/state: "
                     r"Not a directory", d.log()), d.describe()


def test_sighup_adds_and_removes_targets(renewd, serve):
    srv = serve()
    a, b = tgt(srv, "a.renewd.test"), tgt(srv, "b.renewd.test")
    cfg = config(renewd, [a])
    d = renewd.daemon(cfg)
    d.wait_log(probed("a.renewd.test"))

    config(renewd, [a, b])
    d.send(signal.SIGHUP)
    d.wait_log(r"^renewd: configuration reloaded from .*: 2 targets "
               r"\(1 added, 0 removed\)$")
    d.wait_log(probed("b.renewd.test"))
    assert d.wait_until(lambda: renewd.state("b.renewd.test"), "b's state")

    config(renewd, [b])
    d.send(signal.SIGHUP)
    d.wait_log(r"^renewd: a\.renewd\.test: no longer watched")
    n = d.count(probed("a.renewd.test"))
    d.wait_log(probed("b.renewd.test"), count=3, timeout=6)
    assert d.count(probed("a.renewd.test")) == n, d.describe()
    assert renewd.state("a.renewd.test")["target"] == "a.renewd.test"
    assert d.stop() == 0, d.describe()


def test_sighup_with_a_broken_config_keeps_running(renewd, serve):
    srv = serve()
    cfg = config(renewd, [tgt(srv)])
    d = renewd.daemon(cfg)
    d.wait_log(probed())

    good = cfg.read_text()
    cfg.write_text(good + "\n[target broken.renewd.test]\nport = banana\n"
                   "colour = blue\n")
    lines = good.count("\n") + 3
    d.send(signal.SIGHUP)
    d.wait_log(rf"^renewd: {re.escape(str(cfg))}:{lines}: ")
    d.wait_log(rf"^renewd: {re.escape(str(cfg))}:{lines + 1}: ")
    d.wait_log(r"the configuration in use is kept")
    assert d.alive()
    n = d.count(probed())
    d.wait_log(probed(), count=n + 1, timeout=8)   # still at work
    assert "broken.renewd.test" not in "".join(renewd.state_files())
    assert d.stop() == 0, d.describe()


def test_sigterm_quick_with_a_probe_in_flight(renewd, serve, servers):
    srv = serve()
    silent = servers.silent("127.0.0.3")
    cfg = config(renewd, [tgt(srv), tgt(silent, "silent.renewd.test")],
                 timeout="20s")
    d = renewd.daemon(cfg)
    d.wait_log(probed())
    d.wait_until(lambda: silent.connections > 0, "a connection to the "
                 "silent server")
    t0 = time.monotonic()
    assert d.stop(signal.SIGTERM) == 0, d.describe()
    assert time.monotonic() - t0 < 3, d.describe()
    assert re.search(r"^renewd: SIGTERM: stopping$", d.log(), re.M)
    assert re.search(r"^renewd: stopped$", d.log(), re.M)
    st = renewd.state(NAME)
    assert st["v"] == 1 and st["last_probe_ok"] is True

    d = renewd.daemon(cfg)
    d.wait_log(r"^renewd: started: ")
    assert d.stop(signal.SIGINT) == 0, d.describe()


def test_corrupt_state_file_moved_aside(renewd, serve):
    srv = serve()
    renewd.state_file(NAME).write_text('{"v": 1, "target": ')
    d = renewd.daemon(config(renewd, [tgt(srv)]))
    d.wait_log(rf"^renewd: state of {re.escape(NAME)}: .*unusable .* moved "
               r"aside to .*\.corrupt-\d{8}T\d{6}Z, tracking starts afresh")
    st = d.wait_until(lambda: renewd.state(NAME), "a new state file")
    assert st["v"] == 1
    aside = [f for f in renewd.state_files() if ".corrupt-" in f]
    assert len(aside) == 1 and aside[0].startswith(f"{NAME}.json.corrupt-")
    assert (renewd.state_dir / aside[0]).read_text() == '{"v": 1, "target": '
    assert d.stop() == 0, d.describe()


def test_sigkill_during_state_writes(renewd, servers, hier):
    """300 targets polled every second on three servers; SIGKILL at a
    random moment, again and again: every state file stays whole, and the
    temp files of the killed writer are removed at the next start."""
    leaf = hier.leaf(names=["k.renewd.test"], key="ec256")
    chain = hier.pki.chain_file(leaf, hier.inter)
    srvs = [servers.tls(h, chain, leaf.key_path)
            for h in ("127.0.0.2", "127.0.0.3", "127.0.0.4")]
    names = [f"t{i:03d}.renewd.test" for i in range(300)]
    cfg = config(renewd, [tgt(srvs[i % 3], n) for i, n in enumerate(names)],
                 poll="1s", concurrency=32)
    rng = random.Random(4242)
    # One stale temp file from "an earlier crash".
    (renewd.state_dir / "t000.renewd.test.json.tmp.99999").write_text("{")
    for _ in range(10):
        d = renewd.daemon(cfg, debug=False)
        d.wait_log(r"^renewd: started: ")
        time.sleep(scaled(rng.uniform(0.05, 0.5)))
        d.kill()
        assert d.rc == -signal.SIGKILL, d.describe()
        for p in renewd.state_dir.glob("*.json"):
            st = json.loads(p.read_text("utf-8"))     # whole, or absent
            assert st["v"] == 1 and p.name == f"{st['target']}.json"
    assert len(list(renewd.state_dir.glob("*.json"))) > 0

    temps = list(renewd.state_dir.glob("*.tmp.*"))
    d = renewd.daemon(cfg, debug=False)
    d.wait_log(r"^renewd: started: 300 targets")
    if temps:
        d.wait_log(rf"^renewd: removed {len(temps)} unfinished state files? ")
    d.wait_until(lambda: len(list(renewd.state_dir.glob("*.json"))) == 300,
                 "300 state files", timeout=15)
    assert d.stop() == 0, d.describe()
    assert not list(renewd.state_dir.glob("*.tmp.*"))
    assert not [f for f in renewd.state_files() if ".corrupt-" in f]
    for n in names:
        assert renewd.state(n)["target"] == n


def test_sighup_while_probes_run(renewd, serve, servers):
    """A reload while probes of a removed and of a changed target are
    still running: the old configuration stays alive until they end, then
    it is released (ASan builds would catch a use after free)."""
    srv = serve()
    silent = servers.silent("127.0.0.3")
    gone, kept = tgt(silent, "gone.renewd.test"), tgt(silent, "kept.renewd.test")
    cfg = config(renewd, [tgt(srv), gone, kept], timeout="2s")
    d = renewd.daemon(cfg)
    d.wait_log(probed())
    d.wait_until(lambda: silent.connections >= 2, "two probes in flight")

    kept.extra = {"contract_end": "2030-01-31"}
    config(renewd, [tgt(srv), kept], timeout="2s")
    d.send(signal.SIGHUP)
    d.wait_log(r"^renewd: configuration reloaded .*\(0 added, 1 removed\)$")
    assert d.count(r"is released$") == 0, d.describe()
    config(renewd, [tgt(srv), kept], timeout="3s")
    d.send(signal.SIGHUP)      # the one in between goes at once
    d.wait_log(r"is released$")
    d.wait_log(r"^renewd: debug: gone\.renewd\.test: a probe ended after the "
               r"target was removed$", timeout=6)
    d.wait_log(r"^renewd: debug: kept\.renewd\.test: probe failed \(1 in a "
               r"row\): .*timed out", timeout=6)
    d.wait_log(r"is released$", count=2)
    log = d.log()
    assert log.index("a probe ended after") < log.rindex("is released"), \
        d.describe()
    d.wait_log(r"^renewd: kept\.renewd\.test: tracking: deadline 2030-01-31 "
               r"from contract_end")
    assert d.stop() == 0, d.describe()


def test_unreadable_state_not_watched_until_reload(renewd, serve):
    srv = serve()
    a, b = tgt(srv, "a.renewd.test"), tgt(srv, "b.renewd.test")
    renewd.state_file("b.renewd.test").mkdir()      # cannot be read
    cfg = config(renewd, [a, b])
    d = renewd.daemon(cfg)
    d.wait_log(r"^renewd: b\.renewd\.test: not watched until its state file "
               r"can be read")
    d.wait_log(probed("a.renewd.test"), count=2, timeout=8)
    assert d.count(probed("b.renewd.test")) == 0, d.describe()
    assert renewd.state_file("b.renewd.test").is_dir()   # left alone

    renewd.state_file("b.renewd.test").rmdir()
    d.send(signal.SIGHUP)
    d.wait_log(probed("b.renewd.test"))
    d.wait_until(lambda: renewd.state("b.renewd.test"), "b's state file")
    assert d.stop() == 0, d.describe()


def test_failed_saves_kept_in_memory_and_saved_at_stop(renewd, serve):
    srv = serve()
    cfg = config(renewd, [tgt(srv)], poll="1s")
    d = renewd.daemon(cfg)
    first = d.wait_until(lambda: renewd.state(NAME), "a state file")

    # The state directory disappears: every save fails, renewd goes on.
    moved = renewd.dir / "state.moved"
    renewd.state_dir.rename(moved)
    renewd.state_dir.write_text("not a directory\n")
    d.wait_log(rf"^renewd: {re.escape(NAME)}: state not saved: .*Not a "
               r"directory \(kept in memory; retried every 60s\)$")
    n = d.count(probed())
    d.wait_log(probed(), count=n + 2, timeout=8)
    assert d.count(r"state not saved") == 1, d.describe()  # said once

    renewd.state_dir.unlink()
    moved.rename(renewd.state_dir)
    assert d.stop() == 0, d.describe()
    assert re.search(rf"^renewd: {re.escape(NAME)}: state saved again$",
                     d.log(), re.M), d.describe()
    last = renewd.state(NAME)
    assert last["last_probe"] > first["last_probe"]
