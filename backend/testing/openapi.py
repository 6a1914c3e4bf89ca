"""What tests that walk the OpenAPI document ask of an operation."""

from __future__ import annotations

from typing import Any

from config.openapi import SIGNATURE_SCHEMES


def takes_user_credential(operation: dict[str, Any]) -> bool:
    """True when the operation needs a user's credential (a JWT): not public, not sender-signed.

    Every operation declares `security` (config.openapi); `[]` is public, and a signature
    scheme (TikTok's webhook) is its sender's proof, not a user's.
    """
    return any(
        name not in SIGNATURE_SCHEMES
        for requirement in operation.get("security", [])
        for name in requirement
    )
