"""One POST to an endpoint: to the address the SSRF check passed, never following redirects.

urllib3 connects to the checked IP address while the request names the host (Host header, TLS
SNI and certificate check), so the address connected to is the one checked. The whole attempt
is bounded by OUTBOUND_WEBHOOK_TIMEOUT_SECONDS; the answer's body is never read.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import urllib3
from django.conf import settings

from apps.outbound_webhooks.addresses import AddressRefused, target_check

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Outcome:
    status_code: int | None = None
    error: str | None = None
    # No answer at all: a timeout or a failed connection (not a refused address, a TLS error, or
    # an unreadable secret). Such an endpoint is held (hold.py) so it ties up one worker slot.
    unanswered: bool = False

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def _host_header(host: str, port: int, scheme: str) -> str:
    name = f"[{host}]" if ":" in host else host
    default = 443 if scheme == "https" else 80
    return name if port == default else f"{name}:{port}"


def endpoint_post(*, url: str, body: bytes, headers: dict[str, str]) -> Outcome:
    """POSTs `body`; the outcome says the status code, or why there is none. Never raises."""
    try:
        target = target_check(url)
    except AddressRefused as exc:
        return Outcome(error=f"address refused: the URL {exc}")
    timeout = urllib3.Timeout(total=settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS)
    pool: urllib3.HTTPConnectionPool
    if target.scheme == "https":
        pool = urllib3.HTTPSConnectionPool(
            target.address,
            target.port,
            timeout=timeout,
            retries=False,
            cert_reqs="CERT_REQUIRED",
            server_hostname=target.host,
            assert_hostname=target.host,
        )
    else:
        pool = urllib3.HTTPConnectionPool(
            target.address, target.port, timeout=timeout, retries=False
        )
    sent = {**headers, "Host": _host_header(target.host, target.port, target.scheme)}
    try:
        response = pool.urlopen(
            "POST",
            target.path,
            body=body,
            headers=sent,
            redirect=False,
            assert_same_host=False,
            preload_content=False,
        )
        return Outcome(status_code=response.status, error=_status_error(response.status))
    except urllib3.exceptions.NewConnectionError:  # a subclass of the timeout, for history
        return Outcome(error="connection failed", unanswered=True)
    except urllib3.exceptions.TimeoutError:
        return Outcome(error="timeout", unanswered=True)
    except urllib3.exceptions.SSLError:
        return Outcome(error="TLS error")
    except urllib3.exceptions.HTTPError as exc:
        logger.info("Webhook attempt to %s failed: %s", target.host, type(exc).__name__)
        return Outcome(error="connection failed", unanswered=True)
    finally:
        pool.close()


def _status_error(status: int) -> str | None:
    return None if 200 <= status < 300 else f"HTTP {status}"
