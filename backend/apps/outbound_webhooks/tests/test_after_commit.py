"""Events are sent by the workers only once the change committed (Celery eager here: the
fan-out and the delivery run in this process, after commit)."""

from __future__ import annotations

import pytest
from django.db import transaction

from apps.events.models import Event
from apps.outbound_webhooks.models import Delivery
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from testing.factories import TikTokAccountFactory
from testing.receiver import receiving

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_rolled_back_change_sends_nothing_and_a_committed_one_is_delivered(
    user, make_endpoint
) -> None:
    account = TikTokAccountFactory(user=user)
    with receiving() as receiver:
        make_endpoint(receiver.url, ["account.status_changed"])
        with transaction.atomic():
            TikTokAccount.objects.filter(pk=account.pk).update(status=AccountStatus.REVOKED)
            assert receiver.requests == []  # nothing before the commit either
            transaction.set_rollback(True)
        assert receiver.requests == []
        assert not Event.objects.exists()

        TikTokAccount.objects.filter(pk=account.pk).update(status=AccountStatus.REVOKED)
        [request] = receiver.requests
    assert request.headers["webhook-id"] == str(Event.objects.get().id)
    assert Delivery.objects.get().status == "succeeded"
