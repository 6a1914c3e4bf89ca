"""`/api/webhook-endpoints` and `/api/webhook-deliveries` end to end through the test client."""

from __future__ import annotations

import base64

import pytest
from django.test import Client

from apps.audit.models import AuditLog
from apps.events.models import Event
from apps.outbound_webhooks.models import Delivery, WebhookEndpoint
from apps.workspaces.models import Membership, Role
from testing.factories import UserFactory, personal_workspace
from testing.http import assert_error, assert_validation_error, bearer_header, post_json
from testing.receiver import receiving

pytestmark = pytest.mark.django_db
ENDPOINTS = "/api/webhook-endpoints"
ENDPOINT_OUT = {
    "id",
    "url",
    "events",
    "description",
    "is_active",
    "disabled_reason",
    "created_at",
    "updated_at",
}


@pytest.fixture
def loopback(settings) -> None:
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True


def _member(user, role: Role) -> Client:
    other = UserFactory()
    Membership.objects.create(workspace=personal_workspace(user), user=other, role=role)
    return Client(
        headers={**bearer_header(other), "X-Workspace-Id": str(personal_workspace(user).id)}
    )


def test_an_admin_creates_an_endpoint_and_sees_its_secret_once(auth_client, user, loopback) -> None:
    answer = post_json(
        auth_client,
        ENDPOINTS,
        {"url": "http://127.0.0.1:9/hook", "events": ["post.published", "*"], "description": "CRM"},
    )
    assert answer.status_code == 201, answer.content
    body = answer.json()
    secret = body.pop("secret")
    assert set(body) == ENDPOINT_OUT
    assert secret.startswith("whsec_")
    assert len(base64.b64decode(secret[6:])) == 32
    assert body["events"] == ["*"]
    assert (body["is_active"], body["disabled_reason"], body["description"]) == (True, None, "CRM")
    listed = auth_client.get(ENDPOINTS).json()["items"]
    assert listed == [body]
    assert secret not in auth_client.get(f"{ENDPOINTS}/{body['id']}").content.decode()
    entry = AuditLog.objects.get(action="webhook_endpoint_create")
    assert (entry.resource_type, str(entry.resource_id)) == ("webhook_endpoint", body["id"])
    assert secret not in str(entry.metadata)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1/hook", "https://169.254.169.254/latest", "https://127.0.0.1/x", "ftp://a.b"],
)
def test_an_unsafe_url_is_refused_with_422(auth_client, url) -> None:
    answer = post_json(auth_client, ENDPOINTS, {"url": url, "events": ["*"]})
    [error] = assert_validation_error(answer)
    assert error["loc"] == ["body", "payload", "url"]
    assert not WebhookEndpoint.objects.exists()


def test_a_url_is_checked_again_when_changed_and_may_have_2000_characters(
    auth_client, loopback
) -> None:
    longest = "http://127.0.0.1/" + "a" * (2000 - len("http://127.0.0.1/"))
    created = post_json(auth_client, ENDPOINTS, {"url": longest, "events": ["*"]})
    assert created.status_code == 201, created.content
    path = f"{ENDPOINTS}/{created.json()['id']}"
    for url in ("https://169.254.169.254/latest", longest + "a"):
        answer = auth_client.patch(path, {"url": url}, content_type="application/json")
        [error] = assert_validation_error(answer)
        assert error["loc"] == ["body", "payload", "url"]
    assert WebhookEndpoint.objects.get().url == longest


@pytest.mark.parametrize("query", ["limit=0", "limit=51", "status=sent"])
def test_the_delivery_list_refuses_a_bad_filter(auth_client, user, query) -> None:
    endpoint = WebhookEndpoint.objects.create(
        workspace=personal_workspace(user), url="https://a.example/", secret="whsec_x"
    )
    assert_validation_error(auth_client.get(f"{ENDPOINTS}/{endpoint.id}/deliveries?{query}"))


def test_unknown_event_types_and_an_empty_list_are_refused(auth_client, loopback) -> None:
    for events in ([], ["account.renamed"]):
        answer = post_json(auth_client, ENDPOINTS, {"url": "http://127.0.0.1/", "events": events})
        assert_validation_error(answer)


def test_viewers_read_and_only_admins_write(user, loopback) -> None:
    endpoint = WebhookEndpoint.objects.create(
        workspace=personal_workspace(user), url="http://127.0.0.1/", events=["*"], secret="whsec_x"
    )
    viewer, editor = _member(user, Role.VIEWER), _member(user, Role.EDITOR)
    assert viewer.get(ENDPOINTS).status_code == 200
    assert viewer.get(f"{ENDPOINTS}/{endpoint.id}/deliveries").status_code == 200
    for client in (viewer, editor):
        assert_error(
            post_json(client, ENDPOINTS, {"url": "http://127.0.0.1/", "events": ["*"]}),
            403,
            "INSUFFICIENT_ROLE",
        )
        assert_error(client.delete(f"{ENDPOINTS}/{endpoint.id}"), 403, "INSUFFICIENT_ROLE")
    admin = _member(user, Role.ADMIN)
    assert admin.post(f"{ENDPOINTS}/{endpoint.id}/rotate-secret").status_code == 200


