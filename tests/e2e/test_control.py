"""The control socket and renewctl's daemon commands (renewctl(8),
doc/PROTOCOL.md): every command over the real socket against a running
renewd and loopback TLS servers, human and JSON; who may do what; and
clients that misbehave, after which the daemon still answers quickly.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import stat
import tempfile
import threading
import time

import pytest

from helpers.pki import today_jst
from helpers.renewd import Target, program_env, require_binary, run

NAME = "www.renewd.test"
OTHER = "mail.renewd.test"
NO_WINDOW = {"maintenance": "none"}


def tgt(srv, name=NAME, **kw) -> Target:
    kw.setdefault("addresses", [srv.host])
    return Target(name, port=srv.port, **kw)


def config(renewd, targets, *, poll="1h", **kw):
    """The config at one fixed path (reload reads it again)."""
    kw.setdefault("ca", NO_WINDOW)
    kw.setdefault("timeout", "2s")
    return renewd.write(renewd.config_text(targets, poll_interval=poll, **kw),
                        name="renewd.conf")


def start(renewd, cfg, *names):
    """A daemon that has probed every target in `names` once."""
    d = renewd.daemon(cfg)
    d.wait_log(r"^renewd: started: ")
    for n in names:
        d.wait_until(lambda: (s := renewd.state(n)) and s["last_probe"],
                     f"a first probe of {n}")
    return d


def ctl(renewd, *args, json_out=False, env=None, prefix=(), timeout=60):
    argv = [*prefix, require_binary("renewctl"), "-s", renewd.socket,
            *(["--json"] if json_out else []), *args]
    return run(argv, timeout=timeout, env=program_env(extra=env))


def ask(path, line: bytes, *, timeout=10.0) -> dict:
    """One raw request line; the answer line, parsed."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(timeout)
        s.connect(str(path))
        s.sendall(line)
        return json.loads(read_line(s))


def read_line(s) -> bytes:
    buf = b""
    while not buf.endswith(b"\n"):
        chunk = s.recv(65536)
        if not chunk:
            break
        buf += chunk
    return buf


def status_quickly(renewd, d, limit=1.5):
    """`status` answers, and soon (loosely: no tight timing)."""
    t0 = time.monotonic()
    got = ask(renewd.socket, b'{"v":1,"cmd":"status"}\n')
    took = time.monotonic() - t0
    assert got["ok"] is True, got
    assert took < limit, f"status took {took:.2f}s\n{d.describe()}"
    assert d.alive(), d.describe()
    return got["result"]


# --- reading commands ------------------------------------------------------------

