"""Creating and revoking keys: what is stored, what is audited, who may revoke."""

from __future__ import annotations

import pytest

from apps.api_keys.access import api_key_hash
from apps.api_keys.models import ApiKey, Scope
from apps.api_keys.services import api_key_revoke
from apps.audit.models import AuditLog
from apps.audit.services import RequestMeta
from apps.core.errors import ApiKeyNotFound
from testing.api_keys import make_api_key

pytestmark = pytest.mark.django_db


def test_a_key_carries_240_random_bits_and_only_its_hash_is_stored(user) -> None:
    api_key, key = make_api_key(user, [Scope.WRITE, Scope.READ, Scope.READ])

    assert key.startswith("tta_")
    assert len(key) - len("tta_") >= 40  # token_urlsafe(30): 240 bits
    stored = ApiKey.objects.get(pk=api_key.pk)
    assert (stored.prefix, stored.key_hash) == (key[:12], api_key_hash(key))
    assert stored.scopes == ["read", "write"]
    entry = AuditLog.objects.get(action="api_key_create")
    assert key not in str(entry.metadata)
    assert stored.key_hash not in str(entry.metadata)


def test_only_the_owner_revokes_and_only_once(user, other_user) -> None:
    api_key, _ = make_api_key(user)

    with pytest.raises(ApiKeyNotFound):
        api_key_revoke(user_id=other_user.pk, key_id=api_key.id, meta=RequestMeta())
    api_key_revoke(user_id=user.pk, key_id=api_key.id, meta=RequestMeta(user_id=user.pk))
    with pytest.raises(ApiKeyNotFound):
        api_key_revoke(user_id=user.pk, key_id=api_key.id, meta=RequestMeta(user_id=user.pk))

    assert AuditLog.objects.filter(action="api_key_revoke").count() == 1
