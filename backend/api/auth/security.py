"""Bearer auth for the whole API (set once on the NinjaAPI object): a JWT, or an API key.

A bearer starting with `tta_` is an API key (apps.api_keys.access); anything else takes the
JWT path, which the keys leave as it was.
"""

from __future__ import annotations

import functools
import time

from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja.security import HttpBearer
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken

from api.round_trip import user_round_trip
from apps.api_keys.access import (
    API_KEY_PREFIX,
    KeyCaller,
    KeyFacts,
    api_key_cache_key,
    api_key_touch,
    key_caller,
    key_facts,
)
from apps.core.user_cache import user_from_cached
from apps.workspaces.access import member_cache_key

# The workspace a request acts in, once known (api.workspace_scope.requested_workspace_id).
REQUESTED_WORKSPACE = "requested_workspace_id"


@functools.lru_cache(maxsize=4096)
def _access_claims(token: str) -> tuple[object, float] | None:
    """(user id, expiry) of a valid access token, or None; verified once per process.

    Decoding a JWT through simplejwt costs about 0.15 ms, a tenth of a cached read. The same
    bytes always verify the same way (the signing key is fixed for a process' life) and access
    tokens cannot be revoked before they expire, so only the expiry is checked again on each use.
    Refused tokens are kept too (as None): a client retrying a bad token costs nothing either.
    """
    try:
        access = AccessToken(token)  # checks signature, expiry and token_type == "access"
    except TokenError:
        return None
    user_id = access.get(api_settings.USER_ID_CLAIM)
    if user_id is None:
        return None
    return user_id, access["exp"] + access.get_token_backend().get_leeway().total_seconds()


def api_key_caller(request: HttpRequest, key: str) -> tuple[KeyFacts, KeyCaller] | None:
    """The key's facts, user and role, its user and membership and the key itself read in the
    request's one round trip; None when the key is unknown, expired, revoked, its user inactive
    or no longer a member of its workspace. Sets request.user and request.api_key."""
    facts, row = key_facts(key)
    if facts is None or facts.expired(time.time()):
        return None
    setattr(request, REQUESTED_WORKSPACE, facts.workspace_id)  # the key acts there only
    keys = [member_cache_key(facts.workspace_id, facts.user_id), api_key_cache_key(facts.id)]
    cached_user, (cached_role, cached_key) = user_round_trip(request, facts.user_id, keys)
    caller = key_caller(facts, (cached_user, cached_role, cached_key), row)
    if caller is None:
        return None
    api_key_touch(facts.id)
    request.user = caller.user
    request.api_key = facts  # type: ignore[attr-defined]
    return facts, caller


class JWTAuth(HttpBearer):
    """Accepts only unexpired access tokens (never refresh tokens) of active users, and API keys.

    The user comes from the shared cache (no SQL) when there is one, in the request's one
    round trip with the route's rate-limit counter and cached answer (api.round_trip);
    see apps.core.user_cache for why a deactivated or deleted user is still refused at once.
    What a key may call is checked after this, by api.auth.scopes.
    """

    openapi_description = (
        "A JWT access token (`POST /api/auth/token`) or an API key `tta_...` "
        "(`POST /api/api-keys`)."
    )

    def __call__(self, request: HttpRequest) -> AbstractBaseUser | None:
        # HttpBearer's, without its DEBUG log of the whole header: a token or key is a secret.
        scheme, _, token = request.headers.get(self.header, "").partition(" ")
        if scheme.lower() != self.openapi_scheme:
            return None
        return self.authenticate(request, token)

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        if token.startswith(API_KEY_PREFIX):
            return self.key_caller(request, token)
        claims = _access_claims(token)
        if claims is None or claims[1] <= time.time():
            return None
        return self.caller(request, claims[0])

    def caller(self, request: HttpRequest, user_id: object) -> AbstractBaseUser | None:
        """The active user `user_id` (None: refused), set on the request."""
        cached, _ = user_round_trip(request, user_id)
        user = user_from_cached(user_id, cached)
        if user is not None:
            request.user = user
        return user

    def key_caller(self, request: HttpRequest, key: str) -> AbstractBaseUser | None:
        """The API key's active user (None: refused)."""
        found = api_key_caller(request, key)
        return None if found is None else found[1].user
