"""Fixtures of the scheduling tests: accounts holding tokens the fake TikTok issued."""

from api.accounts.tests.conftest import link_account  # noqa: F401 (a fixture)
