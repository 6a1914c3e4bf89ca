"""`/api/accounts/{account_id}/videos`: an account's videos, and their sync from TikTok."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query

from api.round_trip import user_rate_limit
from api.videos.schemas import VideoListQuery, VideoPageOut, VideoSyncOut
from api.workspace_scope import WorkspaceRouter, requires
from apps.audit.services import RequestMeta
from apps.core.errors import NOT_FOUND, READ_ERRORS, TIKTOK_TOKEN_ERRORS
from apps.tiktok_accounts.selectors import account_get
from apps.videos import selectors, services
from apps.workspaces.models import Role

router = WorkspaceRouter(tags=["videos"])


@router.post(
    "/{account_id}/videos/sync",
    response={200: VideoSyncOut, **READ_ERRORS, **NOT_FOUND, **TIKTOK_TOKEN_ERRORS},
    summary="Fetch the account's newest videos from TikTok",
)
@requires(Role.EDITOR)
@user_rate_limit("sync")
def video_sync(request: HttpRequest, account_id: uuid.UUID) -> Any:
    account = account_get(workspace_id=request.workspace.id, account_id=account_id)
    return services.account_videos_sync(account=account, meta=RequestMeta.from_request(request))


@router.get(
    "/{account_id}/videos",
    response={200: VideoPageOut, **READ_ERRORS, **NOT_FOUND},
    summary="List the account's videos",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def video_list(request: HttpRequest, account_id: uuid.UUID, query: Query[VideoListQuery]) -> Any:
    account = account_get(workspace_id=request.workspace.id, account_id=account_id)
    return selectors.video_list_page(owner=request.workspace.owner, account=account, **query.dict())
