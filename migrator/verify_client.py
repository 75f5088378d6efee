"""`verify-client`: ask a team's token endpoint which planned scopes an OAuth client holds.

One `client_credentials` request for the whole planned scope set; when the endpoint answers
`invalid_scope`, one request per scope, so that the report can say which scopes are granted
and which are still to assign. A token request cannot see Celonis permissions: those stay
"to assign" until the user confirms them in granted.yaml.

The client secret is only ever put in the Authorization header (client_secret_basic) or the
form body (client_secret_post) of a request to the team host over HTTPS (plain HTTP only to a
loopback host, for tests). Redirects are refused, so the credentials cannot follow one to
another host. Tokens are dropped as soon as they are parsed; errors are one line and hold
neither the secret nor a token.
"""

from __future__ import annotations

import base64
import html
import ipaddress
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any, Optional, Sequence

from migrator.errors import MigratorError
from migrator.redact import scrub
from migrator.scopes import normalise_scope, parse_scopes

AUTH_METHODS = ("client_secret_basic", "client_secret_post")
TOKEN_PATH = "/oauth2/token"
_MAX_RESPONSE = 1_000_000
#: Server text longer than this is cut before it is even looked at.
_MAX_SHOWN = 500


@dataclass(frozen=True)
class VerifyResult:
    token_url: str
    #: The client authentication method the endpoint accepted.
    auth_method: str
    requested: tuple[str, ...]
    granted: tuple[str, ...]
    missing: tuple[str, ...]
    #: True when one request for every planned scope succeeded.
    whole_set: bool
    #: Token requests made.
    requests: int
    #: Scope spellings that were normalised or are unknown to the tool.
    warnings: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.missing


