"""`/favicon.ico` (issue 17, #6): the admin and the docs pages no longer log a 404 for it."""

from __future__ import annotations

from django.test import Client

ICO_HEADER = b"\x00\x00\x01\x00"  # reserved 0, type 1: an icon


def test_the_favicon_is_an_icon_browsers_keep() -> None:
    response = Client().get("/favicon.ico")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/x-icon"
    assert response.content.startswith(ICO_HEADER)
    assert "public" in response["Cache-Control"]
    assert "max-age=604800" in response["Cache-Control"]


def test_the_favicon_answers_head_and_refuses_writes() -> None:
    head = Client().head("/favicon.ico")

    assert (head.status_code, head["Content-Type"]) == (200, "image/x-icon")
    assert Client().post("/favicon.ico").status_code == 405
