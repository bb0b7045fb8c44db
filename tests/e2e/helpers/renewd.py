"""Run the built renewd / renewctl binaries from the end-to-end tests.

The binaries are looked up in $RENEWD_BUILD (default `build`, relative to the
repository root). A test that needs one and finds none fails with
"renewd not built: run make".

    rd = Renewd(tmp_path, ca_file=hier.ca_file)
    cfg = rd.config([Target("www.renewd.test", port=srv.port,
                            addresses=["127.0.0.2"])], timeout="2s")
    res = rd.once(cfg)                 # renewd --once --json -c cfg
    res.rc, res.data, res.stderr, res.elapsed
    t = res.target("www.renewd.test")  # the target's Status JSON object
    a = res.address("www.renewd.test", "127.0.0.2:PORT")
    rd.check(cfg)                      # renewd -t -c cfg
    d = rd.daemon(cfg)                 # renewd -d -c cfg, the service
    d.wait_log(r"started: ")           # a regex in its log (stderr)
    d.send(signal.SIGHUP); d.stop()    # SIGTERM; returns the exit code

Every config names its own state_dir, socket, hosts_file (empty) and
nameservers (a loopback port where nothing answers unless a test passes a
dnsmasq's), so tests never touch the machine's resolver or /etc.

With RENEWD_VALGRIND=1 (`make valgrind`) every run of a binary from the
build directory (renewd, renewctl, the unit-test binaries some tests drive)
goes through wrap(): it starts under valgrind's memcheck, writing its
report to a file of its own in the test's directory, and conftest.py fails
the test when a report shows a memory error or a definite or indirect leak.
valgrind runs the program in the same process, so a PID, its signals and
/proc/PID are the program's. Timeouts the helpers take are multiplied by
TIME_SCALE (RENEWD_TIME_SCALE; 6 under valgrind, else 1); a test that keeps
its own time uses scaled(seconds).
"""

from __future__ import annotations

import datetime as _dt
import json as _json
import os
import re
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Dict, Iterable, List, Mapping, Optional, Sequence, Union

import pytest

REPO = Path(__file__).resolve().parents[3]

# Variables that would make renewd talk to a service manager or the journal.
_SCRUB = ("NOTIFY_SOCKET", "WATCHDOG_USEC", "WATCHDOG_PID", "LISTEN_FDS",
          "LISTEN_PID", "LISTEN_FDNAMES", "JOURNAL_STREAM", "INVOCATION_ID",
          "RENEWD_CONFIG")

EXIT_OK, EXIT_WARNING, EXIT_CRITICAL, EXIT_UNKNOWN = 0, 1, 2, 3


# ---- valgrind and time ------------------------------------------------------

VALGRIND = os.environ.get("RENEWD_VALGRIND", "") not in ("", "0")
# What a program valgrind found errors in exits with (none of renewd's).
VALGRIND_EXIT = 99
TIME_SCALE = float(os.environ.get("RENEWD_TIME_SCALE") or
                   (6 if VALGRIND else 1))

_valgrind_dir: Optional[Path] = None


def scaled(seconds: float) -> float:
    """A time limit, stretched under valgrind (RENEWD_TIME_SCALE)."""
    return seconds * TIME_SCALE


def set_valgrind_dir(path: Optional[Path]) -> None:
    """Where the reports of the programs started from now on go (conftest
    sets the test's own directory)."""
    global _valgrind_dir
    _valgrind_dir = Path(path) if path is not None else None


def wrap(argv: Sequence) -> List[str]:
    """argv as given, or, under RENEWD_VALGRIND, under valgrind when its
    program is one of the build directory's."""
    argv = [str(a) for a in argv]
    if not VALGRIND or not argv:
        return argv
    prog = Path(argv[0]).resolve()
    if build_dir().resolve() not in prog.parents:
        return argv
    d = _valgrind_dir or Path(tempfile.gettempdir()) / "renewd-valgrind"
    d.mkdir(parents=True, exist_ok=True)
    return ["valgrind", "--tool=memcheck",
            f"--error-exitcode={VALGRIND_EXIT}", "--leak-check=full",
            "--errors-for-leak-kinds=definite,indirect",
            "--show-leak-kinds=definite,indirect", "--track-fds=no",
            "--num-callers=30", "--child-silent-after-fork=yes",
            # A fifth less start-up time (500-odd processes a run); a
            # report still names the file and line of every frame.
            "--read-inline-info=no",
            f"--suppressions={REPO / 'tests' / 'e2e' / 'valgrind.supp'}",
            f"--log-file={d}/{prog.name}.%p.valgrind", *argv]


