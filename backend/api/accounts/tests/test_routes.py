"""Every accounts route is reachable with its method, needs a JWT, and declares its answers."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

from testing.factories import TikTokAccountFactory
from testing.http import assert_error, post_json

pytestmark = pytest.mark.django_db


# --- reachability: no literal segment is ever taken for an account id -----------------------


def test_list_route_is_reachable(auth_client, user) -> None:
    response = auth_client.get("/api/accounts")

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"items", "total", "next_cursor", "has_more"}


def test_summary_route_is_reachable_not_taken_for_an_account_id(auth_client, user) -> None:
    response = auth_client.get("/api/accounts/stats/summary")

    assert response.status_code == 200, response.content
    assert "total_accounts" in response.json()


def test_batch_sync_route_is_reachable_not_taken_for_an_account_sync(
    auth_client, user, fake_tiktok
) -> None:
    response = post_json(
        auth_client, "/api/accounts/batch/sync", {"account_ids": [str(uuid.uuid4())]}
    )

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"succeeded", "failed"}


def test_connect_start_route_is_reachable(auth_client, user) -> None:
    response = auth_client.post("/api/accounts/connect/start")

    assert response.status_code == 200, response.content
    assert set(response.json()) == {"authorize_url", "state"}


def test_connect_complete_route_is_reachable(auth_client, user, fake_tiktok) -> None:
    response = post_json(
        auth_client, "/api/accounts/connect/complete", {"code": "c", "state": "unknown"}
    )

    assert_error(response, 400, "INVALID_STATE")


def test_account_routes_are_reachable(auth_client, user, link_account, fake_tiktok) -> None:
    account, _ = link_account(user)
    url = f"/api/accounts/{account.id}"

    assert auth_client.get(url).status_code == 200
    assert auth_client.post(f"{url}/sync").status_code == 200
    assert auth_client.delete(url).status_code == 204


def test_audit_log_route_is_reachable(auth_client, user) -> None:
    response = auth_client.get("/api/audit-logs")

    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "/api/accounts/batch/sync"),
        ("get", "/api/accounts/connect/start"),
        ("get", "/api/accounts/connect/complete"),
        ("post", "/api/accounts/stats/summary"),
        ("delete", "/api/accounts/stats/summary"),
    ],
)
def test_wrong_method_on_a_specific_route_is_405_not_an_account_lookup(
    auth_client, user, method, path
) -> None:
    response = getattr(auth_client, method)(path)

    assert_error(response, 405, "METHOD_NOT_ALLOWED")


# --- authentication matrix ------------------------------------------------------------------

ROUTES = [
    ("get", "/api/accounts", None),
    ("get", "/api/accounts/stats/summary", None),
    ("post", "/api/accounts/batch/sync", {"account_ids": ["00000000-0000-0000-0000-000000000001"]}),
    ("post", "/api/accounts/batch/sync-all", None),
    ("post", "/api/accounts/connect/start", None),
    ("post", "/api/accounts/connect/complete", {"code": "c", "state": "s"}),
    ("get", "/api/accounts/{id}", None),
    ("delete", "/api/accounts/{id}", None),
    ("post", "/api/accounts/{id}/sync", None),
    ("get", "/api/audit-logs", None),
    ("get", "/api/jobs", None),
    ("get", "/api/jobs/{id}", None),
]


def _bad_headers(kind: str, user) -> dict[str, str]:
    if kind == "none":
        return {}
    if kind == "malformed":
        return {"Authorization": "Bearer not.a.jwt"}
    if kind == "not_bearer":
        return {"Authorization": f"Token {AccessToken.for_user(user)}"}
    if kind == "refresh_token":
        return {"Authorization": f"Bearer {RefreshToken.for_user(user)}"}
    token = AccessToken.for_user(user)
    token.set_exp(from_time=timezone.now() - timedelta(hours=1))
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(("method", "path", "body"), ROUTES, ids=[f"{m} {p}" for m, p, _ in ROUTES])
@pytest.mark.parametrize("kind", ["none", "malformed", "not_bearer", "refresh_token", "expired"])
def test_every_route_needs_a_valid_access_token(
    user, fake_tiktok, method, path, body, kind
) -> None:
    account = TikTokAccountFactory(user=user)
    client = Client(headers=_bad_headers(kind, user))
    url = path.replace("{id}", str(account.id))

    if body is None:
        response = getattr(client, method)(url)
    else:
        response = getattr(client, method)(url, body, content_type="application/json")

    assert_error(response, 401, "NOT_AUTHENTICATED")
    assert fake_tiktok.count("user_info") == 0
    assert fake_tiktok.count("revoke") == 0


# --- OpenAPI --------------------------------------------------------------------------------

DECLARED = {
    ("get", "/api/accounts"): {200, 401, 422, 429},
    ("get", "/api/accounts/stats/summary"): {200, 401, 429},
    ("post", "/api/accounts/batch/sync"): {200, 401, 413, 422, 429},
    ("post", "/api/accounts/batch/sync-all"): {202, 401, 413, 422, 429, 503},
    ("post", "/api/accounts/connect/start"): {200, 401, 429},
    ("post", "/api/accounts/connect/complete"): {
        200,
        201,
        400,
        401,
        413,
        422,
        429,
        502,
        504,
    },
    ("get", "/api/accounts/{account_id}"): {200, 401, 404, 422, 429},
    ("delete", "/api/accounts/{account_id}"): {204, 401, 404, 422},
    ("post", "/api/accounts/{account_id}/sync"): {200, 401, 404, 409, 422, 429, 500, 502, 504},
    ("get", "/api/accounts/{account_id}/history"): {200, 401, 404, 422, 429},
    ("get", "/api/accounts/{account_id}/history.csv"): {200, 401, 404, 422, 429},
    ("get", "/api/accounts/{account_id}/analytics"): {200, 401, 404, 422, 429},
    ("get", "/api/accounts/{account_id}/videos.csv"): {200, 401, 404, 422, 429},
    ("get", "/api/accounts/{account_id}/videos/{video_id}/history"): {200, 401, 404, 422, 429},
    ("get", "/api/audit-logs"): {200, 401, 422, 429},
    ("get", "/api/jobs"): {200, 401, 422, 429},
    ("get", "/api/jobs/{job_id}"): {200, 401, 404, 422, 429},
    ("post", "/api/webhooks/tiktok"): {200, 400, 401, 413, 422},
    # Videos and posts of an account (api/videos, api/posts).
    ("post", "/api/accounts/{account_id}/videos/sync"): {
        200,
        401,
        404,
        409,
        422,
        429,
        500,
        502,
        504,
    },
    ("get", "/api/accounts/{account_id}/videos"): {200, 401, 404, 422, 429},
    ("get", "/api/accounts/{account_id}/creator-info"): {200, 401, 404, 409, 422, 429, 502, 504},
    ("post", "/api/accounts/{account_id}/posts"): {
        200,
        202,
        401,
        404,
        409,
        413,
        422,
        429,
        502,
        504,
    },
}


@pytest.fixture
def openapi(client) -> dict:
    response = client.get("/api/openapi.json")
    assert response.status_code == 200, response.content
    return response.json()


def _resolve(spec: dict, schema: dict) -> dict:
    while "$ref" in schema:
        node = spec
        for part in schema["$ref"].removeprefix("#/").split("/"):
            node = node[part]
        schema = node
    return schema


def test_openapi_lists_every_accounts_route(openapi) -> None:
    documented = {
        (method, path)
        for path, operations in openapi["paths"].items()
        if path.startswith(("/api/accounts", "/api/audit-logs", "/api/jobs", "/api/webhooks"))
        for method in operations
    }

    assert documented == set(DECLARED)


@pytest.mark.parametrize(("method", "path"), list(DECLARED), ids=[f"{m} {p}" for m, p in DECLARED])
def test_openapi_declares_every_status_a_route_can_answer(openapi, method, path) -> None:
    responses = openapi["paths"][path][method]["responses"]

    assert DECLARED[(method, path)] <= {int(status) for status in responses}


@pytest.mark.parametrize(("method", "path"), list(DECLARED), ids=[f"{m} {p}" for m, p in DECLARED])
def test_openapi_error_answers_have_the_error_shape(openapi, method, path) -> None:
    responses = openapi["paths"][path][method]["responses"]

    for status, answer in responses.items():
        if int(status) < 400:
            continue
        schema = _resolve(openapi, answer["content"]["application/json"]["schema"])
        assert {"detail", "code"} <= set(schema["properties"]), (status, schema)
        if int(status) == 422:
            assert "errors" in schema["properties"]


def test_oversized_batch_body_is_413(auth_client, user, settings) -> None:
    padding = "x" * (settings.MAX_REQUEST_BODY_BYTES + 1)

    response = post_json(
        auth_client, "/api/accounts/batch/sync", {"account_ids": [], "padding": padding}
    )

    assert_error(response, 413, "PAYLOAD_TOO_LARGE")
