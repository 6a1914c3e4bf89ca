"""The read cache's keys: one entry per answer, whatever the query's spelling (issue 17, #5).

A read served from the cache costs no SQL statement once the user is cached; an answer stored
is seen as a call to the cache's store, on either cache backend.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api import caching
from apps.tiktok_accounts.models import AccountStatus
from testing.factories import TikTokAccountFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("shared_cache")]

LIST, SUMMARY = "/api/accounts", "/api/accounts/stats/summary"


@pytest.fixture
def stored(monkeypatch) -> list[str]:
    """The answer keys the read cache stores, in order."""
    keys: list[str] = []
    original = caching.cache_store

    def recording(*entries):
        keys.extend(entry.key for entry in entries if entry.key.startswith("reads:"))
        return original(*entries)

    monkeypatch.setattr(caching, "cache_store", recording)
    return keys


@pytest.fixture
def accounts(shared_cache, user, auth_client) -> None:
    TikTokAccountFactory.create_batch(3, user=user, display_name="Alpha")
    TikTokAccountFactory(user=user, display_name="Delta")
    for name in ("Beta", "Gamma"):
        TikTokAccountFactory(user=user, status=AccountStatus.REVOKED, display_name=name)
    auth_client.get("/api/jobs")  # caches the user and their role: a cached read costs no SQL


def _statements(client, url: str) -> tuple[int, bytes]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, response.content
    return len(queries.captured_queries), response.content


@pytest.mark.usefixtures("accounts")
@pytest.mark.parametrize(
    ("first", "equivalents"),
    [
        (
            f"{LIST}?limit=2&status=active",
            [
                f"{LIST}?status=active&limit=2",  # another order
                f"{LIST}?limit=02&status=active",  # another spelling of the same number
                f"{LIST}?limit=9&status=active&limit=2",  # repeated: the last one counts
                f"{LIST}?limit=2&status=active&utm_source=mail",  # a parameter nobody reads
            ],
        ),
        (LIST, [f"{LIST}?limit=20", f"{LIST}?limit=20.0"]),  # the default, spelled out
        (SUMMARY, [f"{SUMMARY}?limit=5", f"{SUMMARY}?status=revoked"]),  # it reads no query
    ],
    ids=["list-spellings", "list-defaults", "summary"],
)
def test_spellings_of_one_query_share_one_cached_answer(
    auth_client, stored, first, equivalents
) -> None:
    cost, answer = _statements(auth_client, first)
    assert cost == 1  # a miss: the page (its COUNT inside) or the summary

    for url in equivalents:
        assert _statements(auth_client, url) == (0, answer), url
    assert len(stored) == 1


@pytest.mark.usefixtures("accounts")
def test_different_queries_never_share_a_cached_answer(auth_client, settings, stored) -> None:
    urls = [
        LIST,
        f"{LIST}?limit=1",
        f"{LIST}?limit=2",
        f"{LIST}?status=active",
        f"{LIST}?status=revoked",
        f"{LIST}?status=revoked&limit=1",
        f"{LIST}?search=alpha",
        f"{LIST}?search=beta",
        SUMMARY,
    ]
    cached = {url: _statements(auth_client, url) for url in urls}
    settings.READ_CACHE_TTL_SECONDS = 0
    uncached = {url: auth_client.get(url).content for url in urls}

    assert all(cost == 1 for cost, _ in cached.values())  # each one a miss of its own
    assert {url: answer for url, (_, answer) in cached.items()} == uncached
    assert len(set(uncached.values())) == len(urls)  # the answers really differ
    assert len(set(stored)) == len(urls)


@pytest.mark.usefixtures("accounts")
def test_an_invalid_query_is_answered_422_and_never_cached(auth_client, stored) -> None:
    for url in (f"{LIST}?limit=0", f"{LIST}?limit=abc", f"{LIST}?status=asleep"):
        first, second = auth_client.get(url), auth_client.get(url)
        assert (first.status_code, second.status_code) == (422, 422)
        assert first.json()["code"] == second.json()["code"]
    assert stored == []
    assert _statements(auth_client, f"{LIST}?limit=2")[0] == 1
