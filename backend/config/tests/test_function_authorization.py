"""Function-level authorization (OWASP API5): JWT is the default; opting out is a decision.

Generated from the OpenAPI document: an operation that takes no user credential is public
(`security: []`, or its sender's signature). The public ones are exactly those listed here, so
a new public route fails this test until it is added on purpose (a webhook signed by its
sender, say).
"""

from __future__ import annotations

from config.api import api
from testing.openapi import takes_user_credential

PUBLIC = {
    ("POST", "/api/auth/register"),
    ("POST", "/api/auth/token"),
    ("POST", "/api/auth/token/refresh"),
    ("GET", "/api/health"),
    # The orchestrator's probes, like health.
    ("GET", "/api/health/live"),
    ("GET", "/api/health/ready"),
    # TikTok's calls: the HMAC signature over the raw body is the credential.
    ("POST", "/api/webhooks/tiktok"),
}


def test_only_the_listed_operations_are_public() -> None:
    schema = api.get_openapi_schema()
    public = {
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        for method, operation in methods.items()
        if not takes_user_credential(operation)
    }

    assert public == PUBLIC
