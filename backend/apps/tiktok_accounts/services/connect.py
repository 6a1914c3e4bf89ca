"""Connecting a TikTok account: the OAuth state, the code exchange and storing the grant."""

from __future__ import annotations

import hashlib
import secrets
import time
import uuid

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.audit.models import AuditAction
from apps.audit.services import RequestMeta
from apps.core.errors import InvalidState, ScopesDenied
from apps.events.models import EventType
from apps.history.services import history_record
from apps.tiktok_accounts.models import AccountStatus, TikTokAccount
from apps.tiktok_accounts.models.status_events import account_event_emit
from apps.tiktok_accounts.services.errors import tiktok_error_to_api
from apps.tiktok_accounts.services.store import account_store
from apps.tiktok_accounts.services.tokens import revoke_quietly
from integrations.tiktok import client
from integrations.tiktok.errors import AuthorizationCodeInvalidError, TikTokError

OAUTH_STATE_TTL_SECONDS = 600


def _state_key(user_id: object, workspace_id: uuid.UUID, state: str) -> str:
    # Hashed: the client's state may be any 256 characters, more than (or other than) what a
    # cache key may hold (Django warns past 250 characters or on spaces and control characters).
    return f"oauth-state:{user_id}:{workspace_id}:{hashlib.sha256(state.encode()).hexdigest()}"


def account_connect_start(*, user_id: object, workspace_id: uuid.UUID) -> tuple[str, str]:
    """Returns (authorize_url, state); the state lives in the shared cache, bound to the user
    and the workspace (a complete by anyone else, or into another workspace, is refused)."""
    state = secrets.token_urlsafe(32)
    expires = time.time() + OAUTH_STATE_TTL_SECONDS
    cache.set(_state_key(user_id, workspace_id, state), expires, timeout=OAUTH_STATE_TTL_SECONDS)
    return client.build_authorize_url(state=state), state


def _state_consume(*, user_id: object, workspace_id: uuid.UUID, state: str) -> None:
    key = _state_key(user_id, workspace_id, state)
    expires = cache.get(key)
    # delete() is atomic: of two concurrent completes with one state, only one sees True.
    if expires is None or not cache.delete(key) or expires < time.time():
        raise InvalidState


def account_connect_complete(
    *, workspace_id: uuid.UUID, code: str, state: str, meta: RequestMeta
) -> tuple[TikTokAccount, bool]:
    """Returns (account, created). A reconnect of the same TikTok user in the same workspace
    updates its row. `meta.user_id` is the caller the state was issued to."""
    _state_consume(user_id=meta.user_id, workspace_id=workspace_id, state=state)
    try:
        grant = client.exchange_code(code=code)
    except AuthorizationCodeInvalidError:
        raise InvalidState("TikTok refused this authorization code; start again.") from None
    except TikTokError as exc:
        raise tiktok_error_to_api(exc) from exc
    if not set(settings.TIKTOK_REQUIRED_SCOPES) <= set(grant.scopes):
        revoke_quietly(grant.access_token, context="scopes denied at connect")
        raise ScopesDenied
    try:
        profile = client.get_user_info(access_token=grant.access_token)
    except TikTokError as exc:
        # Nothing is stored, so nothing could ever use or revoke this grant later.
        revoke_quietly(grant.access_token, context="profile fetch failed at connect")
        raise tiktok_error_to_api(exc) from exc
    try:
        return _connection_store(workspace_id, grant=grant, profile=profile, meta=meta)
    except IntegrityError:
        # A concurrent complete for the same TikTok user inserted first: update that row.
        return _connection_store(workspace_id, grant=grant, profile=profile, meta=meta)


@transaction.atomic
def _connection_store(
    workspace_id: uuid.UUID,
    *,
    grant: client.TokenGrant,
    profile: client.UserInfo,
    meta: RequestMeta,
) -> tuple[TikTokAccount, bool]:
    account = (
        TikTokAccount.all_objects.select_for_update()
        .filter(workspace_id=workspace_id, open_id=grant.open_id)
        .order_by("is_deleted", "-created_at")
        .first()
    )
    created = account is None
    if account is None:
        account = TikTokAccount(workspace_id=workspace_id, open_id=grant.open_id)
    account.set_tokens(
        access_token=grant.access_token,
        refresh_token=grant.refresh_token,
        expires_in=grant.expires_in,
        refresh_expires_in=grant.refresh_expires_in,
    )
    changes = account.set_profile(profile.model_dump())
    account.union_id = profile.union_id
    account.scopes = sorted(grant.scopes)
    account.status = AccountStatus.ACTIVE
    account.is_deleted, account.deleted_at = False, None
    account.last_synced_at, account.last_sync_error = timezone.now(), None
    account.connected_at = account.last_synced_at
    account_store(
        account=account,
        action=AuditAction.CONNECT if created else AuditAction.RECONNECT,
        meta=meta,
        changes=changes,
        metadata={"open_id": account.open_id, "scopes": account.scopes},
    )
    history_record(accounts=[account], at=account.connected_at)
    account_event_emit(account=account, type=EventType.ACCOUNT_CONNECTED)
    return account, created
