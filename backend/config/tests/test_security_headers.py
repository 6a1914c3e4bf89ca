"""Response headers (OWASP API8): nosniff, referrer policy, no framing, CSP, HSTS behind TLS.

The docs page's CSP is checked in a real headless Chromium when one is installed: with the
policy on, the page must load its scripts, fetch the OpenAPI document and render the operations
(a policy that blocks any of that leaves the page empty).
"""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.test import Client

from apps.core.security_headers import API_POLICY, DOCS_POLICY

pytestmark = pytest.mark.django_db

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.parametrize(
    ("path", "status"),
    [("/api/health", 200), ("/api/auth/me", 401), ("/api/nothing-here", 404)],
)
def test_api_answers_carry_the_hardening_headers(path: str, status: int) -> None:
    response = Client().get(path)

    assert response.status_code == status
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Content-Security-Policy"] == API_POLICY


def test_docs_page_has_a_policy_that_allows_only_its_own_origin() -> None:
    response = Client().get("/api/docs")

    assert response.status_code == 200
    assert response["Content-Security-Policy"] == DOCS_POLICY
    assert "http" not in DOCS_POLICY  # no other host, so no CDN: the page works offline


@pytest.fixture
def behind_tls_proxy(settings) -> None:
    """What settings.py sets with DEBUG off (and SECURE_PROXY_SSL_HEADER=true behind a proxy)."""
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True
    settings.SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")


@pytest.mark.usefixtures("behind_tls_proxy")
def test_hsts_is_sent_on_requests_that_arrived_over_tls() -> None:
    response = Client().get("/api/health", headers={"X-Forwarded-Proto": "https"})

    assert response["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"


@pytest.mark.usefixtures("behind_tls_proxy")
def test_hsts_is_not_sent_over_plain_http() -> None:
    # Browsers ignore it there, and a development server on http must not pin itself to https.
    assert "Strict-Transport-Security" not in Client().get("/api/health")


@pytest.mark.skipif(CHROMIUM is None, reason="no headless Chromium on this machine")
@pytest.mark.django_db(transaction=True)
def test_docs_page_renders_in_chromium_under_its_policy(live_server) -> None:
    run = subprocess.run(  # noqa: S603 (fixed arguments, no shell)
        [
            CHROMIUM,
            *("--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"),
            "--virtual-time-budget=15000",
            "--dump-dom",
            f"{live_server.url}/api/docs",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    # Swagger UI fetched /api/openapi.json and drew the operations from it.
    assert "List the workspace" in run.stdout, run.stderr[-3000:]
    assert "opblock" in run.stdout
