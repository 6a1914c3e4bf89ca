"""Helpers for tests of the Django admin: change URLs, and no token in a page."""

from __future__ import annotations

import re

from django.db import connection
from django.urls import reverse

from apps.tiktok_accounts import admin as accounts_admin
from apps.tiktok_accounts.models import TikTokAccount


def stored_secrets() -> list[str]:
    """Every token as the plaintext the model hands out AND as the ciphertext in the table."""
    table = connection.ops.quote_name(TikTokAccount._meta.db_table)
    with connection.cursor() as cursor:
        # The table name comes from the model's metadata, not from input.
        cursor.execute(f"SELECT access_token, refresh_token FROM {table}")  # noqa: S608
        ciphertexts = [value for row in cursor.fetchall() for value in row]
    plaintexts = [
        value
        for row in TikTokAccount.all_objects.values_list("access_token", "refresh_token")
        for value in row
    ]
    assert all(c.startswith("gAAAAA") for c in ciphertexts), "tokens must be encrypted at rest"
    return [*plaintexts, *ciphertexts]


def assert_no_secret(html: str) -> None:
    secrets = stored_secrets()
    assert secrets
    leaked = [s for s in secrets if s in html]
    assert not leaked, "a token (plaintext or ciphertext) appears in the admin HTML"
    assert "PLAINACCESS" not in html
    assert "PLAINREFRESH" not in html
    for name in accounts_admin.HIDDEN_FIELDS:
        # `field-access_token_expires_at` is fine: only the token column itself must be absent.
        assert not re.search(rf'(name="|field-){name}[\s"]', html), name


def change_url(obj: object) -> str:
    opts = obj._meta
    return reverse(f"admin:{opts.app_label}_{opts.model_name}_change", args=[obj.pk])
