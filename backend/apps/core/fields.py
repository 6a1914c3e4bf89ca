"""Encrypted token storage that fails closed when a value cannot be decrypted.

django-encrypted-model-fields silently hands back the ciphertext when the key is wrong; a
later save would encrypt the ciphertext again and the token would be lost for good, and the
client would send ciphertext to TikTok. Here an undecryptable value comes back as
`UndecryptableToken`, which can be neither saved nor sent.

In core, below the TikTok integration: the account model stores tokens with this field and the
TikTok clients refuse to send an `UndecryptableToken` (`ensure_readable`).
"""

from __future__ import annotations

from typing import Any

import cryptography.fernet
from encrypted_model_fields.fields import EncryptedTextField, decrypt_str, encrypt_str


class TokenUnreadableError(Exception):
    """A stored secret (a TikTok token, a webhook secret, an upload URL) could not be
    decrypted with any FIELD_ENCRYPTION_KEY."""

    def __init__(self) -> None:
        super().__init__(
            "A stored secret cannot be decrypted with the configured FIELD_ENCRYPTION_KEY."
        )


class UndecryptableToken(str):
    """Ciphertext that no configured key opens; it never leaves this module as a token."""

    __slots__ = ()

    def __repr__(self) -> str:
        return "UndecryptableToken(<hidden>)"


def ensure_readable(token: str) -> str:
    """Returns `token`, or raises when it is ciphertext we could not open."""
    if isinstance(token, UndecryptableToken):
        raise TokenUnreadableError
    return token


class EncryptedTokenField(EncryptedTextField):
    def to_python(self, value: Any) -> Any:
        if isinstance(value, UndecryptableToken) or not isinstance(value, str | bytes):
            return value
        text = value.decode() if isinstance(value, bytes) else value
        if not text:
            return text
        try:
            return decrypt_str(text)
        except cryptography.fernet.InvalidToken:
            return UndecryptableToken(text)

    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if isinstance(value, UndecryptableToken):
            raise TokenUnreadableError
        if hasattr(value, "as_sql"):
            # An expression is SQL, not a token: the library would encrypt its repr. Key
            # rotation writes ciphertext it built and verified itself this way.
            return value
        return super().get_db_prep_save(value, connection)

    def value_to_string(self, obj: Any) -> Any:
        """What a serializer (`dumpdata`) writes: ciphertext, never the secret. Loading it
        back decrypts it (to_python), so a dump round-trips under the same keys."""
        value = self.value_from_object(obj)
        if value is None or isinstance(value, UndecryptableToken):
            return value  # ciphertext already
        return encrypt_str(str(value)).decode()
