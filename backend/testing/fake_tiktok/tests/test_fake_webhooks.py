"""The fake TikTok sends signed webhooks to a running service: the control calls and the page."""

from __future__ import annotations

import time

import pytest
import requests

from apps.audit.models import AuditLog
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from testing.accounts import fake_grant
from testing.factories import TikTokAccountFactory

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def service(live_server, fake_tiktok):
    """The fake points its deliveries at a live server of the service."""
    previous = fake_tiktok.service_url
    fake_tiktok.service_url = live_server.url
    yield fake_tiktok
    fake_tiktok.service_url = previous


def _linked_account(fake, open_id: str) -> TikTokAccount:
    fake.add_identity(open_id=open_id)
    grant = fake_grant(fake, open_id)
    return TikTokAccountFactory(
        open_id=open_id, access_token=grant["access_token"], refresh_token=grant["refresh_token"]
    )


def test_the_deauthorize_control_revokes_at_the_fake_and_at_the_service(service) -> None:
    account = _linked_account(service, "fake-webhook-user")

    answer = requests.post(
        f"{service.base_url}/_fake/deauthorize",
        json={"open_id": account.open_id, "reason": 4},
        timeout=15,
    ).json()

    assert answer == {"status": 200, "body": {"status": "processed"}}
    stored = TikTokAccount.all_objects.get(pk=account.pk)
    assert stored.status == AccountStatus.REVOKED
    assert "(reason 4)" in stored.last_sync_error
    assert AuditLog.objects.get().metadata["reason"] == 4
    # TikTok revokes before it tells: the tokens are dead at the fake too.
    info = requests.get(
        f"{service.base_url}/v2/user/info/",
        params={"fields": "open_id"},
        headers={"Authorization": f"Bearer {account.access_token}"},
        timeout=5,
    )
    assert info.status_code == 401


def test_the_webhook_control_sends_any_event_and_reports_the_answer(service) -> None:
    def send(**args):
        response = requests.post(f"{service.base_url}/_fake/webhook", json=args, timeout=15)
        return response.json()

    # The same event twice: one create_time, or a second boundary between the sends makes two.
    event = {
        "event": "post.publish.complete",
        "open_id": "nobody",
        "content": {"publish_id": "p1"},
        "create_time": int(time.time()),
    }
    first = send(**event)
    again = send(**event)

    assert first == {"status": 200, "body": {"status": "ignored"}}
    assert again == {"status": 200, "body": {"status": "duplicate"}}


def test_the_demo_page_has_a_button_that_removes_access(service) -> None:
    account = _linked_account(service, "fake-webhook-button")

    page = requests.get(f"{service.base_url}/demo/webhooks", timeout=5).text
    pressed = requests.post(
        f"{service.base_url}/demo/webhooks",
        data={"open_id": account.open_id, "reason": "1"},
        timeout=15,
    )

    assert f"value='{account.open_id}'" in page
    assert "<button type='submit'>Remove the app's access</button>" in page
    assert pressed.status_code == 200
    assert "processed" in pressed.text
    assert TikTokAccount.all_objects.get(pk=account.pk).status == AccountStatus.REVOKED


def test_an_unreachable_service_is_reported_not_raised(fake_tiktok) -> None:
    answer = fake_tiktok.webhooks.send(
        event="authorization.removed", open_id="x", url="http://127.0.0.1:9/api/webhooks/tiktok"
    )

    assert answer["status"] == 0
    assert answer["body"] is None
