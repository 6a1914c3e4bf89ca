"""The TikTok client against the fake TikTok, over real HTTP on 127.0.0.1."""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from apps.core.fields import TokenUnreadableError, UndecryptableToken
from integrations.tiktok import client
from integrations.tiktok.errors import (
    AccessTokenInvalidError,
    AuthorizationCodeInvalidError,
    RefreshTokenInvalidError,
    ScopeNotAuthorizedError,
    TikTokError,
    TikTokRateLimitError,
    TikTokTimeoutError,
    TikTokUpstreamError,
)
from testing.fake_tiktok import FakeTikTok

ALL_SCOPES = [
    "user.info.basic",
    "user.info.profile",
    "user.info.stats",
    "video.list",
    "video.publish",
    "video.upload",
]


def connect(fake: FakeTikTok, open_id: str = "fake-open-id-0001") -> client.TokenGrant:
    return client.exchange_code(code=fake.issue_code(open_id))


def test_authorize_url_carries_every_parameter_tiktok_needs(settings):
    settings.TIKTOK_AUTHORIZE_URL = "https://www.tiktok.com/v2/auth/authorize/"

    url = client.build_authorize_url(state="st-123")

    parts = urlsplit(url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == settings.TIKTOK_AUTHORIZE_URL
    assert parse_qs(parts.query) == {
        "client_key": [settings.TIKTOK_CLIENT_KEY],
        "scope": [",".join(ALL_SCOPES)],
        "response_type": ["code"],
        "redirect_uri": [settings.TIKTOK_REDIRECT_URI],
        "state": ["st-123"],
        "disable_auto_auth": ["1"],
    }


def test_approving_on_the_consent_page_redirects_back_with_a_usable_code(fake_tiktok, settings):
    url = client.build_authorize_url(state="st-abc")
    page = requests.get(url, timeout=5)
    assert page.status_code == 200
    assert "fake-open-id-0002" in page.text

    answer = requests.get(f"{url}&approve=fake-open-id-0002", allow_redirects=False, timeout=5)

    assert answer.status_code == 302
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == settings.TIKTOK_REDIRECT_URI
    back = parse_qs(location.query)
    assert back["state"] == ["st-abc"]
    assert back["scopes"] == [",".join(ALL_SCOPES)]
    assert client.exchange_code(code=back["code"][0]).open_id == "fake-open-id-0002"


def test_exchange_code_returns_tokens_scopes_and_expiries_from_the_answer(fake_tiktok):
    fake_tiktok.access_expires_in = 7200
    fake_tiktok.refresh_expires_in = 15_552_000
    code = fake_tiktok.issue_code("fake-open-id-0003", ["user.info.basic", "user.info.profile"])

    grant = client.exchange_code(code=code)

    assert grant.open_id == "fake-open-id-0003"
    assert grant.access_token.startswith("act.")
    assert grant.refresh_token.startswith("rft.")
    assert (grant.expires_in, grant.refresh_expires_in) == (7200, 15_552_000)
    assert grant.scopes == ["user.info.basic", "user.info.profile"]
    assert grant.access_token not in repr(grant)
    assert grant.refresh_token not in repr(grant)


def test_reused_code_raises_authorization_code_invalid(fake_tiktok):
    code = fake_tiktok.issue_code("fake-open-id-0001")
    client.exchange_code(code=code)

    with pytest.raises(AuthorizationCodeInvalidError) as caught:
        client.exchange_code(code=code)

    assert caught.value.log_id


def test_unknown_code_raises_authorization_code_invalid(fake_tiktok):
    with pytest.raises(AuthorizationCodeInvalidError):
        client.exchange_code(code="never-issued")


def test_wrong_client_secret_is_an_upstream_error_without_the_secret(fake_tiktok, settings):
    settings.TIKTOK_CLIENT_SECRET = "wrong-secret-value"

    with pytest.raises(TikTokUpstreamError) as caught:
        connect(fake_tiktok)

    assert "invalid_client" in str(caught.value)
    assert "wrong-secret-value" not in str(caught.value)


def test_refresh_rotates_and_the_old_refresh_token_is_refused(fake_tiktok):
    first = connect(fake_tiktok)

    second = client.refresh_access_token(refresh_token=first.refresh_token)

    assert second.refresh_token != first.refresh_token
    assert second.access_token != first.access_token
    assert client.get_user_info(access_token=second.access_token).open_id == first.open_id
    with pytest.raises(RefreshTokenInvalidError) as caught:
        client.refresh_access_token(refresh_token=first.refresh_token)
    assert caught.value.revoked is False
    assert caught.value.log_id


def test_revoke_kills_both_tokens_and_refresh_then_says_revoked(fake_tiktok):
    grant = connect(fake_tiktok)

    client.revoke_token(access_token=grant.access_token)

    with pytest.raises(AccessTokenInvalidError):
        client.get_user_info(access_token=grant.access_token)
    with pytest.raises(RefreshTokenInvalidError) as caught:
        client.refresh_access_token(refresh_token=grant.refresh_token)
    assert caught.value.revoked is True


def test_user_revoking_the_app_makes_refresh_say_revoked(fake_tiktok):
    grant = connect(fake_tiktok, "fake-open-id-0004")
    fake_tiktok.revoke_all("fake-open-id-0004")

    with pytest.raises(RefreshTokenInvalidError) as caught:
        client.refresh_access_token(refresh_token=grant.refresh_token)

    assert caught.value.revoked is True


def test_user_info_parses_every_field_including_unicode(fake_tiktok):
    identity = fake_tiktok.add_identity(
        username="café_crème_2",
        display_name="東京 ☕ Zoë",
        bio_description="ünïcödé bio 🎵",
        is_verified=True,
        follower_count=1_234_567,
        following_count=12,
        likes_count=98_765_432,
        video_count=321,
    )
    grant = connect(fake_tiktok, identity.open_id)

    info = client.get_user_info(access_token=grant.access_token)

    assert info.model_dump() == {name: getattr(identity, name) for name in client.USER_INFO_FIELDS}
    assert info.display_name == "東京 ☕ Zoë"
    assert info.username == "café_crème_2"


def test_user_info_requests_every_field_of_the_model():
    assert set(client.USER_INFO_FIELDS) == set(client.UserInfo.model_fields)
    assert len(client.USER_INFO_FIELDS) == 14


def test_expired_access_token_raises_access_token_invalid(fake_tiktok):
    grant = connect(fake_tiktok)
    fake_tiktok.expire_access_tokens()

    with pytest.raises(AccessTokenInvalidError) as caught:
        client.get_user_info(access_token=grant.access_token)

    assert caught.value.log_id


def test_user_info_without_the_stats_scope_is_an_upstream_error(fake_tiktok):
    code = fake_tiktok.issue_code("fake-open-id-0001", ["user.info.basic", "user.info.profile"])
    grant = client.exchange_code(code=code)

    with pytest.raises(TikTokUpstreamError, match="scope_permission_missed"):
        client.get_user_info(access_token=grant.access_token)


def prepare_call(endpoint: str, fake: FakeTikTok) -> Callable[[], object]:
    """A call to `endpoint` whose preparation (codes, grants) is done before faults are set."""
    if endpoint == "token":
        code = fake.issue_code("fake-open-id-0001")
        return lambda: client.exchange_code(code=code)
    grant = connect(fake)
    return {
        "refresh": lambda: client.refresh_access_token(refresh_token=grant.refresh_token),
        "revoke": lambda: client.revoke_token(access_token=grant.access_token),
        "user_info": lambda: client.get_user_info(access_token=grant.access_token),
    }[endpoint]


FAULT_MAPPING = [
    ("user_info", "rate_limit", TikTokRateLimitError),
    ("user_info", "token_invalid", AccessTokenInvalidError),
    ("user_info", "invalid_grant", AccessTokenInvalidError),
    ("user_info", "revoked", AccessTokenInvalidError),
    ("user_info", "scope_not_authorized", ScopeNotAuthorizedError),
    ("user_info", "server_error", TikTokUpstreamError),
    ("user_info", "garbage", TikTokUpstreamError),
    ("token", "rate_limit", TikTokRateLimitError),
    ("token", "invalid_grant", AuthorizationCodeInvalidError),
    ("token", "token_invalid", AuthorizationCodeInvalidError),
    ("token", "revoked", AuthorizationCodeInvalidError),
    ("token", "scope_not_authorized", TikTokUpstreamError),
    ("token", "server_error", TikTokUpstreamError),
    ("token", "garbage", TikTokUpstreamError),
    ("refresh", "rate_limit", TikTokRateLimitError),
    ("refresh", "invalid_grant", RefreshTokenInvalidError),
    ("refresh", "token_invalid", RefreshTokenInvalidError),
    ("refresh", "revoked", RefreshTokenInvalidError),
    ("refresh", "scope_not_authorized", TikTokUpstreamError),
    ("refresh", "server_error", TikTokUpstreamError),
    ("refresh", "garbage", TikTokUpstreamError),
    ("revoke", "rate_limit", TikTokRateLimitError),
    ("revoke", "invalid_grant", TikTokUpstreamError),
    ("revoke", "server_error", TikTokUpstreamError),
    ("revoke", "garbage", TikTokUpstreamError),
]


@pytest.mark.parametrize(("endpoint", "kind", "error"), FAULT_MAPPING)
def test_each_fault_maps_to_its_exception_with_log_id(fake_tiktok, endpoint, kind, error):
    call = prepare_call(endpoint, fake_tiktok)
    fake_tiktok.add_fault(endpoint, kind, times=1)

    with pytest.raises(error) as caught:
        call()

    assert type(caught.value) is error
    assert caught.value.log_id


def test_refresh_refused_as_revoked_sets_revoked_and_otherwise_not(fake_tiktok):
    revoked_call = prepare_call("refresh", fake_tiktok)
    expired_call = prepare_call("refresh", fake_tiktok)
    fake_tiktok.add_fault("refresh", "revoked", times=1)
    fake_tiktok.add_fault("refresh", "invalid_grant", times=1)

    with pytest.raises(RefreshTokenInvalidError) as revoked:
        revoked_call()
    with pytest.raises(RefreshTokenInvalidError) as expired:
        expired_call()

    assert (revoked.value.revoked, expired.value.revoked) == (True, False)


def test_rate_limit_defaults_to_tiktoks_one_minute_window(fake_tiktok):
    call = prepare_call("user_info", fake_tiktok)
    fake_tiktok.add_fault("user_info", "rate_limit")

    with pytest.raises(TikTokRateLimitError) as caught:
        call()

    assert caught.value.retry_after == 60


def test_rate_limit_honours_a_numeric_retry_after_header(fake_tiktok):
    call = prepare_call("refresh", fake_tiktok)
    fake_tiktok.rate_limit_retry_after = 7
    fake_tiktok.add_fault("refresh", "rate_limit")

    with pytest.raises(TikTokRateLimitError) as caught:
        call()

    assert caught.value.retry_after == 7


def test_timeout_raises_tiktok_timeout_error_quickly(fake_tiktok, settings):
    call = prepare_call("user_info", fake_tiktok)
    settings.TIKTOK_TIMEOUT_SECONDS = 0.2
    fake_tiktok.timeout_sleep = 1
    fake_tiktok.add_fault("user_info", "timeout")

    started = time.monotonic()
    with pytest.raises(TikTokTimeoutError):
        call()

    assert time.monotonic() - started < 0.8


def test_connection_refused_raises_upstream_error(settings):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.TIKTOK_API_BASE_URL = f"http://127.0.0.1:{closed_port}"

    with pytest.raises(TikTokUpstreamError):
        client.get_user_info(access_token="act.whatever")


@pytest.mark.parametrize(
    "broken",
    [
        {"access_token": ""},
        {"refresh_token": ""},
        {"access_token": None},
        {"expires_in": None},
        {"open_id": ""},
    ],
)
def test_grant_with_empty_or_missing_token_is_an_upstream_error(fake_tiktok, monkeypatch, broken):
    original = fake_tiktok._grant_body

    def broken_body(grant):
        body = {**original(grant), **broken}
        return {key: value for key, value in body.items() if value is not None}

    monkeypatch.setattr(fake_tiktok, "_grant_body", broken_body)

    with pytest.raises(TikTokUpstreamError):
        connect(fake_tiktok)


@pytest.mark.parametrize(
    "call",
    [
        lambda token: client.get_user_info(access_token=token),
        lambda token: client.refresh_access_token(refresh_token=token),
        lambda token: client.revoke_token(access_token=token),
    ],
    ids=["user_info", "refresh", "revoke"],
)
def test_undecryptable_token_is_never_sent(fake_tiktok, call):
    with pytest.raises(TokenUnreadableError):
        call(UndecryptableToken("gAAAAABciphertext-that-no-key-opens"))

    assert sum(fake_tiktok.count(endpoint) for endpoint in ("user_info", "refresh", "revoke")) == 0


def test_no_token_code_or_secret_ever_appears_in_logs_or_error_messages(
    fake_tiktok, settings, caplog, monkeypatch
):
    caplog.set_level(logging.DEBUG)
    codes: list[str] = []
    issue_code = fake_tiktok.issue_code
    monkeypatch.setattr(
        fake_tiktok, "issue_code", lambda *args: codes.append(issue_code(*args)) or codes[-1]
    )
    errors: list[TikTokError] = []
    for endpoint, kind, _error in FAULT_MAPPING:
        call = prepare_call(endpoint, fake_tiktok)
        fake_tiktok.add_fault(endpoint, kind, times=1)
        with pytest.raises(TikTokError) as caught:
            call()
        errors.append(caught.value)
    issued = set(fake_tiktok._by_access) | set(fake_tiktok._by_refresh) | fake_tiktok._revoked

    logged = [record.getMessage() for record in caplog.records]
    text = "\n".join(logged + [str(error) for error in errors])
    assert any("log_id=" in message for message in logged)
    for secret in {*issued, *codes, settings.TIKTOK_CLIENT_SECRET}:
        assert secret not in text


def test_each_thread_gets_its_own_session():
    sessions: list[requests.Session] = []

    def grab() -> None:
        sessions.extend([client._session(), client._session()])

    threads = [threading.Thread(target=grab) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert all(sessions[i] is sessions[i + 1] for i in range(0, 6, 2))
    assert len({id(session) for session in sessions}) == 3


def test_a_pool_of_five_workers_keeps_at_most_five_requests_in_flight(fake_tiktok):
    grants = [connect(fake_tiktok, f"fake-open-id-{n:04d}") for n in range(1, 21)]
    fake_tiktok.set_latency(0.05)

    with ThreadPoolExecutor(max_workers=5) as pool:
        infos = list(
            pool.map(lambda grant: client.get_user_info(access_token=grant.access_token), grants)
        )

    assert [info.open_id for info in infos] == [grant.open_id for grant in grants]
    assert 2 <= fake_tiktok.max_in_flight <= 5
