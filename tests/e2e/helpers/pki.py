"""A throw-away PKI for the end-to-end tests.

Roots, intermediates, cross-signed roots and leaves are made at test time with
python3-cryptography and written as PEM files into a directory the caller owns
(a pytest tmp dir). Private keys are the slow part (RSA-2048 takes about half a
second), so a KeyPool hands out the same key for the same (kind, slot) for the
whole session; certificates themselves are cheap and made per test.

Times: `not_before` / `not_after` take either a number of days relative to now
(negative = in the past, fractions allowed) or an absolute datetime (naive
values are taken as UTC).

    keys = KeyPool()
    pki = PKI(tmpdir, keys)
    root = pki.root("Test Root")
    inter = pki.intermediate("Test CA", root)
    leaf = pki.leaf(inter, names=["www.renewd.test"], o="株式会社テスト",
                    key="ec256", not_after=200)
    served = pki.chain_file(leaf, inter)        # leaf + intermediate, PEM
    trust = pki.bundle("trust", [root])         # for ca_file
    req = pki.csr(cn="www.renewd.test", o="株式会社テスト", l="千代田区",
                  st="東京都", c="JP")          # a CSR file (PEM)
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import ipaddress
import itertools
import re
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Optional, Sequence, Union

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = _dt.timezone.utc
JST = _dt.timezone(_dt.timedelta(hours=9), "JST")

When = Union[int, float, _dt.datetime]

KEY_KINDS = ("rsa1024", "rsa2048", "rsa3072", "ec256", "ec384")


# ---- time ------------------------------------------------------------------

def utcnow() -> _dt.datetime:
    """Now, UTC, aware, whole seconds (certificates carry whole seconds)."""
    return _dt.datetime.now(UTC).replace(microsecond=0)


def when(value: When, now: Optional[_dt.datetime] = None) -> _dt.datetime:
    """Days relative to `now` (default: now), or a datetime (naive = UTC)."""
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        return value.astimezone(UTC).replace(microsecond=0)
    base = now if now is not None else utcnow()
    return (base + _dt.timedelta(days=value)).replace(microsecond=0)


def utc_day_at(days: int, hour: int, minute: int = 0,
               second: int = 0) -> _dt.datetime:
    """The UTC date `days` after today's UTC date, at hour:minute:second UTC."""
    d = utcnow().date() + _dt.timedelta(days=days)
    return _dt.datetime(d.year, d.month, d.day, hour, minute, second,
                        tzinfo=UTC)


def jst_date(t: _dt.datetime) -> _dt.date:
    """The Japan (UTC+9) calendar date of an instant."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(JST).date()


def today_jst() -> _dt.date:
    return jst_date(_dt.datetime.now(UTC))


def iso_z(t: _dt.datetime) -> str:
    """2027-03-31T14:59:59Z, the Status JSON's form for instants."""
    if t.tzinfo is None:
        t = t.replace(tzinfo=UTC)
    return t.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


# ---- keys ------------------------------------------------------------------

class KeyPool:
    """Private keys by (kind, slot), made once and reused (thread-safe).

    kind: rsa1024 rsa2048 rsa3072 ec256 ec384. slot: any hashable; different
    slots give different keys of the same kind."""

    def __init__(self) -> None:
        self._keys: dict = {}
        self._lock = threading.Lock()

    def get(self, kind: str = "rsa2048", slot="leaf"):
        if kind not in KEY_KINDS:
            raise ValueError(f"unknown key kind {kind!r} (one of {KEY_KINDS})")
        with self._lock:
            k = self._keys.get((kind, slot))
            if k is None:
                k = _generate(kind)
                self._keys[(kind, slot)] = k
            return k


def _generate(kind: str):
    if kind.startswith("rsa"):
        return rsa.generate_private_key(public_exponent=65537,
                                        key_size=int(kind[3:]))
    curve = {"ec256": ec.SECP256R1(), "ec384": ec.SECP384R1()}[kind]
    return ec.generate_private_key(curve)


def key_desc(key) -> str:
    """"RSA-2048" / "EC-256", as the Status JSON's `key`."""
    if isinstance(key, rsa.RSAPrivateKey):
        return f"RSA-{key.key_size}"
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return f"EC-{key.curve.key_size}"
    raise TypeError(type(key))


