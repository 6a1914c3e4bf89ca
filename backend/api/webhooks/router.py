"""`/api/webhooks`: TikTok's calls. No JWT: the signature over the raw body is the credential.

No rate limit on purpose: TikTok retries anything but a 200 for 72 hours, so a 429 would only
delay a revocation; a refusal costs one HMAC and stores nothing, and every delivery that passes
is stored once whatever the number of retries.
"""

from typing import Any

from django.http import HttpRequest
from ninja import Router, Schema

from apps.core.errors import AUTH_ERRORS, BODY_ERRORS, ErrorOut, ValidationErrorOut
from apps.webhooks import services
from apps.webhooks.envelope import WebhookEnvelope

router = Router(tags=["webhooks"], auth=None)


class WebhookOut(Schema):
    status: str


@router.post(
    "/tiktok",
    response={
        200: WebhookOut,
        400: ValidationErrorOut,
        401: ErrorOut,
        **BODY_ERRORS,
        **AUTH_ERRORS,
    },
    summary="TikTok webhook events (signed with TikTok-Signature)",
    description=(
        "200 `processed`, `duplicate` (the same event again: nothing changes) or `ignored` "
        "(unknown event or open id). 401 `INVALID_SIGNATURE`: missing, malformed or wrong "
        '`TikTok-Signature: t=<unix s>,s=<hex HMAC-SHA256 of "<t>.<raw body>">`, or `t` more '
        "than TIKTOK_WEBHOOK_TOLERANCE_SECONDS from now. 400 `VALIDATION_ERROR`: a signed body "
        "that is not TikTok's event, or another app's `client_key`. 422 `VALIDATION_ERROR`: a NUL "
        "character anywhere in the request (refused before the signature is read)."
    ),
    openapi_extra={
        "parameters": [
            {
                "in": "header",
                "name": "TikTok-Signature",
                "required": True,
                "schema": {"type": "string", "example": "t=1633174587,s=18494715036ac441..."},
            }
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": WebhookEnvelope.model_json_schema()}},
        },
    },
)
def tiktok_webhook(request: HttpRequest) -> Any:
    # The raw bytes: the signature covers them exactly as sent, so nothing parses them first.
    status = services.webhook_receive(
        body=request.body, signature=request.headers.get("TikTok-Signature")
    )
    return {"status": status}
