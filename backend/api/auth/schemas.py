"""Request and response bodies of /api/auth; no schema ever echoes a password."""

from __future__ import annotations

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from ninja import Field, Schema
from pydantic import field_validator

from apps.core.schemas import InSchema


class RegisterIn(InSchema):
    # Lengths mirror django.contrib.auth's User columns, so a long value is a 422, not a 500.
    username: str = Field(min_length=1, max_length=150, examples=["jane_creator"])
    email: str = Field(max_length=254, examples=["jane@example.com"])
    password: str = Field(min_length=1, max_length=4096, examples=["Correct-Horse-Battery-42"])

    @field_validator("username")
    @classmethod
    def _username_characters(cls, value: str) -> str:
        """Same characters Django's admin accepts, so every user can be managed there."""
        try:
            UnicodeUsernameValidator()(value)
        except DjangoValidationError as exc:
            raise ValueError(exc.messages[0]) from None
        return value

    @field_validator("email")
    @classmethod
    def _email_format(cls, value: str) -> str:
        """Django's own email check: no extra dependency, same rules as the admin."""
        try:
            validate_email(value)
        except DjangoValidationError:
            raise ValueError("Enter a valid email address.") from None
        return value


class UserOut(Schema):
    id: int
    username: str
    email: str


class TokenObtainIn(InSchema):
    username: str = Field(min_length=1, max_length=150, examples=["jane_creator"])
    password: str = Field(min_length=1, max_length=4096, examples=["Correct-Horse-Battery-42"])


class RefreshIn(InSchema):
    refresh: str = Field(min_length=1, max_length=4096, examples=["<refresh token from /token>"])


class TokenPairOut(Schema):
    access: str
    refresh: str
