"""Shared machinery of the end-to-end tests: a throw-away PKI (pki), loopback
servers (servers), a DNS server on loopback (dns) and a runner for the renewd
and renewctl binaries (renewd)."""
