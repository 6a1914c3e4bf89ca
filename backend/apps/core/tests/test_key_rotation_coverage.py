"""`manage.py rotate_encryption_key` covers every encrypted value, not only TikTok tokens: the
fields it finds, webhook endpoint secrets (a delivery still signs once the old key is dropped),
upload URLs, the refusal per model, and a value the service writes during the run."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
import time_machine
from cryptography.fernet import Fernet, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.management import CommandError
from django.db import connection, transaction
from django.db.models import Field, TextField, Value
from django.test.utils import CaptureQueriesContext
from standardwebhooks.webhooks import Webhook

from apps.audit.services import RequestMeta
from apps.core import key_rotation
from apps.core.tests.ciphertexts import NEW, OLD, rotate, stored, under
from apps.events.models import EventType
from apps.events.services import event_emit
from apps.outbound_webhooks import delivery as sender
from apps.outbound_webhooks.models import Delivery, WebhookEndpoint
from apps.outbound_webhooks.services import EndpointDraft, endpoint_create, endpoint_secret_rotate
from apps.posts.models import Post, PostStatus
from testing.factories import TikTokAccountFactory, personal_workspace
from testing.locks import second_waits_for_first
from testing.receiver import receiving

pytestmark = pytest.mark.django_db

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
ENDPOINTS = "outbound_webhooks.WebhookEndpoint"
POSTS = "posts.Post"
SECRETS = ("secret", "previous_secret")
UPLOAD_URL = "https://open-upload.tiktokapis.com/video/?upload_id=7&upload_token=abc"


def _encrypts(field: Field) -> bool:
    """Whether the field stores what it is given as ciphertext of FIELD_ENCRYPTION_KEY: asked of
    the field itself, whatever its class."""
    try:
        prepared = field.get_db_prep_save("probe", connection)
        MultiFernet([Fernet(key) for key in settings.FIELD_ENCRYPTION_KEY]).decrypt(prepared)
    except Exception:  # refused "probe", or stored it as something else than ciphertext
        return False
    return True


def test_the_rotation_finds_every_field_that_stores_ciphertext() -> None:
    encrypting = {
        (model._meta.label, field.name)
        for model in apps.get_models()
        for field in model._meta.local_concrete_fields
        if _encrypts(field)
    }
    rotated = {
        (model._meta.label, name)
        for model, names in key_rotation.encrypted_fields().items()
        for name in names
    }

    assert rotated == encrypting
    assert {
        ("tiktok_accounts.TikTokAccount", "access_token"),
        ("tiktok_accounts.TikTokAccount", "refresh_token"),
        (ENDPOINTS, "secret"),
        (ENDPOINTS, "previous_secret"),
        (POSTS, "tiktok_upload_url"),
    } <= rotated


def _endpoint(user, url: str = "http://127.0.0.1:9/in") -> tuple[WebhookEndpoint, str]:
    return endpoint_create(
        workspace_id=personal_workspace(user).id,
        draft=EndpointDraft(url=url, events=["*"]),
        meta=RequestMeta(),
    )


@pytest.fixture(autouse=True)
def loopback(settings) -> None:
    """Endpoints on loopback receivers: plain http and private addresses allowed."""
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    settings.OUTBOUND_WEBHOOK_TIMEOUT_SECONDS = 2.0
    settings.OUTBOUND_WEBHOOK_SECRET_OVERLAP_SECONDS = 3600


def test_webhook_secrets_rotate_and_a_delivery_signs_with_only_the_new_key(user, use_keys) -> None:
    use_keys(OLD)
    with receiving() as receiver, time_machine.travel(T0, tick=False):
        endpoint, first = _endpoint(user, receiver.url)
        second = endpoint_secret_rotate(endpoint=endpoint, meta=RequestMeta())
        use_keys(NEW, OLD)
        output = rotate()
        use_keys(NEW)

        with transaction.atomic():
            event = event_emit(
                workspace_id=personal_workspace(user).id, type=EventType.JOB_FINISHED, data={}
            )
        sender.events_fan_out(event_ids=[str(event.id)])
        assert sender.delivery_attempt(delivery_id=Delivery.objects.get(event=event).id).ok
        [request] = receiver.requests
        # Both secrets still sign (the rotation overlap), each as the service last stored it.
        assert len(request.headers["webhook-signature"].split(" ")) == 2
        Webhook(second).verify(request.body, request.headers)
        Webhook(first).verify(request.body, request.headers)

    assert f"{ENDPOINTS}: 1 row(s) re-encrypted, 0 already under the first key" in output
    assert under(NEW, *stored(WebhookEndpoint, endpoint.pk, *SECRETS))


def _post(user, account, upload_url: str | None) -> Post:
    return Post.objects.create(
        workspace=account.workspace,
        user=user,
        account=account,
        status=PostStatus.PUBLISHING,
        due_at=T0,
        tiktok_upload_url=upload_url,
    )


def test_upload_urls_rotate_and_a_post_without_one_is_not_a_row_to_rotate(user, use_keys) -> None:
    use_keys(OLD)
    account = TikTokAccountFactory(user=user)
    uploading, ended = _post(user, account, UPLOAD_URL), _post(user, account, None)
    use_keys(NEW, OLD)

    output = rotate()
    use_keys(NEW)

    assert f"{POSTS}: 1 row(s) re-encrypted, 0 already under the first key" in output
    assert under(NEW, *stored(Post, uploading.pk, "tiktok_upload_url"))
    assert Post.objects.get(pk=uploading.pk).tiktok_upload_url == UPLOAD_URL
    assert stored(Post, ended.pk, "tiktok_upload_url") == (None,)
    assert f"{POSTS}: 0 row(s) re-encrypted, 1 already under the first key" in rotate()


def test_refuses_to_start_naming_each_model_and_writes_nothing(user, use_keys) -> None:
    use_keys(OLD)
    account = TikTokAccountFactory(user=user)
    endpoint, _secret = _endpoint(user)
    posts = [_post(user, account, UPLOAD_URL) for _ in range(3)]
    # Values encrypted with a key that is not (or no longer) configured.
    foreign = Fernet(Fernet.generate_key()).encrypt(b"elsewhere").decode()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(
        previous_secret=Value(foreign, TextField())
    )
    Post.objects.filter(pk__in=[post.pk for post in posts[:2]]).update(
        tiktok_upload_url=Value(foreign, TextField())
    )
    use_keys(NEW, OLD)

    with CaptureQueriesContext(connection) as queries, pytest.raises(CommandError) as refused:
        rotate()

    assert re.search(rf"{ENDPOINTS}: 1 row\(s\), {POSTS}: 2 row\(s\)\)", str(refused.value))
    assert "tiktok_accounts" not in str(refused.value)
    assert not [q for q in queries if q["sql"].lstrip().upper().startswith("UPDATE")]
    assert under(OLD, *stored(Post, posts[2].pk, "tiktok_upload_url"))
    assert under(OLD, *stored(WebhookEndpoint, endpoint.pk, "secret"))


def test_a_secret_rotated_by_the_service_during_the_run_is_not_overwritten(
    user, use_keys, monkeypatch
) -> None:
    use_keys(OLD)
    endpoint, first = _endpoint(user)
    use_keys(NEW, OLD)
    real = key_rotation._reencrypted
    rotated: list[str] = []

    def service_rotates_the_secret_meanwhile(*args):
        if not rotated:  # between the rotation's read and its write
            fresh = WebhookEndpoint.objects.get(pk=endpoint.pk)
            rotated.append(endpoint_secret_rotate(endpoint=fresh, meta=RequestMeta()))
        return real(*args)

    monkeypatch.setattr(key_rotation, "_reencrypted", service_rotates_the_secret_meanwhile)
    output = rotate()

    assert (
        f"{ENDPOINTS}: 0 row(s) re-encrypted, 0 already under the first key, 1 written by the "
        "service during the run"
    ) in output
    row = WebhookEndpoint.objects.get(pk=endpoint.pk)
    assert (row.secret, row.previous_secret) == (rotated[0], first)
    assert under(NEW, *stored(WebhookEndpoint, endpoint.pk, *SECRETS))


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="row locks between connections: PostgreSQL"
)
def test_a_write_committed_while_the_update_waits_for_its_row_wins(user, use_keys) -> None:
    """The rotation's UPDATE waits for the service's uncommitted write of the row; once that
    commits, PostgreSQL re-checks the conditions on the new row version and nothing matches.
    (A subquery's conditions would be read from the snapshot, and the rotation would win.)"""
    use_keys(OLD)
    endpoint, _first = _endpoint(user)
    use_keys(NEW, OLD)
    fields = key_rotation.encrypted_fields()[WebhookEndpoint]
    [row] = next(key_rotation._batches(WebhookEndpoint, fields, 10))

    def rotate() -> bool:
        return key_rotation._row_rotate(WebhookEndpoint, fields, row, key_rotation._keys())

    new, written = second_waits_for_first(
        lambda: endpoint_secret_rotate(endpoint=endpoint, meta=RequestMeta()),  # uncommitted
        rotate,
    )

    assert written is False
    assert WebhookEndpoint.objects.get(pk=endpoint.pk).secret == new
