"""Content-Security-Policy for everything under /api/ (Django 5.2 has no CSP setting yet).

JSON answers get the strictest policy: nothing may load, nothing may frame them. The docs page
(the only HTML under /api/) loads its script, styles and images from our own static files and
fetches /api/openapi.json from the same origin; Swagger UI sets inline styles and draws some
icons from data: URIs, hence those two allowances. No other host is ever allowed, so the page
works offline and an injected script from elsewhere cannot run.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

API_POLICY = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
DOCS_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; connect-src 'self'; font-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.path.startswith("/api/"):
            is_html = response.get("Content-Type", "").startswith("text/html")
            response.setdefault("Content-Security-Policy", DOCS_POLICY if is_html else API_POLICY)
        return response
