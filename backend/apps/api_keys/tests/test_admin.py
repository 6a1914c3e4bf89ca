"""The admin shows who holds which key, for what and since when; never the key or its hash."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from apps.api_keys.models import ApiKey, Scope
from testing.api_keys import make_api_key

pytestmark = pytest.mark.django_db


def test_keys_are_listed_and_shown_without_key_or_hash(admin_client: Client, user) -> None:
    api_key, key = make_api_key(user, [Scope.READ, Scope.PUBLISH])
    stored = ApiKey.objects.get(pk=api_key.pk)

    pages = [
        admin_client.get(reverse("admin:api_keys_apikey_changelist")),
        admin_client.get(reverse("admin:api_keys_apikey_changelist"), {"q": api_key.prefix}),
        admin_client.get(reverse("admin:api_keys_apikey_change", args=[api_key.pk])),
    ]

    for page in pages:
        html = page.content.decode()
        assert page.status_code == 200
        assert api_key.prefix in html
        assert user.username in html
        assert key not in html
        assert stored.key_hash not in html
        assert "key_hash" not in html
    assert "publish" in pages[2].content.decode()
    assert admin_client.get(reverse("admin:api_keys_apikey_add")).status_code == 403
