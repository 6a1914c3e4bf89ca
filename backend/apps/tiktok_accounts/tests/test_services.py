"""The domain rules: connect, one refresh per account under concurrency, the wrong-key trap."""

import threading
import uuid
from datetime import timedelta

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from encrypted_model_fields import fields as emf

from apps.audit.models import AuditAction, AuditLog, ImmutableAuditLog
from apps.audit.services import RequestMeta
from apps.core.errors import ApplicationError, InvalidState, ReauthRequired, ScopesDenied
from apps.core.fields import TokenUnreadableError, UndecryptableToken
from apps.tiktok_accounts import services
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.services import connect as connect_service
from apps.workspaces.personal import personal_workspace_id
from testing.accounts import as_user
from testing.factories import UserFactory

META = RequestMeta(ip_address="127.0.0.1", user_agent="pytest")


def connect(user, fake, open_id=None, scopes=None) -> TikTokAccount:
    """Connects through the real flow: start, the fake's code, complete."""
    _, state = services.account_connect_start(
        user_id=user.pk, workspace_id=personal_workspace_id(user.pk)
    )
    open_id = open_id or fake.identities[0].open_id
    code = fake.issue_code(open_id, scopes)
    account, _ = services.account_connect_complete(
        workspace_id=personal_workspace_id(user.pk),
        code=code,
        state=state,
        meta=as_user(META, user),
    )
    return account


def expire_locally(account: TikTokAccount) -> None:
    TikTokAccount.all_objects.filter(pk=account.pk).update(
        access_token_expires_at=timezone.now() - timedelta(minutes=1)
    )


@pytest.mark.django_db
def test_connect_stores_tokens_and_expiries_from_tiktok(fake_tiktok):
    fake_tiktok.access_expires_in = 7200
    fake_tiktok.refresh_expires_in = 15_552_000
    account = connect(UserFactory(), fake_tiktok)
    account.refresh_from_db()
    assert account.access_token
    assert account.refresh_token
    left = account.access_token_expires_at - timezone.now()
    assert timedelta(seconds=7100) < left <= timedelta(seconds=7200)
    refresh_left = account.refresh_token_expires_at - timezone.now()
    assert timedelta(days=179) < refresh_left <= timedelta(days=180)
    assert account.status == AccountStatus.ACTIVE
    assert sorted(account.scopes) == sorted(django_settings.TIKTOK_SCOPES)


@pytest.mark.django_db
def test_tokens_are_encrypted_at_rest(fake_tiktok):
    account = connect(UserFactory(), fake_tiktok)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT access_token, refresh_token FROM tiktok_accounts_tiktokaccount WHERE id = %s",
            [account.pk.hex if connection.vendor == "sqlite" else account.pk],
        )
        stored_access, stored_refresh = cursor.fetchone()
    assert stored_access != account.access_token
    assert account.access_token not in stored_access
    assert stored_access.startswith("gAAAAA")
    assert stored_refresh.startswith("gAAAAA")


@pytest.mark.django_db
def test_state_is_single_use_and_bound_to_its_user(fake_tiktok):
    user, intruder = UserFactory(), UserFactory()
    _, state = services.account_connect_start(
        user_id=user.pk, workspace_id=personal_workspace_id(user.pk)
    )
    code = fake_tiktok.issue_code(fake_tiktok.identities[1].open_id)
    with pytest.raises(InvalidState):
        services.account_connect_complete(
            workspace_id=personal_workspace_id(intruder.pk),
            code=code,
            state=state,
            meta=as_user(META, intruder),
        )
    services.account_connect_complete(
        workspace_id=personal_workspace_id(user.pk),
        code=code,
        state=state,
        meta=as_user(META, user),
    )
    with pytest.raises(InvalidState):
        services.account_connect_complete(
            workspace_id=personal_workspace_id(user.pk),
            code=code,
            state=state,
            meta=as_user(META, user),
        )