# ---- certificates ----------------------------------------------------------

@dataclass
class Cert:
    """One certificate and its private key, both written as PEM."""
    name: str
    cert: x509.Certificate
    key: object
    cert_path: Path
    key_path: Path
    issuer: Optional["Cert"] = field(default=None, repr=False)

    @property
    def pem(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.PEM)

    @property
    def der(self) -> bytes:
        return self.cert.public_bytes(serialization.Encoding.DER)

    @property
    def sha256(self) -> str:
        """Lower-case hex SHA-256 of the DER."""
        return hashlib.sha256(self.der).hexdigest()

    @property
    def serial(self) -> int:
        return self.cert.serial_number

    @property
    def not_before(self) -> _dt.datetime:
        return self.cert.not_valid_before.replace(tzinfo=UTC)

    @property
    def not_after(self) -> _dt.datetime:
        return self.cert.not_valid_after.replace(tzinfo=UTC)

    @property
    def expiry_jst(self) -> _dt.date:
        """The Japan date of notAfter: the deadline date E of a leaf."""
        return jst_date(self.not_after)

    @property
    def key_desc(self) -> str:
        return key_desc(self.key)

    @property
    def subject(self) -> x509.Name:
        return self.cert.subject

    def attr(self, oid) -> Optional[str]:
        v = self.cert.subject.get_attributes_for_oid(oid)
        return v[0].value if v else None

    @property
    def cn(self) -> Optional[str]:
        return self.attr(NameOID.COMMON_NAME)

    @property
    def dns_names(self) -> list:
        try:
            ext = self.cert.extensions.get_extension_for_class(
                x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return []
        return ext.value.get_values_for_type(x509.DNSName)

    @property
    def ip_names(self) -> list:
        try:
            ext = self.cert.extensions.get_extension_for_class(
                x509.SubjectAlternativeName)
        except x509.ExtensionNotFound:
            return []
        return [str(a) for a in ext.value.get_values_for_type(x509.IPAddress)]


def build_name(cn: Optional[str] = None, *, o: Optional[str] = None,
               ou: Optional[str] = None, l: Optional[str] = None,
               st: Optional[str] = None, c: Optional[str] = None) -> x509.Name:
    """A subject in the usual C, ST, L, O, OU, CN order; None = absent.
    Values are used as given (UTF-8 text, even control characters)."""
    attrs = []
    for oid, v in ((NameOID.COUNTRY_NAME, c),
                   (NameOID.STATE_OR_PROVINCE_NAME, st),
                   (NameOID.LOCALITY_NAME, l),
                   (NameOID.ORGANIZATION_NAME, o),
                   (NameOID.ORGANIZATIONAL_UNIT_NAME, ou),
                   (NameOID.COMMON_NAME, cn)):
        if v is not None:
            attrs.append(x509.NameAttribute(oid, v))
    return x509.Name(attrs)


def _slug(s: str) -> str:
    s = re.sub(r"[^A-Za-z0-9._-]+", "-", s).strip("-")
    return s[:40] or "cert"


class PKI:
    """Makes certificates into `directory` (PEM: NAME.crt, NAME.key).

    Safe to use from several threads; every file name is unique."""

    def __init__(self, directory: Union[str, Path],
                 keys: Optional[KeyPool] = None) -> None:
        self.dir = Path(directory)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.keys = keys if keys is not None else KeyPool()
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    # -- files

    def _stem(self, label: str) -> str:
        with self._lock:
            n = next(self._seq)
        return f"{n:04d}-{_slug(label)}"

    def _write(self, label: str, cert: x509.Certificate, key,
               issuer: Optional[Cert]) -> Cert:
        stem = self._stem(label)
        cp = self.dir / f"{stem}.crt"
        kp = self.dir / f"{stem}.key"
        cp.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
        kp.write_bytes(key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption()))
        kp.chmod(0o600)
        return Cert(stem, cert, key, cp, kp, issuer)

    def bundle(self, label: str, certs: Iterable[Cert]) -> Path:
        """Concatenated PEM of `certs` (a trust bundle for ca_file, or a
        served chain)."""
        p = self.dir / f"{self._stem(label)}.pem"
        p.write_bytes(b"".join(c.pem for c in certs))
        return p

    def chain_file(self, leaf: Cert, *extra: Cert) -> Path:
        """What a server sends: the leaf, then `extra` in the given order."""
        return self.bundle(f"chain-{leaf.name}", (leaf, *extra))

    # -- builders

    def _builder(self, subject: x509.Name, issuer_name: x509.Name, pub,
                 not_before: When, not_after: When) -> x509.CertificateBuilder:
        now = utcnow()
        return (x509.CertificateBuilder()
                .subject_name(subject)
                .issuer_name(issuer_name)
                .public_key(pub)
                .serial_number(x509.random_serial_number())
                .not_valid_before(when(not_before, now))
                .not_valid_after(when(not_after, now))
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(pub),
                               critical=False))

    @staticmethod
    def _aki(b: x509.CertificateBuilder, issuer_key) -> x509.CertificateBuilder:
        return b.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_key.public_key()), critical=False)

    @staticmethod
    def _ca_exts(b: x509.CertificateBuilder,
                 path_len: Optional[int]) -> x509.CertificateBuilder:
        return (b.add_extension(x509.BasicConstraints(ca=True,
                                                      path_length=path_len),
                                critical=True)
                .add_extension(x509.KeyUsage(
                    digital_signature=True, content_commitment=False,
                    key_encipherment=False, data_encipherment=False,
                    key_agreement=False, key_cert_sign=True, crl_sign=True,
                    encipher_only=False, decipher_only=False), critical=True))

    def root(self, cn: str, *, o: Optional[str] = "renewd test",
             c: Optional[str] = "JP", key: str = "rsa2048",
             slot=None, not_before: When = -3650,
             not_after: When = 3650) -> Cert:
        """A self-signed root CA. Its key is the pool's (key, slot or cn)."""
        k = self.keys.get(key, slot if slot is not None else ("ca", cn))
        name = build_name(cn, o=o, c=c)
        b = self._builder(name, name, k.public_key(), not_before, not_after)
        b = self._ca_exts(self._aki(b, k), None)
        return self._write(cn, b.sign(k, hashes.SHA256()), k, None)

    def intermediate(self, cn: str, issuer: Cert, *,
                     o: Optional[str] = "renewd test",
                     c: Optional[str] = "JP", key: str = "rsa2048",
                     slot=None, not_before: When = -365,
                     not_after: When = 1825, path_len: Optional[int] = 0
                     ) -> Cert:
        """An intermediate CA issued by `issuer`."""
        k = self.keys.get(key, slot if slot is not None else ("ca", cn))
        b = self._builder(build_name(cn, o=o, c=c), issuer.subject,
                          k.public_key(), not_before, not_after)
        b = self._ca_exts(self._aki(b, issuer.key), path_len)
        return self._write(cn, b.sign(issuer.key, hashes.SHA256()), k, issuer)

    def cross_sign(self, ca: Cert, issuer: Cert, *, not_before: When = -365,
                   not_after: When = 1825) -> Cert:
        """A cross certificate: `ca`'s subject and key, issued by `issuer`
        (typically a new root B cross-signed by an older root A)."""
        b = self._builder(ca.subject, issuer.subject, ca.key.public_key(),
                          not_before, not_after)
        b = self._ca_exts(self._aki(b, issuer.key), None)
        return self._write(f"cross-{ca.cn}-by-{issuer.cn}",
                           b.sign(issuer.key, hashes.SHA256()), ca.key,
                           issuer)

    def leaf(self, issuer: Optional[Cert] = None, *,
             names: Sequence[str] = (), ips: Sequence[str] = (),
             cn: Optional[str] = None, o: Optional[str] = None,
             ou: Optional[str] = None, l: Optional[str] = None,
             st: Optional[str] = None, c: Optional[str] = None,
             subject: Optional[x509.Name] = None,
             key: str = "rsa2048", slot="leaf",
             not_before: When = -1, not_after: When = 200,
             extensions: Sequence[x509.ExtensionType] = (),
             label: Optional[str] = None) -> Cert:
        """A TLS server certificate.

        issuer: the CA that signs it; None makes it self-signed.
        names / ips: the SAN's DNS names and IP addresses (no SAN if both are
        empty). cn defaults to the first name (or IP). o/ou/l/st/c: subject
        fields (None = absent); `subject` replaces them all. extensions:
        more, non-critical (e.g. an x509.UnrecognizedExtension). The default
        validity (yesterday to 200 days out) crosses no reminder threshold,
        so a good chain makes an OK report."""
        k = self.keys.get(key, slot)
        if cn is None:
            cn = names[0] if names else (ips[0] if ips else None)
        subj = subject if subject is not None else \
            build_name(cn, o=o, ou=ou, l=l, st=st, c=c)
        iss_name = issuer.subject if issuer is not None else subj
        iss_key = issuer.key if issuer is not None else k
        b = self._builder(subj, iss_name, k.public_key(), not_before,
                          not_after)
        b = self._aki(b, iss_key)
        b = b.add_extension(x509.BasicConstraints(ca=False, path_length=None),
                            critical=True)
        is_rsa = isinstance(k, rsa.RSAPrivateKey)
        b = b.add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False,
            key_encipherment=is_rsa, data_encipherment=False,
            key_agreement=False, key_cert_sign=False, crl_sign=False,
            encipher_only=False, decipher_only=False), critical=True)
        b = b.add_extension(x509.ExtendedKeyUsage(
            [ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        gn = [x509.DNSName(n) for n in names] + \
             [x509.IPAddress(ipaddress.ip_address(a)) for a in ips]
        if gn:
            b = b.add_extension(x509.SubjectAlternativeName(gn),
                                critical=False)
        for ext in extensions:
            b = b.add_extension(ext, critical=False)
        return self._write(label or (cn or "leaf"),
                           b.sign(iss_key, hashes.SHA256()), k, issuer)

    def csr(self, *, cn: Optional[str] = None, o: Optional[str] = None,
            ou: Optional[str] = None, l: Optional[str] = None,
            st: Optional[str] = None, c: Optional[str] = None,
            names: Sequence[str] = (), key: str = "rsa2048", slot="leaf",
            der: bool = False, label: Optional[str] = None) -> Path:
        """A certificate signing request, as a hosting console makes one:
        the subject fields (None = absent), a subjectAltName request when
        `names` is given, signed by the pool's (key, slot) key. Written as
        PEM (NAME.csr), or DER with der=True; returns the path. The key is
        the same as a leaf(key=..., slot=...)'s, so a CSR and the
        certificate issued for it can share one."""
        k = self.keys.get(key, slot)
        b = x509.CertificateSigningRequestBuilder().subject_name(
            build_name(cn, o=o, ou=ou, l=l, st=st, c=c))
        if names:
            b = b.add_extension(x509.SubjectAlternativeName(
                [x509.DNSName(n) for n in names]), critical=False)
        req = b.sign(k, hashes.SHA256())
        enc = serialization.Encoding.DER if der else \
            serialization.Encoding.PEM
        path = self.dir / f"{self._stem(label or cn or 'csr')}.csr"
        path.write_bytes(req.public_bytes(enc))
        return path


@dataclass
class Hierarchy:
    """The session's standard CAs.

    root_a: an older root. root_b: the current root. inter: "SureServer"-like
    intermediate under root_b (the 3-tier chain: leaf, inter, root_b).
    cross_b: root_b's subject and key issued by root_a (the cross-root
    certificate a server should not send). ca_file: PEM bundle of root_a and
    root_b, for renewd's ca_file."""
    pki: PKI
    root_a: Cert
    root_b: Cert
    inter: Cert
    cross_b: Cert
    ca_file: Path

    def leaf(self, **kw) -> Cert:
        """A leaf issued by `inter` unless issuer= says otherwise."""
        issuer = kw.pop("issuer", self.inter)
        return self.pki.leaf(issuer, **kw)

    def served(self, leaf: Cert, *extra: Cert) -> Path:
        """Chain file of leaf + extra; with no extra: leaf + inter."""
        return self.pki.chain_file(leaf, *(extra or (self.inter,)))


def make_hierarchy(pki: PKI) -> Hierarchy:
    root_a = pki.root("renewd Test Old Root A", not_before=-7000,
                      not_after=3000)
    root_b = pki.root("renewd Test Root B")
    inter = pki.intermediate("renewd Test SureServer CA", root_b)
    cross_b = pki.cross_sign(root_b, root_a)
    ca_file = pki.bundle("trust-roots", [root_a, root_b])
    return Hierarchy(pki, root_a, root_b, inter, cross_b, ca_file)