def test_status_human_and_json(renewd, serve, servers):
    srv = serve(names=[NAME], not_before=-10, not_after=200)
    dead = servers.refused_port("127.0.0.2")
    cfg = config(renewd, [tgt(srv),
                          Target(OTHER, port=dead, addresses=["127.0.0.2"])])
    d = start(renewd, cfg, NAME, OTHER)

    j = ctl(renewd, "status", json_out=True)
    assert j.rc == 1, j.describe()      # one ok, one unknown: a warning
    by = {t["target"]: t for t in j.data["targets"]}
    assert list(by) == [NAME, OTHER]    # the config's order
    t = by[NAME]
    assert t["state"] == "waiting" and t["severity"] == "ok"
    assert t["expiry"] == srv.leaf.expiry_jst.isoformat()
    assert t["expiry_source"] == "certificate"
    assert t["days_left"] in {(srv.leaf.expiry_jst - today_jst()).days,
                              (srv.leaf.expiry_jst - today_jst()).days + 1}
    assert t["next_notification"]["kind"] == "reminder"
    assert t["next_notification"]["threshold"] == 90
    assert t["last_probe"] and t["last_success"] == t["last_probe"]
    assert t["problems"] == [] and t["reminders_sent"] == []
    a = t["addresses"][0]
    assert a["address"] == f"127.0.0.2:{srv.port}"
    assert a["sha256"] == srv.leaf.sha256 and a["verify_ok"] is True
    o = by[OTHER]
    assert o["severity"] == "unknown" and o["expiry"] is None
    assert "unreachable" in o["problems"] and "refused" in o["error"]

    h = ctl(renewd, "status")
    assert h.rc == 1, h.describe()
    lines = h.stdout.splitlines()
    assert re.match(r"TARGET +STATE +EXPIRY +DAYS +APPLY BY +NEXT +PROBLEMS$",
                    lines[0]), h.stdout
    # The most urgent first: unknown before ok.
    assert lines[1].startswith(OTHER) and lines[2].startswith(NAME)
    assert srv.leaf.expiry_jst.isoformat() in lines[2]
    assert re.search(r"90d \d\d-\d\d", lines[2]), h.stdout
    assert "unreachable" in lines[1]
    assert "2 targets: 0 critical, 0 warning, 1 unknown, 1 ok" in lines[3]
    assert len(lines[0]) <= 80 and len(lines[2]) <= 80, h.stdout
    assert "\x1b[" not in h.stdout

    one = ctl(renewd, "status", NAME, json_out=True)
    assert one.rc == 0 and [x["target"] for x in one.data["targets"]] == \
        [NAME]
    assert ctl(renewd, "st", NAME).rc == 0      # an unambiguous prefix
    bad = ctl(renewd, "status", "nosuch.renewd.test")
    assert bad.rc == 3 and "unknown-target" in bad.stderr
    assert 'no target "nosuch.renewd.test"' in bad.stderr
    assert d.stop() == 0, d.describe()


def test_show_history_queue_version(renewd, serve):
    srv = serve(names=[NAME], not_before=-325, not_after=40, o="Example K.K.", c="JP")
    d = start(renewd, config(renewd, [tgt(srv)]), NAME)
    d.wait_until(lambda: renewd.state(NAME)["cycle"]["state"] == "notified",
                 "the reminder")

    j = ctl(renewd, "show", NAME, json_out=True)
    assert j.rc == 1, j.describe()      # 40 days: a warning
    t = j.data
    assert t["target"] == NAME and t["state"] == "notified"
    assert t["reminders_sent"][0]["threshold"] == 45
    assert [s["done"] for s in t["steps"]] == [True] + [False] * 5
    assert [s["step"] for s in t["steps"]] == [1, 2, 3, 4, 5, 6]
    assert t["cycle"]["expiry"] == t["expiry"]
    assert [n["kind"] for n in t["cycle"]["notices"]].count("reminder") == 3
    assert t["config"]["port"] == srv.port
    assert t["watched"] is True and t["next_probe"]
    events = [e["event"] for e in t["history"]]
    assert "tracking" in events and "notified" in events

    h = ctl(renewd, "show", NAME)
    assert h.rc == 1, h.describe()
    out = h.stdout
    for needle in (f"{NAME} (ssl): notified, warning", "Deadline (E)",
                   "Apply by (A)", "Lapse", "Next notice",
                   "Reminders sent   45 days", "Renewal steps",
                   "[x] 1 notice", "[ ] 3 apply",
                   f"renewctl mark {NAME} applied",
                   f"Address 127.0.0.2:{srv.port}", "O=Example K.K.",
                   srv.leaf.sha256, "Verification     ok", "Chain",
                   "History"):
        assert needle in out, f"{needle!r} missing\n{out}"

    hist = ctl(renewd, "history", NAME)
    assert hist.rc == 0 and "tracking" in hist.stdout, hist.describe()
    hj = ctl(renewd, "history", NAME, json_out=True)
    assert hj.data["target"] == NAME
    assert [e["event"] for e in hj.data["history"]] == events

    # The test's [mail] points at a closed port: the reminder waits in the
    # outbox, retried with backoff.
    qj = d.wait_until(lambda: (r := ctl(renewd, "queue", json_out=True))
                      and r.data["notices"]
                      and r.data["notices"][0]["attempts"] >= 1 and r,
                      "the reminder tried once")
    n = qj.data["notices"]
    assert len(n) == 1, n
    assert n[0]["target"] == NAME and n[0]["kind"] == "reminder"
    assert n[0]["type"] == "mail" and n[0]["failed"] is False
    assert n[0]["id"].endswith("/reminder-45") and n[0]["last_error"]
    assert n[0]["next_attempt"] is not None
    q = ctl(renewd, "queue")
    assert q.rc == 0, q.describe()
    assert NAME in q.stdout and "reminder" in q.stdout, q.stdout

    v = ctl(renewd, "version")
    assert re.fullmatch(r"renewctl version \S+\nrenewd version \S+ "
                        r"\(control protocol 1\)\n", v.stdout), v.describe()
    vj = ctl(renewd, "version", json_out=True).data
    assert vj["daemon"]["protocol"] == 1
    assert vj["daemon"]["version"] == vj["version"]
    assert d.stop() == 0, d.describe()


