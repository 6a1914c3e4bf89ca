"""Names for hand-written SQL, taken from a model's metadata: a renamed table or column, or
another backend's quoting, can never leave a statement behind."""

from __future__ import annotations

from django.db import connection, models


def quoted_names(model: type[models.Model]) -> tuple[str, dict[str, str]]:
    """The model's table and its columns by field name, quoted for the current backend."""
    quote, meta = connection.ops.quote_name, model._meta
    return quote(meta.db_table), {field.name: quote(field.column) for field in meta.concrete_fields}
