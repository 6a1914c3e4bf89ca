"""`/favicon.ico`: browsers ask for it on every HTML page (the admin, the API docs), and a 404
there is an error in the console of every page. A small icon, read once, cached by browsers."""

from __future__ import annotations

import functools
from pathlib import Path

from django.http import HttpRequest, HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

ICON = Path(__file__).resolve().parent / "static" / "favicon.ico"
# Not a versioned URL, so not "immutable"; a week is long enough that browsers rarely ask.
MAX_AGE_SECONDS = 7 * 24 * 3600


@functools.cache
def _icon() -> bytes:
    return ICON.read_bytes()


@require_safe
@cache_control(public=True, max_age=MAX_AGE_SECONDS)
def favicon(request: HttpRequest) -> HttpResponse:
    return HttpResponse(_icon(), content_type="image/x-icon")
