"""A fake Celonis team host on 127.0.0.1 for end-to-end tests (stdlib only, no migrator imports).

    with FakeCelonis(clients={"cid": ClientSpec("secret", ("audit.log:read",))}, token_lifetime=2) as fake:
        ...  # point code at fake.url, then assert on fake.log

What it does, as the real team host does per shared/reference/celonis-apis.md §1-§4:
- `POST /oauth2/token`: `grant_type=client_credentials`, space-separated `scope`, client auth by
  `client_secret_basic` (HTTP Basic) or `client_secret_post` (form fields), whichever the client was
  registered with. Real OAuth errors (RFC 6749 §5.2): `invalid_request`, `invalid_client` (401),
  `unsupported_grant_type`, `invalid_scope` (a scope not granted to the client). Tokens are opaque
  random strings that expire after `token_lifetime` seconds.
- A handful of API endpoints, each needing one scope: 401 for a missing, expired or unknown token
  and for static keys (`AppKey ...`, or a `Bearer` value that is not one of our tokens) unless
  `accept_static_keys=True`; 403 `insufficient_scope` when the token lacks the scope.
- `.log`: every request with its auth *redacted*: tokens appear as `token#N`, static keys as
  `AppKey <static>` / `Bearer <static>`, client secrets never.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import secrets
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

MAX_BODY = 10 * 1024 * 1024
_STATIC_SHAPE = re.compile(r"^[A-Za-z0-9+/]{108}$")
_UUID_SECRET = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}:.{40,48}$")


@dataclass(frozen=True)
class ClientSpec:
    """An OAuth client registered on the fake team."""

    secret: str
    scopes: tuple[str, ...]
    #: "client_secret_basic" or "client_secret_post", as chosen at registration.
    auth_method: str = "client_secret_basic"


@dataclass(frozen=True)
class LoggedRequest:
    method: str
    #: Path without the query string.
    path: str
    query: str
    status: int
    #: "token" for /oauth2/token, "api" for API endpoints, "unknown" otherwise.
    kind: str
    #: Redacted Authorization: "token#3", "AppKey <static>", "Bearer <static>", "Basic <client id>", "".
    auth: str = ""
    #: Client the token or token request belongs to.
    client_id: str | None = None
    #: Token requests: the auth method used and the `scope` parameter as sent (None when absent).
    auth_method: str | None = None
    requested_scope: str | None = None
    grant_type: str | None = None
    #: API requests: the scope the endpoint needs and the scopes of the token used.
    needed_scope: str | None = None
    token_scopes: tuple[str, ...] = ()
    #: OAuth / API error code ("invalid_client", "insufficient_scope", "invalid_token", ...).
    error: str | None = None
    at: float = 0.0

    @property
    def static_key(self) -> bool:
        return self.auth in ("AppKey <static>", "Bearer <static>")


@dataclass
class _Token:
    number: int
    client_id: str
    scopes: tuple[str, ...]
    expires_at: float


@dataclass(frozen=True)
class _Route:
    method: str
    pattern: re.Pattern[str]
    #: Scope the endpoint needs; None = any valid token (undocumented endpoints such as /api/cloud).
    scope: str | None
    respond: Callable[[re.Match[str], bytes], Any]
    #: Broader scopes that also grant access (`integration.data-pools` covers its `:sub` scopes).
    also: tuple[str, ...] = ()


def _routes() -> tuple[_Route, ...]:
    uuid = r"[^/]+"
    push = "integration.data-pools:data_push"
    return (
        _Route("GET", re.compile(r"/log/api/external/audit"), "audit.log:read",
               lambda m, b: {"content": [{"timestamp": 1, "userEmail": "a@acme.example", "eventType": "LOGIN"}]}),
        _Route("GET", re.compile(r"/api/external/authentication-events"), "team.login-history:read",
               lambda m, b: {"content": [{"timestamp": 2, "userEmail": "b@acme.example"}]}),
        _Route("GET", re.compile(r"/api/external/members"), "team.user-group-info:read",
               lambda m, b: {"content": [{"id": "u1", "email": "a@acme.example"}]}),
        _Route("POST", re.compile(rf"/data-ingestion/api/v1/data-push/({uuid})/jobs/?"), push,
               lambda m, b: {"id": "job-" + secrets.token_hex(4), "status": "NEW"}, ("integration.data-pools",)),
        _Route("POST", re.compile(rf"/data-ingestion/api/v1/data-push/({uuid})/jobs/({uuid})/chunks/upserted"), push,
               lambda m, b: {"bytes": len(b)}, ("integration.data-pools",)),
        _Route("POST", re.compile(rf"/data-ingestion/api/v1/data-push/({uuid})/jobs/({uuid})"), push,
               lambda m, b: {"status": "QUEUED"}, ("integration.data-pools",)),
        _Route("GET", re.compile(rf"/intelligence/api/knowledge-models/({uuid})/filters"),
               "intelligence.knowledge-models:read",
               lambda m, b: [{"id": "f1", "displayName": "Open orders"}, {"id": "f2", "displayName": "Late"}]),
        _Route("POST", re.compile(r"/machine-learning/api/executions"), "machine-learning",
               lambda m, b: {"id": "exec-" + secrets.token_hex(4), "status": "RUNNING"}),
        _Route("GET", re.compile(r"/api/cloud"), None, lambda m, b: {"team": "acme", "realm": "local"}),
        _Route("GET", re.compile(r"/api/team"), None, lambda m, b: {"name": "acme", "trackingEnabled": False}),
    )


class FakeCelonis:
    """A fake team host; use as a context manager. Thread-safe; bounded (daemon threads, body cap)."""

    def __init__(self, clients: dict[str, ClientSpec] | None = None, *, token_lifetime: int = 2,
                 accept_static_keys: bool = False, static_keys: Iterable[str] = ()) -> None:
        self.clients = dict(clients or {})
        self.token_lifetime = token_lifetime
        #: When True, `AppKey <key>` and `Bearer <key>` with a static key are accepted (legacy behaviour).
        self.accept_static_keys = accept_static_keys
        #: Static keys accepted when accept_static_keys is True; empty = any key of the real shape.
        self.static_keys = frozenset(static_keys)
        self._tokens: dict[str, _Token] = {}
        self._log: list[LoggedRequest] = []
        self._lock = threading.Lock()
        self._routes = _routes()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> FakeCelonis:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def start(self) -> None:
        fake = self

        class Handler(_Handler):
            owner = fake

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        name="fake-celonis", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._server = self._thread = None

    @property
    def url(self) -> str:
        """Origin of the fake team, e.g. http://127.0.0.1:40123 (no trailing slash)."""
        assert self._server is not None, "FakeCelonis is not started"
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    # ------------------------------------------------------------------ log
    @property
    def log(self) -> list[LoggedRequest]:
        with self._lock:
            return list(self._log)

    def token_requests(self, client_id: str | None = None) -> list[LoggedRequest]:
        return [r for r in self.log if r.kind == "token" and (client_id is None or r.client_id == client_id)]

    def api_requests(self, client_id: str | None = None) -> list[LoggedRequest]:
        return [r for r in self.log if r.kind == "api" and (client_id is None or r.client_id == client_id)]

    def tokens_issued(self, client_id: str | None = None) -> int:
        return sum(1 for r in self.token_requests(client_id) if r.status == 200)

    def clear_log(self) -> None:
        with self._lock:
            self._log.clear()

    def _record(self, entry: LoggedRequest) -> None:
        with self._lock:
            self._log.append(entry)

    # ------------------------------------------------------------------ OAuth
    def _issue(self, client_id: str, scopes: tuple[str, ...]) -> tuple[str, _Token]:
        value = secrets.token_urlsafe(32)
        with self._lock:
            token = _Token(len(self._tokens) + 1, client_id, scopes, time.monotonic() + self.token_lifetime)
            self._tokens[value] = token
        return value, token

    def _lookup(self, value: str) -> _Token | None:
        with self._lock:
            return self._tokens.get(value)

    def _is_static_key(self, value: str) -> bool:
        if self.static_keys:
            return value in self.static_keys
        if not _STATIC_SHAPE.match(value):
            return False
        try:
            return bool(_UUID_SECRET.match(base64.b64decode(value).decode("ascii")))
        except (binascii.Error, UnicodeDecodeError):
            return False


