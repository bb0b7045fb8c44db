"""A DNS server on loopback for the end-to-end tests (dnsmasq, started and
stopped by the test), and a minimal DNS client to check it.

    dns = Dnsmasq(workdir, {"www.renewd.test": ["127.0.0.2", "127.0.0.3"]})
    dns.start()
    dns.nameserver        # "127.0.0.1:PORT", for renewd's nameservers =
    query(dns.host, dns.port, "www.renewd.test")   # ['127.0.0.2', '127.0.0.3']
    dns.stop()

dnsmasq answers only from its --host-record lines: no upstream, no
/etc/hosts, no resolv.conf, so nothing leaves the machine.
"""

from __future__ import annotations

import ipaddress
import os
import random
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path
from typing import Dict, List, Optional, Sequence

DNSMASQ = shutil.which("dnsmasq") or "/usr/sbin/dnsmasq"


class DnsError(Exception):
    pass


def free_port(host: str = "127.0.0.1") -> int:
    """A port free for both UDP and TCP on `host` at the time of asking."""
    for _ in range(100):
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as u:
            u.bind((host, 0))
            port = u.getsockname()[1]
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as t:
                try:
                    t.bind((host, port))
                except OSError:
                    continue
        return port
    raise RuntimeError("no free port")


def dnsmasq_available() -> bool:
    return os.access(DNSMASQ, os.X_OK)


class Dnsmasq:
    """dnsmasq on 127.0.0.1:<free port>, answering `records` (name -> list of
    IPv4/IPv6 literals). Unknown names get NXDOMAIN/REFUSED, never a lookup
    elsewhere."""

    def __init__(self, workdir, records: Dict[str, Sequence[str]],
                 host: str = "127.0.0.1",
                 local_domains: Sequence[str] = ("renewd.test",)) -> None:
        self.local_domains = list(local_domains)
        self.workdir = Path(workdir)
        self.records = {k: list(v) for k, v in records.items()}
        self.host = host
        self.port = 0
        self.proc: Optional[subprocess.Popen] = None
        self.log_path = self.workdir / "dnsmasq.log"

    @property
    def nameserver(self) -> str:
        return f"{self.host}:{self.port}"

    def _args(self) -> List[str]:
        args = [DNSMASQ, "--no-daemon", "--conf-file=/dev/null",
                f"--port={self.port}", f"--listen-address={self.host}",
                "--bind-interfaces", "--no-resolv", "--no-hosts",
                "--no-negcache", "--cache-size=0", "--log-queries",
                f"--log-facility={self.log_path}", "--pid-file="]
        if os.geteuid() == 0:
            args.append("--user=root")
        for dom in self.local_domains:
            args.append(f"--local=/{dom}/")     # unknown names: NXDOMAIN
        for name, addrs in self.records.items():
            # Local: a type it has no record of (AAAA for an IPv4-only
            # name) gets NODATA, not REFUSED.
            args.append(f"--local=/{name}/")
            for a in addrs:
                args.append(f"--host-record={name},{a}")
        return args

    def start(self, timeout: float = 5.0) -> "Dnsmasq":
        if not dnsmasq_available():
            raise DnsError(f"dnsmasq not found at {DNSMASQ}")
        self.workdir.mkdir(parents=True, exist_ok=True)
        last = ""
        for _ in range(5):
            self.port = free_port(self.host)
            self.proc = subprocess.Popen(
                self._args(), stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            if self._wait_ready(timeout):
                return self
            last = self._reap()
            if "in use" not in last:
                break
        raise DnsError(f"dnsmasq did not start: {last.strip()}")

    def _wait_ready(self, timeout: float) -> bool:
        # Asks for a name it holds, or any name: any answer means it is up.
        probe = next(iter(self.records), "ready.renewd.test")
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc.poll() is not None:
                return False
            try:
                query(self.host, self.port, probe, timeout=0.2)
                return True
            except (OSError, DnsError):
                time.sleep(0.05)
        return False

    def _reap(self) -> str:
        out = ""
        if self.proc is not None:
            if self.proc.poll() is None:
                self.proc.kill()
            try:
                out = self.proc.communicate(timeout=5)[0].decode(
                    "utf-8", "replace")
            except subprocess.TimeoutExpired:
                pass
            self.proc = None
        return out

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        if self.proc.stdout:
            self.proc.stdout.close()
        self.proc = None

    def log(self) -> str:
        try:
            return self.log_path.read_text("utf-8", "replace")
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()


# ---- a minimal DNS client (A / AAAA over UDP) ------------------------------

QTYPE = {"A": 1, "AAAA": 28}


def _encode_name(name: str) -> bytes:
    out = b""
    for label in name.rstrip(".").split("."):
        b = label.encode("ascii")
        out += bytes([len(b)]) + b
    return out + b"\0"


def _skip_name(msg: bytes, off: int) -> int:
    while True:
        n = msg[off]
        if n == 0:
            return off + 1
        if n & 0xC0 == 0xC0:
            return off + 2
        off += 1 + n


def query(host: str, port: int, name: str, qtype: str = "A",
          timeout: float = 2.0) -> List[str]:
    """The addresses in the answer to one query; [] for NODATA/NXDOMAIN.
    Raises DnsError on REFUSED/SERVFAIL, OSError on no answer."""
    qid = random.randrange(65536)
    pkt = struct.pack(">HHHHHH", qid, 0x0100, 1, 0, 0, 0) + \
        _encode_name(name) + struct.pack(">HH", QTYPE[qtype], 1)
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        s.sendto(pkt, (host, port))
        while True:
            msg, _ = s.recvfrom(4096)
            if len(msg) >= 12 and struct.unpack(">H", msg[:2])[0] == qid:
                break
    _, flags, qd, an, _, _ = struct.unpack(">HHHHHH", msg[:12])
    rcode = flags & 0xF
    if rcode == 3:
        return []
    if rcode != 0:
        raise DnsError(f"rcode {rcode}")
    off = 12
    for _ in range(qd):
        off = _skip_name(msg, off) + 4
    out = []
    for _ in range(an):
        off = _skip_name(msg, off)
        rtype, _cls, _ttl, rdlen = struct.unpack(">HHIH", msg[off:off + 10])
        off += 10
        rdata = msg[off:off + rdlen]
        off += rdlen
        if rtype == 1 and rdlen == 4:
            out.append(str(ipaddress.IPv4Address(rdata)))
        elif rtype == 28 and rdlen == 16:
            out.append(str(ipaddress.IPv6Address(rdata)))
    return out
