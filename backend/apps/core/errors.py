"""The service's one error vocabulary: every non-2xx answer is `{"detail", "code"}`."""

from __future__ import annotations

from ninja import Schema


class ErrorOut(Schema):
    detail: str
    code: str


class ValidationErrorItem(Schema):
    loc: list[str | int]
    msg: str
    type: str


class ValidationErrorOut(ErrorOut):
    """422: `errors` lists each bad value for VALIDATION_ERROR; INVALID_CURSOR has none."""

    errors: list[ValidationErrorItem] | None = None


# The answers routes share, each defined once here and spread into the routes' `response=`
# maps (the OpenAPI document lists a route's answers in the order its map gives them).
ErrorMap = dict[int, type[ErrorOut]]
# A bearer token (a JWT, or an API key: 403 outside its scopes), its input.
AUTH_ERRORS: ErrorMap = {401: ErrorOut, 403: ErrorOut, 422: ValidationErrorOut}
READ_ERRORS: ErrorMap = {**AUTH_ERRORS, 429: ErrorOut}  # ... and a rate limit
NOT_FOUND: ErrorMap = {404: ErrorOut}
# A workspace route: its workspace unknown to the caller (404), the caller's role too low (403).
WORKSPACE_ERRORS: ErrorMap = {403: ErrorOut, 404: ErrorOut}
BODY_ERRORS: ErrorMap = {413: ErrorOut}  # a body over the limit, answered by the middleware
TIKTOK_ERRORS: ErrorMap = {409: ErrorOut, 502: ErrorOut, 504: ErrorOut}
# A call with an account's stored token: 500 when the token cannot be decrypted.
TIKTOK_TOKEN_ERRORS: ErrorMap = {**TIKTOK_ERRORS, 500: ErrorOut}


class ApplicationError(Exception):
    """Base of every error the API answers on purpose; the API maps it once, in config/api.py."""

    status: int = 400
    code: str = "BAD_REQUEST"
    detail: str = "The request could not be processed."

    def __init__(self, detail: str | None = None, *, retry_after: int | None = None) -> None:
        self.detail = detail or self.detail
        self.retry_after = retry_after
        super().__init__(self.detail)


class NotAuthenticated(ApplicationError):
    status, code, detail = (
        401,
        "NOT_AUTHENTICATED",
        "Authentication credentials are missing or invalid.",
    )


class InvalidCredentials(ApplicationError):
    status, code, detail = 401, "INVALID_CREDENTIALS", "Wrong username or password."


class InvalidSignature(ApplicationError):
    status, code = 401, "INVALID_SIGNATURE"
    detail = "The TikTok-Signature header is missing, malformed, wrong or too old."


class SignupDisabled(ApplicationError):
    status, code, detail = 403, "SIGNUP_DISABLED", "Sign-up is switched off on this service."


class NotFound(ApplicationError):
    status, code, detail = 404, "NOT_FOUND", "Nothing is served at this address."


class AccountNotFound(ApplicationError):
    status, code, detail = 404, "ACCOUNT_NOT_FOUND", "No such TikTok account."


class JobNotFound(ApplicationError):
    status, code, detail = 404, "JOB_NOT_FOUND", "No such job."


class PostNotFound(ApplicationError):
    status, code, detail = 404, "POST_NOT_FOUND", "No such post."


class WebhookEndpointNotFound(ApplicationError):
    status, code, detail = 404, "WEBHOOK_ENDPOINT_NOT_FOUND", "No such webhook endpoint."


class DeliveryNotFound(ApplicationError):
    status, code, detail = 404, "DELIVERY_NOT_FOUND", "No such webhook delivery."


class WorkspaceNotFound(ApplicationError):
    status, code, detail = 404, "WORKSPACE_NOT_FOUND", "No such workspace."


class MemberNotFound(ApplicationError):
    status, code, detail = 404, "MEMBER_NOT_FOUND", "No such member of this workspace."


class InvitationNotFound(ApplicationError):
    status, code, detail = 404, "INVITATION_NOT_FOUND", "No such pending invitation."


class InvalidInvitation(ApplicationError):
    status, code = 400, "INVALID_INVITATION"
    detail = "This invitation is unknown, expired, already used or revoked."


class LastOwner(ApplicationError):
    status, code = 409, "LAST_OWNER"
    detail = "A workspace needs an owner: make another member owner first."


