"""The accounts tests' fixtures: accounts holding tokens the fake TikTok really issued."""

from api.accounts.tests.conftest import link_account

__all__ = ["link_account"]
