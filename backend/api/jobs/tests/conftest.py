"""Fixtures of the jobs tests (Celery runs eagerly in every test: see backend/conftest.py)."""

from api.accounts.tests.conftest import link_account  # noqa: F401 (a fixture)