# --- the workflow ------------------------------------------------------------------

def test_mark_applied_then_issued(renewd, serve):
    srv = serve(names=[NAME], not_before=-325, not_after=40)
    d = start(renewd, config(renewd, [tgt(srv)]), NAME)
    d.wait_until(lambda: renewd.state(NAME)["cycle"]["state"] == "notified",
                 "the reminder")

    m = ctl(renewd, "mark", NAME, "applied", "--note", "order 4711")
    assert m.rc == 0, m.describe()
    assert f"{NAME}: marked applied." in m.stdout
    # Saved before the answer: the file says so at once.
    st = renewd.state(NAME)
    assert st["cycle"]["state"] == "applied" and st["cycle"]["applied_at"]
    assert any(e["event"] == "applied" and "order 4711" in e["note"]
               for e in st["history"]), st["history"]
    h = ctl(renewd, "history", NAME)
    assert re.search(r"applied +marked applied .*order 4711", h.stdout), \
        h.stdout
    assert re.search(rf"^renewd: {re.escape(NAME)}: marked applied", d.log(),
                     re.M)

    again = ctl(renewd, "mark", NAME, "applied", json_out=True)
    assert again.rc == 0 and again.data["changed"] is False
    assert again.data["saved"] is True

    i = ctl(renewd, "mark", NAME, "issued", json_out=True)
    assert i.rc == 0, i.describe()
    assert i.data["changed"] is True and i.data["status"]["state"] == "issued"
    assert renewd.state(NAME)["cycle"]["state"] == "issued"
    show = ctl(renewd, "show", NAME, json_out=True).data
    assert [s["done"] for s in show["steps"]] == [True] * 4 + [False] * 2

    bad = ctl(renewd, "mark", NAME, "verified")
    assert bad.rc == 3 and "usage: renewctl mark" in bad.stderr
    unknown = ctl(renewd, "mark", "nosuch.renewd.test", "applied")
    assert unknown.rc == 3 and "unknown-target" in unknown.stderr
    assert d.stop() == 0, d.describe()


def test_mark_after_lapse_is_refused_and_reset(renewd, serve):
    srv = serve(names=[NAME], not_before=-400, not_after=-3)     # ended 3 days ago
    d = start(renewd, config(renewd, [tgt(srv)]), NAME)
    d.wait_until(lambda: renewd.state(NAME)["cycle"]["state"] == "lapsed",
                 "the lapse")
    before = renewd.state(NAME)

    m = ctl(renewd, "mark", NAME, "applied")
    assert m.rc == 2, m.describe()
    assert "(refused)" in m.stderr and "new contract is needed" in m.stderr
    assert f'renewctl reset {NAME}' in m.stderr
    assert renewd.state(NAME)["cycle"] == before["cycle"]
    j = ctl(renewd, "status", NAME, json_out=True)
    assert j.rc == 2 and j.data["targets"][0]["severity"] == "critical"
    raw = ask(renewd.socket, json.dumps(
        {"v": 1, "cmd": "mark", "args": {"target": NAME, "step": "applied"}}
    ).encode() + b"\n")
    assert raw["ok"] is False and raw["error"]["code"] == "refused"

    r = ctl(renewd, "reset", NAME, "--note", "new contract 2027")
    assert r.rc == 0, r.describe()
    assert "tracking starts afresh" in r.stdout
    st = renewd.state(NAME)
    assert any(e["event"] == "reset" and "new contract 2027" in e["note"]
               for e in st["history"]), st["history"]
    # The queued probe starts the new cycle (the same old leaf: lapsed
    # again).
    def tracked_again():
        ev = [e["event"] for e in renewd.state(NAME)["history"]]
        return "reset" in ev and "tracking" in ev[ev.index("reset"):]
    d.wait_until(tracked_again, "a new cycle after the reset")
    assert d.stop() == 0, d.describe()


