"""Objects a user owns, by the path parameter that names them: shared by the generated tests.

The object-level authorization matrix and the OpenAPI fuzzer walk every route of the API; for
each `{..._id}` path parameter they need a way to create a real object that some user owns,
and the 404 code that route answers for somebody else's. A route whose id parameter is missing
here makes those tests fail, naming it: write its factory in its area's module beside this one
and register it below when you add one.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.contrib.auth.models import AbstractBaseUser

from config.tests.owned_objects import (
    accounts,
    api_keys,
    jobs,
    outbound_webhooks,
    posts,
    workspaces,
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


# Path parameter name -> how to make one for a user, and the code of its 404.
OWNED_OBJECTS: dict[str, OwnedObject] = {
    "account_id": OwnedObject(accounts.linked_account, "ACCOUNT_NOT_FOUND"),
    "job_id": OwnedObject(jobs.finished_job, "JOB_NOT_FOUND"),
    "post_id": OwnedObject(posts.scheduled_post, "POST_NOT_FOUND"),
    "key_id": OwnedObject(api_keys.api_key, "API_KEY_NOT_FOUND"),
    # The contract answers a video that is not the account's as the account itself.
    "video_id": OwnedObject(accounts.account_video, "ACCOUNT_NOT_FOUND", within="account_id"),
    "workspace_id": OwnedObject(workspaces.team_workspace, "WORKSPACE_NOT_FOUND"),
    "user_id": OwnedObject(workspaces.team_member, "MEMBER_NOT_FOUND"),
    "invitation_id": OwnedObject(workspaces.pending_invitation, "INVITATION_NOT_FOUND"),
    "endpoint_id": OwnedObject(outbound_webhooks.webhook_endpoint, "WEBHOOK_ENDPOINT_NOT_FOUND"),
    "delivery_id": OwnedObject(outbound_webhooks.webhook_delivery, "DELIVERY_NOT_FOUND"),
}


# A route that acts on an object in a state of its own ("METHOD path" -> its factory for the
# path's last id parameter), so the owner's call succeeds.
ROUTE_OBJECTS: dict[str, OwnedObject] = {
    "POST /api/posts/{post_id}/approve": OwnedObject(posts.pending_post, "POST_NOT_FOUND"),
    "POST /api/posts/{post_id}/reject": OwnedObject(posts.pending_post, "POST_NOT_FOUND"),
}
# What the owner's plain call answers where no plain call can succeed: a chunk upload needs
# its Content-Range header and bytes, so the owner's empty PUT is refused by validation (not
# 404: the object is found).
OWNER_STATUS: dict[str, int] = {"PUT /api/posts/{post_id}/upload": 422}


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
