"""What the header routes do per workspace (the contract's "Which workspace a request acts in"):
cursors bound to the workspace and the member, the read cache shared by a team yet stale for
every member at commit, OAuth states bound to the workspace, one TikTok user in two
workspaces, one sync-all job per workspace, rate limits still per user."""

from __future__ import annotations

import json

import pytest
from django.core.cache import cache

from apps.jobs.models import Job, JobStatus
from apps.tiktok_accounts.models import TikTokAccount
from testing.accounts import new_open_id
from testing.factories import TikTokAccountFactory
from testing.http import assert_error
from testing.workspaces import client_of, make_team

pytestmark = pytest.mark.django_db

ACCOUNTS = "/api/accounts"
START, COMPLETE = f"{ACCOUNTS}/connect/start", f"{ACCOUNTS}/connect/complete"
SYNC_ALL = f"{ACCOUNTS}/batch/sync-all"


def _in(workspace) -> dict[str, str]:
    return {"X-Workspace-Id": str(workspace.id)}


def _page(client, workspace, cursor: str | None = None):
    query = {"limit": 1} if cursor is None else {"limit": 1, "cursor": cursor}
    return client.get(ACCOUNTS, query, headers=_in(workspace))


@pytest.mark.usefixtures("shared_cache")
def test_each_member_pages_on_from_a_cached_first_page() -> None:
    """A page's next_cursor is bound to its reader: the answer another member cached first
    must not be served with theirs (it was, and paging on was 422 INVALID_CURSOR)."""
    team = make_team()
    cache.clear()  # the joins' stale markers
    TikTokAccountFactory.create_batch(3, workspace=team.workspace)
    owner, viewer = client_of(team.owner), client_of(team.viewer)
    for _ in range(2):  # the second read of each comes from the cache
        mine, theirs = _page(owner, team.workspace), _page(viewer, team.workspace)

    for client, page in ((owner, mine), (viewer, theirs)):
        following = _page(client, team.workspace, page.json()["next_cursor"])
        assert following.status_code == 200, following.content
        assert following.json()["items"][0]["id"] != page.json()["items"][0]["id"]
    assert_error(_page(viewer, team.workspace, mine.json()["next_cursor"]), 422, "INVALID_CURSOR")


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("shared_cache")
def test_a_write_makes_every_members_cached_reads_stale_at_commit() -> None:
    team = make_team()
    cache.clear()
    account = TikTokAccountFactory(workspace=team.workspace)
    members = [client_of(team.owner), client_of(team.viewer)]
    for client in members:
        for _ in range(2):
            assert client.get(ACCOUNTS, headers=_in(team.workspace)).json()["total"] == 1

    deleted = client_of(team.admin).delete(f"{ACCOUNTS}/{account.id}", headers=_in(team.workspace))

    assert deleted.status_code == 204
    for client in members:
        assert client.get(ACCOUNTS, headers=_in(team.workspace)).json()["total"] == 0


def test_a_cursor_of_another_workspace_is_invalid_cursor() -> None:
    team = make_team()
    TikTokAccountFactory.create_batch(2, workspace=team.workspace)
    TikTokAccountFactory.create_batch(2, user=team.owner)
    owner = client_of(team.owner)
    personal_cursor = owner.get(ACCOUNTS, {"limit": 1}).json()["next_cursor"]

    response = _page(owner, team.workspace, personal_cursor)

    assert_error(response, 422, "INVALID_CURSOR")


def _connect(client, fake_tiktok, open_id: str, start_in, complete_in):
    state = client.post(START, headers=_in(start_in)).json()["state"]
    body = {"code": fake_tiktok.issue_code(open_id), "state": state}
    return client.post(
        COMPLETE, json.dumps(body), content_type="application/json", headers=_in(complete_in)
    )


def test_a_state_completes_only_in_the_workspace_it_was_started_in(fake_tiktok) -> None:
    team, other = make_team(), make_team("Other team")
    other.workspace.memberships.create(user=team.admin, role="admin")
    person = fake_tiktok.add_identity(open_id=new_open_id())
    admin = client_of(team.admin)

    elsewhere = _connect(admin, fake_tiktok, person.open_id, team.workspace, other.workspace)
    there = _connect(admin, fake_tiktok, person.open_id, team.workspace, team.workspace)

    assert_error(elsewhere, 400, "INVALID_STATE")
    assert there.status_code == 201, there.content
    assert list(TikTokAccount.objects.values_list("workspace_id", flat=True)) == [team.workspace.id]


def test_one_tiktok_user_in_two_workspaces_is_two_accounts(fake_tiktok) -> None:
    team = make_team()
    person = fake_tiktok.add_identity(open_id=new_open_id())
    owner = client_of(team.owner)
    personal = team.owner.personal_workspace

    in_team = _connect(owner, fake_tiktok, person.open_id, team.workspace, team.workspace)
    in_personal = _connect(owner, fake_tiktok, person.open_id, personal, personal)
    again = _connect(owner, fake_tiktok, person.open_id, team.workspace, team.workspace)

    assert (in_team.status_code, in_personal.status_code, again.status_code) == (201, 201, 200)
    assert in_team.json()["id"] != in_personal.json()["id"]
    assert again.json()["id"] == in_team.json()["id"]
    live = TikTokAccount.objects.filter(open_id=person.open_id, is_deleted=False)
    assert sorted(map(str, live.values_list("workspace_id", flat=True))) == sorted(
        [str(team.workspace.id), str(personal.id)]
    )


def test_sync_all_is_one_active_job_per_workspace_whoever_asks() -> None:
    team = make_team()
    running = Job.objects.create(
        workspace=team.workspace, user=team.owner, status=JobStatus.RUNNING, total=3
    )
    editor = client_of(team.editor)

    same = editor.post(SYNC_ALL, headers=_in(team.workspace))
    own = editor.post(SYNC_ALL)  # the editor's personal workspace: a job of its own

    assert (same.status_code, same.json()["id"]) == (202, str(running.id))
    assert own.status_code == 202
    assert own.json()["id"] != str(running.id)
    assert Job.objects.filter(workspace=team.workspace).count() == 1


def test_rate_limits_stay_per_user_whatever_the_workspace(settings) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "read": "2/m"}
    team = make_team()
    owner = client_of(team.owner)

    answers = [
        owner.get(ACCOUNTS).status_code,
        owner.get(ACCOUNTS, headers=_in(team.workspace)).status_code,
    ]
    over = owner.get(ACCOUNTS, headers=_in(team.workspace))

    assert answers == [200, 200]
    assert_error(over, 429, "RATE_LIMITED")
    assert client_of(team.viewer).get(ACCOUNTS, headers=_in(team.workspace)).status_code == 200