def test_probe_one_and_all_wait(renewd, serve):
    a = serve(names=[NAME], not_before=-10, not_after=200)
    b = serve(host="127.0.0.3", names=[OTHER], not_before=-10,
              not_after=100)
    cfg = config(renewd, [tgt(a), tgt(b, OTHER)])
    d = start(renewd, cfg, NAME, OTHER)
    first = {n: renewd.state(n)["last_probe"] for n in (NAME, OTHER)}
    time.sleep(1.1)      # times have one-second resolution

    p = ctl(renewd, "probe", "--all", json_out=True, timeout=30)
    assert p.rc == 0, p.describe()
    got = {t["target"]: t for t in p.data["targets"]}
    assert set(got) == {NAME, OTHER}
    for n in (NAME, OTHER):
        assert got[n]["last_probe"] > first[n], (n, got[n], first)
    assert a.handshakes >= 2 and b.handshakes >= 2

    one = ctl(renewd, "probe", NAME, timeout=30)
    assert one.rc == 0, one.describe()
    assert one.stdout.splitlines()[1].startswith(NAME)
    nw = ctl(renewd, "probe", "--all", "--no-wait")
    assert nw.rc == 0 and "2 probes queued." in nw.stdout
    assert ctl(renewd, "probe").rc == 3                 # neither
    assert ctl(renewd, "probe", NAME, "--all").rc == 3  # both
    assert d.stop() == 0, d.describe()


def test_reload_answers_with_the_errors(renewd, serve):
    srv = serve(names=[NAME])
    cfg = config(renewd, [tgt(srv)])
    d = start(renewd, cfg, NAME)
    good = cfg.read_text()

    cfg.write_text(good + "\n[target broken.renewd.test]\nport = 99999\n"
                   "frobnicate = 1\n")
    r = ctl(renewd, "reload")
    assert r.rc == 2, r.describe()
    assert "(refused)" in r.stderr and "the one in use is kept" in r.stderr
    assert re.search(rf"^{re.escape(str(cfg))}:\d+: ", r.stderr, re.M), \
        r.stderr
    j = ask(renewd.socket, b'{"v":1,"cmd":"reload"}\n')
    assert j["ok"] is False and j["error"]["code"] == "refused"
    assert len(j["error"]["errors"]) >= 2
    assert ctl(renewd, "status", json_out=True).data["targets"][0][
        "target"] == NAME

    cfg.write_text(good + "\n" + "\n".join(
        Target(OTHER, port=srv.port, addresses=["127.0.0.2"]).lines()) + "\n")
    ok = ctl(renewd, "reload")
    assert ok.rc == 0 and "2 targets" in ok.stdout, ok.describe()
    names = [t["target"] for t in
             ctl(renewd, "status", json_out=True).data["targets"]]
    assert names == [NAME, OTHER]
    assert d.stop() == 0, d.describe()


# --- who may do what -------------------------------------------------------------

