"""The read cache of list pages and the summary (contract: "Caching of reads").

transaction=True wherever a write happens: reads go stale when the write commits, as in
production (inside a test's rolled-back transaction nothing ever commits).
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from django.core.cache.backends import locmem
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.accounts.rendering import account_page_json
from api.accounts.schemas import AccountPageOut
from apps.audit.services import RequestMeta
from apps.core.renderers import json_dumps
from apps.tiktok_accounts import services
from apps.tiktok_accounts.list_page import account_list_page
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.workspaces.personal import personal_workspace_id
from testing.accounts import as_user, personal_access
from testing.factories import TikTokAccountFactory
from testing.http import assert_error

pytestmark = pytest.mark.usefixtures("shared_cache")

LIST, SUMMARY = "/api/accounts", "/api/accounts/stats/summary"
READS = (LIST, f"{LIST}?limit=1&status=active", f"{LIST}?search=creator", SUMMARY)


def _reads(client) -> dict[str, bytes]:
    answers = {}
    for url in READS:
        response = client.get(url)
        assert response.status_code == 200, response.content
        answers[url] = response.content
    return answers


def _uncached(client, settings) -> dict[str, bytes]:
    settings.READ_CACHE_TTL_SECONDS = 0
    try:
        return _reads(client)
    finally:
        settings.READ_CACHE_TTL_SECONDS = 300


@pytest.mark.django_db
def test_a_cached_answer_is_the_uncached_one_byte_for_byte(auth_client, user, settings) -> None:
    TikTokAccountFactory.create_batch(3, user=user, last_synced_at=None)
    first = _reads(auth_client)
    with CaptureQueriesContext(connection) as queries:
        cached = _reads(auth_client)

    assert [q["sql"] for q in queries.captured_queries] == []
    assert cached == first == _uncached(auth_client, settings)
    cursor = auth_client.get(f"{LIST}?limit=1").json()["next_cursor"]
    deep = f"{LIST}?limit=1&cursor={cursor}"
    assert auth_client.get(deep).content == auth_client.get(deep).content


@pytest.mark.django_db
def test_the_list_rendering_equals_the_declared_schema_rendered(user) -> None:
    # A whole-second timestamp (orjson alone would drop its microseconds) and a null one.
    TikTokAccountFactory(user=user, last_synced_at=None)
    account = TikTokAccountFactory(user=user, status=AccountStatus.REVOKED)
    TikTokAccount.objects.filter(pk=account.pk).update(
        created_at=account.created_at.replace(microsecond=0) + timedelta(days=1)
    )
    page = account_list_page(access=personal_access(user), limit=1)
    objects = [TikTokAccount.objects.get(pk=row["id"]) for row in page.items]
    declared = AccountPageOut.model_validate(
        {**page.__dict__, "items": objects, "has_more": page.has_more}
    ).model_dump()

    assert account_page_json(page) == json_dumps(declared)
    assert b".000000Z" in json_dumps(declared)


@pytest.mark.django_db
def test_ttl_zero_switches_the_cache_off(auth_client, user, settings) -> None:
    settings.READ_CACHE_TTL_SECONDS = 0
    account = TikTokAccountFactory(user=user)
    auth_client.get(LIST)
    auth_client.get("/api/auth/me")
    # Never committed (the test's transaction rolls back): only an uncached read can see it.
    TikTokAccount.objects.filter(pk=account.pk).update(follower_count=424242)

    with CaptureQueriesContext(connection) as queries:
        body = auth_client.get(LIST).json()

    assert body["items"][0]["follower_count"] == 424242
    assert len(queries.captured_queries) == 1  # the page, its COUNT inside; the user is cached


@pytest.mark.django_db
def test_a_cached_answer_lives_read_cache_ttl_seconds(
    auth_client, user, settings, monkeypatch
) -> None:
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.READ_CACHE_TTL_SECONDS = 60
    account = TikTokAccountFactory(user=user, follower_count=1)
    auth_client.get(LIST)
    TikTokAccount.objects.filter(pk=account.pk).update(follower_count=2)  # never commits
    now = locmem.time.time()

    monkeypatch.setattr(locmem.time, "time", lambda: now + 59)
    assert auth_client.get(LIST).json()["items"][0]["follower_count"] == 1
    monkeypatch.setattr(locmem.time, "time", lambda: now + 61)
    assert auth_client.get(LIST).json()["items"][0]["follower_count"] == 2


@pytest.mark.django_db
def test_cached_reads_are_per_user(auth_client, other_client, user, other_user) -> None:
    TikTokAccountFactory(user=user)
    mine = _reads(auth_client)
    theirs = _reads(other_client)

    assert auth_client.get(LIST).json()["total"] == 1
    assert other_client.get(LIST).json()["total"] == 0
    assert mine[SUMMARY] != theirs[SUMMARY]


def _connect(user, fake_tiktok, open_id: str) -> None:
    _, state = services.account_connect_start(
        user_id=user.pk, workspace_id=personal_workspace_id(user.pk)
    )
    code = fake_tiktok.issue_code(open_id)
    services.account_connect_complete(
        workspace_id=personal_workspace_id(user.pk),
        code=code,
        state=state,
        meta=as_user(RequestMeta(), user),
    )


def _write_connect(user, account, fake_tiktok) -> None:
    _connect(user, fake_tiktok, fake_tiktok.add_identity().open_id)


def _write_reconnect(user, account, fake_tiktok) -> None:
    _connect(user, fake_tiktok, account.open_id)  # TikTok's follower count moved on


def _write_sync(user, account, fake_tiktok) -> None:
    services.account_sync(account=account, meta=RequestMeta())


def _write_failed_sync(user, account, fake_tiktok) -> None:
    fake_tiktok.revoke_all(account.open_id)
    with pytest.raises(Exception, match="reconnect"):
        services.account_sync(account=account, meta=RequestMeta())


def _write_batch_sync(user, account, fake_tiktok) -> None:
    services.account_batch_sync(
        workspace_id=personal_workspace_id(user.pk), account_ids=[account.id], meta=RequestMeta()
    )


def _write_delete(user, account, fake_tiktok) -> None:
    services.account_delete(account=account, meta=RequestMeta())


def _write_restore(user, account, fake_tiktok) -> None:
    deleted = TikTokAccount.all_objects.get(pk=account.pk)
    assert services.account_restore(account=deleted, meta=RequestMeta(), actor="ops")


WRITES = [
    _write_connect,
    _write_reconnect,
    _write_sync,
    _write_failed_sync,
    _write_batch_sync,
    _write_delete,
    _write_restore,
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("write", WRITES, ids=lambda w: w.__name__.removeprefix("_write_"))
def test_every_kind_of_write_makes_the_cached_reads_stale(
    write, auth_client, user, link_account, fake_tiktok, settings
) -> None:
    account, _ = link_account(user)
    link_account(user)
    if write is _write_restore:
        TikTokAccount.objects.filter(pk=account.pk).update(is_deleted=True)
    before = _reads(auth_client)

    write(user, account, fake_tiktok)

    after = _reads(auth_client)
    assert after == _uncached(auth_client, settings)
    assert after != before


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("call", "endpoint"), [("post videos/sync", "video_list"), ("get creator-info", "creator_info")]
)
@pytest.mark.parametrize("grant", ["rejected_after_refresh", "revoked_at_tiktok"])
def test_a_content_route_finding_the_grant_dead_shows_in_the_cached_reads_at_once(
    call, endpoint, grant, auth_client, user, link_account, fake_tiktok, settings
) -> None:
    account, person = link_account(user)
    link_account(user)
    _reads(auth_client)  # cached: both accounts active
    if grant == "revoked_at_tiktok":
        fake_tiktok.revoke_all(person.open_id)
    else:
        fake_tiktok.add_fault(endpoint, "token_invalid")  # even the refreshed token
    method, route = call.split()

    response = getattr(auth_client, method)(f"{LIST}/{account.id}/{route}")

    assert_error(response, 409, "TIKTOK_REAUTH_REQUIRED")
    status = TikTokAccount.objects.get(pk=account.pk).status
    assert status in (AccountStatus.TOKEN_EXPIRED, AccountStatus.REVOKED)
    after = _reads(auth_client)
    assert after == _uncached(auth_client, settings)
    listed = {item["id"]: item["status"] for item in json.loads(after[LIST])["items"]}
    assert listed[str(account.id)] == status
    assert json.loads(after[SUMMARY])["active_accounts"] == 1
