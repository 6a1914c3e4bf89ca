"""Secrets in a database dump: an API key, a webhook secret (current and during a rotation's
overlap) and a TikTok token appear in neither the tables as stored nor Django's `dumpdata`,
and a dump loads back with its secrets intact (the encrypted fields dump their ciphertext)."""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection

from apps.outbound_webhooks.models import WebhookEndpoint
from testing.factories import TikTokAccountFactory
from testing.http import post_json

pytestmark = pytest.mark.django_db


@pytest.fixture
def secrets(auth_client, user, settings) -> dict[str, str]:
    """Every kind of secret the service keeps, made through the API where it has a route."""
    settings.OUTBOUND_WEBHOOKS_ALLOW_HTTP = True
    settings.OUTBOUND_WEBHOOKS_ALLOW_PRIVATE = True
    key = post_json(auth_client, "/api/api-keys", {"name": "crm", "scopes": ["read"]}).json()
    endpoint = post_json(
        auth_client, "/api/webhook-endpoints", {"url": "http://127.0.0.1:9/", "events": ["*"]}
    ).json()
    rotated = auth_client.post(f"/api/webhook-endpoints/{endpoint['id']}/rotate-secret").json()
    account = TikTokAccountFactory(user=user)
    return {
        "key": key["key"],
        "key past its prefix": key["key"][12:],
        "secret before rotation": endpoint["secret"].removeprefix("whsec_"),
        "secret": rotated["secret"].removeprefix("whsec_"),
        "access token": account.access_token,
        "refresh token": account.refresh_token,
    }


def _tables_as_stored() -> str:
    """Every row of every table, as the database holds it (what pg_dump would write)."""
    rows = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f"SELECT * FROM {connection.ops.quote_name(table)}")  # noqa: S608
            rows.extend(repr(row) for row in cursor.fetchall())
    return "\n".join(rows)


def _dumpdata(*labels: str) -> str:
    out = io.StringIO()
    call_command("dumpdata", *labels, stdout=out)
    return out.getvalue()


def test_no_secret_is_in_the_tables_or_in_dumpdata(secrets: dict[str, str]) -> None:
    for name, dump in (("tables", _tables_as_stored()), ("dumpdata", _dumpdata())):
        found = [what for what, secret in secrets.items() if secret in dump]
        assert found == [], f"{name} holds: {found}"


def test_a_dump_loads_back_with_its_secrets(secrets: dict[str, str], tmp_path: Path) -> None:
    fixture = tmp_path / "endpoints.json"
    fixture.write_text(_dumpdata("outbound_webhooks.WebhookEndpoint"))
    assert json.loads(fixture.read_text())
    before = {e.pk: (e.secret, e.previous_secret) for e in WebhookEndpoint.objects.all()}
    WebhookEndpoint.objects.all().delete()

    call_command("loaddata", str(fixture), verbosity=0)

    after = {e.pk: (e.secret, e.previous_secret) for e in WebhookEndpoint.objects.all()}
    assert after == before
    assert [s.removeprefix("whsec_") for s in next(iter(after.values()))] == [
        secrets["secret"],
        secrets["secret before rotation"],
    ]