@pytest.fixture
def shared_dir():
    """A directory that other users can reach (tmp_path is root's only)."""
    p = tempfile.mkdtemp(prefix="renewd-ctl-", dir="/tmp")
    os.chmod(p, 0o755)
    yield p
    shutil.rmtree(p, ignore_errors=True)


def test_permissions(renewd, serve, shared_dir):
    if os.geteuid() != 0 or not shutil.which("setpriv"):
        pytest.skip("needs root and setpriv (util-linux)")
    srv = serve(names=[NAME])
    sock = os.path.join(shared_dir, "renewd.sock")
    renewd.socket = sock
    cfg = config(renewd, [tgt(srv)], socket=sock, socket_group="nogroup",
                 admin_group="root")
    d = start(renewd, cfg, NAME)
    sb = os.stat(sock)
    assert stat.S_ISSOCK(sb.st_mode) and stat.S_IMODE(sb.st_mode) == 0o660
    assert sb.st_gid == 65534

    nobody = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
    s = ctl(renewd, "status", json_out=True, prefix=nobody)
    assert s.rc == 0 and s.data["targets"][0]["target"] == NAME, s.describe()
    for args in (["mark", NAME, "applied"], ["reset", NAME], ["probe", NAME],
                 ["reload"]):
        r = ctl(renewd, *args, prefix=nobody)
        assert r.rc == 2, r.describe()
        assert "(not-permitted)" in r.stderr and "admin_group root" in \
            r.stderr
    assert renewd.state(NAME)["cycle"]["state"] == "waiting"
    assert re.search(r"control: mark refused to uid 65534", d.log())

    # A member of admin_group (a supplementary group) may.
    admin = ["setpriv", "--reuid=65534", "--regid=65534", "--groups=0"]
    m = ctl(renewd, "mark", NAME, "applied", prefix=admin)
    assert m.rc == 0, m.describe()
    assert renewd.state(NAME)["cycle"]["state"] == "applied"

    # Outside socket_group: the socket itself is closed to it.
    stranger = ["setpriv", "--reuid=65534", "--regid=65533",
                "--clear-groups"]
    x = ctl(renewd, "status", prefix=stranger)
    assert x.rc == 3 and "Permission denied" in x.stderr, x.describe()
    assert d.stop() == 0, d.describe()
    assert not os.path.exists(sock)     # removed at shutdown


# --- the socket's life -------------------------------------------------------------

def test_second_daemon_refuses_and_stale_socket_replaced(renewd, serve):
    srv = serve(names=[NAME])
    cfg = config(renewd, [tgt(srv)])
    d = start(renewd, cfg, NAME)
    other_state = renewd.dir / "state2"
    cfg2 = renewd.write(renewd.config_text(
        [tgt(srv)], state_dir=str(other_state), ca=NO_WINDOW),
        name="second.conf")
    d2 = renewd.daemon(cfg2)
    assert d2.wait(10) == 1, d2.describe()
    assert f"another renewd is running on {renewd.socket}" in d2.log()
    assert status_quickly(renewd, d)["targets"][0]["target"] == NAME

    # SIGKILL leaves the socket file behind: the next start replaces it.
    d.kill()
    assert renewd.socket.exists()
    d3 = start(renewd, cfg)
    d3.wait_log(r"removed a stale control socket ")
    assert status_quickly(renewd, d3)["targets"][0]["target"] == NAME
    assert d3.stop() == 0, d3.describe()
    assert not renewd.socket.exists()

    # Something that is not a socket is never removed.
    renewd.socket.write_text("precious")
    d4 = renewd.daemon(cfg)
    assert d4.wait(10) == 1
    assert "exists and is not a socket" in d4.log()
    assert renewd.socket.read_text() == "precious"


