"""The fake TikTok's own contract: what tests, benchmarks and the demo rely on."""

from __future__ import annotations

import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from django.core.management import CommandError, call_command

from integrations.tiktok import client
from integrations.tiktok.errors import AccessTokenInvalidError, TikTokRateLimitError


def user_info(fake, token: str, fields: str) -> requests.Response:
    return requests.get(
        f"{fake.base_url}/v2/user/info/",
        params={"fields": fields},
        headers={"Authorization": f"Bearer {token}"},
        timeout=5,
    )


def test_user_info_returns_only_the_selected_fields_in_tiktoks_envelope(fake_tiktok):
    grant = client.exchange_code(code=fake_tiktok.issue_code("fake-open-id-0001"))

    answer = user_info(fake_tiktok, grant.access_token, "open_id,display_name")

    assert answer.status_code == 200
    body = answer.json()
    assert body["data"] == {
        "user": {"open_id": "fake-open-id-0001", "display_name": "Café Crème ☕"}
    }
    assert body["error"]["code"] == "ok"
    assert body["error"]["log_id"] == answer.headers["X-Tt-Logid"]


def test_fields_outside_the_granted_scopes_answer_scope_permission_missed(fake_tiktok):
    code = fake_tiktok.issue_code("fake-open-id-0001", ["user.info.basic"])
    grant = client.exchange_code(code=code)

    answer = user_info(fake_tiktok, grant.access_token, "open_id,follower_count")

    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "scope_permission_missed"


@pytest.mark.parametrize(
    ("token", "fields", "status", "code"),
    [
        ("act.unknown", "open_id", 401, "access_token_invalid"),
        ("GRANTED", "open_id,no_such_field", 400, "invalid_params"),
        ("GRANTED", "", 400, "invalid_params"),
    ],
)
def test_user_info_errors_use_tiktoks_codes_and_statuses(fake_tiktok, token, fields, status, code):
    if token == "GRANTED":
        token = client.exchange_code(code=fake_tiktok.issue_code("fake-open-id-0001")).access_token

    answer = user_info(fake_tiktok, token, fields)

    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)


def test_denying_a_scope_on_the_consent_page_grants_the_others_only(fake_tiktok):
    url = client.build_authorize_url(state="s1")

    answer = requests.get(
        f"{url}&approve=fake-open-id-0005&deny=user.info.stats", allow_redirects=False, timeout=5
    )

    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    granted = "user.info.basic,user.info.profile,video.list,video.publish,video.upload"
    assert back["scopes"] == [granted]
    grant = client.exchange_code(code=back["code"][0])
    assert grant.scopes == granted.split(",")


def test_cancelling_on_the_consent_page_redirects_back_with_access_denied(fake_tiktok):
    url = client.build_authorize_url(state="s2")

    answer = requests.get(f"{url}&cancel=1", allow_redirects=False, timeout=5)

    back = parse_qs(urlsplit(answer.headers["Location"]).query)
    assert back["error"] == ["access_denied"]
    assert back["state"] == ["s2"]


@pytest.mark.parametrize(
    "override",
    [
        {"client_key": "someone-else"},
        {"response_type": "token"},
        {"redirect_uri": "/relative"},
        {"redirect_uri": "https://app.example/cb?x=1"},
        {"scope": "user.info.basic,research.data.basic"},  # a scope the fake does not know
        {"state": ""},
    ],
)
def test_authorize_page_rejects_bad_requests(fake_tiktok, override):
    params = parse_qs(urlsplit(client.build_authorize_url(state="s3")).query)
    query = {key: values[0] for key, values in params.items()} | override

    answer = requests.get(f"{fake_tiktok.base_url}/v2/auth/authorize/", params=query, timeout=5)

    assert answer.status_code == 400


def test_demo_callback_shows_the_code_state_and_a_curl_to_finish(fake_tiktok):
    answer = requests.get(
        f"{fake_tiktok.base_url}/demo/callback",
        params={"code": "c0de", "state": "st4te", "scopes": "user.info.basic"},
        timeout=5,
    )

    assert answer.status_code == 200
    assert "/api/accounts/connect/complete" in answer.text
    assert "c0de" in answer.text
    assert "st4te" in answer.text


