"""GET /metrics: the scraper's bearer token, the series of the contract, rows by status."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from prometheus_client.parser import text_string_to_metric_families

from apps.core.counting import EXACT_UP_TO, status_rows
from apps.jobs.models import Job, JobStatus
from apps.posts.models import Post
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from testing.factories import TikTokAccountFactory, UserFactory, personal_workspace

pytestmark = pytest.mark.django_db
TOKEN = "scrape-token-for-tests"


@pytest.fixture
def metrics_token(settings) -> str:
    settings.METRICS_TOKEN = TOKEN
    return TOKEN


def scrape(client: Client) -> dict[str, dict[tuple, float]]:
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain; version=")
    series: dict[str, dict[tuple, float]] = {}
    for family in text_string_to_metric_families(response.content.decode()):
        for s in family.samples:
            series.setdefault(s.name, {})[tuple(sorted(s.labels.items()))] = s.value
    return series


def test_without_metrics_token_there_is_nothing_at_metrics(client, settings):
    settings.METRICS_TOKEN = ""

    response = client.get("/metrics", HTTP_AUTHORIZATION="Bearer anything")

    assert response.status_code == 404


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x"]
)
def test_metrics_wants_the_bearer_token(client, metrics_token, header):
    extra = {} if header is None else {"HTTP_AUTHORIZATION": header}

    response = client.get("/metrics", **extra)

    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert b"tta_" not in response.content


def test_requests_are_counted_by_route_template_never_the_raw_path(client, metrics_token):
    before = scrape(client).get("tta_http_requests_total", {})
    account = "/api/accounts/{account_id}"

    client.get("/api/accounts/8c7a0b52-7bd4-4a55-9f7d-3d3b8f3e1c11")  # 401: no JWT
    client.get("/api/accounts/5a1bb0c0-4f5d-4bd0-8d4a-2f4e9a2d1e22")
    client.get("/api/no/such/route/123")
    client.get("/api/health/live")

    after = scrape(client)
    counted = after["tta_http_requests_total"]

    def delta(**labels: str) -> float:
        key = tuple(sorted(labels.items()))
        return counted.get(key, 0) - before.get(key, 0)

    assert delta(method="GET", route=account, status="401") == 2
    assert delta(method="GET", route="unmatched", status="404") == 1
    assert delta(method="GET", route="/api/health/live", status="200") == 1
    assert not [key for key in counted if "5a1bb0c0" in str(key) or "/api/no/" in str(key)]
    durations = after["tta_http_request_duration_seconds_count"]
    assert durations[(("method", "GET"), ("route", account))] >= 2


def test_rows_by_status_over_every_workspace_in_a_bounded_number_of_statements(
    client, metrics_token
):
    first, second = UserFactory(), UserFactory()
    TikTokAccountFactory.create_batch(3, user=first)
    TikTokAccountFactory(user=second, status=AccountStatus.REVOKED)
    TikTokAccountFactory(user=second, is_deleted=True)  # soft-deleted: not counted
    Job.objects.create(workspace=personal_workspace(first), status=JobStatus.RUNNING)

    with CaptureQueriesContext(connection) as queries:
        series = scrape(client)

    assert series["tta_accounts"] == {
        (("status", "active"),): 3,
        (("status", "error"),): 0,
        (("status", "revoked"),): 1,
        (("status", "token_expired"),): 0,
    }
    assert series["tta_jobs"][(("status", "running"),)] == 1
    assert series["tta_jobs"][(("status", "queued"),)] == 0
    assert set(series["tta_posts"]) >= {(("status", "publishing"),), (("status", "scheduled"),)}
    # One statement per status of each table, whatever the number of rows; nothing else.
    statuses = len(AccountStatus.values) + len(JobStatus.values) + len(series["tta_posts"])
    assert len(queries) == statuses
    assert series["tta_tiktok_budget_remaining"][()] >= 0


def test_every_series_of_the_contract_is_declared(client, metrics_token):
    response = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").content.decode()
    declared = {f.name for f in text_string_to_metric_families(response)}

    # Families with no sample yet are not listed by the library in every mode; the web server's
    # own scrape-time gauges always are.
    assert {"tta_accounts", "tta_posts", "tta_jobs", "tta_tiktok_budget_remaining"} <= declared
    assert "tta_http_requests" in declared  # the family name drops `_total`


def test_health_live_checks_nothing_and_ready_answers_as_health(client):
    with CaptureQueriesContext(connection) as queries:
        live = client.get("/api/health/live")

    assert live.status_code == 200
    assert live.json() == {"status": "ok"}
    assert len(queries) == 0
    ready, health = client.get("/api/health/ready"), client.get("/api/health")
    assert (ready.status_code, ready.json()) == (health.status_code, health.json())


def test_counts_past_the_exact_limit_use_the_planner_estimate_on_postgresql(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's planner estimate")
    from apps.core import counting

    monkeypatch.setattr(counting, "EXACT_UP_TO", 2)
    TikTokAccountFactory.create_batch(5, user=UserFactory())
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tiktok_accounts_tiktokaccount")

    with CaptureQueriesContext(connection) as queries:
        counts = counting.status_counts(TikTokAccount.objects.all(), ["active", "revoked"])

    assert counts["revoked"] == 0
    assert counts["active"] >= 3  # an estimate, never below what was counted exactly
    assert [q["sql"].startswith("EXPLAIN") for q in queries] == [False, True, False]
    assert EXACT_UP_TO == 1000


@pytest.mark.parametrize(
    ("queryset", "status", "index"),
    [
        (lambda: TikTokAccount.objects.all(), "revoked", "tta_live_status"),
        (lambda: Job.objects.all(), "failed", "jobs_status"),
        # The partial index of the publishing sweep holds exactly these rows: it serves too,
        # and on equal costs which one the planner takes depends on the order it met them.
        (lambda: Post.objects.all(), "publishing", "post_status|post_scan_publishing"),
    ],
)
def test_each_status_count_reads_an_index_alone_on_postgresql(queryset, status, index):
    """At a million rows a scrape stays a few milliseconds: each count is an index-only scan
    (stopped at EXACT_UP_TO rows), never a scan of the table. The tables here are small, so
    sequential scans are ruled out to see which plan the planner has at hand."""
    if connection.vendor != "postgresql":
        pytest.skip("PostgreSQL's plans")
    rows = status_rows(queryset(), status)[: EXACT_UP_TO + 1]
    sql, params = rows.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_bitmapscan = off")
        cursor.execute(f"EXPLAIN SELECT COUNT(*) FROM ({sql}) AS counted", params)  # noqa: S608
        plan = "\n".join(row[0] for row in cursor.fetchall())

    assert re.search(rf"Index Only Scan using ({index}) ", plan), plan
    assert "Sort" not in plan, plan
