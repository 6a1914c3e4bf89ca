"""The ops admin: every page renders, no token (plaintext or ciphertext) ever reaches the HTML,
nothing is editable by hand, and the two actions go through the services (and audit)."""

from __future__ import annotations

import uuid

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from apps.audit.models import AuditAction, AuditLog
from apps.audit.services import AuditEntry, RequestMeta, audit_record
from apps.tiktok_accounts import admin as accounts_admin
from apps.tiktok_accounts import services
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.workspaces.personal import personal_workspace_id
from testing.accounts import as_user
from testing.admin import assert_no_secret, change_url
from testing.factories import TikTokAccountFactory, UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = "admin:tiktok_accounts_tiktokaccount_changelist"
AUDIT_CHANGELIST = "admin:audit_auditlog_changelist"


@pytest.fixture
def accounts() -> dict[str, TikTokAccount]:
    owner = UserFactory(username="ops_owner", email="ops.owner@example.com")
    live = TikTokAccountFactory(user=owner, username="café_crème", display_name="Café ☕")
    deleted = TikTokAccountFactory(
        user=owner, is_deleted=True, deleted_at=timezone.now(), status=AccountStatus.REVOKED
    )
    unverified = TikTokAccountFactory(status=AccountStatus.TOKEN_EXPIRED, is_verified=False)
    verified = TikTokAccountFactory(is_verified=True)
    audit_record(
        AuditEntry(
            workspace_id=live.workspace_id,
            action=AuditAction.SYNC,
            resource_id=live.pk,
            meta=RequestMeta(ip_address="203.0.113.7", user_agent="pytest"),
            changes={"before": {"follower_count": 1}, "after": {"follower_count": 2}},
            metadata={"batch": True, "outcome": "succeeded"},
        )
    )
    return {"live": live, "deleted": deleted, "unverified": unverified, "verified": verified}


def _pages(accounts: dict[str, TikTokAccount]) -> list[tuple[str, str]]:
    """(url, text the page must show) for every admin page ops use."""
    live, deleted = accounts["live"], accounts["deleted"]
    entry = AuditLog.objects.get()
    changelist, audit = reverse(CHANGELIST), reverse(AUDIT_CHANGELIST)
    return [
        (changelist, live.username),
        (change_url(live), live.open_id),
        (change_url(deleted), deleted.open_id),
        (f"{changelist}?q={live.username}", live.username),
        (f"{changelist}?q={deleted.open_id}", deleted.username),
        (f"{changelist}?q=ops.owner@example.com", live.username),
        (f"{changelist}?status__exact=active", live.username),
        (f"{changelist}?is_deleted__exact=1", deleted.username),
        (f"{changelist}?is_verified__exact=0", accounts["unverified"].username),
        (audit, "203.0.113.7"),
        (f"{audit}?action__exact=sync", "203.0.113.7"),
        (f"{audit}?q=ops_owner", "203.0.113.7"),
        (f"{audit}?resource_id={live.pk}", "203.0.113.7"),
        (change_url(entry), "follower_count"),
    ]


def test_every_admin_page_renders_without_any_token(admin_client: Client, accounts) -> None:
    for url, expected in _pages(accounts):
        response = admin_client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert expected in html, url
        assert_no_secret(html)


def test_changelist_includes_soft_deleted_accounts(admin_client: Client, accounts) -> None:
    response = admin_client.get(reverse(CHANGELIST))
    shown = {account.pk for account in response.context["cl"].result_list}
    assert shown == {account.pk for account in accounts.values()}


def test_filters_and_search_narrow_the_list(admin_client: Client, accounts) -> None:
    def shown(query: str) -> set[uuid.UUID]:
        response = admin_client.get(f"{reverse(CHANGELIST)}?{query}")
        return {account.pk for account in response.context["cl"].result_list}

    assert shown("is_deleted__exact=1") == {accounts["deleted"].pk}
    assert shown("status__exact=token_expired") == {accounts["unverified"].pk}
    assert shown("is_verified__exact=1") == {accounts["verified"].pk}
    assert shown("q=ops_owner") == {accounts["live"].pk, accounts["deleted"].pk}
    assert shown(f"q={accounts['verified'].display_name}") == {accounts["verified"].pk}


