"""TikTok accounts a user owns (`{account_id}`) and their videos (`{video_id}`)."""

from __future__ import annotations

import uuid

from django.contrib.auth.models import AbstractBaseUser

from testing.accounts import fake_grant, new_open_id
from testing.factories import TikTokAccountFactory, TikTokVideoFactory
from testing.fake_tiktok import FakeTikTok


def linked_account(user: AbstractBaseUser, fake: FakeTikTok) -> uuid.UUID:
    """An account holding live tokens the fake TikTok issued, so its sync really succeeds."""
    person = fake.add_identity(open_id=new_open_id())
    grant = fake_grant(fake, person.open_id)
    account = TikTokAccountFactory(
        user=user,
        open_id=person.open_id,
        username=person.username,
        display_name=person.display_name,
        access_token=grant["access_token"],
        refresh_token=grant["refresh_token"],
    )
    return account.id


def account_video(
    user: AbstractBaseUser, fake: FakeTikTok, account_id: uuid.UUID | None = None
) -> uuid.UUID:
    """A video of `account_id`, or of a new account of the user."""
    return TikTokVideoFactory(account_id=account_id or linked_account(user, fake)).id