# The first line of each kind of report memcheck makes.
_VG_ERROR = re.compile(
    r"^==\d+== (Invalid (read|write|free|alignment)|Mismatched free|"
    r"Conditional jump or move depends on uninitialised|"
    r"Use of uninitialised value|Syscall param .* uninitialised|"
    r"Source and destination overlap|Argument '.*' of function .* has a "
    r"fishy|.* are (definitely|indirectly) lost in loss record|"
    r"Process terminating with default action of signal (4|6|7|8|11) )",
    re.M)
_VG_SUMMARY = re.compile(r"^==\d+== ERROR SUMMARY: (\d+) errors", re.M)


def valgrind_problems(d: Path) -> List[str]:
    """The reports under d that show errors (or definite/indirect leaks):
    each file's name and its text, for the test's failure message."""
    found = []
    if not d.is_dir():
        return found
    for f in sorted(d.glob("*.valgrind")):
        text = f.read_text("utf-8", "replace")
        m = _VG_SUMMARY.search(text)
        if (m and int(m.group(1)) > 0) or _VG_ERROR.search(text):
            found.append(f"--- {f} ---\n{text[-12000:]}")
    return found


# ---- binaries --------------------------------------------------------------

def build_dir() -> Path:
    d = Path(os.environ.get("RENEWD_BUILD") or "build")
    return d if d.is_absolute() else REPO / d


def binary_path(name: str = "renewd") -> Path:
    return build_dir() / name


def have_binary(name: str = "renewd") -> bool:
    p = binary_path(name)
    return p.is_file() and os.access(p, os.X_OK)


def require_binary(name: str = "renewd") -> Path:
    """The binary's path, or the test fails with a clear message."""
    p = binary_path(name)
    if not (p.is_file() and os.access(p, os.X_OK)):
        pytest.fail(f"{name} not built: run make (no executable {p}; "
                    f"RENEWD_BUILD={os.environ.get('RENEWD_BUILD', '')!r})",
                    pytrace=False)
    return p


def program_env(tz: Optional[str] = None,
             extra: Optional[Mapping[str, str]] = None) -> Dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB}
    env["LC_ALL"] = "C.UTF-8"
    if tz is not None:
        env["TZ"] = tz
    if extra:
        env.update(extra)
    return env


@dataclass
class Result:
    """What one run of a program gave."""
    argv: List[str]
    rc: int
    stdout: str
    stderr: str
    elapsed: float
    stdout_bytes: bytes = b""
    _data: object = field(default=None, repr=False)

    def describe(self) -> str:
        return (f"$ {' '.join(self.argv)}\nexit {self.rc} after "
                f"{self.elapsed:.2f}s\n--- stdout ---\n{self.stdout[-6000:]}"
                f"\n--- stderr ---\n{self.stderr[-6000:]}")

    @property
    def data(self):
        """stdout parsed as JSON; the test fails if it is not JSON."""
        if self._data is None:
            if self.rc < 0:
                pytest.fail(f"killed by signal {-self.rc}\n{self.describe()}",
                            pytrace=False)
            try:
                self._data = _json.loads(self.stdout_bytes.decode("utf-8"))
            except (UnicodeDecodeError, ValueError) as e:
                pytest.fail(f"stdout is not UTF-8 JSON ({e})\n"
                            f"{self.describe()}", pytrace=False)
        return self._data

    def targets(self) -> List[dict]:
        d = self.data
        assert isinstance(d, dict) and isinstance(d.get("targets"), list), \
            f"no \"targets\" list in the JSON\n{self.describe()}"
        return d["targets"]

    def target(self, name: str) -> dict:
        found = [t for t in self.targets() if t.get("target") == name]
        assert len(found) == 1, \
            f"target {name!r} appears {len(found)} times\n{self.describe()}"
        return found[0]

    def address(self, name: str, address: Optional[str] = None) -> dict:
        """One of a target's `addresses` entries: the one whose "address" is
        `address`, or the only one."""
        addrs = self.target(name).get("addresses")
        assert isinstance(addrs, list), self.describe()
        if address is None:
            assert len(addrs) == 1, \
                f"{name}: expected one address, got {len(addrs)}\n" \
                f"{self.describe()}"
            return addrs[0]
        found = [a for a in addrs if a.get("address") == address]
        assert len(found) == 1, \
            f"{name}: address {address!r} appears {len(found)} times " \
            f"among {[a.get('address') for a in addrs]}\n{self.describe()}"
        return found[0]


