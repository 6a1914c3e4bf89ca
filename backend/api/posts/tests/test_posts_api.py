"""The posts routes: creator info, create (validation, Idempotency-Key), list, get, cancel."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from apps.audit.models import AuditLog
from apps.posts.models import Post, PostStatus
from apps.posts.services import IDEMPOTENCY_WINDOW
from testing.http import assert_error, assert_validation_error

pytestmark = pytest.mark.django_db

POST_OUT_FIELDS = {
    "media_type",
    "post_mode",
    "source",
    "photo_urls",
    "description",
    "upload",
    "created_by",
    "approved_by",
    "reject_reason",
    "id",
    "account_id",
    "status",
    "title",
    "privacy_level",
    "video_url",
    "scheduled_at",
    "publish_id",
    "tiktok_status",
    "fail_reason",
    "published_video_id",
    "created_at",
    "updated_at",
}
BODY = {
    "video_url": "https://videos.example.com/clip.mp4",
    "title": "Hello from the API",
    "privacy_level": "SELF_ONLY",
    "disable_comment": False,
    "disable_duet": True,
    "disable_stitch": True,
}


def _create(client: Client, account, body=None, key: str | None = None):
    headers = {"Idempotency-Key": key} if key else {}
    return client.post(
        f"/api/accounts/{account.id}/posts",
        body or BODY,
        content_type="application/json",
        headers=headers,
    )


@pytest.fixture
def account(link_account, user, fake_tiktok):
    return link_account(user)[0]


def test_creator_info_comes_from_tiktok(auth_client, account, fake_tiktok) -> None:
    response = auth_client.get(f"/api/accounts/{account.id}/creator-info")

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["privacy_level_options"] == fake_tiktok.content.privacy_level_options
    assert body["creator_username"] == account.username
    assert set(body) == {
        "creator_username",
        "creator_nickname",
        "privacy_level_options",
        "comment_disabled",
        "duet_disabled",
        "stitch_disabled",
        "max_video_post_duration_sec",
    }


def test_creator_info_without_video_publish_is_409_naming_it(
    auth_client, link_account, user, fake_tiktok
) -> None:
    account, _ = link_account(user, scopes=["user.info.basic", "video.list"])

    response = auth_client.get(f"/api/accounts/{account.id}/creator-info")

    assert "video.publish" in assert_error(response, 409, "TIKTOK_REAUTH_REQUIRED")["detail"]
    assert fake_tiktok.count("creator_info") == 0


def test_creator_info_when_tiktok_refuses_posting_names_the_reason(
    auth_client, account, fake_tiktok
) -> None:
    fake_tiktok.add_fault("creator_info", "spam_risk_too_many_posts")

    response = auth_client.get(f"/api/accounts/{account.id}/creator-info")

    body = assert_error(response, 502, "TIKTOK_UPSTREAM_ERROR")
    assert "spam_risk_too_many_posts" in body["detail"]


def test_create_now_is_202_and_enqueued_at_commit(
    auth_client, account, enqueued, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = _create(auth_client, account)

    assert response.status_code == 202, response.content
    body = response.json()
    assert set(body) == POST_OUT_FIELDS
    assert body["status"] == "scheduled"
    assert body["account_id"] == str(account.id)
    assert body["publish_id"] is None
    assert [str(post_id) for post_id in enqueued] == [body["id"]]
    entry = AuditLog.objects.get(resource_id=body["id"])
    assert (entry.action, entry.resource_type) == ("post_create", "post")
    assert entry.metadata["actor"] == "user"
    assert entry.ip_address == "127.0.0.1"


def test_create_for_later_waits_for_the_scan(
    auth_client, account, enqueued, django_capture_on_commit_callbacks
) -> None:
    at = timezone.now() + timedelta(hours=2)

    with django_capture_on_commit_callbacks(execute=True):
        response = _create(auth_client, account, BODY | {"scheduled_at": at.isoformat()})

    assert response.status_code == 202
    assert enqueued == []
    post = Post.objects.get(pk=response.json()["id"])
    assert post.due_at == post.scheduled_at


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"video_url": "http://videos.example.com/clip.mp4"}, "video_url"),
        ({"video_url": "ftp://x"}, "video_url"),
        ({"title": "x" * 2201}, "title"),
        ({"privacy_level": "EVERYONE"}, "privacy_level"),
        ({"scheduled_at": "2020-01-01T00:00:00Z"}, "scheduled_at"),
        ({"scheduled_at": (timezone.now() + timedelta(days=31)).isoformat()}, "scheduled_at"),
    ],
)
def test_invalid_bodies_are_422_and_call_nothing(
    auth_client, account, fake_tiktok, change, field
) -> None:
    errors = assert_validation_error(_create(auth_client, account, BODY | change))

    assert field in errors[0]["loc"]
    assert Post.objects.count() == 0
    assert fake_tiktok.count("creator_info") == 0


def test_a_privacy_level_the_creator_does_not_offer_is_422(
    auth_client, account, fake_tiktok
) -> None:
    fake_tiktok.content.privacy_level_options = ["SELF_ONLY"]

    response = _create(auth_client, account, BODY | {"privacy_level": "PUBLIC_TO_EVERYONE"})

    errors = assert_validation_error(response)
    assert errors[0]["loc"][-1] == "privacy_level"
    assert "SELF_ONLY" in errors[0]["msg"]
    assert Post.objects.count() == 0


def test_same_idempotency_key_and_body_returns_the_same_post(
    auth_client, account, fake_tiktok
) -> None:
    first = _create(auth_client, account, key="key-1")
    again = _create(auth_client, account, key="key-1")

    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json()["id"] == first.json()["id"]
    assert Post.objects.count() == 1
    assert fake_tiktok.count("creator_info") == 1
    assert AuditLog.objects.filter(action="post_create").count() == 1


def test_same_idempotency_key_with_another_body_is_409(auth_client, account) -> None:
    _create(auth_client, account, key="key-1")

    response = _create(auth_client, account, BODY | {"title": "other"}, key="key-1")

    assert_error(response, 409, "IDEMPOTENCY_CONFLICT")
    assert Post.objects.count() == 1


def test_idempotency_keys_are_per_user_and_expire_after_24_hours(
    auth_client, other_client, account, link_account, other_user
) -> None:
    other_account, _ = link_account(other_user)
    first = _create(auth_client, account, key="shared")
    assert _create(other_client, other_account, key="shared").status_code == 202
    Post.objects.filter(pk=first.json()["id"]).update(
        created_at=timezone.now() - IDEMPOTENCY_WINDOW - timedelta(seconds=1)
    )

    again = _create(auth_client, account, key="shared")

    assert again.status_code == 202
    assert again.json()["id"] != first.json()["id"]


def test_create_for_another_users_account_is_404(other_client, account, fake_tiktok) -> None:
    assert_error(_create(other_client, account), 404, "ACCOUNT_NOT_FOUND")
    assert fake_tiktok.count("creator_info") == 0


def test_create_is_limited_to_six_a_minute(auth_client, account) -> None:
    answers = [_create(auth_client, account).status_code for _ in range(7)]

    assert answers == [202] * 6 + [429]


def test_list_filters_and_walks_newest_first(auth_client, user, make_post, account) -> None:
    posts = [make_post(account=account)[0] for _ in range(5)]
    Post.objects.filter(pk=posts[0].pk).update(status=PostStatus.FAILED)
    make_post()  # another account of the same user

    seen, cursor = [], None
    while True:
        params = {"limit": 2, "account_id": str(account.id)} | (
            {"cursor": cursor} if cursor else {}
        )
        body = auth_client.get("/api/posts", params).json()
        seen += [item["id"] for item in body["items"]]
        if not body["has_more"]:
            break
        cursor = body["next_cursor"]
    failed = auth_client.get("/api/posts", {"status": "failed"}).json()["items"]

    assert seen == [str(post.pk) for post in reversed(posts)]
    assert [item["id"] for item in failed] == [str(posts[0].pk)]
    assert len(auth_client.get("/api/posts").json()["items"]) == 6


def test_list_get_and_cancel_never_show_another_users_post(
    auth_client, other_client, make_post
) -> None:
    post, _ = make_post()

    assert other_client.get("/api/posts").json()["items"] == []
    assert_error(other_client.get(f"/api/posts/{post.pk}"), 404, "POST_NOT_FOUND")
    assert_error(other_client.delete(f"/api/posts/{post.pk}"), 404, "POST_NOT_FOUND")
    assert auth_client.get(f"/api/posts/{post.pk}").json()["id"] == str(post.pk)


@pytest.mark.parametrize("params", [{"status": "cancelled"}, {"limit": 0}, {"account_id": "x"}])
def test_bad_list_queries_are_422(auth_client, user, params) -> None:
    assert_validation_error(auth_client.get("/api/posts", params))


def test_cancel_deletes_a_scheduled_post(auth_client, make_post) -> None:
    post, _ = make_post()

    response = auth_client.delete(f"/api/posts/{post.pk}")

    assert response.status_code == 204
    assert_error(auth_client.get(f"/api/posts/{post.pk}"), 404, "POST_NOT_FOUND")
    assert_error(auth_client.delete(f"/api/posts/{post.pk}"), 404, "POST_NOT_FOUND")
    entry = AuditLog.objects.get(resource_id=post.pk)
    assert (entry.action, entry.metadata["actor"]) == ("post_cancel", "user")


@pytest.mark.parametrize("state", [PostStatus.PUBLISHING, PostStatus.PUBLISHED, PostStatus.FAILED])
def test_cancel_once_publishing_began_is_409(auth_client, make_post, state) -> None:
    post, _ = make_post(status=state)

    assert_error(auth_client.delete(f"/api/posts/{post.pk}"), 409, "POST_NOT_CANCELLABLE")
    assert Post.objects.filter(pk=post.pk).exists()


ROUTES = [
    ("get", "/api/posts"),
    ("get", "/api/posts/{post}"),
    ("delete", "/api/posts/{post}"),
    ("get", "/api/accounts/{account}/creator-info"),
    ("post", "/api/accounts/{account}/posts"),
    ("get", "/api/accounts/{account}/videos"),
    ("post", "/api/accounts/{account}/videos/sync"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_every_route_needs_a_jwt(make_post, fake_tiktok, method, path) -> None:
    post, _ = make_post()
    url = path.format(post=post.pk, account=post.account_id)

    assert_error(getattr(Client(), method)(url), 401, "NOT_AUTHENTICATED")


DECLARED = {
    ("get", "/api/posts"): {200, 401, 422, 429},
    ("get", "/api/posts/{post_id}"): {200, 401, 404, 422, 429},
    ("delete", "/api/posts/{post_id}"): {204, 401, 404, 409, 422},
}


@pytest.mark.parametrize(("method", "path"), list(DECLARED))
def test_openapi_declares_every_answer_of_the_posts_routes(client, method, path) -> None:
    spec = client.get("/api/openapi.json").json()

    assert set(spec["paths"]) >= {path for _, path in DECLARED}
    assert {int(code) for code in spec["paths"][path][method]["responses"]} >= DECLARED[
        (method, path)
    ]
