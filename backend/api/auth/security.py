"""JWT bearer auth for the whole API (set once on the NinjaAPI object)."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja.security import HttpBearer
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from apps.core.outages import cache_optional
from apps.core.shared_cache import cache_is_shared, cache_round_trip
from apps.core.user_cache import STALE, user_cache_key, user_from_cached


class JWTAuth(HttpBearer):
    """Accepts only unexpired access tokens (never refresh tokens) of active users.

    The user comes from the shared cache (one round trip, no SQL) when there is one; see
    apps.core.user_cache for why a deactivated or deleted user is still refused at once.
    """

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        try:
            access = AccessToken(token)  # checks signature, expiry and token_type == "access"
        except TokenError:
            return None
        user_id = access.get(api_settings.USER_ID_CLAIM)
        if user_id is None:
            return None
        cached: object = None
        if cache_is_shared():
            cached = STALE  # stays so if the cache is unreachable: the database, nothing stored
            with cache_optional("user read from the database"):
                (cached,), _ = cache_round_trip([user_cache_key(user_id)])
        user = user_from_cached(user_id, cached)
        if user is not None:
            request.user = user
        return user
