import pytest

from app.netguard import BlockedAddress, resolve_allowed

REFUSED = [
    "http://169.254.169.254/latest/meta-data/",
    "http://127.0.0.1/",
    "http://localhost/",
    "http://[::1]/",
    "http://0x7f000001/",
    "http://2130706433/",
    "http://017700000001/",
    "http://[::ffff:127.0.0.1]/",
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
