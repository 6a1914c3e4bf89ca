"""The SSRF rules, at creation and at every attempt, against the address actually connected to.
DNS is the test's: socket.getaddrinfo answers what each case needs."""

from __future__ import annotations

import socket

import pytest

from apps.outbound_webhooks.addresses import AddressRefused, target_check
from apps.outbound_webhooks.transport import endpoint_post
from testing.receiver import receiving


def _dns(monkeypatch: pytest.MonkeyPatch, answers: dict[str, list[str]]) -> list[str]:
    asked: list[str] = []
    real = socket.getaddrinfo

    def getaddrinfo(host: str, port: int, *args: object, **kwargs: object) -> list:
        if host not in answers:
            return real(host, port, *args, **kwargs)
        asked.append(host)
        return [
            (
                socket.AF_INET6 if ":" in ip else socket.AF_INET,
                socket.SOCK_STREAM,
                6,
                "",
                (ip, port),
            )
            for ip in answers[host]
        ]

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return asked


@pytest.mark.parametrize(
    "address",
    [
        "169.254.169.254",
        "fe80::1",
        "224.0.0.1",
        "0.0.0.0",  # noqa: S104
        "::",
        "240.0.0.1",
        "::ffff:169.254.1.1",  # IPv4-mapped
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:5601:5601",  # Teredo, client 169.254.169.254
        "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    ],
)
def test_link_local_multicast_reserved_and_unspecified_are_refused_even_when_private_is_allowed(
    monkeypatch, settings, address
) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    _dns(monkeypatch, {"metadata.example": [address]})
    with pytest.raises(AddressRefused):
        target_check("https://metadata.example/hook")


@pytest.mark.parametrize("address", ["127.0.0.1", "10.1.2.3", "192.168.0.9", "::1", "fd00::1"])
def test_loopback_and_private_are_refused_unless_allowed(monkeypatch, settings, address) -> None:
    _dns(monkeypatch, {"inside.example": [address]})
    with pytest.raises(AddressRefused, match=r"loopback|private"):
        target_check("https://inside.example/hook")
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    assert target_check("https://inside.example/hook").address == address


def test_a_name_with_one_bad_address_among_good_ones_is_refused(monkeypatch) -> None:
    _dns(monkeypatch, {"mixed.example": ["93.184.216.34", "169.254.169.254"]})
    with pytest.raises(AddressRefused, match="link-local"):
        target_check("https://mixed.example/hook")


@pytest.mark.parametrize(
    "url",
    [
        "http://93.184.216.34/hook",  # plain http
        "ftp://example.com/x",
        "https://user:pw@example.com/hook",
        "https:///no-host",
        "https://example.com:99999/",
        "https://example.com/" + "a" * 2000,
        "https://exa mple.com/",
    ],
)
def test_what_is_no_plain_https_url_is_refused(url) -> None:
    with pytest.raises(AddressRefused):
        target_check(url)


def test_a_name_that_rebinds_to_metadata_after_creation_is_refused_at_delivery(
    monkeypatch, settings
) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True
    answers = {"rebind.example": ["93.184.216.34"]}
    _dns(monkeypatch, answers)
    target_check("http://rebind.example/hook")  # passes at creation
    answers["rebind.example"] = ["169.254.169.254"]
    outcome = endpoint_post(url="http://rebind.example/hook", body=b"{}", headers={})
    assert outcome.status_code is None
    assert outcome.error == "address refused: the URL resolves to a link-local address"


def test_the_sender_connects_to_the_checked_address_and_names_the_host(
    monkeypatch, settings
) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    asked = _dns(monkeypatch, {"hooks.example": ["127.0.0.1"]})
    with receiving() as receiver:
        url = f"http://hooks.example:{receiver.port}/in?x=1"
        outcome = endpoint_post(url=url, body=b"{}", headers={"webhook-id": "e1"})
    assert outcome.ok
    [request] = receiver.requests
    assert request.headers["host"] == f"hooks.example:{receiver.port}"
    assert request.path == "/in?x=1"
    assert asked == ["hooks.example"]  # resolved once, by the check; the connection used it


def test_a_loopback_name_is_refused_at_delivery_without_allow_private(
    monkeypatch, settings
) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True
    _dns(monkeypatch, {"hooks.example": ["127.0.0.1"]})
    with receiving() as receiver:
        outcome = endpoint_post(
            url=f"http://hooks.example:{receiver.port}/", body=b"{}", headers={}
        )
        assert receiver.requests == []
    assert outcome.error == "address refused: the URL resolves to a loopback address"
