"""Users and their tokens, the domain behind /api/auth: simplejwt's token classes, no DRF views."""

from __future__ import annotations

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings
from rest_framework_simplejwt.tokens import RefreshToken

from apps.core.errors import InvalidCredentials, InvalidInput, NotAuthenticated

_USERNAME_TAKEN = {
    "loc": ["body", "payload", "username"],
    "msg": "A user with that username already exists.",
    "type": "unique",
}


@transaction.atomic
def user_register(*, username: str, email: str, password: str) -> AbstractBaseUser:
    """Creates an active user; usernames are unique regardless of case ("Bob" blocks "bob")."""
    user_model = get_user_model()
    errors: list[dict[str, object]] = []
    if user_model.objects.filter(username__iexact=username).exists():
        errors.append(_USERNAME_TAKEN)
    # Unsaved instance so UserAttributeSimilarityValidator can compare with username and email.
    user = user_model(username=username, email=email)
    try:
        validate_password(password, user=user)
    except DjangoValidationError as exc:
        errors += [
            {"loc": ["body", "payload", "password"], "msg": msg, "type": "password_invalid"}
            for msg in exc.messages
        ]
    if errors:
        raise InvalidInput(errors)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError:  # the same username registered concurrently
        raise InvalidInput([_USERNAME_TAKEN]) from None
    return user


def token_obtain(*, request: HttpRequest, username: str, password: str) -> dict[str, str]:
    """A fresh access + refresh pair; the backends already refuse inactive users."""
    user = authenticate(request, username=username, password=password)
    if user is None or not user.is_active:
        raise InvalidCredentials
    return _pair(RefreshToken.for_user(user))


@transaction.atomic
def token_refresh(*, refresh: str) -> dict[str, str]:
    """Rotates: the presented refresh token is blacklisted and a new pair is issued."""
    token = _refresh_token(refresh)
    user = (
        get_user_model()
        .objects.filter(**{api_settings.USER_ID_FIELD: token.get(api_settings.USER_ID_CLAIM)})
        .filter(is_active=True)
        .first()
    )
    if user is None:
        raise NotAuthenticated
    # The blacklist row is unique per token: of two concurrent refreshes only one creates it,
    # so a refresh token can never be spent twice.
    _, created = token.blacklist()  # type: ignore[misc]  # simplejwt returns get_or_create's tuple
    if not created:
        raise NotAuthenticated
    return _pair(RefreshToken.for_user(user))


def token_revoke(*, refresh: str, user: AbstractBaseUser) -> None:
    """Blacklists the caller's own refresh token; another user's token is refused."""
    token = _refresh_token(refresh)
    owner = str(token.get(api_settings.USER_ID_CLAIM))
    if owner != str(getattr(user, api_settings.USER_ID_FIELD)):
        raise NotAuthenticated
    token.blacklist()


def _refresh_token(raw: str) -> RefreshToken:
    """Signature, expiry, type == "refresh" and blacklist are all checked by simplejwt."""
    try:
        return RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError:
        raise NotAuthenticated from None


def _pair(refresh: RefreshToken) -> dict[str, str]:
    return {"access": str(refresh.access_token), "refresh": str(refresh)}
