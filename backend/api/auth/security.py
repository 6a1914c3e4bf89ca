"""JWT bearer auth for the whole API (set once on the NinjaAPI object)."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja.security import HttpBearer
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import AccessToken


class JWTAuth(HttpBearer):
    """Accepts only unexpired access tokens (never refresh tokens) of active users."""

    def authenticate(self, request: HttpRequest, token: str) -> AbstractBaseUser | None:
        try:
            access = AccessToken(token)  # checks signature, expiry and token_type == "access"
        except TokenError:
            return None
        user_id = access.get(api_settings.USER_ID_CLAIM)
        if user_id is None:
            return None
        user = (
            get_user_model()
            .objects.filter(**{api_settings.USER_ID_FIELD: user_id}, is_active=True)
            .first()
        )
        if user is not None:
            request.user = user
        return user
