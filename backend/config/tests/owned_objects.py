"""Objects a user owns, by the path parameter that names them: shared by the generated tests.

The object-level authorization matrix and the OpenAPI fuzzer walk every route of the API; for
each `{..._id}` path parameter they need a way to create a real object that some user owns,
and the 404 code that route answers for somebody else's. A route whose id parameter is missing
here makes those tests fail, naming it: register its factory below when you add one.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.utils import timezone

from apps.api_keys.models import Scope
from apps.api_keys.services import api_key_create
from apps.audit.services import RequestMeta
from apps.events.models import Event
from apps.jobs.models import Job, JobStatus
from apps.outbound_webhooks.models import Delivery, WebhookEndpoint
from apps.outbound_webhooks.signing import secret_new
from apps.posts.models import Post, PostStatus
from apps.workspaces.models import Invitation, Membership, Role, Workspace
from testing.accounts import fake_grant, new_open_id
from testing.factories import (
    TikTokAccountFactory,
    TikTokVideoFactory,
    UserFactory,
    personal_workspace,
)
from testing.fake_tiktok import FakeTikTok


@dataclass(frozen=True)
class OwnedObject:
    """`create(user, fake)`, or `create(user, fake, parent_id)` when `within` names the path
    parameter of the object it belongs to (a video within its account). An id is a UUID, or
    a user's integer."""

    create: Callable[..., Any]
    not_found_code: str
    within: str | None = None