@dataclass(frozen=True)
class _Answer:
    status: int
    error: Optional[str]
    description: str
    scopes: Optional[tuple[str, ...]]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """Refuse redirects: urllib would resend the Authorization header (the secret) to the new host."""

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any, newurl: str) -> None:
        raise MigratorError(
            f"the token endpoint redirected (HTTP {code}); refusing to send the client "
            f"credentials elsewhere: check --team-url"
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _shown(text: str) -> str:
    """A user-typed value, quoted on one line and bounded, for an error message."""
    return repr(scrub(text[:120]))


def token_url(team_url: str) -> str:
    """`https://<team host>/oauth2/token` from a team URL (a bare host gets https://)."""
    text = team_url.strip()
    if "://" not in text:
        text = "https://" + text
    try:
        parts = urllib.parse.urlsplit(text)
        host = parts.hostname or ""
        parts.port  # noqa: B018 - raises ValueError for a port that is not a number in range
    except ValueError as exc:
        raise MigratorError(
            f"--team-url {_shown(team_url)}: not a valid URL ({exc}); expected https://<team>.<realm>.celonis.cloud"
        ) from None
    if any(ch.isspace() or ord(ch) < 32 for ch in text):
        raise MigratorError(f"--team-url {_shown(team_url)}: a URL holds no spaces or control characters")
    if parts.scheme not in ("https", "http") or not host:
        raise MigratorError(f"--team-url {_shown(team_url)}: expected https://<team>.<realm>.celonis.cloud")
    if parts.username or parts.password:
        raise MigratorError(
            "--team-url must not hold credentials; use CELONIS_CLIENT_ID and CELONIS_CLIENT_SECRET"
        )
    if parts.scheme == "http" and not _is_loopback(host):
        raise MigratorError(
            f"--team-url {parts.scheme}://{parts.netloc}: refusing to send client credentials "
            f"over plain HTTP; use https://"
        )
    return f"{parts.scheme}://{parts.netloc}{TOKEN_PATH}"


def planned_scopes(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(canonical scopes, warnings) of a space- or comma-separated scope list."""
    scopes: list[str] = []
    warnings: list[str] = []
    for raw in parse_scopes(text):
        canonical, warning = normalise_scope(raw)
        if warning:
            warnings.append(warning)
        scope = canonical or raw
        if scope not in scopes:
            scopes.append(scope)
    return tuple(scopes), tuple(warnings)


#: How much of the endpoint's `error_description` is ever shown (it may echo the request).
MAX_DESCRIPTION = 160
#: A fragment of a secret at least this long is masked wherever it shows up in server text.
_MIN_FRAGMENT = 8
_ERROR_CODE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")
_TOKEN_FIELDS = ("access_token", "refresh_token", "id_token")


def _basic_pair(client_id: str, secret: str) -> str:
    """The `client_secret_basic` credentials: form-urlencoded ID and secret, joined by a colon."""
    return f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode("utf-8")).decode("ascii")


class _Client:
    def __init__(self, url: str, client_id: str, client_secret: str, timeout: float) -> None:
        self.url = url
        self.client_id = client_id
        self.secret = client_secret
        self.timeout = timeout
        handlers: list[Any] = [_NoRedirect()]
        if _is_loopback(urllib.parse.urlsplit(url).hostname or ""):
            handlers.append(urllib.request.ProxyHandler({}))
        self.opener = urllib.request.build_opener(*handlers)
        self.requests = 0
        #: Every spelling of the secret that goes on the wire, and every token received.
        self._sensitive: set[str] = set()
        #: The same without the client ID in clear: any long fragment of these is masked too.
        self._fragments: set[str] = set()
        if client_secret:
            self._add_secret_forms(client_id, client_secret)

    def _add_secret_forms(self, client_id: str, secret: str) -> None:
        forms = {
            secret,
            urllib.parse.quote_plus(secret),
            urllib.parse.quote(secret, safe=""),
            urllib.parse.quote(secret),
            html.escape(secret),
            json.dumps(secret)[1:-1],
        }
        pairs = (_basic_pair(client_id, secret), f"{client_id}:{secret}")
        encoded = {e for pair in pairs for e in (_b64(pair), _b64(pair).rstrip("="))}
        self._sensitive |= {f for f in forms | encoded | set(pairs) if f}
        self._fragments |= {f for f in forms | encoded if f}

    def _remember_token(self, token: str) -> None:
        self._sensitive.add(token)
        self._fragments.add(token)

    def _mask(self, text: str) -> str:
        """Replace every known secret or token spelling, and any long fragment of one, by [secret]."""
        for form in sorted(self._sensitive, key=len, reverse=True):
            text = re.sub(re.escape(form), "[secret]", text, flags=re.IGNORECASE)
        forms = [f.lower() for f in self._fragments if len(f) >= _MIN_FRAGMENT]
        if not forms:
            return text
        out: list[str] = []
        low = text.lower()
        i = 0
        while i < len(text):
            k = _MIN_FRAGMENT
            if i + k <= len(text) and any(low[i : i + k] in f for f in forms):
                while i + k < len(text) and any(low[i : i + k + 1] in f for f in forms):
                    k += 1
                out.append("[secret]")
                i += k
            else:
                out.append(text[i])
                i += 1
        return "".join(out)

    def _clean(self, text: str, limit: int = 200) -> str:
        """One line, no secret (in any encoding), no token, no key-like text, bounded."""
        text = " ".join(str(text)[: 4 * _MAX_SHOWN].split())
        text = scrub(self._mask(text))
        return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"

    def _error_code(self, error: Any, status: int) -> str:
        """The OAuth `error` code when it looks like one (RFC 6749: a short word), else http_<status>."""
        code = self._clean(str(error), 64) if isinstance(error, str) else ""
        return code if _ERROR_CODE.fullmatch(code) else f"http_{status}"

    def ask(self, scopes: Sequence[str], method: str) -> _Answer:
        form = {"grant_type": "client_credentials", "scope": " ".join(scopes)}
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
            "User-Agent": "celonis-oauth-migrator verify-client",
        }
        if method == "client_secret_basic":
            headers["Authorization"] = "Basic " + _b64(_basic_pair(self.client_id, self.secret))
        else:
            form.update(client_id=self.client_id, client_secret=self.secret)
        request = urllib.request.Request(
            self.url, data=urllib.parse.urlencode(form).encode("ascii"), headers=headers, method="POST"
        )
        self.requests += 1
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                return self._answer(response.status, response.read(_MAX_RESPONSE))
        except urllib.error.HTTPError as exc:
            try:
                body = exc.read(_MAX_RESPONSE)
            except OSError:
                body = b""
            return self._answer(exc.code, body)
        except MigratorError:
            raise
        except urllib.error.URLError as exc:
            raise MigratorError(f"cannot reach {self.url}: {self._clean(str(exc.reason))}") from None
        except (OSError, ValueError) as exc:
            raise MigratorError(
                f"cannot reach {self.url}: {self._clean(str(exc) or type(exc).__name__)}"
            ) from None

    def _answer(self, status: int, body: bytes) -> _Answer:
        try:
            data = json.loads(body.decode("utf-8")) if body else {}
        except (UnicodeDecodeError, json.JSONDecodeError):
            data = None
        if not isinstance(data, dict):
            if status == 200:
                raise MigratorError(
                    f"unexpected answer from {self.url} (HTTP 200, not a JSON token response)"
                )
            return _Answer(status, f"http_{status}", "", None)
        for field in _TOKEN_FIELDS:
            if isinstance(data.get(field), str) and data[field]:
                self._remember_token(data[field])  # never shown, even if a later answer echoes it
        if status == 200 and data.get("access_token"):
            scope = data.get("scope")
            if isinstance(scope, list):
                granted: Optional[tuple[str, ...]] = tuple(str(s) for s in scope)
            elif isinstance(scope, str):
                granted = tuple(scope.split())
            else:
                granted = None
            return _Answer(200, None, "", granted)  # the token itself is dropped here
        description = data.get("error_description")
        return _Answer(
            status,
            self._error_code(data.get("error"), status),
            self._clean(description, MAX_DESCRIPTION) if isinstance(description, str) else "",
            None,
        )


def _fail(answer: _Answer, url: str) -> MigratorError:
    if answer.error == "invalid_client":
        return MigratorError(
            f"{url} refused the client credentials (invalid_client): check CELONIS_CLIENT_ID, "
            f"CELONIS_CLIENT_SECRET and the client authentication method (--auth-method)"
        )
    detail = f": {answer.description}" if answer.description else ""
    return MigratorError(f"token request to {url} failed (HTTP {answer.status}, {answer.error}){detail}")


def verify_client(
    team_url: str,
    scopes: Sequence[str],
    *,
    client_id: str,
    client_secret: str,
    auth_method: str = "auto",
    timeout: float = 30.0,
) -> VerifyResult:
    """Which of `scopes` the client is granted, asking the token endpoint (never prints or keeps a token)."""
    if not client_id or not client_secret:
        raise MigratorError(
            "set CELONIS_CLIENT_ID and CELONIS_CLIENT_SECRET to the OAuth client's credentials"
        )
    if auth_method not in ("auto", *AUTH_METHODS):
        raise MigratorError(
            f"unknown client authentication method {auth_method!r}; expected auto or "
            f"{' or '.join(AUTH_METHODS)}"
        )
    url = token_url(team_url)
    requested, warnings = planned_scopes(" ".join(scopes))
    if not requested:
        raise MigratorError("no scopes to check: the plan has none (only blockers?) or --scopes is empty")
    client = _Client(url, client_id, client_secret, timeout)
    methods = list(AUTH_METHODS) if auth_method == "auto" else [auth_method]
    answer = None
    method = methods[0]
    for method in methods:
        answer = client.ask(requested, method)
        if answer.error != "invalid_client":
            break
    assert answer is not None
    if answer.status == 200:
        granted = tuple(s for s in requested if answer.scopes is None or s in answer.scopes)
        return VerifyResult(
            url,
            method,
            requested,
            granted,
            tuple(s for s in requested if s not in granted),
            whole_set=not (set(requested) - set(granted)),
            requests=client.requests,
            warnings=warnings,
        )
    if answer.error != "invalid_scope":
        raise _fail(answer, url)
    granted_list: list[str] = []
    missing: list[str] = []
    for scope in requested:
        single = client.ask([scope], method)
        if single.status == 200 and (single.scopes is None or scope in single.scopes):
            granted_list.append(scope)
        elif single.status == 200 or single.error == "invalid_scope":
            missing.append(scope)
        else:
            raise _fail(single, url)
    return VerifyResult(
        url,
        method,
        requested,
        tuple(granted_list),
        tuple(missing),
        whole_set=False,
        requests=client.requests,
        warnings=warnings,
    )


def result_text(result: VerifyResult, client_id: str) -> str:
    """The human-readable answer: granted and missing scopes; never a secret or a token."""
    lines = [f"Token endpoint: {result.token_url} ({result.auth_method}), client {client_id}"]
    lines += [f"  granted  {s}" for s in result.granted]
    lines += [f"  missing  {s}" for s in result.missing]
    n, total = len(result.granted), len(result.requested)
    if result.missing:
        lines.append(
            f"{n} of {total} planned scopes granted. Add the missing ones to the client under "
            "Admin & Settings > Applications, then run verify-client again."
        )
    else:
        lines.append(f"All {total} planned scopes granted.")
    lines.append(
        "Permissions (team, data pool, package) cannot be checked with a token request: "
        "confirm them in Celonis and record them in granted.yaml."
    )
    lines += [f"warning: {w}" for w in result.warnings]
    return scrub("\n".join(lines) + "\n")


def result_json(result: VerifyResult) -> str:
    return (
        scrub(
            json.dumps(
                {
                    "token_url": result.token_url,
                    "auth_method": result.auth_method,
                    "requested": list(result.requested),
                    "granted": list(result.granted),
                    "missing": list(result.missing),
                    "whole_set": result.whole_set,
                    "requests": result.requests,
                    "warnings": list(result.warnings),
                },
                indent=2,
            )
        )
        + "\n"
    )
