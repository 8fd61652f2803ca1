"""The address guard shared by webhooks and source URLs: public http(s) targets only.

Checked when a URL is submitted and again when connecting (DNS may change in between):
the connection goes to the very address that was checked.
"""

from __future__ import annotations

import http.client
import ipaddress
import socket
import ssl
from urllib.parse import urlsplit

ALLOWED_SCHEMES = ("http", "https")
METADATA_ADDRESSES = {ipaddress.ip_address("169.254.169.254"), ipaddress.ip_address("fd00:ec2::254")}


class BlockedAddress(Exception):
    """The URL may not be fetched; the message says why, for a person."""


def resolve_allowed(url: str, allow_private: bool) -> tuple[str, int, str]:
    """Check ``url`` and resolve it: (host, port, an allowed IP address) or BlockedAddress."""
    try:
        url.encode("utf-8")  # a lone surrogate (JSON's "\ud800") is no character of any URL
        parts = urlsplit(url)
    except (UnicodeEncodeError, ValueError) as exc:  # "http://[::1/x": an unclosed IPv6 address
        raise BlockedAddress("the URL is not well formed") from exc
    if parts.scheme not in ALLOWED_SCHEMES:
        raise BlockedAddress("only http and https URLs are allowed")
    if not parts.hostname:
        raise BlockedAddress("the URL has no host")
    if parts.username or parts.password:
        raise BlockedAddress("URLs with credentials are not allowed")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError as exc:
        raise BlockedAddress("the URL's port is not valid") from exc
    try:
        infos = socket.getaddrinfo(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise BlockedAddress(f"the host {parts.hostname!r} does not resolve") from exc
    addresses = [str(info[4][0]) for info in infos]
    if not allow_private:
        for address in addresses:
            reason = _why_blocked(ipaddress.ip_address(address.split("%")[0]))
            if reason:
                raise BlockedAddress(f"the host {parts.hostname!r} resolves to a {reason} address")
    return parts.hostname, port, addresses[0]


NAT64_PREFIXES = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
IPV4_COMPATIBLE = ipaddress.ip_network("::/96")  # deprecated ::a.b.c.d (:: and ::1 excluded below)


def embedded_ipv4(ip: ipaddress.IPv6Address) -> list[ipaddress.IPv4Address]:
    """The IPv4 addresses an IPv6 address carries: IPv4-mapped, 6to4, Teredo (server and
    client), NAT64 (well-known and local-use prefixes) and IPv4-compatible forms."""
    if ip.ipv4_mapped is not None:
        return [ip.ipv4_mapped]
    if ip.sixtofour is not None:
        return [ip.sixtofour]
    if ip.teredo is not None:
        return list(ip.teredo)
    if any(ip in prefix for prefix in NAT64_PREFIXES):
        return [ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)]
    if ip in IPV4_COMPATIBLE and int(ip) > 1:
        return [ipaddress.IPv4Address(int(ip))]
    return []


def _why_blocked(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str | None:
    """Why a connection to ``ip`` is refused (None: it is a public address)."""
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else []
    if inner:  # judged as the IPv4 addresses it reaches
        return next((reason for reason in map(_why_blocked, inner) if reason), None)
    if ip in METADATA_ADDRESSES:
        return "cloud metadata"
    for reason, flag in (
        ("loopback", ip.is_loopback),
        ("private", ip.is_private),
        ("link-local", ip.is_link_local),
        ("multicast", ip.is_multicast),
        ("reserved", ip.is_reserved or ip.is_unspecified),
    ):
        if flag:
            return reason
    return None if ip.is_global else "non-public"


def open_guarded(
    method: str,
    url: str,
    allow_private: bool,
    timeout: float,
    body: bytes | None = None,
    headers: dict[str, str] | None = None,
) -> http.client.HTTPResponse:
    """Send one request to the checked address (no redirects followed); the caller reads and closes."""
    host, port, address = resolve_allowed(url, allow_private)
    parts = urlsplit(url)
    connection: http.client.HTTPConnection
    if parts.scheme == "https":
        connection = _PinnedHTTPSConnection(host, port, address, timeout)
    else:
        connection = _PinnedHTTPConnection(host, port, address, timeout)
    path = parts.path or "/"
    if parts.query:
        path += "?" + parts.query
    connection.request(method, path, body=body, headers=headers or {})
    return connection.getresponse()


class _PinnedHTTPConnection(http.client.HTTPConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self._address = address

    def connect(self) -> None:
        self.sock = socket.create_connection((self._address, self.port), self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(self, host: str, port: int, address: str, timeout: float) -> None:
        super().__init__(host, port, timeout=timeout, context=ssl.create_default_context())
        self._address = address

    def connect(self) -> None:
        raw = socket.create_connection((self._address, self.port), self.timeout)
        self.sock = self._context.wrap_socket(raw, server_hostname=self.host)  # type: ignore[attr-defined]
