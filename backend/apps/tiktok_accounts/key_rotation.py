"""Re-encrypts every stored TikTok token under the first key of FIELD_ENCRYPTION_KEY.

Safe to stop and run again at any point:
- each batch is one transaction, and a row is written only if its tokens did not change since
  they were read (`token_version`), so a refresh running meanwhile is never overwritten;
- every new ciphertext is decrypted with the configured keys and compared before it is
  written, and the old key stays configured until the run is over: a row is always readable;
- a token already under the first key is left alone, so a second run only reads.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import TextField, Value
from django.db.models.functions import Cast

from apps.tiktok_accounts.models import TikTokAccount

TOKEN_FIELDS = ("access_token", "refresh_token")


@dataclass
class RotationResult:
    rotated: int = 0  # accounts whose tokens were re-encrypted
    current: int = 0  # accounts already entirely under the first key
    changed_meanwhile: int = 0  # tokens replaced by the app during the run: already current


class UnreadableTokensError(Exception):
    def __init__(self, count: int) -> None:
        self.count = count
        super().__init__(
            f"{count} account(s) hold a token that no FIELD_ENCRYPTION_KEY decrypts; "
            "add the key they were encrypted with to the list, then run again."
        )


def _keys() -> tuple[Fernet, MultiFernet]:
    fernets = [Fernet(key) for key in settings.FIELD_ENCRYPTION_KEY]
    return fernets[0], MultiFernet(fernets)


def _batches(batch_size: int) -> Iterator[list[dict[str, object]]]:
    """The raw ciphertexts, in primary-key order, one batch at a time (keyset, no OFFSET)."""
    raw = {f"raw_{name}": Cast(name, output_field=TextField()) for name in TOKEN_FIELDS}
    rows = TikTokAccount.all_objects.order_by("pk").annotate(**raw)
    last = None
    while True:
        page = rows.filter(pk__gt=last) if last is not None else rows
        batch = list(page.values("pk", "token_version", *raw)[:batch_size])
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


def unreadable_count(batch_size: int = 500) -> int:
    """Accounts with a token that none of the configured keys opens."""
    _, every_key = _keys()
    count = 0
    for batch in _batches(batch_size):
        for row in batch:
            for name in TOKEN_FIELDS:
                ciphertext = row[f"raw_{name}"]
                try:
                    if ciphertext:
                        every_key.decrypt(ciphertext.encode())
                except InvalidToken:
                    count += 1
                    break
    return count


def _reencrypted(primary: Fernet, every_key: MultiFernet, ciphertext: str) -> str:
    plaintext = every_key.decrypt(ciphertext.encode())
    new = primary.encrypt(plaintext)
    if every_key.decrypt(new) != plaintext:  # verified before anything is written
        raise AssertionError("re-encrypted token does not decrypt to the original")
    return new.decode()


def tokens_rotate(
    *, batch_size: int = 500, on_batch: Callable[[int], None] | None = None
) -> RotationResult:
    """Rotates every account; refuses to start while any token is unreadable."""
    if count := unreadable_count(batch_size):
        raise UnreadableTokensError(count)
    primary, every_key = _keys()
    result = RotationResult()
    for batch in _batches(batch_size):
        with transaction.atomic():
            for row in batch:
                stale = {
                    name: row[f"raw_{name}"]
                    for name in TOKEN_FIELDS
                    if row[f"raw_{name}"] and not _is_current(primary, row[f"raw_{name}"])
                }
                if not stale:
                    result.current += 1
                    continue
                values = {
                    name: Value(_reencrypted(primary, every_key, ciphertext), TextField())
                    for name, ciphertext in stale.items()
                }
                written = TikTokAccount.all_objects.filter(
                    pk=row["pk"], token_version=row["token_version"]
                ).update(**values)
                if written:
                    result.rotated += 1
                else:
                    result.changed_meanwhile += 1
        if on_batch is not None:
            on_batch(len(batch))
    return result
