"""Every call to TikTok is counted by endpoint (TikTok's path) and outcome, over real HTTP."""

from __future__ import annotations

import io

import pytest

from apps.core.metrics import REGISTRY
from integrations.tiktok import budget, client, content_client, uploads
from integrations.tiktok.errors import TikTokError, TikTokRateLimitError, outcome_of
from testing.fake_tiktok import FakeTikTok

USER_INFO = "/v2/user/info/"


def calls(endpoint: str, outcome: str) -> float:
    labels = {"endpoint": endpoint, "outcome": outcome}
    return REGISTRY.get_sample_value("tta_tiktok_requests_total", labels) or 0.0


def timed(endpoint: str) -> float:
    labels = {"endpoint": endpoint}
    return REGISTRY.get_sample_value("tta_tiktok_request_duration_seconds_count", labels) or 0.0


def access_token(fake: FakeTikTok) -> str:
    return client.exchange_code(code=fake.issue_code("fake-open-id-0001")).access_token


@pytest.mark.parametrize(
    ("fault", "outcome"),
    [
        (None, "ok"),
        ("rate_limit", "rate_limited"),
        ("token_invalid", "auth_error"),
        ("scope_not_authorized", "auth_error"),
        ("server_error", "upstream_error"),
        ("garbage", "upstream_error"),
        ("timeout", "timeout"),
    ],
)
def test_user_info_outcomes(fake_tiktok, settings, fault, outcome):
    settings.TIKTOK_TIMEOUT_SECONDS = 0.5
    token = access_token(fake_tiktok)
    if fault:
        fake_tiktok.add_fault("user_info", fault, times=1)
    before, durations = calls(USER_INFO, outcome), timed(USER_INFO)

    try:
        client.get_user_info(access_token=token)
    except TikTokError:
        assert fault is not None

    assert calls(USER_INFO, outcome) == before + 1
    assert timed(USER_INFO) == durations + 1


def test_a_call_refused_for_want_of_budget_is_counted_and_never_sent(fake_tiktok, settings):
    settings.TIKTOK_REQUESTS_PER_MINUTE = 1
    budget.budget_reset()
    token = access_token(fake_tiktok)  # spends the one call of the window
    sent = fake_tiktok.count("user_info")
    before, durations = calls(USER_INFO, "budget_exhausted"), timed(USER_INFO)

    with pytest.raises(TikTokRateLimitError):
        client.get_user_info(access_token=token)

    assert calls(USER_INFO, "budget_exhausted") == before + 1
    assert timed(USER_INFO) == durations
    assert fake_tiktok.count("user_info") == sent
    assert budget.budget_remaining() == 0


def test_budget_remaining_counts_the_calls_of_the_window(fake_tiktok, settings):
    settings.TIKTOK_REQUESTS_PER_MINUTE = 10
    budget.budget_reset()
    assert budget.budget_remaining() == 10

    access_token(fake_tiktok)
    access_token(fake_tiktok)

    assert budget.budget_remaining() == 8


def test_content_calls_are_counted_by_tiktok_path(fake_tiktok):
    token = access_token(fake_tiktok)
    before = calls("/v2/video/list/", "ok")

    content_client.list_videos(access_token=token)

    assert calls("/v2/video/list/", "ok") == before + 1


def test_an_upload_is_counted_under_the_upload_urls_path_without_its_query(fake_tiktok):
    token = access_token(fake_tiktok)
    plan = uploads.chunk_plan(1000)
    target = content_client.init_inbox_file_upload(access_token=token, plan=plan)
    path = "/upload/video/"
    before = calls(path, "ok")

    uploads.upload_chunk(
        upload_url=target.upload_url, file=io.BytesIO(b"v" * 1000), plan=plan, index=0
    )

    assert calls(path, "ok") == before + 1
    assert not [s for m in REGISTRY.collect() for s in m.samples if "upload_token" in str(s.labels)]


def test_a_documented_refusal_is_tiktok_working_as_documented():
    from integrations.tiktok.errors import PostingRefusedError

    assert outcome_of(PostingRefusedError("no", code="spam_risk_too_many_posts")) == "ok"
