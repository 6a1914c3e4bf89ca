"""Schemathesis over every operation of the OpenAPI document: no input may answer 500.

Bounded and deterministic (`derandomize`: the same examples every run, no example database),
so CI stays fast and a failure reproduces. It generates valid and invalid values from each
operation's schema (lengths at the limits, odd characters, wrong types, other methods); the
NUL walk in test_nul_everywhere.py covers every string field on purpose.
"""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from api.auth.tests.factories import bearer_header
from config.wsgi import application

MAX_EXAMPLES = 25

schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)


# transaction=True: the real WSGI entry point closes the connection after each request, as in
# production, which the rollback-per-test mode cannot survive.
@pytest.mark.django_db(transaction=True)
@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    # One user and one fake TikTok for all the examples of an operation, on purpose.
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_no_operation_answers_500(case, user, fake_tiktok) -> None:
    case.call_and_validate(headers=bearer_header(user), checks=[not_a_server_error])
