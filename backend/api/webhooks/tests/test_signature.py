"""The webhook's credential: TikTok-Signature over "<t>.<raw body>", checked before parsing."""

from __future__ import annotations

import hashlib
import hmac
import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.webhooks.tests.conftest import URL, event_body
from apps.audit.models import AuditLog
from apps.tiktok_accounts.models import AccountStatus
from apps.webhooks.models import WebhookEvent
from testing.factories import TikTokAccountFactory
from testing.http import assert_error

pytestmark = pytest.mark.django_db

HEX = "a" * 64


@pytest.fixture
def account(user):
    return TikTokAccountFactory(user=user, open_id="open-id-webhook")


def _assert_nothing_stored(account) -> None:
    assert WebhookEvent.objects.count() == 0
    assert AuditLog.objects.count() == 0
    account.refresh_from_db()
    assert account.status == AccountStatus.ACTIVE
    assert account.last_sync_error is None


def _good_parts(body: bytes, settings) -> tuple[int, str]:
    """Computed here from TikTok's documentation, independently of the fake and the service."""
    t = int(time.time())
    digest = hmac.new(
        settings.TIKTOK_CLIENT_SECRET.encode(), f"{t}.".encode() + body, hashlib.sha256
    ).hexdigest()
    return t, digest


def test_the_documented_scheme_is_accepted(deliver, account, settings) -> None:
    body = event_body(account.open_id)
    t, digest = _good_parts(body, settings)

    response = deliver(body, signature=f"t={t},s={digest}")

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "processed"}


def test_uppercase_hex_and_spaces_after_commas_are_accepted(deliver, account, settings) -> None:
    body = event_body(account.open_id)
    t, digest = _good_parts(body, settings)

    response = deliver(body, signature=f"t={t}, s={digest.upper()}, v1=ignored")

    assert response.json() == {"status": "processed"}


MALFORMED = {
    "missing": lambda t, s: "",
    "blank": lambda t, s: " ",
    "only t": lambda t, s: f"t={t}",
    "only s": lambda t, s: f"s={s}",
    "empty t": lambda t, s: f"t=,s={s}",
    "empty s": lambda t, s: f"t={t},s=",
    "t not a number": lambda t, s: f"t=abc,s={s}",
    "negative t": lambda t, s: f"t=-{t},s={s}",
    "decimal t": lambda t, s: f"t={t}.0,s={s}",
    "semicolon separator": lambda t, s: f"t={t};s={s}",
    "space separator": lambda t, s: f"t={t} s={s}",
    "no equals sign": lambda t, s: f"t{t},s{s}",
    "s not hex": lambda t, s: f"t={t},s={'z' * 64}",
    "s too short": lambda t, s: f"t={t},s={s[:-1]}",
    "s too long": lambda t, s: f"t={t},s={s}0",
    "s with sha256= prefix": lambda t, s: f"t={t},s=sha256={s}",
    "t twice": lambda t, s: f"t={t},t={t},s={s}",
    "s twice": lambda t, s: f"t={t},s={HEX},s={s}",
    "trailing comma": lambda t, s: f"t={t},s={s},",
    "other scheme only": lambda t, s: f"t={t},v1={s}",
}


@pytest.mark.parametrize("form", list(MALFORMED))
def test_malformed_signature_header_is_401_and_stores_nothing(
    deliver, account, settings, form
) -> None:
    body = event_body(account.open_id)
    header = MALFORMED[form](*_good_parts(body, settings))

    response = deliver(body, signature=header)

    assert_error(response, 401, "INVALID_SIGNATURE")
    _assert_nothing_stored(account)


def test_a_signature_made_with_another_secret_is_401(deliver, account) -> None:
    response = deliver(event_body(account.open_id), secret="not-our-client-secret")

    assert_error(response, 401, "INVALID_SIGNATURE")
    _assert_nothing_stored(account)


@pytest.mark.parametrize(
    "offset", [-310, 310, -3600, 86_400], ids=["stale", "future", "hour", "day"]
)
def test_a_timestamp_outside_the_tolerance_is_401(deliver, account, offset) -> None:
    response = deliver(event_body(account.open_id), timestamp=int(time.time()) + offset)

    assert_error(response, 401, "INVALID_SIGNATURE")
    _assert_nothing_stored(account)


@pytest.mark.parametrize("offset", [-295, 295])
def test_a_timestamp_inside_the_tolerance_is_accepted(deliver, account, offset) -> None:
    response = deliver(event_body(account.open_id), timestamp=int(time.time()) + offset)

    assert response.json() == {"status": "processed"}


def test_the_tolerance_comes_from_the_settings(deliver, account, settings) -> None:
    settings.TIKTOK_WEBHOOK_TOLERANCE_SECONDS = 60

    response = deliver(event_body(account.open_id), timestamp=int(time.time()) - 120)

    assert_error(response, 401, "INVALID_SIGNATURE")
    _assert_nothing_stored(account)


@pytest.mark.parametrize("position", [0, 40, -2])
def test_a_body_changed_by_one_byte_is_401(deliver, account, settings, position) -> None:
    body = event_body(account.open_id)
    t, digest = _good_parts(body, settings)
    changed = bytearray(body)
    changed[position] ^= 0x01

    response = deliver(bytes(changed), signature=f"t={t},s={digest}")

    assert_error(response, 401, "INVALID_SIGNATURE")
    _assert_nothing_stored(account)


def test_a_refusal_runs_no_sql(deliver, account) -> None:
    with CaptureQueriesContext(connection) as queries:
        response = deliver(event_body(account.open_id), secret="wrong")

    assert response.status_code == 401
    assert len(queries) == 0


def test_a_signature_check_needs_no_jwt_and_ignores_a_bad_one(client, account, settings) -> None:
    body = event_body(account.open_id)
    t, digest = _good_parts(body, settings)

    response = client.post(
        URL,
        body,
        content_type="application/json",
        headers={"TikTok-Signature": f"t={t},s={digest}", "Authorization": "Bearer garbage"},
    )

    assert response.json() == {"status": "processed"}