class AlreadyMember(ApplicationError):
    status, code, detail = 409, "ALREADY_MEMBER", "You are already a member of this workspace."


class WorkspaceNotEmpty(ApplicationError):
    status, code = 409, "WORKSPACE_NOT_EMPTY"
    detail = "This workspace still holds TikTok accounts; delete them first."


class WorkspacePersonal(ApplicationError):
    status, code = 409, "WORKSPACE_PERSONAL"
    detail = "A personal workspace cannot be deleted or left, nor its user removed or demoted."


class InsufficientRole(ApplicationError):
    status, code = 403, "INSUFFICIENT_ROLE"

    def __init__(self, needed: str) -> None:
        super().__init__(f"Your role in this workspace may not do this; it needs {needed}.")


class InsufficientScope(ApplicationError):
    status, code = 403, "INSUFFICIENT_SCOPE"

    def __init__(self, needed: str | None) -> None:
        super().__init__(
            "An API key may not do this; log in."
            if needed is None
            else f"This API key may not do this; it needs the {needed} scope."
        )


class ApiKeyNotFound(ApplicationError):
    status, code, detail = 404, "API_KEY_NOT_FOUND", "No such API key."


class PostNotCancellable(ApplicationError):
    status, code = 409, "POST_NOT_CANCELLABLE"
    detail = "This post can no longer be cancelled: publishing to TikTok has begun."


class PostNotPending(ApplicationError):
    status, code = 409, "POST_NOT_PENDING"
    detail = "Only a post waiting for approval (pending_approval) can be approved or rejected."


class UploadQuotaExceeded(ApplicationError):
    status, code = 409, "UPLOAD_QUOTA_EXCEEDED"
    detail = "This upload would exceed the workspace's quota of stored upload bytes."


class IdempotencyConflict(ApplicationError):
    status, code = 409, "IDEMPOTENCY_CONFLICT"
    detail = "This Idempotency-Key was already used with a different request body."


class InvalidState(ApplicationError):
    status, code, detail = (
        400,
        "INVALID_STATE",
        "This connect attempt is unknown or expired; start again.",
    )


class ScopesDenied(ApplicationError):
    status, code = 400, "TIKTOK_SCOPES_DENIED"
    detail = (
        "TikTok did not grant every permission this service needs; "
        "connect again and allow them all."
    )


class ReauthRequired(ApplicationError):
    status, code = 409, "TIKTOK_REAUTH_REQUIRED"
    detail = "TikTok no longer accepts this account's authorization; reconnect the account."


class PayloadTooLarge(ApplicationError):
    status, code, detail = 413, "PAYLOAD_TOO_LARGE", "The request body is too large."


class InvalidInput(ApplicationError):
    """A 422 found after parsing (e.g. a taken username): same shape as Ninja's own 422."""

    status, code, detail = 422, "VALIDATION_ERROR", "Some values are missing or invalid."

    def __init__(self, errors: list[dict[str, object]], detail: str | None = None) -> None:
        self.errors = errors
        super().__init__(detail)


class WebhookPayloadInvalid(InvalidInput):
    """A correctly signed webhook that is not TikTok's event shape: 400, as the contract says."""

    status, detail = 400, "The webhook body is not a TikTok event for this app."


class InvalidCursor(ApplicationError):
    status, code, detail = (
        422,
        "INVALID_CURSOR",
        "The cursor is malformed or belongs to another listing.",
    )


class RateLimited(ApplicationError):
    status, code, detail = 429, "RATE_LIMITED", "Too many requests; retry later."


class TikTokRateLimited(ApplicationError):
    status, code, detail = (
        429,
        "TIKTOK_RATE_LIMITED",
        "TikTok is rate limiting this account; retry later.",
    )


class TikTokBadGateway(ApplicationError):
    """502: TikTok failed us (the integration's TikTokUpstreamError and its other errors)."""

    status, code, detail = (
        502,
        "TIKTOK_UPSTREAM_ERROR",
        "TikTok answered with an error; try again later.",
    )


class TikTokTimeout(ApplicationError):
    status, code, detail = 504, "TIKTOK_TIMEOUT", "TikTok did not answer in time; try again later."


class InternalError(ApplicationError):
    status, code, detail = (
        500,
        "INTERNAL_ERROR",
        "An unexpected error occurred; it has been logged.",
    )


class ServiceUnavailable(ApplicationError):
    status, code, detail = 503, "SERVICE_UNAVAILABLE", "The service is temporarily unavailable."
