"""TikTok's webhook signature: `TikTok-Signature: t=<unix seconds>,s=<hex HMAC-SHA256>` over
`"<t>.<raw body>"`, keyed with the app's client secret.

Reference: https://developers.tiktok.com/doc/webhooks-verification
"""

from __future__ import annotations

import hashlib
import hmac
import re

from apps.core.errors import InvalidSignature

_TIMESTAMP = re.compile(r"[0-9]{1,12}")
_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}")


def signature_verify(
    *, header: str | None, body: bytes, secret: str, tolerance: int, now: float
) -> None:
    """Raises InvalidSignature unless `header` signs `body` within `tolerance` s of `now`.

    Works on the raw bytes, before anything parses them. Elements other than `t` and `s` are
    ignored (TikTok may add some, as Stripe did with `v0`); a repeated `t` or `s` is refused.
    """
    fields: dict[str, str] = {}
    for element in (header or "").split(","):
        name, sep, value = element.strip().partition("=")
        if not sep or name in fields:
            raise InvalidSignature
        fields[name] = value.strip()
    timestamp, given = fields.get("t", ""), fields.get("s", "")
    if not _TIMESTAMP.fullmatch(timestamp) or not _HEX_SHA256.fullmatch(given):
        raise InvalidSignature
    expected = _digest(secret, timestamp, body)
    # Both checks always run, so the answer time says nothing about which one failed.
    fresh = abs(now - int(timestamp)) <= tolerance
    if not hmac.compare_digest(expected, given.lower()) or not fresh:
        raise InvalidSignature


def _digest(secret: str, timestamp: str, body: bytes) -> str:
    message = timestamp.encode("ascii") + b"." + body
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()
