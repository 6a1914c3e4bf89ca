"""CORS: only the origins of CORS_ALLOWED_ORIGINS may call the API from a browser."""

import pytest

pytestmark = pytest.mark.django_db

ALLOWED = "https://app.example.com"


@pytest.fixture(autouse=True)
def _allow_one_origin(settings) -> None:
    settings.CORS_ALLOWED_ORIGINS = [ALLOWED]


def _preflight(client, origin: str):
    return client.options(
        "/api/accounts",
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "authorization",
        },
    )


def test_preflight_from_an_allowed_origin_is_answered(client) -> None:
    response = _preflight(client, ALLOWED)
    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == ALLOWED
    assert "authorization" in response["Access-Control-Allow-Headers"]


def test_other_origins_get_no_cors_headers(client) -> None:
    response = _preflight(client, "https://evil.example.net")
    assert "Access-Control-Allow-Origin" not in response
    answer = client.get("/api/health", headers={"Origin": "https://evil.example.net"})
    assert "Access-Control-Allow-Origin" not in answer
