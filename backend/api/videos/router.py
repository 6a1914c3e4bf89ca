"""`/api/accounts/{account_id}/videos`: an account's videos (JSON pages, a CSV export), their
sync from TikTok, and a video's counts over time."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query

from api.csv_export import CSV_OPENAPI, csv_response, csv_text, csv_time
from api.history.schemas import HistoryQuery
from api.round_trip import user_rate_limit
from api.videos.schemas import VideoHistoryOut, VideoListQuery, VideoPageOut, VideoSyncOut
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


@router.get(
    "/{account_id}/videos.csv",
    response={**READ_ERRORS, **NOT_FOUND},
    openapi_extra=CSV_OPENAPI,
    summary="The account's videos as a CSV download, newest first",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def video_list_csv(request: HttpRequest, account_id: uuid.UUID) -> Any:
    account = account_get(workspace_id=request.workspace.id, account_id=account_id)
    rows = selectors.video_export_rows(account=account)
    return csv_response(
        filename=f"account-{account.id}-videos.csv",
        header=selectors.EXPORT_FIELDS,
        rows=(
            (pk, csv_text(video_id), csv_time(created), csv_text(title), *numbers, csv_text(url))
            for pk, video_id, created, title, *numbers, url in rows
        ),
    )


@router.get(
    "/{account_id}/videos/{video_id}/history",
    response={200: VideoHistoryOut, **READ_ERRORS, **NOT_FOUND},
    summary="A video's view, like, comment and share counts over time",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def video_history(
    request: HttpRequest, account_id: uuid.UUID, video_id: uuid.UUID, query: Query[HistoryQuery]
) -> Any:
    account = account_get(workspace_id=request.workspace.id, account_id=account_id)
    points = selectors.video_history_points(
        account=account,
        video_id=video_id,
        since=query.since,
        until=query.until,
        bucket=query.bucket,
    )
    return {"video_id": video_id, "bucket": query.bucket, "points": points}
