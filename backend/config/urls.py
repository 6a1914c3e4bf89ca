from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.defaults import page_not_found

from apps.core.errors import NotFound
from apps.core.favicon import favicon
from apps.core.middleware import error_response
from config.api import api
from config.metrics import metrics_view

urlpatterns = [
    path("admin/", admin.site.urls),
    path("api/", api.urls),
    path("favicon.ico", favicon, name="favicon"),
    path("metrics", metrics_view, name="metrics"),
]


def handler404(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Unknown routes under /api/ answer JSON; the rest keeps Django's page."""
    if request.path.startswith("/api/"):
        return error_response(NotFound.status, NotFound.code, NotFound.detail)
    return page_not_found(request, exception)
