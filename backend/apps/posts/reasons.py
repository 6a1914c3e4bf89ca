"""Why a post failed: TikTok's documented codes and ours, each with a sentence for people.

`fail_reason` is always `"<code>: <sentence>"`, whoever found the failure (init, status poll,
webhook, or our own sweep), so a frontend can branch on the code and show the sentence.
"""

from __future__ import annotations

REASONS = {
    # fail_reason of the status fetch and of the post.publish.failed webhook.
    "file_format_check_failed": "TikTok does not support this video's format.",
    "duration_check_failed": "The video is longer or shorter than TikTok allows.",
    "frame_rate_check_failed": "TikTok does not support this video's frame rate.",
    "picture_size_check_failed": "TikTok does not support this video's picture size.",
    "internal": "TikTok had an internal failure; create the post again.",
    "video_pull_failed": "TikTok could not download the video from its URL.",
    "photo_pull_failed": "TikTok could not download the photo from its URL.",
    "publish_cancelled": "The publish was cancelled at TikTok.",
    "auth_removed": "The TikTok user removed this app's access while the video was processed.",
    "spam_risk_too_many_posts": "The account made too many posts through apps in 24 hours.",
    "spam_risk_user_banned_from_posting": "TikTok has banned this account from posting.",
    "spam_risk_text": "TikTok judged the title risky or spammy.",
    "spam_risk": "TikTok judged this post risky.",
    # Refusals of the init call.
    "invalid_param": "TikTok refused the post's parameters.",
    "reached_active_user_cap": "This app reached TikTok's daily cap of posting users.",
    "unaudited_client_can_only_post_to_private_accounts": (
        "Until TikTok audits this app, it can post only to private accounts."
    ),
    "url_ownership_unverified": "The video URL's domain is not verified with TikTok.",
    "privacy_level_option_mismatch": "The privacy level is no longer one of the account's options.",
    "invalid_publish_id": "TikTok does not know this publish_id.",
    "token_not_authorized_for_specified_publish_id": "The publish belongs to another TikTok user.",
    "scope_not_authorized": "The account no longer grants video.publish; reconnect it.",
    # Ours.
    "reauth_required": "TikTok no longer accepts this account's authorization; reconnect it.",
    "account_disconnected": "The account was disconnected before the post was sent.",
    "rate_limited": "TikTok kept rate limiting this account; create the post again later.",
    "token_unreadable": "The account's stored token cannot be decrypted; reconnect it.",
    "upload_url_unreadable": (
        "TikTok's upload URL for this post cannot be decrypted (the service's keys changed "
        "mid-upload); create the post again."
    ),
    "send_outcome_unknown": (
        "TikTok may or may not have received this post (no answer, or the worker stopped before "
        "storing TikTok's publish_id); it is not sent again: check the TikTok account."
    ),
    "status_unknown": (
        "TikTok's final status could not be learned in time (no answer, no webhook, or the "
        "account lost its authorization); check the TikTok account."
    ),
    "upload_expired": "The file was not uploaded completely in time; create the post again.",
    "upload_interrupted": (
        "The upload to TikTok was interrupted and could not be resumed (TikTok's upload URL "
        "expired or refused it); it is not sent again: create the post again."
    ),
    "account_not_active": (
        "The account was not active (expired, revoked or in error) when the post fell due; "
        "it was not sent: reconnect the account and create the post again."
    ),
}


def fail_reason(code: str) -> str:
    return f"{code}: {REASONS.get(code, 'TikTok reported this failure.')}"[:255]
