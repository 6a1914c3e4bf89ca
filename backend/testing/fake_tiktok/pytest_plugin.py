"""Pytest fixtures serving the fake TikTok over real HTTP on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings as django_settings
from pytest_django.fixtures import Settings

from testing.fake_tiktok.server import FakeTikTok


@pytest.fixture(scope="session")
def fake_tiktok_server() -> Iterator[FakeTikTok]:
    """One server for the whole run: starting one per test would cost a port and a thread."""
    fake = FakeTikTok(
        client_key=django_settings.TIKTOK_CLIENT_KEY,
        client_secret=django_settings.TIKTOK_CLIENT_SECRET,
    )
    fake.start()
    yield fake
    fake.stop()


@pytest.fixture
def fake_tiktok(fake_tiktok_server: FakeTikTok, settings: Settings) -> FakeTikTok:
    """The fake, reset, with the TikTok settings pointing at it for this test only."""
    fake_tiktok_server.reset()
    settings.TIKTOK_API_BASE_URL = fake_tiktok_server.base_url
    settings.TIKTOK_AUTHORIZE_URL = f"{fake_tiktok_server.base_url}/v2/auth/authorize/"
    settings.TIKTOK_TIMEOUT_SECONDS = 1
    return fake_tiktok_server