def run(argv: Sequence[str], *, timeout: float = 60.0,
        env: Optional[Mapping[str, str]] = None, cwd=None,
        stdin: Optional[bytes] = None) -> Result:
    """Run a program (under valgrind when asked: wrap()); a hang kills it
    and fails the test. The timeout is scaled()."""
    argv = [str(a) for a in argv]
    timeout = scaled(timeout)
    t0 = time.monotonic()
    p = subprocess.Popen(wrap(argv), stdin=subprocess.PIPE if stdin is not None
                         else subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, env=dict(env or program_env()),
                         cwd=cwd, start_new_session=True)
    try:
        out, err = p.communicate(stdin, timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(p.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out, err = p.communicate()
        res = Result(argv, p.returncode, out.decode("utf-8", "replace"),
                     err.decode("utf-8", "replace"), time.monotonic() - t0,
                     out)
        pytest.fail(f"still running after {timeout}s, killed\n"
                    f"{res.describe()}", pytrace=False)
    return Result(argv, p.returncode, out.decode("utf-8", "replace"),
                  err.decode("utf-8", "replace"), time.monotonic() - t0, out)


# ---- config ----------------------------------------------------------------

ListOrStr = Union[str, Sequence[str]]


def _list(v: ListOrStr) -> str:
    return v if isinstance(v, str) else ", ".join(str(x) for x in v)


@dataclass
class Target:
    """A [target NAME] section. None / empty = key not written."""
    name: str
    port: Optional[int] = None
    addresses: ListOrStr = ()
    names: ListOrStr = ()
    starttls: Optional[str] = None
    product: Optional[str] = None
    contract_end: Union[None, str, _dt.date] = None
    expect: Optional[str] = None
    notify: ListOrStr = ()
    extra: Dict[str, str] = field(default_factory=dict)

    def lines(self) -> List[str]:
        out = [f"[target {self.name}]"]
        if self.port is not None:
            out.append(f"port = {self.port}")
        if self.addresses:
            out.append(f"addresses = {_list(self.addresses)}")
        if self.names:
            out.append(f"names = {_list(self.names)}")
        if self.starttls is not None:
            out.append(f"starttls = {self.starttls}")
        if self.product is not None:
            out.append(f"product = {self.product}")
        if self.contract_end is not None:
            out.append(f"contract_end = {self.contract_end}")
        if self.expect is not None:
            out.append(f"expect = {self.expect}")
        if self.notify:
            out.append(f"notify = {_list(self.notify)}")
        out += [f"{k} = {v}" for k, v in self.extra.items()]
        return out


def render_section(name: str, kv: Mapping[str, object]) -> List[str]:
    out = [f"[{name}]"]
    for k, v in kv.items():
        if v is None:
            continue
        out.append(f"{k} = {v if isinstance(v, (str, int)) else _list(v)}")
    return out


def unused_udp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def unused_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


SANITIZER_RE = re.compile(r"ERROR: (Address|Leak|Undefined\w*)Sanitizer|"
                          r"runtime error: ")


class Daemon:
    """A running service (`renewd -c CONFIG`, no --once), its stderr going
    to a file. Stopped only by signals to its own PID."""

    def __init__(self, argv: Sequence[str], log_path: Path,
                 env: Optional[Mapping[str, str]] = None) -> None:
        self.argv = [str(a) for a in argv]
        self.log_path = Path(log_path)
        self._log = open(self.log_path, "ab")
        self._offset = self.log_path.stat().st_size
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            wrap(self.argv), stdin=subprocess.DEVNULL, stdout=self._log,
            stderr=subprocess.STDOUT, env=dict(env or program_env()),
            start_new_session=True)
        self.pid = self.proc.pid
        self.rc: Optional[int] = None

    def log(self) -> str:
        """What this run wrote so far."""
        with open(self.log_path, "rb") as f:
            f.seek(self._offset)
            return f.read().decode("utf-8", "replace")

    def describe(self) -> str:
        state = "running" if self.rc is None and self.proc.poll() is None \
            else f"exit {self.proc.returncode}"
        return f"$ {' '.join(self.argv)}\n[{state}]\n--- log ---\n" \
            f"{self.log()[-8000:]}"

    def alive(self) -> bool:
        return self.proc.poll() is None

    def count(self, pattern: str) -> int:
        return len(re.findall(pattern, self.log(), re.M))

    def wait_log(self, pattern: str, *, count: int = 1,
                 timeout: float = 10.0) -> List[re.Match]:
        """Until the log has `count` matches of the regex `pattern` (per
        line); the test fails if the process exits or time runs out."""
        rx = re.compile(pattern, re.M)
        timeout = scaled(timeout)
        end = time.monotonic() + timeout
        while True:
            found = list(rx.finditer(self.log()))
            if len(found) >= count:
                return found
            if not self.alive():
                pytest.fail(f"renewd exited while waiting for {pattern!r}"
                            f"\n{self.describe()}", pytrace=False)
            if time.monotonic() > end:
                pytest.fail(f"{len(found)} of {count} {pattern!r} after "
                            f"{timeout}s\n{self.describe()}", pytrace=False)
            time.sleep(0.05)

    def wait_until(self, check, what: str, timeout: float = 10.0):
        """Until check() gives something true (returned)."""
        timeout = scaled(timeout)
        end = time.monotonic() + timeout
        while True:
            v = check()
            if v:
                return v
            if not self.alive():
                pytest.fail(f"renewd exited while waiting for {what}\n"
                            f"{self.describe()}", pytrace=False)
            if time.monotonic() > end:
                pytest.fail(f"no {what} after {timeout}s\n"
                            f"{self.describe()}", pytrace=False)
            time.sleep(0.05)

    def send(self, sig: int) -> None:
        """Send a signal to this renewd (by its PID)."""
        os.kill(self.pid, sig)

    def wait(self, timeout: float = 10.0) -> int:
        timeout = scaled(timeout)
        try:
            self.rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            pytest.fail(f"renewd still running {timeout}s after a signal, "
                        f"killed\n{self.describe()}", pytrace=False)
        self._log.close()
        return self.rc

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> int:
        """Send `sig` (SIGTERM) and wait; the exit code. Fails the test on
        a sanitizer report in the log."""
        self.send(sig)
        rc = self.wait(timeout)
        assert not SANITIZER_RE.search(self.log()), self.describe()
        return rc

    def kill(self) -> None:
        """SIGKILL, and reap it."""
        if self.proc.poll() is None:
            try:
                os.kill(self.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.rc = self.proc.wait()
        self._log.close()


class Renewd:
    """renewd configs and runs inside one test's directory."""

    def __init__(self, workdir, ca_file, *, binary: Optional[Path] = None
                 ) -> None:
        self.dir = Path(workdir)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.ca_file = Path(ca_file)
        self._binary = binary
        self.state_dir = self.dir / "state"
        self.state_dir.mkdir(exist_ok=True)
        self.run_dir = self.dir / "run"
        self.run_dir.mkdir(exist_ok=True)
        self.socket = self.run_dir / "renewd.sock"
        self.hosts_file = self.dir / "hosts"
        if not self.hosts_file.exists():
            self.hosts_file.write_text("")
        # Nothing listens there: a lookup fails at once, never leaves lo.
        self.dead_nameserver = f"127.0.0.1:{unused_udp_port()}"
        self.mail_url = f"smtp://127.0.0.1:{unused_tcp_port()}"
        self._n = 0
        self.daemons: List[Daemon] = []

    @property
    def binary(self) -> Path:
        return self._binary or require_binary("renewd")

    def renewd_section(self, **over) -> Dict[str, object]:
        """The [renewd] keys every test config has, updated by `over`
        (a None value drops a key)."""
        kv: Dict[str, object] = {
            "state_dir": str(self.state_dir),
            "socket": str(self.socket),
            "timeout": "5s",
            "ca_file": str(self.ca_file),
            "nameservers": self.dead_nameserver,
            "hosts_file": str(self.hosts_file),
            "thresholds": "90, 60, 45, 30, 15",
        }
        kv.update(over)
        return {k: v for k, v in kv.items() if v is not None}

    def config_text(self, targets: Iterable[Target] = (), *,
                    mail: Optional[Mapping[str, object]] = None,
                    ca: Optional[Mapping[str, object]] = None,
                    raw: str = "", **renewd_keys) -> str:
        lines = render_section("renewd", self.renewd_section(**renewd_keys))
        if ca:
            lines += [""] + render_section("ca", ca)
        m = {"url": self.mail_url, "from": "renewd@example.jp",
             "to": "ssl-admins@example.jp"}
        if mail:
            m.update(mail)
        lines += [""] + render_section("mail", m)
        for t in targets:
            lines += [""] + t.lines()
        text = "\n".join(lines) + "\n"
        if raw:
            text += raw if raw.endswith("\n") else raw + "\n"
        return text

    def config(self, targets: Iterable[Target] = (), *,
               name: Optional[str] = None, **kw) -> Path:
        """Write a config file (see config_text) and return its path.
        Keyword arguments other than mail/ca/raw are [renewd] keys:
        timeout="2s", nameservers="127.0.0.1:5353", thresholds=..."""
        return self.write(self.config_text(targets, **kw), name=name)

    def write(self, text: str, *, name: Optional[str] = None) -> Path:
        """Write config text as is (for configs that are meant to be bad)."""
        self._n += 1
        p = self.dir / (name or f"renewd-{self._n}.conf")
        p.write_text(text, encoding="utf-8")
        return p

    # -- runs

    def once(self, config, *, json: bool = True, timeout: float = 60.0,
             tz: Optional[str] = None, args: Sequence[str] = ()) -> Result:
        """renewd --once [--json] -c CONFIG."""
        argv = [self.binary, "--once"] + (["--json"] if json else []) + \
            ["-c", config, *args]
        return run(argv, timeout=timeout, env=program_env(tz))

    def check(self, config, *, timeout: float = 30.0) -> Result:
        """renewd -t -c CONFIG."""
        return run([self.binary, "-t", "-c", config], timeout=timeout)

    def daemon(self, config, *, debug: bool = True,
               args: Sequence[str] = (), tz: Optional[str] = None) -> Daemon:
        """Start the service (`renewd [-d] -c CONFIG`) in the background;
        its log goes to DIR/daemon.log (appended by every start)."""
        argv = [self.binary] + (["-d"] if debug else []) + \
            ["-c", config, *args]
        d = Daemon(argv, self.dir / "daemon.log", env=program_env(tz))
        self.daemons.append(d)
        return d

    def close(self) -> None:
        """Kill every service a test left running (fixture teardown)."""
        for d in self.daemons:
            if d.alive():
                d.kill()
        self.daemons.clear()

    def state_file(self, name: str) -> Path:
        """state_dir/NAME.json (for names made of [a-z0-9.-])."""
        return self.state_dir / f"{name}.json"

    def state(self, name: str):
        """The parsed state file of `name`, or None while there is none."""
        try:
            return _json.loads(self.state_file(name).read_text("utf-8"))
        except FileNotFoundError:
            return None

    def state_files(self) -> List[str]:
        """The files directly in state_dir (the targets' state files and
        what is moved aside), not the mail outbox below it."""
        if not self.state_dir.is_dir():
            return []
        return sorted(p.name for p in self.state_dir.iterdir()
                      if p.is_file())

    def all_files(self) -> List[str]:
        """Every file under state_dir, relative (to see that --once wrote
        nothing)."""
        return sorted(str(p.relative_to(self.state_dir))
                      for p in self.state_dir.rglob("*"))


def line_of(text: str, needle: str) -> int:
    """1-based number of the first line of `text` containing `needle`."""
    for i, line in enumerate(text.splitlines(), 1):
        if needle in line:
            return i
    raise ValueError(f"{needle!r} not in config")
