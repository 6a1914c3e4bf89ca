"""Users with a known password, so tests can log in through the real /api/auth/token."""

from __future__ import annotations

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from faker import Faker
from rest_framework_simplejwt.tokens import AccessToken

PASSWORD = "Correct-Horse-Battery-42"
_fake = Faker()


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        skip_postgeneration_save = True

    # Faker's `unique` proxy: factory.Faker has no unique=... option in factory-boy 3.3.
    username = factory.LazyFunction(lambda: _fake.unique.user_name())
    email = factory.LazyFunction(lambda: _fake.unique.email())
    password = factory.django.Password(PASSWORD)
    is_active = True


def bearer_header(user: AbstractBaseUser) -> dict[str, str]:
    """The Authorization header of a fresh, valid access token for `user`."""
    return {"Authorization": f"Bearer {AccessToken.for_user(user)}"}