def test_changelist_filtering_on_a_token_column_is_refused(admin_client: Client, accounts) -> None:
    for lookup in ("access_token__gt=a", "refresh_token__isnull=0", "token_version=1"):
        response = admin_client.get(f"{reverse(CHANGELIST)}?{lookup}")
        assert response.status_code == 400, lookup


def test_changelist_query_count_does_not_grow_with_rows(admin_client: Client) -> None:
    def queries_for(total: int) -> int:
        missing = total - TikTokAccount.all_objects.count()
        TikTokAccountFactory.create_batch(missing)
        with CaptureQueriesContext(connection) as context:
            response = admin_client.get(reverse(CHANGELIST))
        assert response.status_code == 200
        assert len(response.context["cl"].result_list) == total
        return len(context.captured_queries)

    assert queries_for(3) == queries_for(30)


def test_change_page_is_read_only(admin_client: Client, accounts) -> None:
    live = accounts["live"]
    url = change_url(live)
    html = admin_client.get(url).content.decode()
    assert 'name="_save"' not in html
    assert 'name="username"' not in html
    assert 'name="follower_count"' not in html
    response = admin_client.post(url, {"username": "hacked", "follower_count": "1"})
    assert response.status_code == 403
    live.refresh_from_db()
    assert live.username == "café_crème"


def test_accounts_cannot_be_added_or_deleted(admin_client: Client, accounts) -> None:
    live = accounts["live"]
    assert admin_client.get(reverse("admin:tiktok_accounts_tiktokaccount_add")).status_code == 403
    delete_url = reverse("admin:tiktok_accounts_tiktokaccount_delete", args=[live.pk])
    assert admin_client.get(delete_url).status_code == 403
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert TikTokAccount.objects.filter(pk=live.pk).exists()
    changelist = admin_client.get(reverse(CHANGELIST)).content.decode()
    assert 'value="delete_selected"' not in changelist
    assert 'value="sync_selected"' in changelist
    assert 'value="restore_selected"' in changelist
    assert "deletelink" not in admin_client.get(change_url(live)).content.decode()


def test_audit_log_is_read_only(admin_client: Client, accounts) -> None:
    entry = AuditLog.objects.get()
    assert admin_client.get(reverse("admin:audit_auditlog_add")).status_code == 403
    delete_url = reverse("admin:audit_auditlog_delete", args=[entry.pk])
    assert admin_client.post(delete_url, {"post": "yes"}).status_code == 403
    assert admin_client.post(change_url(entry), {"action": "delete"}).status_code == 403
    changelist = admin_client.get(reverse(AUDIT_CHANGELIST)).content.decode()
    assert 'value="delete_selected"' not in changelist
    detail = admin_client.get(change_url(entry)).content.decode()
    assert 'name="_save"' not in detail
    assert "deletelink" not in detail
    assert AuditLog.objects.get().action == AuditAction.SYNC


def test_audit_detail_pretty_prints_changes_and_metadata(admin_client: Client, accounts) -> None:
    html = admin_client.get(change_url(AuditLog.objects.get())).content.decode()
    assert "<pre>{\n  &quot;after&quot;: {\n    &quot;follower_count&quot;: 2" in html
    assert "&quot;outcome&quot;: &quot;succeeded&quot;" in html


def _run_action(client: Client, action: str, accounts: list[TikTokAccount]) -> str:
    response = client.post(
        reverse(CHANGELIST),
        {"action": action, "_selected_action": [str(a.pk) for a in accounts]},
        follow=True,
    )
    assert response.status_code == 200
    return " ".join(str(message) for message in response.context["messages"])