def test_renewctl_without_a_daemon(renewd, tmp_path):
    missing = tmp_path / "nothing.sock"
    for args in (["status"], ["show", NAME], ["mark", NAME, "applied"],
                 ["probe", "--all"], ["reload"], ["queue"]):
        r = run([require_binary("renewctl"), "-s", missing, *args])
        assert r.rc == 3, r.describe()
        assert r.stderr == (f"renewctl: cannot connect to {missing}: No such "
                            "file or directory \u2014 is renewd running? "
                            "(systemctl status renewd)\n")
        assert r.stdout == ""
    # RENEWD_SOCKET, and the -c file's socket.
    r = run([require_binary("renewctl"), "status"],
            env=program_env(extra={"RENEWD_SOCKET": str(missing)}))
    assert r.rc == 3 and str(missing) in r.stderr
    conf = renewd.config([], socket=str(tmp_path / "from-conf.sock"))
    r = run([require_binary("renewctl"), "-c", conf, "status"])
    assert r.rc == 3 and "from-conf.sock" in r.stderr
    # version works alone, and says the daemon is not there.
    v = run([require_binary("renewctl"), "-s", missing, "version"])
    assert v.rc == 0 and v.stdout.startswith("renewctl version ")
    assert "no renewd answers" in v.stderr


# --- the protocol, raw ---------------------------------------------------------------

def test_protocol_errors(renewd, serve):
    srv = serve(names=[NAME])
    d = start(renewd, config(renewd, [tgt(srv)]), NAME)
    cases = [
        (b"hello\n", "bad-request"),
        (b"[1]\n", "bad-request"),
        (b'{"cmd":"status"}\n', "version-mismatch"),
        (b'{"v":2,"cmd":"status"}\n', "version-mismatch"),
        (b'{"v":1,"cmd":"frobnicate"}\n', "unknown-command"),
        (b'{"v":1,"cmd":"show"}\n', "bad-request"),
        (b'{"v":1,"cmd":"show","args":{"target":"x.test"}}\n',
         "unknown-target"),
        (b'{"v":1,"cmd":"status","args":{"bogus":1}}\n', "bad-request"),
    ]
    for line, code in cases:
        got = ask(renewd.socket, line)
        assert got["v"] == 1 and got["ok"] is False, (line, got)
        assert got["error"]["code"] == code, (line, got)
        assert got["error"]["message"], got

    # Several requests on one connection, answered in order; a bad one
    # does not end the connection.
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(renewd.socket))
        s.sendall(b'{"v":1,"cmd":"version"}\nnot json\n'
                  b'{"v":1,"cmd":"status"}\r\n')
        f = s.makefile("rb")
        a, b, c = (json.loads(f.readline()) for _ in range(3))
    assert a["ok"] and a["result"]["protocol"] == 1
    assert b["error"]["code"] == "bad-request"
    assert c["ok"] and c["result"]["targets"][0]["target"] == NAME
    assert d.stop() == 0, d.describe()


# --- clients that misbehave ---------------------------------------------------------

def test_abuse(renewd, serve):
    srv = serve(names=[NAME])
    d = start(renewd, config(renewd, [tgt(srv)]), NAME)

    # Malformed JSON, binary junk.
    assert ask(renewd.socket, b"{\"v\":1,\n")["error"]["code"] == \
        "bad-request"
    assert ask(renewd.socket, bytes(range(11, 256)) + b"\n")["error"][
        "code"] == "bad-request"
    status_quickly(renewd, d)

    # A 10 MB line: an error, the connection closed, nothing else read.
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(str(renewd.socket))
        sent = 0
        try:
            blob = b"x" * (1 << 20)
            for _ in range(10):
                s.sendall(blob)
                sent += len(blob)
        except (BrokenPipeError, ConnectionResetError):
            pass
        got = json.loads(read_line(s))
    assert got["error"]["code"] == "bad-request"
    assert "longer than 65536 bytes" in got["error"]["message"]
    assert sent < 10 << 20      # the daemon stopped reading
    status_quickly(renewd, d)

    # Half a request, then silence: others are served meanwhile.
    half = socket.socket(socket.AF_UNIX)
    half.connect(str(renewd.socket))
    half.sendall(b'{"v":1,"cmd":"sta')
    status_quickly(renewd, d)

    # 500 idle connections: the oldest make room for new clients.
    import resource
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < 700:
        pytest.skip(f"ulimit -n is {soft}")
    idle = []
    try:
        for _ in range(500):
            s = socket.socket(socket.AF_UNIX)
            s.connect(str(renewd.socket))
            idle.append(s)
        status_quickly(renewd, d, limit=3)
        # The clients closed to make room were told why.
        evicted = 0
        for s in idle[:200]:
            s.settimeout(2)
            try:
                line = read_line(s)
            except socket.timeout:
                continue
            if line:
                assert json.loads(line)["error"]["code"] == "busy"
                evicted += 1
        assert evicted > 0
    finally:
        for s in idle:
            s.close()
    status_quickly(renewd, d)

    # The stalled half request is closed after the idle timeout (10 s).
    half.settimeout(20)
    got = read_line(half)
    half.close()
    assert got == b"" or json.loads(got)["error"]["code"] in \
        {"bad-request", "busy"}
    assert d.alive(), d.describe()
    assert d.stop() == 0, d.describe()


