"""Token services: the edge cases HTTP tests cannot reach (races, deleted users)."""

from __future__ import annotations

import pytest
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.errors import NotAuthenticated
from apps.users import services

pytestmark = pytest.mark.django_db


def test_refresh_token_cannot_be_spent_twice_even_when_both_pass_the_blacklist_check(
    user, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Two concurrent refreshes both read "not blacklisted" before either writes: simulated by
    # skipping simplejwt's read-time check, so only the unique blacklist row can stop reuse.
    monkeypatch.setattr(RefreshToken, "check_blacklist", lambda self: None)
    refresh = str(RefreshToken.for_user(user))

    first = services.token_refresh(refresh=refresh)

    assert set(first) == {"access", "refresh"}
    with pytest.raises(NotAuthenticated):
        services.token_refresh(refresh=refresh)


def test_refresh_of_a_deleted_user_is_refused_not_a_crash(user) -> None:
    refresh = str(RefreshToken.for_user(user))
    user.delete()

    with pytest.raises(NotAuthenticated):
        services.token_refresh(refresh=refresh)