@pytest.mark.django_db
def test_expired_state_is_refused(fake_tiktok, monkeypatch):
    user = UserFactory()
    _, state = services.account_connect_start(
        user_id=user.pk, workspace_id=personal_workspace_id(user.pk)
    )
    monkeypatch.setattr(connect_service.time, "time", lambda: 10**12)
    with pytest.raises(InvalidState):
        services.account_connect_complete(
            workspace_id=personal_workspace_id(user.pk),
            code=fake_tiktok.issue_code(fake_tiktok.identities[0].open_id),
            state=state,
            meta=as_user(META, user),
        )


@pytest.mark.django_db
def test_denied_scope_stores_nothing_and_revokes_the_grant(fake_tiktok):
    user = UserFactory()
    with pytest.raises(ScopesDenied):
        connect(user, fake_tiktok, scopes=["user.info.basic", "user.info.profile"])
    assert not TikTokAccount.all_objects.exists()
    assert fake_tiktok.count("revoke") == 1


@pytest.mark.django_db
def test_reconnect_updates_the_same_row_and_restores_it(fake_tiktok):
    user = UserFactory()
    first = connect(user, fake_tiktok)
    services.account_delete(account=first, meta=META)
    again = connect(user, fake_tiktok)
    assert again.pk == first.pk
    again.refresh_from_db()
    assert not again.is_deleted
    assert again.status == AccountStatus.ACTIVE
    assert again.token_version == first.token_version + 1
    actions = list(AuditLog.objects.order_by("created_at").values_list("action", flat=True))
    assert actions == [AuditAction.CONNECT, AuditAction.DELETE, AuditAction.RECONNECT]


@pytest.mark.django_db
def test_one_live_row_per_open_id_and_owner_is_a_database_rule(fake_tiktok):
    account = connect(UserFactory(), fake_tiktok)
    clone = TikTokAccount.all_objects.get(pk=account.pk)
    clone.id = uuid.uuid4()
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save(force_insert=True)
    clone.is_deleted = True
    clone.save(force_insert=True)  # a deleted twin is allowed
    assert TikTokAccount.objects.count() == 1
    assert TikTokAccount.all_objects.count() == 2


@pytest.mark.django_db
def test_sync_refreshes_an_expiring_token_first(fake_tiktok):
    account = connect(UserFactory(), fake_tiktok)
    expire_locally(account)
    account.refresh_from_db()
    services.account_sync(account=account, meta=META)
    assert fake_tiktok.count("refresh") == 1
    account.refresh_from_db()
    assert account.access_token_expires_at > timezone.now() + timedelta(hours=1)


@pytest.mark.django_db
def test_dead_refresh_token_marks_token_expired(fake_tiktok):
    account = connect(UserFactory(), fake_tiktok)
    expire_locally(account)
    account.refresh_from_db()
    fake_tiktok.add_fault("refresh", "invalid_grant")
    with pytest.raises(ReauthRequired):
        services.account_sync(account=account, meta=META)
    account.refresh_from_db()
    assert account.status == AccountStatus.TOKEN_EXPIRED
    assert account.last_sync_error.startswith("TIKTOK_REAUTH_REQUIRED")


@pytest.mark.django_db
def test_dead_refresh_does_not_mark_an_account_whose_token_was_replaced(fake_tiktok):
    account = connect(UserFactory(), fake_tiktok)
    expire_locally(account)
    account.refresh_from_db()
    stale = TikTokAccount.all_objects.get(pk=account.pk)
    # Meanwhile a reconnect stores a newer grant.
    TikTokAccount.all_objects.filter(pk=account.pk).update(token_version=stale.token_version + 1)
    fake_tiktok.add_fault("refresh", "invalid_grant")
    services.account_refresh_token(account=stale)  # adopts the newer token, no refresh call
    assert fake_tiktok.count("refresh") == 0
    assert TikTokAccount.all_objects.get(pk=account.pk).status == AccountStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_ten_threads_syncing_one_expired_account_refresh_once(fake_tiktok, settings):
    # Ten threads on a loaded 2-core CI machine: the fixture's 1 s timeout made it flaky.
    settings.TIKTOK_TIMEOUT_SECONDS = 5
    account = connect(UserFactory(), fake_tiktok)
    expire_locally(account)
    fake_tiktok.set_latency(0.1)
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def sync() -> None:
        try:
            mine = TikTokAccount.objects.get(pk=account.pk)
            barrier.wait()
            services.account_sync(account=mine, meta=META)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=sync) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert errors == []
    assert fake_tiktok.count("refresh") == 1
    assert fake_tiktok.count("user_info") == 10 + 1  # ten syncs + the connect
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert account.refresh_lock_until is None
    assert (
        AuditLog.objects.filter(action=AuditAction.SYNC, metadata__outcome="succeeded").count()
        == 10
    )


