import ipaddress

import pytest

from app.netguard import BlockedAddress, embedded_ipv4, resolve_allowed

REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1/",
    "http://localhost/",
    "http://[::1]/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://[::ffff:127.0.0.1]/",
    "http://[2002:7f00:1::]/",  # 6to4 of 127.0.0.1
    "http://[2002:a9fe:a9fe::1]/",  # 6to4 of the metadata address 169.254.169.254
    "http://[2001:0:4136:e378:8000:63bf:f5ff:fffe]/",  # Teredo, client 10.0.0.1
    "http://[64:ff9b::7f00:1]/",  # NAT64 of 127.0.0.1
    "http://[64:ff9b::a9fe:a9fe]/",  # NAT64 of 169.254.169.254
    "http://[64:ff9b:1::c0a8:101]/",  # local-use NAT64 of 192.168.1.1
    "http://[::127.0.0.1]/",  # IPv4-compatible
    "http://[::10.1.2.3]/",
    "http://10.0.0.1/",
    "http://172.16.5.4/",
    "http://192.168.1.1/",
    "http://[fd00:ec2::254]/",
    "http://[fe80::1]/",
    "http://224.0.0.1/",
    "http://0.0.0.0/",
    "http://100.64.0.1/",
    "file:///etc/passwd",
    "gopher://example.com/",
    "ftp://example.com/file",
    "http://user:pass@example.com/",
    "http:///no-host",
]


@pytest.mark.parametrize("url", REFUSED)
def test_refused(url: str) -> None:
    with pytest.raises(BlockedAddress):
        resolve_allowed(url, allow_private=False)


def test_a_name_resolving_to_loopback_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    def fake(host: str, port: int, **_kwargs: object) -> list:
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", port))]

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    with pytest.raises(BlockedAddress, match="loopback"):
        resolve_allowed("https://innocent.example/hook", allow_private=False)


def test_a_public_address_is_allowed(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket

    public = ("93.184.216.34", 443)
    monkeypatch.setattr(
        socket, "getaddrinfo", lambda *_a, **_k: [(socket.AF_INET, socket.SOCK_STREAM, 6, "", public)]
    )
    assert resolve_allowed("https://example.com/hook", allow_private=False) == (
        "example.com",
        443,
        "93.184.216.34",
    )


def test_allow_private_lifts_the_guard_but_not_the_scheme_check() -> None:
    assert resolve_allowed("http://127.0.0.1:8080/x", allow_private=True)[2] == "127.0.0.1"
    with pytest.raises(BlockedAddress):
        resolve_allowed("file:///etc/passwd", allow_private=True)


@pytest.mark.parametrize(
    ("address", "inner"),
    [("2002:c000:0201::1", ["192.0.2.1"]), ("64:ff9b::808:808", ["8.8.8.8"]),
     ("::ffff:8.8.4.4", ["8.8.4.4"]), ("::9.9.9.9", ["9.9.9.9"]), ("::1", []), ("2606:4700::1111", []),
     ("2001:0:4136:e378:8000:63bf:3fff:fdd2", ["65.54.227.120", "192.0.2.45"])],
)  # fmt: skip
def test_embedded_ipv4_addresses_are_found(address: str, inner: list[str]) -> None:
    assert [str(ip) for ip in embedded_ipv4(ipaddress.IPv6Address(address))] == inner


def test_ipv6_forms_of_public_ipv4_addresses_are_allowed() -> None:
    for url in ("http://[64:ff9b::808:808]/", "http://[2002:808:808::1]/"):
        assert resolve_allowed(url, allow_private=False)[2].startswith(("64:ff9b", "2002"))
