"""/api/auth: register, token pair, refresh (rotating), logout and me. Thin: services decide."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.http import HttpRequest
from ninja import Router, Status

from api.auth.schemas import RefreshIn, RegisterIn, TokenObtainIn, TokenPairOut, UserOut
from api.auth.scopes import login_only
from apps.core.errors import (
    AUTH_ERRORS,
    BODY_ERRORS,
    READ_ERRORS,
    ErrorOut,
    SignupDisabled,
    ValidationErrorOut,
)
from apps.core.ratelimit import rate_limit_hit
from apps.users import services

router = Router(tags=["auth"])


@router.post(
    "/register",
    auth=None,
    response={201: UserOut, 403: ErrorOut, **BODY_ERRORS, 422: ValidationErrorOut},
)
def register(request: HttpRequest, payload: RegisterIn) -> Status[AbstractBaseUser]:
    if not settings.SIGNUP_ENABLED:
        raise SignupDisabled
    user = services.user_register(
        username=payload.username, email=payload.email, password=payload.password
    )
    return Status(201, user)


@router.post(
    "/token",
    auth=None,
    response={200: TokenPairOut, 401: ErrorOut, **BODY_ERRORS, **READ_ERRORS},
)
def token_obtain(request: HttpRequest, payload: TokenObtainIn) -> dict[str, str]:
    # Every attempt counts, successful or not, so guessing costs the same as logging in; the
    # per-username limit caps guessing spread over many addresses (docs/security.md, API2).
    username, client_ip = payload.username.lower(), request.META.get("REMOTE_ADDR", "")
    rate_limit_hit(request, scope="login", key=f"{username}|{client_ip}")
    rate_limit_hit(request, scope="login_username", key=username)
    return services.token_obtain(
        request=request, username=payload.username, password=payload.password
    )


@router.post(
    "/token/refresh",
    auth=None,
    response={200: TokenPairOut, 401: ErrorOut, **BODY_ERRORS, **AUTH_ERRORS},
)
@login_only
def token_refresh(request: HttpRequest, payload: RefreshIn) -> dict[str, str]:
    return services.token_refresh(refresh=payload.refresh)


@router.post("/logout", response={204: None, 401: ErrorOut, **BODY_ERRORS, **AUTH_ERRORS})
@login_only
def logout(request: HttpRequest, payload: RefreshIn) -> Status[None]:
    services.token_revoke(refresh=payload.refresh, user=request.auth)  # type: ignore[attr-defined]
    return Status(204, None)


@router.get("/me", response={200: UserOut, **AUTH_ERRORS})
def me(request: HttpRequest) -> AbstractBaseUser:
    # 422 is declared on every authenticated route (contract); this one has no input to refuse.
    return request.auth  # type: ignore[attr-defined,no-any-return]
