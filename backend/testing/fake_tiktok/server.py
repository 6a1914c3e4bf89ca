"""A fake TikTok that speaks the OAuth and Display API the way /work/shared/tiktok-api.md says.

Tests, benchmarks and the README's demo mode talk to it over real HTTP on 127.0.0.1, so the
client is exercised exactly as against TikTok: form-encoded token grants with rotating refresh
tokens, field selection bound to scopes, TikTok's error bodies and log ids. Faults (rate limit,
5xx, garbage, timeouts, dead tokens) and latency are switched on in-process or through the
`/_fake/` control endpoints. It deliberately imports nothing from Django.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from typing import Any

from testing.fake_tiktok import content
from testing.fake_tiktok.api import (
    ENDPOINTS,
    FAULT_KINDS,
    ApiMixin,
    Fault,
    RecordedRequest,
)
from testing.fake_tiktok.identities import Identity, demo_identity
from testing.fake_tiktok.oauth import Code, Grant, OAuthMixin
from testing.fake_tiktok.transport import Request, Response, Server, json_response
from testing.fake_tiktok.webhooks import WebhookSender

__all__ = ["FakeTikTok", "Identity"]


class FakeTikTok(OAuthMixin, ApiMixin):
    """The fake upstream: its state, its controls, and the server that exposes them.

    OAuth (oauth.py), API serving and faults (api.py) and HTTP (transport.py) live apart.
    """

    def __init__(self, *, client_key: str, client_secret: str) -> None:
        self.client_key = client_key
        self.client_secret = client_secret
        self.base_url = ""
        # Where the demo callback page tells the user to finish the connect.
        self.service_url = "http://127.0.0.1:8000"
        self.identities = [demo_identity(number) for number in range(1, 51)]
        self._identities = {identity.open_id: identity for identity in self.identities}
        self._codes: dict[str, Code] = {}
        self._by_access: dict[str, Grant] = {}
        self._by_refresh: dict[str, Grant] = {}
        self._revoked: set[str] = set()
        self._lock = threading.Lock()
        self._generation = 0
        self._server: Server | None = None
        self.webhooks = WebhookSender(self)
        self.content = content.FakeContent(self)
        self.reset()

    # --- lifecycle ---------------------------------------------------------------------------
    def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Serves in a daemon thread; returns the base URL (port 0 picks a free port)."""
        self._server = Server((host, port), self)
        threading.Thread(target=self._server.serve_forever, name="fake-tiktok", daemon=True).start()
        self.base_url = f"http://{host}:{self._server.server_port}"
        return self.base_url

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def reset(self) -> None:
        """Forgets faults, counters and tuning; keeps identities and the tokens already issued,
        so a benchmark can reset between phases without disconnecting its accounts."""
        with self._lock:
            self._faults: list[Fault] = []
            self._counts: Counter[str] = Counter()
            self.requests: list[RecordedRequest] = []
            # Requests of an earlier test may still be sleeping in a handler: a new generation
            # keeps them out of the in-flight counters from now on.
            self._generation += 1
            self._in_flight = 0
            self.max_in_flight = 0
            self.latency = 0.0
            self.timeout_sleep = 3.0
            self.access_expires_in = 86_400
            self.refresh_expires_in = 31_536_000
            # TikTok documents no Retry-After header; set a number to send one.
            self.rate_limit_retry_after: int | None = None
        self.content.reset()

    # --- in-process controls -----------------------------------------------------------------
    def add_identity(self, **fields: Any) -> Identity:
        with self._lock:
            number = len(self.identities) + 1
            values = {
                "open_id": f"fake-open-id-{number:04d}",
                "username": f"user_{number:04d}",
                "display_name": f"User {number}",
                **fields,
            }
            if values["open_id"] in self._identities:
                raise ValueError(f"identity {values['open_id']} already exists")
            identity = Identity(**values)
            self.identities.append(identity)
            self._identities[identity.open_id] = identity
            return identity

    def set_latency(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("latency cannot be negative")
        self.latency = seconds

    def add_fault(
        self, endpoint: str, kind: str, *, times: int | None = None, open_id: str | None = None
    ) -> None:
        """Makes `endpoint` answer with fault `kind`, `times` times (None: until reset)."""
        if endpoint not in ENDPOINTS:
            raise ValueError(f"endpoint must be one of {ENDPOINTS}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {FAULT_KINDS}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1")
        with self._lock:
            self._faults.append(Fault(endpoint, kind, times, open_id))

    def count(self, endpoint: str) -> int:
        with self._lock:
            return self._counts[endpoint]

    def stats(self) -> dict[str, Any]:
        with self._lock:
            return {
                "counts": {endpoint: self._counts[endpoint] for endpoint in ENDPOINTS},
                "in_flight": self._in_flight,
                "max_in_flight": self.max_in_flight,
                "latency": self.latency,
                "faults": len(self._faults),
                "identities": len(self.identities),
                "open_ids": [identity.open_id for identity in self.identities],
            }

    # --- /_fake/ controls for other processes ------------------------------------------------
    def control(self, action: str, request: Request) -> Response:
        try:
            args = json.loads(request.body or b"{}")
            if not isinstance(args, dict):
                raise TypeError("the body must be a JSON object")
            result = self._control(action, args)
        except (ValueError, TypeError, KeyError) as exc:
            return json_response(400, {"error": f"{type(exc).__name__}: {exc}"})
        return json_response(200, result)

    def _control(self, action: str, args: dict[str, Any]) -> dict[str, Any]:
        match action:
            case "stats":
                return self.stats()
            case "reset":
                self.reset()
            case "latency":
                self.set_latency(float(args["seconds"]))
            case "fault":
                self.add_fault(
                    args["endpoint"],
                    args["kind"],
                    times=args.get("times"),
                    open_id=args.get("open_id"),
                )
            case "code":
                return {"code": self.issue_code(args["open_id"], args.get("scopes"))}
            case "expire":
                self.expire_access_tokens(args.get("open_id"))
            case "revoke_all":
                self.revoke_all(args["open_id"])
            case "webhook":
                return self.webhooks.send(**args)
            case "deauthorize":
                return self.webhooks.deauthorize(**args)
            case "post_webhook":
                return self.webhooks.post_event(**args)
            case _:
                return self.content.control(action, args)
        return {"ok": True}