def test_another_workspaces_endpoint_and_delivery_are_not_found(auth_client, other_user) -> None:
    endpoint = WebhookEndpoint.objects.create(
        workspace=personal_workspace(other_user), url="https://a.example/", secret="whsec_x"
    )
    assert_error(auth_client.get(f"{ENDPOINTS}/{endpoint.id}"), 404, "WEBHOOK_ENDPOINT_NOT_FOUND")
    assert_error(
        auth_client.get(f"{ENDPOINTS}/{endpoint.id}/deliveries"), 404, "WEBHOOK_ENDPOINT_NOT_FOUND"
    )
    event = Event.objects.create(workspace=endpoint.workspace, type="ping")
    ping = Delivery.objects.create(endpoint=endpoint, event=event)
    assert_error(
        auth_client.post(f"/api/webhook-deliveries/{ping.id}/redeliver"), 404, "DELIVERY_NOT_FOUND"
    )


def test_patch_reactivates_rotate_test_list_redeliver_and_delete(
    auth_client, loopback, django_capture_on_commit_callbacks
) -> None:
    with receiving() as receiver:
        created = post_json(auth_client, ENDPOINTS, {"url": receiver.url, "events": ["*"]}).json()
        path = f"{ENDPOINTS}/{created['id']}"
        WebhookEndpoint.objects.filter(pk=created["id"]).update(
            is_active=False, disabled_reason="failing"
        )
        patched = auth_client.patch(
            path, {"is_active": True, "description": "again"}, content_type="application/json"
        ).json()
        assert (patched["is_active"], patched["disabled_reason"]) == (True, None)

        rotated = auth_client.post(f"{path}/rotate-secret").json()["secret"]
        assert rotated != created["secret"]

        with django_capture_on_commit_callbacks(execute=True):  # eager: sent at commit
            ping = auth_client.post(f"{path}/test")
        assert ping.status_code == 202
        assert (ping.json()["event_type"], ping.json()["status"]) == ("ping", "pending")
        [request] = receiver.requests
        assert len(request.headers["webhook-signature"].split(" ")) == 2  # the overlap

        page = auth_client.get(f"{path}/deliveries?limit=1").json()
        assert [d["id"] for d in page["items"]] == [ping.json()["id"]]
        assert page["items"][0]["status"] == "succeeded"
        with django_capture_on_commit_callbacks(execute=True):
            again = auth_client.post(f"/api/webhook-deliveries/{ping.json()['id']}/redeliver")
        assert again.status_code == 202
        assert again.json()["event_id"] == ping.json()["event_id"]
        assert len(receiver.requests) == 2

        first = auth_client.get(f"{path}/deliveries?limit=1").json()
        assert first["has_more"] is True
        rest = auth_client.get(f"{path}/deliveries?limit=1&cursor={first['next_cursor']}").json()
        assert rest["items"][0]["id"] == ping.json()["id"]
        wrong = auth_client.get(f"{path}/deliveries?status=failed&cursor={first['next_cursor']}")
        assert_error(wrong, 422, "INVALID_CURSOR")

        assert auth_client.delete(path).status_code == 204
        assert_error(auth_client.get(path), 404, "WEBHOOK_ENDPOINT_NOT_FOUND")
    actions = set(AuditLog.objects.values_list("action", flat=True))
    assert {
        "webhook_endpoint_create",
        "webhook_endpoint_update",
        "webhook_endpoint_rotate",
        "webhook_endpoint_delete",
    } <= actions
    for secret in (created["secret"], rotated):
        assert all(secret not in str(e.metadata) + str(e.changes) for e in AuditLog.objects.all())


def test_writes_count_against_the_manage_limit(auth_client, settings, loopback) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "manage": "2/m"}
    payload = {"url": "http://127.0.0.1/", "events": ["*"]}
    assert post_json(auth_client, ENDPOINTS, payload).status_code == 201
    assert post_json(auth_client, ENDPOINTS, payload).status_code == 201
    assert_error(post_json(auth_client, ENDPOINTS, payload), 429, "RATE_LIMITED")
    assert auth_client.get(ENDPOINTS).status_code == 200  # reads have their own limit


def test_every_read_of_endpoints_deliveries_and_keys_counts_against_the_read_limit(
    auth_client, user, settings
) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "read": "4/m"}
    endpoint = WebhookEndpoint.objects.create(
        workspace=personal_workspace(user), url="https://a.example/", secret="whsec_x"
    )
    reads = [
        ENDPOINTS,
        f"{ENDPOINTS}/{endpoint.id}",
        f"{ENDPOINTS}/{endpoint.id}/deliveries",
        "/api/api-keys",
    ]
    assert [auth_client.get(path).status_code for path in reads] == [200] * 4
    for path in reads:
        assert_error(auth_client.get(path), 429, "RATE_LIMITED")