def linked_account(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """An account holding live tokens the fake TikTok issued, so its sync really succeeds."""
    person = fake.add_identity(open_id=new_open_id())
    grant = fake_grant(fake, person.open_id)
    account = TikTokAccountFactory(
        user=user,
        open_id=person.open_id,
        username=person.username,
        display_name=person.display_name,
        access_token=grant["access_token"],
        refresh_token=grant["refresh_token"],
    )
    return account.id


def finished_job(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """Finished, so the one-active-job-per-user rule never gets in the way."""
    now = timezone.now()
    return Job.objects.create(
        workspace=personal_workspace(user),
        user=user,
        status=JobStatus.SUCCEEDED,
        started_at=now,
        finished_at=now,
    ).id


def scheduled_post(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """Scheduled a day ahead, so no publisher picks it up while a test looks at it."""
    return Post.objects.create(
        workspace=personal_workspace(user),
        user=user,
        account_id=linked_account(user, fake),
        status=PostStatus.SCHEDULED,
        title="Hello TikTok",
        privacy_level="PUBLIC_TO_EVERYONE",
        video_url="https://videos.example.com/clip.mp4",
        scheduled_at=timezone.now() + timedelta(days=1),
        due_at=timezone.now() + timedelta(days=1),
    ).id


def pending_post(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """A post waiting for approval (what approve and reject act on)."""
    post_id = scheduled_post(user, fake)
    Post.objects.filter(pk=post_id).update(
        status=PostStatus.PENDING_APPROVAL, requires_approval=True
    )
    return post_id


def account_video(
    user: AbstractBaseUser, fake: FakeTikTok, account_id: uuid.UUID | None = None
) -> uuid.UUID:
    """A video of `account_id`, or of a new account of the user."""
    return TikTokVideoFactory(account_id=account_id or linked_account(user, fake)).id


def team_workspace(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """A team the user owns beside a second owner (so they may step down or leave); the same
    one for every parameter of a route (`/workspaces/{workspace_id}/invitations/{...}`)."""
    workspace = Workspace.objects.filter(
        memberships__user=user, memberships__role=Role.OWNER, personal_for__isnull=True
    ).first()
    if workspace is None:
        workspace = Workspace.objects.create(name=f"Team of {user.get_username()}")
        Membership.objects.create(workspace=workspace, user=user, role=Role.OWNER)
        Membership.objects.create(workspace=workspace, user=UserFactory(), role=Role.OWNER)
    return workspace.id


def team_member(user: AbstractBaseUser, fake: FakeTikTok) -> Any:
    """The user themself, as a member of their team (a user id is an integer)."""
    team_workspace(user, fake)
    return user.pk


def pending_invitation(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    now = timezone.now()
    return Invitation.objects.create(
        workspace_id=team_workspace(user, fake),
        role=Role.VIEWER,
        token_hash=uuid.uuid4().hex,
        expires_at=now + timedelta(days=1),
    ).id


def api_key(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """A live key of the user, in their personal workspace."""
    return api_key_create(
        user_id=user.pk,
        workspace_id=personal_workspace(user).id,
        name="owned",
        scopes=[Scope.READ],
        expires_at=None,
        meta=RequestMeta(user_id=user.pk),
    ).api_key.id


def webhook_endpoint(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """An endpoint whose URL never resolves to anything reachable: nothing is ever sent."""
    return WebhookEndpoint.objects.create(
        workspace=personal_workspace(user),
        url="https://hooks.invalid/tiktok",
        events=["*"],
        secret=secret_new(),
    ).id


def webhook_delivery(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """A delivery already failed, of a ping to a new endpoint of the user."""
    endpoint = WebhookEndpoint.objects.get(pk=webhook_endpoint(user, fake))
    event = Event.objects.create(workspace=endpoint.workspace, type="ping", data={})
    return Delivery.objects.create(endpoint=endpoint, event=event, status="failed").id


# Path parameter name -> how to make one for a user, and the code of its 404.
OWNED_OBJECTS: dict[str, OwnedObject] = {
    "account_id": OwnedObject(linked_account, "ACCOUNT_NOT_FOUND"),
    "job_id": OwnedObject(finished_job, "JOB_NOT_FOUND"),
    "post_id": OwnedObject(scheduled_post, "POST_NOT_FOUND"),
    "key_id": OwnedObject(api_key, "API_KEY_NOT_FOUND"),
    # The contract answers a video that is not the account's as the account itself.
    "video_id": OwnedObject(account_video, "ACCOUNT_NOT_FOUND", within="account_id"),
    "workspace_id": OwnedObject(team_workspace, "WORKSPACE_NOT_FOUND"),
    "user_id": OwnedObject(team_member, "MEMBER_NOT_FOUND"),
    "invitation_id": OwnedObject(pending_invitation, "INVITATION_NOT_FOUND"),
    "endpoint_id": OwnedObject(webhook_endpoint, "WEBHOOK_ENDPOINT_NOT_FOUND"),
    "delivery_id": OwnedObject(webhook_delivery, "DELIVERY_NOT_FOUND"),
}


# A route that acts on an object in a state of its own ("METHOD path" -> its factory for the
# path's last id parameter), so the owner's call succeeds.
ROUTE_OBJECTS: dict[str, OwnedObject] = {
    "POST /api/posts/{post_id}/approve": OwnedObject(pending_post, "POST_NOT_FOUND"),
    "POST /api/posts/{post_id}/reject": OwnedObject(pending_post, "POST_NOT_FOUND"),
}
# What the owner's plain call answers where no plain call can succeed: a chunk upload needs
# its Content-Range header and bytes, so the owner's empty PUT is refused by validation (not
# 404: the object is found).
OWNER_STATUS: dict[str, int] = {"PUT /api/posts/{post_id}/upload": 422}

# A valid body for a route whose schema examples do not make one ("POST /api/x/{x_id}/y" ->
# body), so the request reaches the object lookup instead of stopping at validation.
REQUEST_BODIES: dict[str, dict[str, Any]] = {
    # A public address written as a number: valid without DNS (nothing is sent at creation).
    "POST /api/webhook-endpoints": {"url": "https://93.184.216.34/hooks/tiktok", "events": ["*"]},
}

ID_PARAMETER = re.compile(r"\{(\w+_id)\}")


def id_operations(schema: dict[str, Any]) -> list[tuple[str, str]]:
    """(METHOD, path) of every operation whose path names an object by id."""
    return sorted(
        (method.upper(), path)
        for path, methods in schema["paths"].items()
        if ID_PARAMETER.search(path)
        for method in methods
    )


def request_schema(schema: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """The JSON schema of the operation's body, or None when it takes none."""
    body = schema["paths"][path][method.lower()].get("requestBody")
    if not body or "application/json" not in body["content"]:  # a raw body (upload chunk)
        return None
    node = body["content"]["application/json"]["schema"]
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def example_body(schema: dict[str, Any], method: str, path: str) -> dict[str, Any] | None:
    """REQUEST_BODIES' entry, else a body made of the first example of each field."""
    if f"{method} {path}" in REQUEST_BODIES:
        return REQUEST_BODIES[f"{method} {path}"]
    body_schema = request_schema(schema, method, path)
    if body_schema is None:
        return None
    properties = body_schema.get("properties", {})
    return {name: prop["examples"][0] for name, prop in properties.items() if prop.get("examples")}


def owned_object(parameter: str) -> OwnedObject:
    try:
        return OWNED_OBJECTS[parameter]
    except KeyError:
        raise LookupError(
            f"No factory for path parameter {{{parameter}}}: add one to OWNED_OBJECTS in "
            f"{__name__}, so the authorization matrix and the fuzzer cover the route."
        ) from None


def owned_ids(
    names: list[str], user: AbstractBaseUser, fake: FakeTikTok, route: str = ""
) -> dict[str, uuid.UUID]:
    """One object of the user per path parameter, each within the one its `within` names (the
    last one as ROUTE_OBJECTS makes it for `route`, "METHOD path", when it names one)."""
    made: dict[str, uuid.UUID] = {}
    for position, name in enumerate(names):
        owned = owned_object(name)
        if position == len(names) - 1 and route in ROUTE_OBJECTS:
            owned = ROUTE_OBJECTS[route]
        parent = made.get(owned.within) if owned.within else None
        made[name] = owned.create(user, fake, parent) if parent else owned.create(user, fake)
    return made
