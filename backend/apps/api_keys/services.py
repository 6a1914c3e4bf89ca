"""Creating and revoking API keys; each is audited in the key's workspace."""

from __future__ import annotations

import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from apps.api_keys.access import API_KEY_PREFIX, PREFIX_LENGTH, api_key_hash
from apps.api_keys.models import ApiKey, Scope
from apps.audit.models import AuditAction
from apps.audit.services import AuditEntry, RequestMeta, audit_record
from apps.core.errors import ApiKeyNotFound

# 30 random bytes: 40 URL-safe characters, 240 bits.
KEY_BYTES = 30
RESOURCE_TYPE = "api_key"


@dataclass(frozen=True)
class NewApiKey:
    """A key just created: `key` is shown in this answer only, never stored."""

    api_key: ApiKey
    key: str


@transaction.atomic
def api_key_create(
    *,
    user_id: object,
    workspace_id: uuid.UUID,
    name: str,
    scopes: list[Scope],
    expires_at: datetime | None,
    meta: RequestMeta,
) -> NewApiKey:
    """A key acting as the user in the workspace (the caller checked the membership)."""
    key = API_KEY_PREFIX + secrets.token_urlsafe(KEY_BYTES)
    api_key = ApiKey.objects.create(
        user_id=user_id,
        workspace_id=workspace_id,
        name=name,
        prefix=key[:PREFIX_LENGTH],
        key_hash=api_key_hash(key),
        scopes=sorted(set(scopes)),
        expires_at=expires_at,
    )
    audit_record(
        AuditEntry(
            workspace_id=workspace_id,
            action=AuditAction.API_KEY_CREATE,
            resource_id=api_key.id,
            resource_type=RESOURCE_TYPE,
            meta=meta,
            metadata={"name": name, "prefix": api_key.prefix, "scopes": api_key.scopes},
        )
    )
    return NewApiKey(api_key, key)


@transaction.atomic
def api_key_revoke(*, user_id: object, key_id: uuid.UUID, meta: RequestMeta) -> None:
    """Revokes one of the user's live keys: refused from the next request on (apps.api_keys
    .access marks it stale at commit). Another user's key, or a revoked one: 404."""
    api_key = (
        ApiKey.objects.select_for_update()
        .filter(pk=key_id, user_id=user_id, revoked_at__isnull=True)
        .first()
    )
    if api_key is None:
        raise ApiKeyNotFound
    api_key.revoked_at = timezone.now()
    api_key.save(update_fields=["revoked_at"])
    audit_record(
        AuditEntry(
            workspace_id=api_key.workspace_id,
            action=AuditAction.API_KEY_REVOKE,
            resource_id=api_key.id,
            resource_type=RESOURCE_TYPE,
            meta=meta,
            metadata={"name": api_key.name, "prefix": api_key.prefix},
        )
    )
