"""A key from the shared cache: no SQL and one round trip warm, yet every change counts at once.

Changes mark the cache at commit, hence transactional tests. Redis round trips are counted on
redis-py's connections, so those tests run in the PostgreSQL + Redis pass only; the
second-process test runs a real other Python process on the same database and Redis.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import redis.connection
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from apps.workspaces.models import Membership, Role
from testing.api_keys import key_header, make_api_key, team_workspace
from testing.factories import TikTokAccountFactory
from testing.http import assert_error, bearer_header

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("shared_cache")]

REDIS_URL = os.environ.get("REDIS_URL", "").strip()
needs_redis = pytest.mark.skipif(
    not REDIS_URL, reason="REDIS_URL is unset: runs in CI's PostgreSQL + Redis pass"
)
ACCOUNTS, JOBS, ME = "/api/accounts?limit=20", "/api/jobs", "/api/auth/me"
BACKEND = Path(__file__).resolve().parents[3]


def _sql(client: Client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries.captured_queries)


def _refused(client: Client) -> None:
    assert_error(client.get(JOBS), 401, "NOT_AUTHENTICATED")
    assert_error(client.get(ME), 401, "NOT_AUTHENTICATED")


def test_a_warm_key_request_costs_no_sql(user) -> None:
    TikTokAccountFactory.create_batch(3, user=user)
    _, key = make_api_key(user)
    client = Client(headers=key_header(key))

    # The key with its user and role (one query), and the first use's last_used_at.
    assert _sql(client, JOBS) == 1 + 1 + 1  # + the jobs page
    assert _sql(client, JOBS) == 1  # the page only
    assert _sql(client, ACCOUNTS) == 1  # the list page, then cached
    assert _sql(client, ACCOUNTS) == 0
    assert _sql(client, ME) == 0


def test_a_revoked_key_is_refused_at_the_next_request(user) -> None:
    api_key, key = make_api_key(user)
    client = Client(headers=key_header(key))
    assert client.get(JOBS).status_code == 200
    assert _sql(client, ME) == 0  # served from the cache

    response = Client(headers=bearer_header(user)).delete(f"/api/api-keys/{api_key.id}")
    assert response.status_code == 204

    _refused(client)


def test_a_key_of_a_deactivated_user_is_refused_at_the_next_request(user) -> None:
    _, key = make_api_key(user)
    client = Client(headers=key_header(key))
    assert client.get(JOBS).status_code == 200

    user.is_active = False
    user.save()

    _refused(client)


def test_a_key_of_a_removed_member_is_refused_at_the_next_request(user, other_user) -> None:
    team = team_workspace((user, Role.EDITOR), (other_user, Role.OWNER))
    _, key = make_api_key(user, workspace=team)
    client = Client(headers=key_header(key))
    assert client.get(JOBS).status_code == 200
    assert _sql(client, ME) == 0

    Membership.objects.get(workspace=team, user=user).delete()

    _refused(client)


def test_a_demoted_members_key_has_the_new_role_at_once(user, other_user) -> None:
    team = team_workspace((user, Role.ADMIN), (other_user, Role.OWNER))
    account = TikTokAccountFactory(user=other_user, workspace=team)
    _, key = make_api_key(user, workspace=team)
    client = Client(headers=key_header(key))
    assert client.get(JOBS).status_code == 200

    membership = Membership.objects.get(workspace=team, user=user)
    membership.role = Role.VIEWER
    membership.save()

    assert_error(client.delete(f"/api/accounts/{account.id}"), 403, "INSUFFICIENT_ROLE")


def test_a_key_of_a_deleted_user_is_refused(user) -> None:
    _, key = make_api_key(user)
    client = Client(headers=key_header(key))
    assert client.get(JOBS).status_code == 200

    user.delete()

    _refused(client)


@pytest.fixture
def redis_round_trips(monkeypatch) -> list[int]:
    sent: list[int] = []
    original = redis.connection.AbstractConnection.send_packed_command

    def counting(self, command, check_health=True):
        sent.append(1)
        return original(self, command, check_health)

    monkeypatch.setattr(redis.connection.AbstractConnection, "send_packed_command", counting)
    return sent


def _cost(client: Client, url: str, round_trips: list[int]) -> tuple[int, int]:
    round_trips.clear()
    return _sql(client, url), len(round_trips)


@needs_redis
def test_a_key_costs_the_round_trips_of_a_jwt(user, redis_round_trips) -> None:
    TikTokAccountFactory.create_batch(3, user=user)
    _, key = make_api_key(user)
    key_client, jwt_client = Client(headers=key_header(key)), Client(headers=bearer_header(user))

    # Cold, for a JWT: the user, role and counter; then storing the user; then the role.
    assert _cost(jwt_client, JOBS, redis_round_trips) == (2, 3)
    # Cold, for a key never seen by this process: the key's row, user and role in one query;
    # the round trip; the three entries stored together; the last_used_at gate and its write.
    assert _cost(key_client, JOBS, redis_round_trips) == (3, 3)
    # Warm: one round trip (key, user, role and counter), the page's query only.
    assert _cost(key_client, JOBS, redis_round_trips) == (1, 1)
    assert _cost(jwt_client, JOBS, redis_round_trips) == (1, 1)
    assert _cost(key_client, ACCOUNTS, redis_round_trips) == (1, 2)  # a read-cache miss
    assert _cost(key_client, ACCOUNTS, redis_round_trips) == (0, 1)  # a hit


def _in_another_process(code: str) -> None:
    """Runs `code` after django.setup() in a new Python process on the test database."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "DJANGO_SETTINGS_MODULE": "config.settings",
    }
    script = f"import django\ndjango.setup()\n{code}"
    command = [sys.executable, "-c", script]  # our own code, this interpreter
    subprocess.run(command, cwd=BACKEND, env=env, check=True, timeout=60)  # noqa: S603


@needs_redis
def test_a_key_revoked_in_another_process_is_refused_here_next(user) -> None:
    assert connection.vendor == "postgresql"
    api_key, key = make_api_key(user)
    client = Client(headers=key_header(key))
    assert client.get(ME).status_code == 200
    assert _sql(client, ME) == 0  # cached here

    _in_another_process(
        "from apps.api_keys.services import api_key_revoke\n"
        "from apps.audit.services import RequestMeta\n"
        f"api_key_revoke(user_id={user.pk}, key_id='{api_key.id}', meta=RequestMeta())\n"
    )

    _refused(client)
