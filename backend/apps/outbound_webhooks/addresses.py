"""Where an endpoint may be: the SSRF rules, checked at creation and at every attempt.

An endpoint may never reach a link-local (cloud metadata), multicast, reserved or unspecified
address; a loopback or private one (anything not global) only with
OUTBOUND_WEBHOOKS_ALLOW_PRIVATE; plain http only with OUTBOUND_WEBHOOKS_ALLOW_HTTP. A host name is
resolved once per check and every address it gives must pass; the sender then connects to the
address that passed (transport.py), so a DNS answer that changes in between (rebinding) cannot
slip another address in.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from django.conf import settings

MAX_URL_LENGTH = 2000
IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address


class AddressRefused(Exception):
    """The URL or an address it resolves to is not one an endpoint may have (message: why)."""


@dataclass(frozen=True)
class Target:
    """A checked URL: what to connect to (`address`) and what to name (`host`, for Host/SNI)."""

    scheme: str
    host: str
    port: int
    path: str
    address: str


def url_parse(url: str) -> SplitResult:
    """The URL's parts, or AddressRefused for anything but a plain http(s) URL."""
    if len(url) > MAX_URL_LENGTH or any(char.isspace() for char in url):
        raise AddressRefused(f"must be a URL of at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    schemes = ("https", "http") if settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP else ("https",)
    if parts.scheme not in schemes:
        raise AddressRefused("must be an https:// URL")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise AddressRefused("must name a host, without user name or password")
    try:
        parts.port  # noqa: B018 (raises on a malformed port)
    except ValueError:
        raise AddressRefused("has an invalid port") from None
    return parts


def _embedded_ipv4(address: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv4-mapped (::ffff:a.b.c.d), 6to4 (2002::/16) or Teredo
    (2001::/32, its client) address leads to. NAT64's 64:ff9b::/96 is reserved, so refused."""
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    return None


def address_refusal(address: IPAddress) -> str | None:
    """Why an endpoint may not be at this address; None when it may."""
    if isinstance(address, ipaddress.IPv6Address):
        # An IPv6 form that carries an IPv4 address reaches that address: judged as it.
        embedded = _embedded_ipv4(address)
        if embedded is not None:
            address = embedded
    # ::1 lies in a reserved IPv6 block too: loopback is judged as loopback.
    for kind in ("link_local", "multicast", "reserved", "unspecified"):
        if getattr(address, f"is_{kind}") and not address.is_loopback:
            return f"resolves to a {kind.replace('_', '-')} address"
    if not address.is_global and not settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE:
        kind = "loopback" if address.is_loopback else "private"
        return f"resolves to a {kind} address"
    return None


def _resolve(host: str, port: int) -> list[IPAddress]:
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError):
        raise AddressRefused("has a host name that does not resolve") from None
    return [ipaddress.ip_address(info[4][0].split("%", 1)[0]) for info in infos]


def target_check(url: str) -> Target:
    """Parses and resolves `url`; every address must pass. Raises AddressRefused."""
    parts = url_parse(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    addresses = _resolve(host, port)
    if not addresses:
        raise AddressRefused("has a host name that does not resolve")
    for address in addresses:
        if (refusal := address_refusal(address)) is not None:
            raise AddressRefused(refusal)
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return Target(parts.scheme, host, port, path, str(addresses[0]))
