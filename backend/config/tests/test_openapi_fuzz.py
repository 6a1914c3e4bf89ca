"""Schemathesis over every operation of /api/openapi.json, in-process through the WSGI app.

The caller owns real data (accounts whose tokens the fake TikTok issued), and about half of
the generated ids are replaced by ids of objects the caller owns, so the 2xx paths are fuzzed
too, not only the 404s. Checks: no 5xx, every body matches its declared schema, every status
and content type is declared. `FUZZ_MAX_EXAMPLES` (default 20) raises the examples per
operation for a longer local run: `FUZZ_MAX_EXAMPLES=500 make test PYTEST_ARGS="-k fuzz"`.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
import schemathesis
from django.core.handlers.wsgi import WSGIHandler
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from config.api import api
from config.tests.owned_objects import owned_object
from testing.factories import UserFactory
from testing.http import bearer_header
from testing.openapi import ID_PARAMETER

pytestmark = pytest.mark.django_db

MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "20"))
CHECKS = [
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    content_type_conformance,
]
WSGI_APP = WSGIHandler()


@dataclass
class FuzzWorld:
    """The caller, its bearer header, and ids of objects it owns per path parameter."""

    headers: dict[str, str]
    owned: dict[str, list[str]] = field(default_factory=dict)


@pytest.fixture
def fuzz_world(fake_tiktok, settings) -> FuzzWorld:
    # Limits would turn most of the run into 429s: they have their own tests.
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, "100000/m")
    user = UserFactory()
    world = FuzzWorld(headers=bearer_header(user))
    for parameter in sorted(set(ID_PARAMETER.findall(" ".join(_schema_paths())))):
        factory = owned_object(parameter)
        if factory.within:  # one in each of the parents made before (sorted: parents first)
            parents = [uuid.UUID(parent) for parent in world.owned[factory.within]]
            made = [factory.create(user, fake_tiktok, parent) for parent in parents]
        else:
            made = [factory.create(user, fake_tiktok) for _ in range(3)]
        world.owned[parameter] = [str(pk) for pk in made]
    return world


def _schema_paths() -> list[str]:
    return list(api.get_openapi_schema()["paths"])


@pytest.fixture
def _wsgi_keeps_the_test_connection() -> Iterator[None]:
    """As Django's test client does: a request must not close the test's transaction."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    yield
    request_started.connect(close_old_connections)
    request_finished.connect(close_old_connections)


# The document the service serves, built at collection: one test per operation. (Loaded from
# the NinjaAPI itself, not through a fixture: schemathesis' lazy loader breaks on pytest 9.)
schema = schemathesis.openapi.from_dict(api.get_openapi_schema())


@schema.parametrize()
@pytest.mark.usefixtures("_wsgi_keeps_the_test_connection")
@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
def test_every_operation_answers_within_its_declared_contract(case, fuzz_world: FuzzWorld) -> None:
    for name, value in list((case.path_parameters or {}).items()):
        owned = fuzz_world.owned.get(name)
        # Half of the generated ids become one the caller owns (a stable pick per value).
        if owned and isinstance(value, str) and value[:1] in "01234567":
            case.path_parameters[name] = owned[int(value[:1]) % len(owned)]
    case.call_and_validate(
        base_url="http://localhost", headers=fuzz_world.headers, checks=CHECKS, app=WSGI_APP
    )
