"""What the key rotation tests read: the keys, a column's stored ciphertext, a run's output."""

from __future__ import annotations

from io import StringIO
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.db import models
from django.db.models import TextField
from django.db.models.functions import Cast

OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def stored(model: type[models.Model], pk: Any, *names: str) -> tuple[str, ...]:
    """The ciphertexts a row stores in `names`, as they are in the table."""
    raw = {f"raw_{name}": Cast(name, output_field=TextField()) for name in names}
    return model._base_manager.filter(pk=pk).annotate(**raw).values_list(*raw).get()


def under(key: str, *ciphertexts: str) -> bool:
    """True when every ciphertext opens with `key`."""
    try:
        for ciphertext in ciphertexts:
            Fernet(key).decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def rotate(**options: Any) -> str:
    """`manage.py rotate_encryption_key`'s output (its progress bar goes to stderr)."""
    out = StringIO()
    call_command("rotate_encryption_key", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()
