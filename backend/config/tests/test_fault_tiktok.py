"""TikTok hanging: every endpoint of the fake answers later than TIKTOK_TIMEOUT_SECONDS.

The client gives up at the timeout and the service answers 504 TIKTOK_TIMEOUT (a batch item
says it); nothing TikTok would have changed is written: the stored profile, status and tokens
stay exactly as they were, and a connect stores no account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import timedelta

import pytest
from django.utils import timezone

from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from config.tests.owned_objects.accounts import linked_account
from testing.accounts import drain, snapshot
from testing.factories import personal_workspace
from testing.http import assert_error

pytestmark = pytest.mark.django_db


@pytest.fixture
def hanging_tiktok(fake_tiktok, settings) -> Iterator[Callable[[], None]]:
    """Turned on by the test once its accounts exist; off and drained afterwards."""
    settings.TIKTOK_TIMEOUT_SECONDS = 0.2

    def hang() -> None:
        fake_tiktok.set_latency(1.0)

    yield hang
    fake_tiktok.set_latency(0)
    drain(fake_tiktok)


def _stored(account_id) -> tuple[dict, tuple]:
    row = TikTokAccount.all_objects.get(pk=account_id)
    tokens = (row.access_token, row.refresh_token, row.token_version, row.status)
    return snapshot(row), tokens


@pytest.mark.parametrize("token_expired", [False, True], ids=["profile-fetch", "token-refresh"])
def test_sync_answers_504_and_keeps_profile_and_tokens(
    auth_client, user, fake_tiktok, hanging_tiktok, token_expired: bool
) -> None:
    account_id = linked_account(user, fake_tiktok)
    if token_expired:  # the sync must refresh first: the refresh is what hangs
        TikTokAccount.objects.filter(pk=account_id).update(
            access_token_expires_at=timezone.now() - timedelta(minutes=1)
        )
    before = _stored(account_id)
    hanging_tiktok()

    response = auth_client.post(f"/api/accounts/{account_id}/sync")

    assert_error(response, 504, "TIKTOK_TIMEOUT")
    assert _stored(account_id) == before
    row = TikTokAccount.objects.get(pk=account_id)
    assert row.status == AccountStatus.ACTIVE
    assert "TIKTOK_TIMEOUT" in row.last_sync_error


def test_batch_sync_reports_each_account_timed_out(
    auth_client, user, fake_tiktok, hanging_tiktok
) -> None:
    ids = [linked_account(user, fake_tiktok) for _ in range(3)]
    before = [_stored(account_id) for account_id in ids]
    hanging_tiktok()

    response = auth_client.post(
        "/api/accounts/batch/sync",
        {"account_ids": [str(account_id) for account_id in ids]},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    assert {item["code"] for item in response.json()["failed"]} == {"TIKTOK_TIMEOUT"}
    assert [_stored(account_id) for account_id in ids] == before


def test_connect_answers_504_and_stores_nothing(
    auth_client, user, fake_tiktok, hanging_tiktok
) -> None:
    person = fake_tiktok.add_identity(open_id="hanging-connect")
    state = auth_client.post("/api/accounts/connect/start").json()["state"]
    code = fake_tiktok.issue_code(person.open_id)
    hanging_tiktok()

    response = auth_client.post(
        "/api/accounts/connect/complete",
        {"code": code, "state": state},
        content_type="application/json",
    )

    assert_error(response, 504, "TIKTOK_TIMEOUT")
    assert not TikTokAccount.all_objects.filter(workspace=personal_workspace(user)).exists()
