"""`/api/accounts/{account_id}/history`: an account's counts over time (JWT, read limit)."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query

from api.history.schemas import HistoryOut, HistoryQuery
from api.round_trip import user_rate_limit
from api.workspace_scope import WorkspaceRouter, requires
from apps.core.errors import NOT_FOUND, READ_ERRORS, ErrorOut
from apps.history.selectors import history_points
from apps.tiktok_accounts.selectors import account_get
from apps.workspaces.models import Role

router = WorkspaceRouter(tags=["accounts"])


@router.get(
    "/{account_id}/history",
    response={200: HistoryOut, 401: ErrorOut, **NOT_FOUND, **READ_ERRORS},
    summary="Follower, following, likes and video counts over time",
)
@requires(Role.VIEWER)
@user_rate_limit("read")
def account_history(request: HttpRequest, account_id: uuid.UUID, query: Query[HistoryQuery]) -> Any:
    account = account_get(workspace_id=request.workspace.id, account_id=account_id)
    points = history_points(
        account_id=account.id, since=query.since, until=query.until, bucket=query.bucket
    )
    return {"account_id": account.id, "bucket": query.bucket, "points": points}
