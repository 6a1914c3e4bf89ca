"""/api/docs works offline: every asset is ours and nothing points at another host."""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

import pytest
from django.test import Client

pytestmark = pytest.mark.django_db

_ABSOLUTE_URL = re.compile(r"https?://[^\s\"'<>)\\]+")
# XML namespace names inside inline SVG data URIs: identifiers, never fetched by a browser.
_NAMESPACES = {"http://www.w3.org/2000/svg"}


def _text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode()


def _docs_html() -> str:
    response = Client().get("/api/docs")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    return _text(response)


def _asset_urls(html: str) -> list[str]:
    return re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)


def test_docs_page_names_only_same_host_assets() -> None:
    urls = _asset_urls(_docs_html())

    assert urls
    for url in urls:
        parts = urlsplit(url)
        assert not parts.scheme, url
        assert not parts.netloc, url
    assert "/static/ninja/swagger-ui-bundle.js" in urls
    assert "/static/ninja/swagger-ui-init.js" in urls
    assert "/static/ninja/swagger-ui.css" in urls


def test_every_asset_the_docs_page_names_is_served() -> None:
    for url in _asset_urls(_docs_html()):
        response = Client().get(url)
        assert response.status_code == 200, url
        assert _text(response) if url.endswith((".js", ".css")) else True


@pytest.mark.parametrize("asset", ["swagger-ui-init.js", "swagger-ui.css"])
def test_docs_assets_reference_no_other_host(asset: str) -> None:
    text = _text(Client().get(f"/static/ninja/{asset}"))

    assert set(_ABSOLUTE_URL.findall(text)) <= _NAMESPACES
    for url in re.findall(r"url\(\s*[\"']?([^\"')]+)", text):
        assert url.startswith("data:") or not urlsplit(url).netloc, url


def test_docs_page_has_no_absolute_url_and_validator_is_off() -> None:
    html = _docs_html()

    assert _ABSOLUTE_URL.findall(html) == []
    match = re.search(
        r'<script type="application/json" id="swagger-settings">(.*?)</script>', html, re.S
    )
    assert match
    swagger_settings = json.loads(match.group(1))
    assert swagger_settings["validatorUrl"] is None
    assert swagger_settings["url"] == "/api/openapi.json"


def test_openapi_document_is_served() -> None:
    response = Client().get("/api/openapi.json")

    assert response.status_code == 200
    assert "/api/auth/token" in response.json()["paths"]