def test_restore_selected_restores_through_the_service_and_audits(
    admin_client: Client, admin_user, accounts
) -> None:
    deleted, live = accounts["deleted"], accounts["live"]
    message = _run_action(admin_client, "restore_selected", [deleted, live])
    assert "Restored 1 account(s); 1 skipped" in message
    deleted.refresh_from_db()
    assert not deleted.is_deleted
    assert deleted.deleted_at is None
    entry = AuditLog.objects.get(action=AuditAction.RESTORE)
    assert entry.resource_id == deleted.pk
    assert entry.workspace_id == deleted.workspace_id
    assert entry.user_id == admin_user.pk  # the staff member acted
    assert entry.metadata == {
        "by_staff": admin_user.get_username(),
        "actor": "user",
        "user_id": admin_user.pk,
    }
    assert entry.ip_address == "127.0.0.1"


def test_restore_skips_an_account_whose_tiktok_user_was_reconnected(
    admin_client: Client, accounts
) -> None:
    deleted = accounts["deleted"]
    TikTokAccountFactory(workspace=deleted.workspace, open_id=deleted.open_id)
    message = _run_action(admin_client, "restore_selected", [deleted])
    assert "Restored 0 account(s); 1 skipped" in message
    assert TikTokAccount.all_objects.get(pk=deleted.pk).is_deleted
    assert not AuditLog.objects.filter(action=AuditAction.RESTORE).exists()


def test_sync_selected_calls_the_batch_service_once_per_workspace(
    admin_client: Client, accounts, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[uuid.UUID, set[uuid.UUID], RequestMeta]] = []

    def fake_batch_sync(*, workspace_id, account_ids, meta):
        calls.append((workspace_id, set(account_ids), meta))
        return [], []

    monkeypatch.setattr(accounts_admin, "account_batch_sync", fake_batch_sync)
    second = TikTokAccountFactory(workspace=accounts["live"].workspace)
    selected = [*accounts.values(), second]
    message = _run_action(admin_client, "sync_selected", selected)

    expected = {
        accounts["live"].workspace_id: {accounts["live"].pk, second.pk},
        accounts["unverified"].workspace_id: {accounts["unverified"].pk},
        accounts["verified"].workspace_id: {accounts["verified"].pk},
    }
    assert {workspace_id: ids for workspace_id, ids, _ in calls} == expected
    assert len(calls) == 3
    assert all(meta.ip_address == "127.0.0.1" for _, _, meta in calls)
    assert "1 deleted account(s) skipped" in message


def test_sync_selected_really_syncs_against_the_fake_upstream(
    admin_client: Client, fake_tiktok, monkeypatch: pytest.MonkeyPatch
) -> None:
    owner = UserFactory()
    identity = fake_tiktok.identities[0]
    _, state = services.account_connect_start(
        user_id=owner.pk, workspace_id=personal_workspace_id(owner.pk)
    )
    code = fake_tiktok.issue_code(identity.open_id)
    account, _ = services.account_connect_complete(
        workspace_id=personal_workspace_id(owner.pk),
        code=code,
        state=state,
        meta=as_user(RequestMeta(), owner),
    )
    # Restored at teardown: the fake's identities outlive this test.
    monkeypatch.setattr(identity, "follower_count", identity.follower_count + 4242)
    calls_before = fake_tiktok.count("user_info")

    message = _run_action(admin_client, "sync_selected", [account])

    assert "Synced 1 account(s); 0 failed" in message
    assert fake_tiktok.count("user_info") == calls_before + 1
    account.refresh_from_db()
    assert account.follower_count == identity.follower_count
    entry = AuditLog.objects.get(action=AuditAction.SYNC, resource_id=account.pk)
    assert entry.metadata["batch"] is True
    assert entry.metadata["outcome"] == "succeeded"
    assert entry.changes["after"] == {"follower_count": identity.follower_count}


def test_actions_need_the_change_permission(accounts) -> None:
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_tiktokaccount"))
    client = Client()
    client.force_login(viewer)
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert accounts["live"].username in html
    assert 'value="sync_selected"' not in html
    assert 'value="restore_selected"' not in html
    deleted = accounts["deleted"]
    client.post(
        reverse(CHANGELIST),
        {"action": "restore_selected", "_selected_action": [str(deleted.pk)]},
    )
    assert TikTokAccount.all_objects.get(pk=deleted.pk).is_deleted
