"""URL + method -> Endpoint: is this a Celonis call, which API row, which resource.

Detectors hand over URLs whose unknown pieces are placeholders (`{name}`, `{}`, `${VAR}`,
`$VAR`, `{{var}}`, `%VAR%`, and `<team>` as docs write it). Everything here is a pure
function of its arguments and the API table, so each rule can be tested on its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrator.apitable import ApiRow, ApiTable, PathPattern, ResourceSpec, default_table
from migrator.types import Endpoint, Resource

#: A team host (celonis-apis.md §3.1): any team, any realm or none, scheme optional. No realm
#: allowlist, because dedicated and new realms keep appearing. ASCII only, so that look-alike
#: letters (dotless i, Kelvin sign) cannot case-fold into a match.
TEAM_HOST = re.compile(
    r"(?i)(?<![\w.-])(?:https?://)?(?P<team>[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)\."
    r"(?:(?P<realm>[a-z0-9-]+)\.)?celonis\.cloud(?![\w-]|\.\w)",
    re.ASCII,
)

#: Celonis hosts that are not team APIs: browser login, the pycelonis package index, SFTP/SSH
#: and data-ingestion endpoints seen in DNS data.
_NOT_TEAMS = frozenset({"id", "pypi", "sftp", "ssh", "data-ingestion"})

#: Every spelling of a placeholder and its `{name}` form, most specific first. `$metadata`-style
#: OData system resources are path segments, not shell variables.
_SPELLINGS = (
    (re.compile(r"\$\{\{\s*([^{}]*?)\s*\}\}"), r"{\1}"),  # ${{ secrets.X }}
    (re.compile(r"\{\{\s*([^{}]*?)\s*\}\}"), r"{\1}"),  # {{var}}
    (re.compile(r"\$\{\s*([^{}]*?)\s*\}"), r"{\1}"),  # ${VAR}
    (re.compile(r"\$env:([A-Za-z_]\w*)"), r"{\1}"),  # $env:VAR
    (re.compile(r"\$(?!(?:metadata|batch|count|value)\b)([A-Za-z_]\w*)"), r"{\1}"),  # $VAR
    (re.compile(r"%(?![0-9A-Fa-f]{2}%)([A-Za-z_]\w*)%"), r"{\1}"),  # %VAR%, not %E2%82
    (re.compile(r"<([A-Za-z_][\w-]*)>"), r"{\1}"),  # <team>, as Celonis docs write it
    (re.compile(r"\{\s*([^{}]*?)\s*\}"), r"{\1}"),  # { name }
)
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*)://")
_PORT = re.compile(r":(?:\d+|\{[^{}]*\})$")
_ID_SEGMENT = re.compile(
    r"^(?:[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}|\d+)$"
)
_READ_METHODS = ("GET", "HEAD")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
#: Joins the notes of a Resource; single notes never contain it, so merged plans can split them.
NOTE_SEPARATOR = "; "

#: Service path prefixes of celonis-apis.md §3.2 (plus the SCIM docs' /api/user-provisioning).
_CELONIS_PREFIXES = tuple(
    tuple(prefix.strip("/").split("/"))
    for prefix in (
        "/oauth2/token",
        "/oauth2/authorize",
        "/log/api/external",
        "/platform-adoption/api/external",
        "/api/external",
        "/api/authorization/external",
        "/user-provisioning",
        "/scim/v2",
        "/api/user-provisioning",
        "/intelligence/api",
        "/studio-copilot/api/v1/mcp-servers",
        "/machine-learning/api",
        "/continuous-batch-processing/api/v1",
        "/integration/api",
        "/data-ingestion/api",
        "/realtime-integration/api",
        "/package-manager/api",
        "/pacman/api",
        "/semantic-layer/api",
        "/blueprint/api",
        "/action-engine/api",
        "/storage-manager/api",
        "/ems-automation/api",
        "/api/cloud",
        "/api/team",
        "/process-analytics",
        "/pql-language",
        "/process-automation",
        "/process-automation-v2",
        "/process-mining",
        "/process-repository",
        "/transformation-center",
        "/cpm-ems-migrator",
    )
)
_OAUTH = ("oauth2",)
_TOKEN_PATH = "/oauth2/token"


def normalise_placeholders(text: str) -> str:
    """Rewrite every placeholder spelling as `{name}` (`{}` stays nameless)."""
    for pattern, replacement in _SPELLINGS:
        text = pattern.sub(replacement, text)
    return text


def _is_placeholder(text: str) -> bool:
    return _PLACEHOLDER.fullmatch(text) is not None


def _lower_host(host: str) -> str:
    """Lower-case a host's ASCII letters, keeping placeholder names as the code spelled them.

    ASCII only: str.lower() would turn look-alikes such as the Kelvin sign into real letters.
    """
    pieces = re.split(r"(\{[^{}]*\})", host)
    return "".join(p if _is_placeholder(p) else p.translate(_ASCII_LOWER) for p in pieces)


def _clean_host(host: str) -> str:
    host = host.rpartition("@")[2]  # never keep user:password@
    return _lower_host(_PORT.sub("", host).rstrip("."))


def _split(url: str) -> tuple[str | None, str | None, str]:
    """(scheme, host, raw path) of a URL, host-and-path or path, after placeholder normalising.

    A host that is only a placeholder (`https://{host}/x`, `{BASE}/x`) is an unknown origin:
    host None, so that the path alone decides.
    """
    text = normalise_placeholders(url.strip())
    text = re.split(r"[?#]", text, maxsplit=1)[0]
    scheme = None
    found = _SCHEME.match(text)
    if found:
        scheme, text = found.group(1).lower(), text[found.end() :]
    elif text.startswith("//"):
        text = text[2:]
    elif text.startswith("/"):
        return None, None, text
    first, _, rest = text.partition("/")
    if found or text.startswith("{") or "." in first:
        host = _clean_host(first)
        return scheme, (None if _is_placeholder(host) or not host else host), "/" + rest
    return None, None, "/" + text


def _clean_path(path: str) -> str:
    path = re.sub(r"/{2,}", "/", path).rstrip("/")
    return path or "/"


def normalise(url_or_path: str) -> tuple[str | None, str]:
    """(host or None, path): placeholders as `{name}`, no query, fragment, `//` or trailing `/`."""
    _, host, path = _split(url_or_path)
    return host, _clean_path(path)


def join_url(base: str, path: str) -> str:
    """Join a client's base URL and a request path the way HTTP clients with a base URL do.

    A path that repeats the base's own path (base `.../intelligence/api`, path
    `/intelligence/api/knowledge-models`) is not doubled: no Celonis API lives at a doubled prefix.
    """
    if _SCHEME.match(path.strip()) or path.strip().startswith("//"):
        return path
    scheme, host, base_path = _split(base)
    base_path = _clean_path(base_path).rstrip("/")
    tail = "/" + path.strip().lstrip("/") if path.strip() else ""
    if base_path and (tail == base_path or tail.startswith(base_path + "/")):
        base_path = ""
    origin = f"{scheme or 'https'}://{host}" if host else ""
    return origin + base_path + tail


def is_team_host(host: str, extra_hosts: Iterable[str] = ()) -> bool:
    """True for `<team>[.<realm>].celonis.cloud`, templated labels included, and `extra_hosts`.

    `extra_hosts` are exact names of private or dedicated realms from the user's config.
    """
    _, name, _ = _split(host if "/" in host else host + "/")
    if name is None:
        return False
    if name in {_clean_host(h) for h in extra_hosts}:
        return True
    concrete = _PLACEHOLDER.sub("x", name)
    found = TEAM_HOST.fullmatch(concrete)
    return found is not None and found.group("team").lower() not in _NOT_TEAMS


def _segments(path: str) -> tuple[str, ...]:
    return tuple(s for s in path.split("/") if s)


def is_celonis_path(path: str) -> bool:
    """True when the path starts with a Celonis service prefix (§3.2), segment by segment."""
    segments = _segments(normalise(path)[1])
    return any(segments[: len(prefix)] == prefix for prefix in _CELONIS_PREFIXES)


def is_oauth_token_url(url: str, extra_hosts: Iterable[str] = ()) -> bool:
    """True for `<team host>/oauth2/token`. The path alone is no evidence: every OAuth server has it."""
    host, path = normalise(url)
    return path == _TOKEN_PATH and host is not None and is_team_host(host, extra_hosts)


def package_key(km_id: str) -> str | None:
    """The package key of a KM ID `<packageKey>.<kmKey>` (inferred from the spec's examples)."""
    key, dot, rest = km_id.partition(".")
    return key if dot and key and rest else None


def best_match(table: ApiTable, method: str, path: str) -> tuple[ApiRow, PathPattern, dict[str, str]] | None:
    """The row and pattern that match `path` most specifically among those whose methods fit."""
    best = None
    for row in table.rows:
        for pattern in row.paths:
            if not pattern.fits(method):
                continue
            params = pattern.match(path)
            if params is not None and (best is None or pattern.specificity > best[1].specificity):
                best = (row, pattern, params)
    return best


def _generalise(tail: str) -> str:
    """Replace UUIDs and numbers in a path tail by `{id}`, so that templates group calls."""
    return "".join("/" + ("{id}" if _ID_SEGMENT.match(s) else s) for s in _segments(tail))


def _render(pattern: PathPattern, params: dict[str, str], *, literal: bool) -> str:
    """The pattern with its parameters filled: literal IDs (when `literal`) or `{param}`."""

    def fill(found: re.Match[str]) -> str:
        value = params.get(found.group(1), "")
        return value if literal and value and "{" not in value else found.group(0)

    tail = params.get("tail", "")
    return re.sub(r"\{(\w+)\}", fill, pattern.base) + (tail if literal else _generalise(tail))


def _resource(spec: ResourceSpec, params: dict[str, str]) -> Resource:
    """Resource with the literal ID, or the placeholder and where the code takes it from.

    The row's own note is always true for its paths; "not visible in code" is added only when
    the path carries no ID.
    """
    value = params.get(spec.param) if spec.param else None
    notes = [spec.note] if spec.note else []
    literal = value if value and "{" not in value else None
    placeholder = f"{{{spec.param}}}" if value and literal is None else None
    if placeholder and value not in (placeholder, "{}"):
        notes.append(f"ID from {value} in the code")
    if value is None and spec.type != "team" and not spec.note:
        notes.append(f"{spec.type.replace('_', ' ')} not visible in code")
    if spec.type == "knowledge_model" and value:
        key = package_key(literal) if literal else None
        if key:
            notes.append(f"package key {key} (from KM ID {literal}, inferred)")
        elif literal:
            notes.append("package not visible in code (the KM ID has no package prefix)")
        else:
            notes.append(f"package key: the part of {placeholder} before the first '.' (inferred)")
    return Resource(spec.type, literal, placeholder, NOTE_SEPARATOR.join(notes) or None)


_STATUS = {"D": "documented", "C": "inferred", "I": "inferred", "B": "blocker"}


def map_endpoint(
    method: str,
    url: str,
    *,
    line: int = 0,
    extra_hosts: Iterable[str] = (),
    table: ApiTable | None = None,
) -> Endpoint | None:
    """Map one call to its API row; None when the URL is not a Celonis API call.

    Not Celonis: a host that is not a team host, or no host and no Celonis service path. The
    OAuth endpoints (`/oauth2/...`) need no scope and are left to `is_oauth_token_url`. A Celonis
    path with no row is kept as status "unknown", never dropped.
    """
    scheme, host, raw_path = _split(url)
    path = _clean_path(raw_path)
    if host is not None and not is_team_host(host, extra_hosts):
        return None
    if (host is None and not is_celonis_path(path)) or _segments(path)[:1] == _OAUTH:
        return None
    method = method.strip().upper() or "?"
    origin = f"{scheme or 'https'}://{host}" if host else None
    found = best_match(table or default_table(), method, path)
    if found is None:
        template = _generalise(path) or "/"
        return Endpoint(
            method,
            origin and origin + path,
            template,
            host=host,
            line=line,
            status="unknown",
            basis="U",
            note="no known OAuth scope",
        )
    row, pattern, params = found
    permissions = (
        row.read_permissions if method in _READ_METHODS and row.read_permissions else row.permissions
    )
    return Endpoint(
        method=method,
        url=origin and origin + _render(pattern, params, literal=True),
        path=_render(pattern, params, literal=False),
        api=row.id,
        api_name=row.name,
        scopes=(row.scope,) if row.scope else (),
        permissions=permissions,
        resource=_resource(pattern.resource or row.resource, params),
        status=_STATUS[row.status],
        basis=row.status,
        host=host,
        note=row.note,
        line=line,
    )
