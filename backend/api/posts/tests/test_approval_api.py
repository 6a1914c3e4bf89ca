"""Approval: while the workspace asks for it, an editor's post waits in pending_approval and is
never sent until an admin approves it; every role's view of create, approve and reject."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.events.models import Event
from apps.posts import publisher, tasks
from apps.posts.models import Post, PostStatus
from apps.workspaces.models import Membership, Role
from testing.factories import UserFactory, personal_workspace
from testing.http import assert_error, bearer_header
from testing.posts import stored_files

pytestmark = pytest.mark.django_db

BODY = {"video_url": "https://videos.example.com/clip.mp4", "privacy_level": "SELF_ONLY"}


@pytest.fixture
def workspace(user):
    workspace = personal_workspace(user)
    workspace.post_approval_required = True
    workspace.save(update_fields=["post_approval_required"])
    return workspace


@pytest.fixture
def account(link_account, user, fake_tiktok, workspace):
    return link_account(user)[0]


@pytest.fixture
def member(workspace):
    """A client for a new member of `workspace` with `role` (the owner is `auth_client`)."""

    def make(role: str) -> Client:
        person = UserFactory()
        Membership.objects.create(workspace=workspace, user=person, role=role)
        return Client(headers={**bearer_header(person), "X-Workspace-Id": str(workspace.id)})

    return make


def _create(client: Client, account, **body):
    return client.post(
        f"/api/accounts/{account.id}/posts", {**BODY, **body}, content_type="application/json"
    )


@pytest.mark.parametrize(
    ("role", "status"),
    [
        (Role.VIEWER, None),
        (Role.EDITOR, "pending_approval"),
        (Role.ADMIN, "scheduled"),
        (Role.OWNER, "scheduled"),
    ],
)
def test_only_an_editors_post_waits_for_approval(member, account, enqueued, role, status):
    response = _create(member(role), account)

    if status is None:
        assert_error(response, 403, "INSUFFICIENT_ROLE")
        assert Post.objects.count() == 0
        return
    assert response.status_code == 202, response.content
    assert response.json()["status"] == status
    assert Post.objects.get().requires_approval == (role == Role.EDITOR)


def test_without_the_setting_an_editors_post_is_scheduled(member, account, workspace):
    workspace.post_approval_required = False
    workspace.save(update_fields=["post_approval_required"])

    assert _create(member(Role.EDITOR), account).json()["status"] == "scheduled"


@pytest.mark.parametrize(
    ("role", "allowed"),
    [(Role.VIEWER, False), (Role.EDITOR, False), (Role.ADMIN, True), (Role.OWNER, True)],
)
def test_only_admins_approve_or_reject(member, account, role, allowed):
    post_id = _create(member(Role.EDITOR), account).json()["id"]
    client = member(role)

    approved = client.post(f"/api/posts/{post_id}/approve")
    rejected = client.post(
        f"/api/posts/{post_id}/reject", {"reason": "no"}, content_type="application/json"
    )

    if not allowed:
        assert_error(approved, 403, "INSUFFICIENT_ROLE")
        assert_error(rejected, 403, "INSUFFICIENT_ROLE")
        assert Post.objects.get().status == PostStatus.PENDING_APPROVAL
        return
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "scheduled"
    assert_error(rejected, 409, "POST_NOT_PENDING")  # approved already


def test_an_unapproved_post_is_never_sent_and_an_approved_one_is(
    clock, user, member, account, fake_tiktok, enqueued, django_capture_on_commit_callbacks
):
    editor = member(Role.EDITOR)
    soon = (timezone.now() + timedelta(minutes=5)).isoformat()
    post_id = _create(editor, account, scheduled_at=soon).json()["id"]

    clock.shift(3600)  # long past its scheduled_at
    tasks.posts_publish_due_task.apply()
    publisher.post_publish(post_id=Post.objects.get().pk)
    assert fake_tiktok.content.inits == []
    assert Post.objects.get().status == PostStatus.PENDING_APPROVAL

    admin = member(Role.ADMIN)  # a fresh token: the clock moved an hour
    with django_capture_on_commit_callbacks(execute=True):
        body = admin.post(f"/api/posts/{post_id}/approve").json()
    assert body["status"] == "scheduled"
    assert body["approved_by"] not in (None, user.pk)
    assert enqueued == [Post.objects.get().pk]  # approved late: sent at once
    publisher.post_publish(post_id=Post.objects.get().pk)
    assert len(fake_tiktok.content.inits) == 1


def test_a_rejected_post_is_final_with_its_reason_and_audited(user, member, account, fake_tiktok):
    post_id = _create(member(Role.EDITOR), account).json()["id"]

    response = Client(headers=bearer_header(user)).post(
        f"/api/posts/{post_id}/reject",
        {"reason": "Off-brand music"},
        content_type="application/json",
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["status"], body["reject_reason"], body["approved_by"]) == (
        "rejected",
        "Off-brand music",
        None,
    )
    tasks.posts_publish_due_task.apply()
    assert fake_tiktok.content.inits == []
    entry = AuditLog.objects.get(action="post_reject")
    assert entry.metadata["user_id"] == user.pk
    assert entry.changes == {
        "before": {"status": "pending_approval"},
        "after": {"status": "rejected"},
    }
    again = Client(headers=bearer_header(user)).post(f"/api/posts/{post_id}/approve")
    assert_error(again, 409, "POST_NOT_PENDING")
    # Integrators hear of it: `post.rejected`, its data the post as the API shows it.
    event = Event.objects.get(type="post.rejected")
    assert event.data == Client(headers=bearer_header(user)).get(f"/api/posts/{post_id}").json()


def test_approval_is_audited_with_the_approver(user, member, account):
    post_id = _create(member(Role.EDITOR), account).json()["id"]

    body = Client(headers=bearer_header(user)).post(f"/api/posts/{post_id}/approve").json()

    assert body["approved_by"] == user.pk
    entry = AuditLog.objects.get(action="post_approve")
    assert entry.metadata["user_id"] == user.pk
    assert entry.changes["after"] == {"status": "scheduled"}


def test_an_editors_upload_waits_for_approval_once_complete_and_a_rejection_deletes_it(
    user, member, account, upload_dir, django_capture_on_commit_callbacks
):
    editor = member(Role.EDITOR)
    post_id = _create(editor, account, video_url=None, source="upload", video_size=10).json()["id"]

    answer = editor.put(
        f"/api/posts/{post_id}/upload",
        b"0123456789",
        content_type="application/octet-stream",
        headers={"Content-Range": "bytes 0-9/10"},
    )

    assert answer.json() == {"received_bytes": 10, "complete": True}
    assert Post.objects.get().status == PostStatus.PENDING_APPROVAL
    assert len(stored_files(upload_dir)) == 1
    with django_capture_on_commit_callbacks(execute=True):
        rejected = Client(headers=bearer_header(user)).post(
            f"/api/posts/{post_id}/reject", {"reason": "no"}, content_type="application/json"
        )
    assert rejected.json()["status"] == "rejected"
    assert (Post.objects.get().upload_stored, stored_files(upload_dir)) == (False, [])


def test_an_editor_cancels_a_pending_post(member, account):
    editor = member(Role.EDITOR)
    post_id = _create(editor, account).json()["id"]

    assert editor.delete(f"/api/posts/{post_id}").status_code == 204
    assert Post.objects.count() == 0
