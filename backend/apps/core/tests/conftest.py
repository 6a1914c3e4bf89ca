"""The key rotation tests' fixture: deploying a FIELD_ENCRYPTION_KEY list."""

from __future__ import annotations

from collections.abc import Callable

import encrypted_model_fields.fields
import pytest


@pytest.fixture
def use_keys(settings, monkeypatch) -> Callable[..., None]:
    """Deploys a FIELD_ENCRYPTION_KEY list (the field library builds its crypter at import)."""

    def deploy(*keys: str) -> None:
        settings.FIELD_ENCRYPTION_KEY = list(keys)
        monkeypatch.setattr(
            encrypted_model_fields.fields, "CRYPTER", encrypted_model_fields.fields.get_crypter()
        )

    return deploy