class _Handler(BaseHTTPRequestHandler):
    owner: FakeCelonis
    timeout = 10
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def do_GET(self) -> None:
        self._handle("GET")

    def do_POST(self) -> None:
        self._handle("POST")

    def do_PUT(self) -> None:
        self._handle("PUT")

    def do_PATCH(self) -> None:
        self._handle("PATCH")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    # ------------------------------------------------------------------ plumbing
    def _handle(self, method: str) -> None:
        """Route, record, and only then answer: a client that reads the log after its response sees it."""
        self._pending: tuple[int, bytes, dict[str, str]] | None = None
        self._dispatch(method)
        if self._pending is not None:
            status, data, headers = self._pending
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)

    def _body(self) -> bytes | None:
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            return None
        return self.rfile.read(length) if length else b""

    def _send(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        self._pending = (status, json.dumps(payload).encode("utf-8"), dict(headers or {}))

    def _dispatch(self, method: str) -> None:
        parsed = urllib.parse.urlsplit(self.path)
        body = self._body()
        if body is None:
            self._send(413, {"error": "payload_too_large"})
            self.owner._record(LoggedRequest(method, parsed.path, parsed.query, 413, "unknown", at=time.time()))
            return
        if parsed.path.rstrip("/") == "/oauth2/token":
            self._token(method, parsed, body)
            return
        for route in self.owner._routes:
            m = route.pattern.fullmatch(parsed.path)
            if m and route.method == method:
                self._api(route, m, parsed, body)
                return
        self._send(404, {"error": "not_found"})
        self.owner._record(LoggedRequest(method, parsed.path, parsed.query, 404, "unknown",
                                         auth=self._redacted_auth(), at=time.time()))

    def _redacted_auth(self) -> str:
        header = self.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        if not header:
            return ""
        if scheme.lower() == "bearer":
            token = self.owner._lookup(value.strip())
            return f"token#{token.number}" if token else "Bearer <static>"
        if scheme.lower() == "appkey":
            return "AppKey <static>"
        return f"{scheme} <other>"

    # ------------------------------------------------------------------ /oauth2/token
    def _token(self, method: str, parsed: urllib.parse.SplitResult, body: bytes) -> None:
        form = {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}
        ctype = self.headers.get("Content-Type", "")
        if body and "application/x-www-form-urlencoded" in ctype:
            form.update({k: v[0] for k, v in urllib.parse.parse_qs(body.decode("utf-8", "replace")).items()})
        entry: dict[str, Any] = {"grant_type": form.get("grant_type"), "requested_scope": form.get("scope")}

        def fail(status: int, error: str, description: str, auth: str = "") -> None:
            headers = {"WWW-Authenticate": 'Basic realm="celonis"'} if status == 401 else None
            self._send(status, {"error": error, "error_description": description}, headers)
            self.owner._record(LoggedRequest(method, parsed.path, "", status, "token", auth=auth, error=error,
                                             at=time.time(), **entry))

        if method != "POST":
            fail(405, "invalid_request", "use POST")
            return
        client_id, secret, auth_method, auth = self._client_credentials(form)
        entry.update(client_id=client_id, auth_method=auth_method)
        if auth_method == "ambiguous":
            fail(400, "invalid_request", "more than one client authentication method", auth)
            return
        spec = self.owner.clients.get(client_id or "")
        if spec is None or secret is None or not secrets.compare_digest(spec.secret, secret) \
                or spec.auth_method != auth_method:
            fail(401, "invalid_client", "client authentication failed", auth)
            return
        grant = form.get("grant_type")
        if not grant:
            fail(400, "invalid_request", "grant_type is missing", auth)
            return
        if grant != "client_credentials":
            fail(400, "unsupported_grant_type", f"grant type {grant!r} is not supported", auth)
            return
        requested = tuple(dict.fromkeys(form.get("scope", "").split())) if form.get("scope") else spec.scopes
        missing = [s for s in requested if s not in spec.scopes]
        if missing:
            fail(400, "invalid_scope", f"scope not granted to this client: {' '.join(missing)}", auth)
            return
        value, token = self.owner._issue(client_id or "", requested)
        self._send(200, {"access_token": value, "token_type": "Bearer", "expires_in": self.owner.token_lifetime,
                         "scope": " ".join(requested)})
        self.owner._record(LoggedRequest(method, parsed.path, "", 200, "token", auth=auth, at=time.time(),
                                         token_scopes=requested, **entry))

    def _client_credentials(self, form: dict[str, str]) -> tuple[str | None, str | None, str | None, str]:
        """(client_id, secret, auth method, redacted auth) from a Basic header or form fields."""
        header = self.headers.get("Authorization") or ""
        basic = None
        if header.lower().startswith("basic "):
            try:
                cid, _, sec = base64.b64decode(header[6:].strip()).decode("utf-8").partition(":")
                basic = (urllib.parse.unquote_plus(cid), urllib.parse.unquote_plus(sec))
            except (binascii.Error, UnicodeDecodeError):
                basic = ("", None)
        posted = (form.get("client_id"), form.get("client_secret"))
        if basic and posted[1] is not None:
            return basic[0], basic[1], "ambiguous", f"Basic {basic[0]}"
        if basic:
            return basic[0], basic[1], "client_secret_basic", f"Basic {basic[0]}"
        if posted[0] is not None:
            return posted[0], posted[1], "client_secret_post", ""
        return None, None, None, ""

    # ------------------------------------------------------------------ API endpoints
    def _api(self, route: _Route, match: re.Match[str], parsed: urllib.parse.SplitResult, body: bytes) -> None:
        header = self.headers.get("Authorization") or ""
        scheme, _, value = header.partition(" ")
        value = value.strip()
        base = {"method": route.method, "path": parsed.path, "query": parsed.query, "kind": "api",
                "needed_scope": route.scope, "auth": self._redacted_auth(), "at": time.time()}
        token = self.owner._lookup(value) if scheme.lower() == "bearer" else None

        def refuse(status: int, error: str, description: str, **extra: Any) -> None:
            challenge = f'Bearer error="{error}", error_description="{description}"'
            if error == "insufficient_scope" and route.scope:
                challenge += f', scope="{route.scope}"'
            self._send(status, {"error": error, "error_description": description}, {"WWW-Authenticate": challenge})
            self.owner._record(LoggedRequest(status=status, error=error, **base, **extra))

        if token is None:
            static = scheme.lower() in ("appkey", "bearer") and self.owner._is_static_key(value)
            if static and self.owner.accept_static_keys:
                self._send(200, route.respond(match, body))
                self.owner._record(LoggedRequest(status=200, **base))
                return
            refuse(401, "invalid_token", "static keys are not accepted" if static else "missing or unknown token")
            return
        extra = {"client_id": token.client_id, "token_scopes": token.scopes}
        if time.monotonic() >= token.expires_at:
            refuse(401, "invalid_token", "the access token expired", **extra)
            return
        if route.scope is not None and not {route.scope, *route.also} & set(token.scopes):
            refuse(403, "insufficient_scope", "the token lacks the scope this endpoint needs", **extra)
            return
        self._send(200, route.respond(match, body))
        self.owner._record(LoggedRequest(status=200, **base, **extra))