@pytest.mark.django_db(transaction=True)
def test_batch_stores_rotated_tokens_even_when_the_account_misses_the_deadline(
    fake_tiktok, settings
):
    user = UserFactory()
    account = connect(user, fake_tiktok)
    expire_locally(account)
    settings.BATCH_SYNC_TIMEOUT_SECONDS = 0.3
    fake_tiktok.set_latency(0.5)
    succeeded, failed = services.account_batch_sync(
        workspace_id=personal_workspace_id(user.pk), account_ids=[account.pk], meta=META
    )
    assert succeeded == []
    assert [f.code for f in failed] == ["TIKTOK_TIMEOUT"]
    # The worker goes on: its refresh lands, then its user-info call.
    deadline = timezone.now() + timedelta(seconds=5)
    while (
        fake_tiktok.count("refresh") == 0
        or TikTokAccount.all_objects.get(pk=account.pk).refresh_lock_until
    ):
        assert timezone.now() < deadline
        threading.Event().wait(0.05)
    stored = TikTokAccount.all_objects.get(pk=account.pk)
    assert stored.token_version == account.token_version + 1
    fake_tiktok.set_latency(0)
    services.account_sync(account=stored, meta=META)  # the rotated refresh token was kept
    assert fake_tiktok.count("refresh") == 1


@pytest.mark.django_db
def test_undecryptable_token_is_never_sent_nor_saved(fake_tiktok, monkeypatch):
    account = connect(UserFactory(), fake_tiktok)
    calls = fake_tiktok.count("user_info")
    other_key = Fernet.generate_key()
    monkeypatch.setattr(emf, "CRYPTER", emf.cryptography.fernet.MultiFernet([Fernet(other_key)]))
    loaded = TikTokAccount.objects.get(pk=account.pk)
    assert isinstance(loaded.access_token, UndecryptableToken)
    assert "gAAAA" not in repr(loaded.access_token)
    with pytest.raises(ApplicationError) as raised:
        services.account_sync(account=loaded, meta=META)
    assert raised.value.code == "INTERNAL_ERROR"
    assert fake_tiktok.count("user_info") == calls
    with pytest.raises(TokenUnreadableError):
        loaded.save()


@pytest.mark.django_db
def test_rotated_encryption_keys_still_read_old_tokens(fake_tiktok, monkeypatch, settings):
    account = connect(UserFactory(), fake_tiktok)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEY = [new_key, *settings.FIELD_ENCRYPTION_KEY]
    monkeypatch.setattr(emf, "CRYPTER", emf.get_crypter())
    loaded = TikTokAccount.objects.get(pk=account.pk)
    assert loaded.access_token == account.access_token


@pytest.mark.django_db
def test_audit_entries_cannot_be_changed_or_deleted(fake_tiktok):
    connect(UserFactory(), fake_tiktok)
    entry = AuditLog.objects.get()
    entry.action = AuditAction.DELETE
    with pytest.raises(ImmutableAuditLog):
        entry.save()
    with pytest.raises(ImmutableAuditLog):
        entry.delete()
    with pytest.raises(ImmutableAuditLog):
        AuditLog.objects.all().update(action="sync")
    with pytest.raises(ImmutableAuditLog):
        AuditLog.objects.all().delete()