def test_fault_can_target_one_identity_a_limited_number_of_times(fake_tiktok):
    mine = client.exchange_code(code=fake_tiktok.issue_code("fake-open-id-0001"))
    other = client.exchange_code(code=fake_tiktok.issue_code("fake-open-id-0002"))
    fake_tiktok.add_fault("user_info", "rate_limit", times=1, open_id="fake-open-id-0001")

    assert client.get_user_info(access_token=other.access_token).open_id == "fake-open-id-0002"
    with pytest.raises(TikTokRateLimitError):
        client.get_user_info(access_token=mine.access_token)
    assert client.get_user_info(access_token=mine.access_token).open_id == "fake-open-id-0001"
    assert fake_tiktok.count("user_info") == 3


def test_a_timing_out_request_does_not_hold_up_others(fake_tiktok):
    grant = client.exchange_code(code=fake_tiktok.issue_code("fake-open-id-0001"))
    fake_tiktok.timeout_sleep = 0.5
    fake_tiktok.add_fault("user_info", "timeout", times=1)
    slow = threading.Thread(target=user_info, args=(fake_tiktok, grant.access_token, "open_id"))
    slow.start()
    time.sleep(0.05)

    started = time.monotonic()
    client.get_user_info(access_token=grant.access_token)

    assert time.monotonic() - started < 0.3
    slow.join()


def test_control_endpoints_drive_the_fake_from_another_process(fake_tiktok):
    def control(action: str, **payload: object) -> requests.Response:
        return requests.post(f"{fake_tiktok.base_url}/_fake/{action}", json=payload, timeout=5)

    code = control("code", open_id="fake-open-id-0007").json()["code"]
    grant = client.exchange_code(code=code)
    assert control("latency", seconds=0.01).status_code == 200
    assert control("fault", endpoint="user_info", kind="token_invalid", times=1).ok
    with pytest.raises(AccessTokenInvalidError):
        client.get_user_info(access_token=grant.access_token)

    stats = requests.get(f"{fake_tiktok.base_url}/_fake/stats", timeout=5).json()
    assert stats["counts"] == {
        "token": 1,
        "refresh": 0,
        "revoke": 0,
        "user_info": 1,
        "video_list": 0,
        "creator_info": 0,
        "video_init": 0,
        "inbox_init": 0,
        "content_init": 0,
        "status_fetch": 0,
        "upload": 0,
    }
    assert stats["latency"] == 0.01
    assert stats["identities"] == len(fake_tiktok.identities)
    assert stats["open_ids"] == [identity.open_id for identity in fake_tiktok.identities]

    assert control("reset").ok
    assert fake_tiktok.count("token") == 0
    assert fake_tiktok.latency == 0
    assert control("expire", open_id="fake-open-id-0007").ok
    with pytest.raises(AccessTokenInvalidError):
        client.get_user_info(access_token=grant.access_token)


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("fault", {"endpoint": "user_info", "kind": "meteor"}),
        ("fault", {"endpoint": "video_query", "kind": "timeout"}),
        ("latency", {}),
        ("code", {"open_id": "nobody"}),
        ("self_destruct", {}),
    ],
)
def test_control_endpoints_refuse_bad_requests(fake_tiktok, action, payload):
    answer = requests.post(f"{fake_tiktok.base_url}/_fake/{action}", json=payload, timeout=5)

    assert answer.status_code == 400


def test_demo_identities_are_deterministic_and_include_unicode(fake_tiktok):
    assert len(fake_tiktok.identities) >= 50
    assert fake_tiktok.identities[0].open_id == "fake-open-id-0001"
    assert any(identity.username == "café_crème" for identity in fake_tiktok.identities)
    assert any("東京" in identity.display_name for identity in fake_tiktok.identities)


def test_run_fake_tiktok_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG"):
        call_command("run_fake_tiktok", "--port", "0")
