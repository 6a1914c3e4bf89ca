"""Re-encrypts every value stored under FIELD_ENCRYPTION_KEY under the list's first key.

Which values: every encrypted field (`EncryptedTokenField`, or any field of the library it
extends) of every concrete model, found through the app registry, so core imports no app and a
new encrypted field anywhere is rotated with no change here. Rows a custom manager hides
(soft-deleted accounts) too: each model is read and written through its base manager.

Safe to stop and run again at any point:
- it refuses to start while any value opens with none of the keys, and says how many rows of
  each model hold one (their key is missing from the list: add it, then run again);
- one model's rows are read in primary-key order, a batch at a time (keyset, no OFFSET), and
  each batch is written in one transaction;
- every new ciphertext is decrypted with the configured keys and compared before it is
  written, and the old key stays configured until the run is over: a row is always readable;
- a row is written only if each column rewritten still holds the ciphertext that was read. The
  condition is on the UPDATE's own row (`WHERE pk = .. AND (col)::text = ..`): PostgreSQL
  re-checks it on the row it waited for, so a value the service wrote meanwhile (under the
  first key, as every write of a deployed service) is never overwritten. A subquery
  (`pk IN (SELECT ..)`, which Django emits once a filter needs a join) would be read from the
  statement's snapshot and lose that race;
- a value already under the first key is left alone, so a second run only reads.

TikTokAccount.token_version is not bumped: it moves when the service stores a new grant, and a
caller waiting on another's refresh takes a moved version for that refresh and adopts the row's
tokens (services/tokens.py). A rotation stores no new grant.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.db import models, transaction
from django.db.models import Q, QuerySet, TextField, Value
from django.db.models.functions import Cast
from django.db.models.lookups import Exact
from encrypted_model_fields.fields import EncryptedMixin

Model = type[models.Model]


@dataclass
class RotationResult:
    """One model's rows holding an encrypted value."""

    rotated: int = 0  # rows with a value re-encrypted
    current: int = 0  # rows with every value already under the first key
    changed_meanwhile: int = 0  # rows the service wrote during the run: left as it wrote them

    def count(self, written: bool | None) -> None:
        if written is None:
            self.current += 1
        elif written:
            self.rotated += 1
        else:
            self.changed_meanwhile += 1


class UnreadableValuesError(Exception):
    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        listed = ", ".join(f"{label}: {count} row(s)" for label, count in counts.items())
        super().__init__(
            f"Values that no FIELD_ENCRYPTION_KEY decrypts ({listed}); add the key they were "
            "encrypted with to the list, then run again."
        )


def encrypted_fields() -> dict[Model, tuple[str, ...]]:
    """Every model storing encrypted values, and the names of those fields (by model label).

    A model's own table's columns only (`local_concrete_fields`): an inherited field is rotated
    with its parent, and a proxy has none of its own.
    """
    found = {}
    for model in sorted(apps.get_models(), key=lambda model: model._meta.label):
        names = tuple(
            field.name
            for field in model._meta.local_concrete_fields
            if isinstance(field, EncryptedMixin)
        )
        if names:
            found[model] = names
    return found


def _keys() -> tuple[Fernet, MultiFernet]:
    fernets = [Fernet(key) for key in settings.FIELD_ENCRYPTION_KEY]
    return fernets[0], MultiFernet(fernets)


def _raw(name: str) -> Cast:
    """The stored ciphertext, as text: the field would decrypt it, or encrypt a compared value."""
    return Cast(name, output_field=TextField())


def _holding_values(model: Model, fields: tuple[str, ...]) -> QuerySet:
    """The rows with a ciphertext in any of `fields` (NULL and "" hold nothing to rotate)."""
    raw = {f"raw_{name}": _raw(name) for name in fields}
    holding = Q()
    for name in fields:
        holding |= Q(**{f"raw_{name}__gt": ""})
    return model._base_manager.annotate(**raw).filter(holding).order_by("pk")


def rows_count() -> int:
    """The rows a run reads (the progress bar's total)."""
    return sum(_holding_values(model, names).count() for model, names in encrypted_fields().items())


def _batches(model: Model, fields: tuple[str, ...], batch_size: int) -> Iterator[list[dict]]:
    """The raw ciphertexts, in primary-key order, one batch at a time (keyset, no OFFSET)."""
    rows = _holding_values(model, fields)
    columns = [f"raw_{name}" for name in fields]
    last = None
    while True:
        page = rows.filter(pk__gt=last) if last is not None else rows
        batch = list(page.values("pk", *columns)[:batch_size])
        if not batch:
            return
        yield batch
        last = batch[-1]["pk"]


def _is_current(primary: Fernet, ciphertext: str) -> bool:
    try:
        primary.decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def _opens(every_key: MultiFernet, ciphertext: str | None) -> bool:
    try:
        if ciphertext:
            every_key.decrypt(ciphertext.encode())
    except InvalidToken:
        return False
    return True


def unreadable_counts(batch_size: int = 500) -> dict[str, int]:
    """Per model label, the rows holding a value that none of the configured keys opens."""
    _, every_key = _keys()
    counts = {}
    for model, fields in encrypted_fields().items():
        count = sum(
            1
            for batch in _batches(model, fields, batch_size)
            for row in batch
            if not all(_opens(every_key, row[f"raw_{name}"]) for name in fields)
        )
        if count:
            counts[model._meta.label] = count
    return counts


def _reencrypted(primary: Fernet, every_key: MultiFernet, ciphertext: str) -> str:
    plaintext = every_key.decrypt(ciphertext.encode())
    new = primary.encrypt(plaintext)
    if every_key.decrypt(new) != plaintext:  # verified before anything is written
        raise AssertionError("re-encrypted value does not decrypt to the original")
    return new.decode()


def _row_rotate(
    model: Model, fields: tuple[str, ...], row: dict, keys: tuple[Fernet, MultiFernet]
) -> bool | None:
    """Rewrites the row's values not under the first key: True when written, False when the
    service changed one meanwhile, None when there was nothing to rewrite."""
    primary, every_key = keys
    stale = {
        name: ciphertext
        for name in fields
        if (ciphertext := row[f"raw_{name}"]) and not _is_current(primary, ciphertext)
    }
    if not stale:
        return None
    # Value(..., TextField()): the verified ciphertext as it is, which the field would encrypt.
    values = {
        name: Value(_reencrypted(primary, every_key, ciphertext), TextField())
        for name, ciphertext in stale.items()
    }
    # Expressions in filter() itself, on this table only: conditions of the UPDATE's own row.
    unchanged = [Exact(_raw(name), ciphertext) for name, ciphertext in stale.items()]
    return bool(model._base_manager.filter(*unchanged, pk=row["pk"]).update(**values))


def values_rotate(
    *, batch_size: int = 500, on_batch: Callable[[int], None] | None = None
) -> dict[str, RotationResult]:
    """Rotates every encrypted value, by model label; refuses to start while one is unreadable."""
    if counts := unreadable_counts(batch_size):
        raise UnreadableValuesError(counts)
    keys = _keys()
    results = {}
    for model, fields in encrypted_fields().items():
        result = results[model._meta.label] = RotationResult()
        for batch in _batches(model, fields, batch_size):
            with transaction.atomic():
                for row in batch:
                    result.count(_row_rotate(model, fields, row, keys))
            if on_batch is not None:
                on_batch(len(batch))
    return results
