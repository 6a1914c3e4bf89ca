"""The TikTok budget (requests answer 429, background work waits) and the audit actor.

Transactional: the worker threads use their own database connections.
"""

from __future__ import annotations

import pytest

from apps.audit.models import AuditLog
from integrations.tiktok import budget
from testing.http import assert_error

pytestmark = pytest.mark.django_db(transaction=True)


def _entries(account, action: str) -> list[AuditLog]:
    return list(AuditLog.objects.filter(resource_id=account.id, action=action))


def test_a_request_that_finds_no_budget_answers_429_without_calling_tiktok(
    auth_client, user, link_account, fake_tiktok, settings
) -> None:
    settings.TIKTOK_REQUESTS_PER_MINUTE = 1
    first, _ = link_account(user)
    second, _ = link_account(user)
    assert auth_client.post(f"/api/accounts/{first.id}/sync").status_code == 200

    response = auth_client.post(f"/api/accounts/{second.id}/sync")

    assert_error(response, 429, "TIKTOK_RATE_LIMITED")
    assert 1 <= int(response["Retry-After"]) <= 61
    assert fake_tiktok.count("user_info") == 1


def test_background_work_waits_for_budget_instead_of_failing(
    settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.TIKTOK_REQUESTS_PER_MINUTE = 1
    slept: list[float] = []

    def sleep(seconds: float) -> None:
        slept.append(seconds)
        budget.budget_reset()  # the window slides on while we wait

    monkeypatch.setattr(budget.time, "sleep", sleep)
    budget.budget_take()
    with budget.budget_waiting():
        budget.budget_take()

    assert len(slept) == 1
    assert 0 < slept[0] <= 5.1


def test_a_users_request_is_audited_with_actor_user_and_its_ip(
    auth_client, user, link_account, fake_tiktok
) -> None:
    account, _ = link_account(user)

    auth_client.post(f"/api/accounts/{account.id}/sync")

    [entry] = _entries(account, "sync")
    assert entry.metadata["actor"] == "user"
    assert entry.ip_address == "127.0.0.1"