def test_many_targets_stream(renewd, servers):
    """A status of many targets is written as the client reads it."""
    dead = servers.refused_port("127.0.0.2")
    targets = [Target(f"t{i:04d}.renewd.test", port=dead,
                      addresses=["127.0.0.2"]) for i in range(1500)]
    d = renewd.daemon(config(renewd, targets, poll="6h"))
    d.wait_log(r"^renewd: started: 1500 targets")
    # (The first probes write 1500 state files: let that settle.)
    d.wait_until(lambda: len(renewd.state_files()) >= 1500,
                 "1500 state files", timeout=180)
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(20)
        s.connect(str(renewd.socket))
        s.sendall(b'{"v":1,"cmd":"status"}\n')
        time.sleep(0.5)      # a slow reader: the daemon must not wait on it
        status_quickly(renewd, d)
        got = json.loads(read_line(s))
    assert got["ok"] and len(got["result"]["targets"]) == 1500
    assert [t["target"] for t in got["result"]["targets"]] == \
        [t.name for t in targets]
    j = ctl(renewd, "status", json_out=True)
    assert len(j.data["targets"]) == 1500
    assert d.stop() == 0, d.describe()


def test_accept_backs_off_when_out_of_descriptors(renewd, serve):
    """With few file descriptors, accept() fails (EMFILE): the daemon stops
    accepting for a second instead of spinning, and recovers."""
    if not shutil.which("prlimit"):
        pytest.skip("needs prlimit (util-linux)")
    from helpers.renewd import Daemon
    srv = serve(names=[NAME])
    cfg = config(renewd, [tgt(srv)])
    d = Daemon(["prlimit", "--nofile=40", renewd.binary, "-d", "-c", cfg],
               renewd.dir / "daemon.log")
    renewd.daemons.append(d)
    d.wait_until(lambda: (s := renewd.state(NAME)) and s["last_probe"],
                 "a first probe")
    conns = []
    try:
        for _ in range(60):
            s = socket.socket(socket.AF_UNIX)
            s.connect(str(renewd.socket))
            conns.append(s)
        d.wait_log(r"control: accept \(not accepting for 1s\): Too many "
                   r"open files")
        # Backing off, not spinning on a listener that stays readable.
        cpu0 = cpu_seconds(d.pid)
        time.sleep(1.5)
        assert d.alive(), d.describe()
        assert cpu_seconds(d.pid) - cpu0 < 0.75, d.describe()
    finally:
        for s in conns:
            s.close()
    # The backlog drains, the clients are answered or closed, and then a
    # new client is served again.
    d.wait_until(lambda: ask(renewd.socket, b'{"v":1,"cmd":"version"}\n')
                 .get("ok"), "an answer after the back-off", timeout=20)
    status_quickly(renewd, d)
    assert d.stop() == 0, d.describe()


def cpu_seconds(pid) -> float:
    """User + system CPU time of a process so far."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
