from api.accounts.tests.conftest import link_account  # noqa: F401 (a fixture these tests use)
