"""The fake TikTok's HTTP plumbing: parse a request, route it to the fake, write the answer;
and the answer helpers every endpoint uses (JSON, TikTok's two error shapes, HTML, redirects).
"""

from __future__ import annotations

import html
import json
import secrets
import sys
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import IO, TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlsplit

from testing.fake_tiktok import content

if TYPE_CHECKING:
    from testing.fake_tiktok.server import FakeTikTok


class BodyStream:
    """A PUT body read as it arrives (an upload chunk may be 128 MB): at most Content-Length
    bytes; whatever the handler leaves unread is drained before answering, so the connection
    stays usable."""

    def __init__(self, rfile: IO[bytes], length: int) -> None:
        self._rfile = rfile
        self.remaining = length

    def read(self, size: int) -> bytes:
        block = self._rfile.read(min(size, self.remaining)) if self.remaining else b""
        self.remaining = self.remaining - len(block) if block else 0
        return block

    def drain(self) -> None:
        while self.read(64 * 1024):
            pass


@dataclass(frozen=True)
class Request:
    query: dict[str, str]
    form: dict[str, str]
    body: bytes
    headers: Message
    # Only for PUT: its body is streamed, never read whole (`body` is then empty).
    stream: BodyStream | None = None


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)


def json_response(status: int, payload: Any, log_id: str | None = None) -> Response:
    headers = {"X-Tt-Logid": log_id} if log_id else {}
    return Response(status, json.dumps(payload).encode(), headers=headers)


def oauth_error(error: str, description: str, log_id: str, status: int = 200) -> Response:
    payload = {"error": error, "error_description": description, "log_id": log_id}
    return json_response(status, payload, log_id)


def api_error(status: int, code: str, message: str, log_id: str) -> Response:
    payload = {"data": {}, "error": {"code": code, "message": message, "log_id": log_id}}
    return json_response(status, payload, log_id)


def html_page(status: int, title: str, body: str) -> Response:
    page = (
        f"<!doctype html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title>"
        f"</head><body><h1>{html.escape(title)}</h1>{body}</body></html>"
    )
    return Response(status, page.encode(), "text/html; charset=utf-8")


def redirect_to(url: str) -> Response:
    return Response(302, b"", "text/plain", {"Location": url})


def new_log_id() -> str:
    """Shaped like TikTok's: a UTC timestamp followed by random hex."""
    return datetime.now(UTC).strftime("%Y%m%d%H%M%S") + secrets.token_hex(10).upper()


def bearer(request: Request) -> str:
    return request.headers.get("Authorization", "").removeprefix("Bearer ").strip()


class Handler(BaseHTTPRequestHandler):
    """HTTP plumbing only: parse the request, route it, write the answer."""

    protocol_version = "HTTP/1.1"  # keep-alive, as the client's sessions expect
    timeout = 60  # drop idle keep-alive connections eventually
    # Headers and body leave in two writes: without this, Nagle plus delayed ACKs add ~40 ms.
    disable_nagle_algorithm = True
    server: Server

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PUT(self) -> None:
        if "Transfer-Encoding" in self.headers:
            # TikTok wants a Content-Length on every chunk; the unread body ends the connection.
            self.close_connection = True
            self._send(json_response(411, {"error": "Content-Length is required."}))
            return
        self._dispatch("PUT")

    def _dispatch(self, method: str) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        stream = BodyStream(self.rfile, length) if method == "PUT" else None
        body = b"" if stream else self.rfile.read(length)
        is_form = self.headers.get_content_type() == "application/x-www-form-urlencoded"
        request = Request(
            query=dict(parse_qsl(url.query, keep_blank_values=True)),
            form=dict(parse_qsl(body.decode("utf-8", "replace"))) if is_form else {},
            body=body,
            headers=self.headers,
            stream=stream,
        )
        fake = self.server.fake
        path = url.path
        if (method, path) == ("POST", "/v2/oauth/token/"):
            grant_type = request.form.get("grant_type")
            response = fake.serve_api(
                "refresh" if grant_type == "refresh_token" else "token", request
            )
        elif (method, path) == ("POST", "/v2/oauth/revoke/"):
            response = fake.serve_api("revoke", request)
        elif (method, path) == ("GET", "/v2/user/info/"):
            response = fake.serve_api("user_info", request)
        elif endpoint := content.ROUTES.get((method, path)):
            response = fake.serve_api(endpoint, request)
        elif (method, path) == ("GET", "/v2/auth/authorize/"):
            response = fake.authorize_page(request)
        elif (method, path) == ("GET", "/demo/callback"):
            response = fake.demo_callback_page(request)
        elif path == "/demo/webhooks":
            response = html_page(*fake.webhooks.page(method, request.form))
        elif path == "/_fake/stats" or (method == "POST" and path.startswith("/_fake/")):
            response = fake.control(path.removeprefix("/_fake/"), request)
        else:
            response = json_response(404, {"error": f"no route {method} {path}"})
        if stream is not None:
            stream.drain()
        self._send(response)

    def _send(self, response: Response) -> None:
        self.send_response(response.status)
        self.send_header("Content-Type", response.content_type)
        self.send_header("Content-Length", str(len(response.body)))
        for name, value in response.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(response.body)

    def log_message(self, format: str, *args: Any) -> None:
        """Silent: one line per request would drown test and benchmark output."""


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], fake: FakeTikTok) -> None:
        super().__init__(address, Handler)
        self.fake = fake

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client that gave up (a timeout test) closes its socket under a sleeping handler.
        if isinstance(sys.exc_info()[1], ConnectionError):
            return
        super().handle_error(request, client_address)
