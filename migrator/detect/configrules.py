"""What, in a configuration tree, is a static Celonis key: the rules every config format shares.

Decided per value, not per file type (usage-patterns.md §3, §7, §8):
- an `Authorization` value with the `AppKey`/`Bearer` scheme aimed at a Celonis host;
- the Kafka EMS connector's `connect.ems.authorization.key`;
- a key-named entry (`CELONIS_API_TOKEN`, `celonis.app-key`, `API_TOKEN` next to a team URL).

Generic names (`API_TOKEN`, `appKey`) need Celonis context in the same mapping or file; a
reference (`${VAR}`, `${{ secrets.X }}`) is a key source, not a literal; a JWT is OAuth.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Iterable, Optional

from migrator import endpoints as ep
from migrator import redact
from migrator.detect.cfgtree import (
    Entry,
    Mapping,
    Node,
    Scalar,
    Sequence,
    entries_of,
    iter_entries,
    iter_scalars,
)
from migrator.findings import make_finding
from migrator.types import Endpoint, Finding, KeySource

RULE_KEY = "celonis-key-in-config"
RULE_HEADER = "celonis-auth-header-in-config"
RULE_KAFKA = "kafka-ems-static-key"

#: Cheap keyword check shared by the config detectors: can this file hold a finding at all?
KEYWORDS = re.compile(
    r"(?i)celonis|app[-_.]?key|api[-_.]?token|authorization|bearer|connect\.ems|content-cli")

KAFKA_KEY = "connect.ems.authorization.key"
KAFKA_ENDPOINT = "connect.ems.endpoint"
KAFKA_PATH = "/continuous-batch-processing/api/v1/{poolId}/items"
KAFKA_NOTE = ("Kafka EMS sink connector: the connector takes a fixed header value; keep the key until an "
              "OAuth-capable connector exists (a pasted OAuth token expires after 15 minutes)")
ANY_TEAM = "https://<team>.<realm>.celonis.cloud"

_SCHEME = re.compile(r"(?i)^(AppKey|Bearer)(?:\s+(.*))?$", re.S)
_URL = re.compile(r"(?i)\bhttps?://[^\s\"'<>`,;]+")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_OAUTH_NAME = re.compile(r"(?i)access[_-]?token|oauth|jwt|id[_-]?token")
_GH_EXPR = re.compile(r"^\$\{\{\s*([\w.\-\[\]'\"]+)\s*\}\}$")
_DOLLAR_BRACE = re.compile(r"^\$\{([^{}]+)\}$")
_SIMPLE_REF = re.compile(r"^(?:\$env:|\$)([A-Za-z_]\w*)$|^%([A-Za-z_]\w*)%$")
_TEMPLATE = re.compile(r"^\{\{\s*([^{}]+?)\s*\}\}$|^\(\(\s*([^()]+?)\s*\)\)$")
_DEFAULT_SPLIT = re.compile(r"^([A-Za-z_][\w.\-]*)(?::?[-=?+]|:)(.*)$", re.S)
#: Config-provider references (Kafka Connect `${file:...}`, Vault, cloud secret managers).
_PROVIDERS = ("file", "directory", "vault", "aws", "azure", "gcp", "secret", "secrets", "k8s")
#: The words of a name: separators and camelCase split; run-together known words split too.
_KNOWN_WORDS = ("celonis", "api", "app", "key", "token", "user", "auth", "type", "url", "kind")
_KNOWN = re.compile("|".join(_KNOWN_WORDS))
_GLUED = re.compile(f"(?:{'|'.join(_KNOWN_WORDS)})+")
_KEY_WORDS = frozenset({"key", "token"})
_NOT_KEY_WORDS = frozenset({
    "type", "kind", "url", "uri", "endpoint", "host", "path", "file", "dir", "oauth", "oauth2", "client",
    "access", "refresh", "expires", "expiry", "expiration", "scope", "scopes", "id", "name", "header",
    "prefix", "length", "version", "method", "ttl",
})
_KEY_TYPE_NAMES = frozenset({"celoniskeytype", "keytype", "authenticationtype"})
_LORAWAN_KEYS = frozenset({"deveui", "appeui", "joineui", "nwkkey", "devaddr", "appskey", "nwkskey"})


@dataclass(frozen=True)
class KeyValue:
    """What a config value says about the key: its source, and the raw literal if one is visible."""

    source: KeySource
    #: Raw literal for make_finding to classify and drop; None for references.
    literal: Optional[str] = None
    #: Schemes written in the value itself (`AppKey <key>`, Kafka's header value).
    schemes: tuple[str, ...] = ()
    #: Credential names the value implies (`env:X` for `${X}`, `secret:Y` for a secret reference).
    names: tuple[str, ...] = ()


@dataclass(frozen=True)
class FileContext:
    """What the whole file says, computed once per file."""

    path: str
    #: The file kind; it is every finding's `language`.
    kind: str
    extra_hosts: tuple[str, ...]
    #: True when the file shows Celonis evidence (team-host URL, CELONIS_URL, pycelonis, content-cli...).
    celonis: bool
    #: The first team URL in the file (for the notes), else a template.
    team_url: str
    #: Celonis API URLs of the file with their lines: endpoint evidence of last resort.
    urls: tuple[tuple[str, int], ...]
    #: True when the file configures pycelonis (CELONIS_URL / CELONIS_KEY_TYPE / pycelonis).
    pycelonis: bool
    #: Schemes from the only key-type setting of the file, if there is exactly one.
    key_type: tuple[str, ...] = ()


def build_context(path: str, kind: str, roots: Iterable[Node], text: str,
                  extra_hosts: tuple[str, ...]) -> FileContext:
    """Scan the file once for Celonis evidence, team URLs and key-type settings."""
    roots = list(roots)
    urls: list[tuple[str, int]] = []
    team_url = ""
    names: set[str] = set()
    key_types: set[tuple[str, ...]] = set()
    for root in roots:
        for scalar in iter_scalars(root):
            for url in urls_in(scalar.value or ""):
                if is_celonis_url(url, extra_hosts):
                    team_url = team_url or origin_of(url)
                    urls.append((url, scalar.line))
        for entry in iter_entries(root):
            names.add(norm(entry.name))
            if norm(entry.name) in _KEY_TYPE_NAMES and isinstance(entry.value, Scalar):
                schemes = schemes_of_key_type(entry.value.value)
                if schemes:
                    key_types.add(schemes)
    lowered = text.lower()
    pycelonis = "pycelonis" in lowered or bool(names & {"celonisurl", "celoniskeytype", "celonisapitoken"})
    celonis = bool(urls) or pycelonis or "content-cli" in lowered or "connect.ems." in lowered
    return FileContext(
        path=path, kind=kind, extra_hosts=extra_hosts, celonis=celonis, team_url=team_url or ANY_TEAM,
        urls=tuple(urls), pycelonis=pycelonis,
        key_type=next(iter(key_types)) if len(key_types) == 1 else (),
    )


# --- small pure helpers ----------------------------------------------------------------------


def words(name: str) -> list[str]:
    """`celonisAppKey` -> celonis, app, key; `CELONIS_KEY_TYPE` -> celonis, key, type; `apitoken` -> api, token.

    Splitting glued known words lets `celonisapikey` count; `keyboard` stays one word.
    """
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", name)
    out: list[str] = []
    for word in re.split(r"[^A-Za-z0-9]+", spaced.lower()):
        if word:
            out.extend(_KNOWN.findall(word) if _GLUED.fullmatch(word) else [word])
    return out


def norm(name: str) -> str:
    """Case and separators removed, so that `api-token`, `api_token` and `apiToken` compare equal."""
    return re.sub(r"[^a-z0-9]", "", name.lower())


def name_class(path: tuple[str, ...]) -> Optional[str]:
    """"official", "celonis" or "generic" for a key-named entry, else None.

    The last key must name a key or token (not its type, URL, file or an OAuth value; a bare
    `key` is too often the *name* of a key); "celonis" may appear anywhere on the path
    (`celonis: {api_token: ...}`).
    """
    last = words(path[-1])
    if not _KEY_WORDS & set(last) or _NOT_KEY_WORDS & set(last) or last == ["key"]:
        return None
    if norm(path[-1]) == "celonisapitoken":
        return "official"
    if any("celonis" in w for part in path for w in words(part)):
        return "celonis"
    if last in (["api", "token"], ["app", "key"]):
        return "generic"
    return None


def schemes_of_key_type(value: Optional[str]) -> tuple[str, ...]:
    """pycelonis KeyType or content-cli authenticationType -> schemes.

    APP_KEY / AppKey -> AppKey; USER_KEY / BEARER / Bearer -> Bearer.
    """
    kind = norm((value or "").rsplit(".", 1)[-1])
    if kind == "appkey":
        return ("AppKey",)
    if kind in ("userkey", "bearer"):
        return ("Bearer",)
    return ()


def urls_in(value: str) -> list[str]:
    """http(s) URLs in a value; a bare team host (`acme.eu-1.celonis.cloud`) counts as one."""
    found = _URL.findall(value)
    if not found:
        host = ep.TEAM_HOST.search(value)
        if host:
            found = [host.group(0)]
    return found


def is_celonis_url(url: str, extra_hosts: Iterable[str] = ()) -> bool:
    host, _ = ep.normalise(url)
    return host is not None and ep.is_team_host(host, extra_hosts)


def origin_of(url: str) -> str:
    host, _ = ep.normalise(url)
    return f"https://{host}"


def strip_quotes(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
        return value[1:-1]
    return value


def env_name_ok(name: str) -> bool:
    return bool(_ENV_NAME.match(name))


# --- values ------------------------------------------------------------------------------------


def read_value(raw: Optional[str], where: str) -> Optional[KeyValue]:
    """Interpret a config value: scheme prefix, reference or literal. None for a JWT or an OAuth value."""
    if raw is None:
        return None
    value = strip_quotes(raw)
    schemes: tuple[str, ...] = ()
    found = _SCHEME.match(value)
    if found:
        schemes = ("AppKey",) if found.group(1).lower() == "appkey" else ("Bearer",)
        value = (found.group(2) or "").strip()
    if value.startswith("eyJ") and value.count(".") == 2:
        return None
    ref = read_reference(value)
    if ref is None:
        return KeyValue(KeySource("literal", where), value, schemes)
    if ref.source.name and _OAUTH_NAME.search(ref.source.name):
        return None
    return replace(ref, schemes=schemes)


def read_reference(value: str) -> Optional[KeyValue]:
    """`${{ secrets.X }}`, `${X}`, `${X:-default}`, `${file:...}`, `$X`, `%X%`, `{{ x }}` -> key source."""
    found = _GH_EXPR.match(value)
    if found:
        expr = found.group(1)
        head, _, name = expr.partition(".")
        if head == "secrets":
            return KeyValue(KeySource("secret-reference", name), names=(f"secret:{name}",))
        if head in ("env", "vars"):
            return KeyValue(KeySource("env", name), names=(f"env:{name}",))
        return KeyValue(KeySource("unknown", expr))
    found = _DOLLAR_BRACE.match(value)
    if found:
        return _dollar_brace(found.group(1).strip())
    found = _SIMPLE_REF.match(value)
    if found:
        name = found.group(1) or found.group(2)
        return KeyValue(KeySource("env", name), names=(f"env:{name}",))
    found = _TEMPLATE.match(value)
    if found:
        name = (found.group(1) or found.group(2)).strip()
        return KeyValue(KeySource("config", name))
    return None


def _dollar_brace(body: str) -> KeyValue:
    """The body of `${...}`: a config provider, an env variable with a default, or a property."""
    provider, colon, rest = body.partition(":")
    if colon and provider.lower() == "env":
        return KeyValue(KeySource("env", rest), names=(f"env:{rest}",))
    if colon and provider.lower() in _PROVIDERS and not rest.startswith(("-", "?", "=", "+")):
        return KeyValue(KeySource("secret-reference", body), names=(f"secret:{body}",))
    split = _DEFAULT_SPLIT.match(body)
    name, default = (split.group(1), split.group(2)) if split else (body, "")
    literal = default if redact.classify_literal(default) in ("real-shape", "unexpected-shape") else None
    if "." in name:  # Spring `${celonis.app-key}`: another property
        return KeyValue(KeySource("config", name), literal, names=(f"config:{name}",))
    return KeyValue(KeySource("env", name), literal, names=(f"env:{name}",))


# --- context -----------------------------------------------------------------------------------


def direct_scalars(group: Node) -> list[Scalar]:
    """The scalar values a mapping or name/value list holds directly."""
    if isinstance(group, Sequence):
        own = [item for item in group.items if isinstance(item, Scalar)]
        return own + [e.value for e in entries_of(group, (), ()) if isinstance(e.value, Scalar)]
    if isinstance(group, Mapping):
        return [v for _, v in group.items if isinstance(v, Scalar)]
    return []


def group_has_context(group: Node, extra_hosts: tuple[str, ...]) -> bool:
    """The same mapping shows Celonis: a team-host URL, CELONIS_URL, or a key-type setting."""
    for entry in entries_of(group, (), ()):
        n = norm(entry.name)
        if n in ("celonisurl", "celonisbaseurl", "celonisteam") or n in _KEY_TYPE_NAMES:
            return True
    return any(is_celonis_url(u, extra_hosts) for s in direct_scalars(group) for u in urls_in(s.value or ""))


def is_device_record(group: Node) -> bool:
    """A LoRaWAN / IoT device record: its `appKey` is a radio key, not an HTTP credential."""
    return bool({norm(e.name) for e in entries_of(group, (), ())} & _LORAWAN_KEYS)


def nearest_urls(entry: Entry) -> tuple[list[tuple[str, int]], str]:
    """URLs of the closest enclosing mapping that has any, and the HTTP method written beside them."""
    for node in reversed(entry.ancestors):
        found = [(u, s.line) for s in direct_scalars(node) for u in urls_in(s.value or "")]
        if found:
            methods = [strip_quotes(e.value.value or "") for e in entries_of(node, (), ())
                       if norm(e.name) in ("method", "verb", "httpmethod") and isinstance(e.value, Scalar)]
            return found, (methods[0].upper() if methods else "") or "*"
    return [], "*"


def map_urls(urls: Iterable[tuple[str, int]], method: str,
             extra_hosts: tuple[str, ...]) -> tuple[Endpoint, ...]:
    """Celonis API calls among the URLs (base URLs and UI links are not calls), without duplicates."""
    out: dict[tuple[str, str, Optional[str]], Endpoint] = {}
    for url, line in urls:
        if not ep.is_celonis_path(ep.normalise(url)[1]):
            continue
        found = ep.map_endpoint(method, url, line=line, extra_hosts=extra_hosts)
        if found is not None:
            out.setdefault((found.method, found.path, found.url), found)
    return tuple(out.values())


def target(entry: Entry, ctx: FileContext) -> tuple[Optional[str], tuple[Endpoint, ...]]:
    """("high" | "medium" confidence, endpoints) when the value goes to Celonis, else (None, ())."""
    urls, method = nearest_urls(entry)
    if urls:
        if not any(is_celonis_url(u, ctx.extra_hosts) for u, _ in urls):
            return None, ()
        return "high", map_urls(urls, method, ctx.extra_hosts)
    if ctx.celonis:
        return "medium", map_urls(ctx.urls, "*", ctx.extra_hosts)
    return None, ()


def key_type_schemes(group: Node) -> tuple[str, ...]:
    """Schemes from a sibling CELONIS_KEY_TYPE / key_type / authenticationType."""
    for entry in entries_of(group, (), ()):
        if norm(entry.name) in _KEY_TYPE_NAMES and isinstance(entry.value, Scalar):
            schemes = schemes_of_key_type(entry.value.value)
            if schemes:
                return schemes
    return ()


# --- notes -------------------------------------------------------------------------------------


def scope_text(endpoints: Iterable[Endpoint]) -> str:
    scopes = sorted({s for e in endpoints if e.status != "blocker" for s in e.scopes})
    return " ".join(scopes) if scopes else "<the scopes of the plan>"


def env_replacement(name: str, ctx: FileContext, endpoints: tuple[Endpoint, ...], content_cli: bool) -> str:
    """The exact variables to add and delete for an environment entry."""
    if content_cli:
        return (f"content-cli reads TEAM_URL + {name} as a key profile and has no environment form for "
                "OAuth: write a 'Client Credentials' profile at run time from CELONIS_CLIENT_ID / "
                f"CELONIS_CLIENT_SECRET secrets, then delete {name}")
    if ctx.pycelonis or name == "CELONIS_API_TOKEN":
        return (f"set OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_SCOPES=\"{scope_text(endpoints)}\" and "
                f"CELONIS_KEY_TYPE=BEARER; delete {name}: pycelonis keeps preferring CELONIS_API_TOKEN over "
                "the OAUTH_* variables while it is set")
    return (f"set CELONIS_CLIENT_ID and CELONIS_CLIENT_SECRET (an OAuth client with scopes "
            f"\"{scope_text(endpoints)}\"), fetch tokens from {ctx.team_url}/oauth2/token with "
            f"grant_type=client_credentials and send 'Authorization: Bearer <token>'; delete {name}")


def config_replacement(path: str, ctx: FileContext, endpoints: tuple[Endpoint, ...]) -> str:
    return (f"replace {path} with client_id / client_secret read from CELONIS_CLIENT_ID / "
            f"CELONIS_CLIENT_SECRET (or a secret store), request scopes \"{scope_text(endpoints)}\" from "
            f"{ctx.team_url}/oauth2/token and drop any key-type setting; delete {path}")


def header_replacement(scheme: str, ctx: FileContext, endpoints: tuple[Endpoint, ...]) -> str:
    return (f"replace '{scheme} <key>' with 'Bearer <access token>', the token fetched from "
            f"{ctx.team_url}/oauth2/token (grant_type=client_credentials, scope \"{scope_text(endpoints)}\", "
            "client id and secret from CELONIS_CLIENT_ID / CELONIS_CLIENT_SECRET) and refreshed before it "
            "expires")


def source_note(value: KeyValue) -> Optional[str]:
    """What to do with the place the key is kept."""
    if value.source.kind == "secret-reference":
        return (f"store the OAuth client id and secret in the secret store in place of {value.source.name}, "
                "then delete that secret and revoke the key")
    if value.literal is not None and value.source.kind != "literal":
        return "the reference has a literal default: remove the default value"
    return None


# --- findings ----------------------------------------------------------------------------------


def build(rule_id: str, ctx: FileContext, entry: Entry, value: KeyValue, schemes: tuple[str, ...],
          endpoints: tuple[Endpoint, ...], confidence: str, notes: Iterable[Optional[str]],
          names: Iterable[str] = ()) -> Finding:
    """A finding for one entry, through make_finding (classification, masking, fingerprint)."""
    end = entry.value if isinstance(entry.value, Scalar) else entry.key
    content = f"{'.'.join(entry.path)}={value.source.kind}:{value.source.name or ''}"
    finding = make_finding(
        rule_id=rule_id, path=ctx.path, start=(entry.key.line, entry.key.col),
        end=(end.end_line, end.end_col), schemes=schemes or ("AppKey", "Bearer"), key_source=value.source,
        content=content, endpoints=endpoints, literal=value.literal, confidence=confidence,
        language=ctx.kind, fixable_by="manual",
        related=tuple(f"{e.line}:1" for e in endpoints if e.line and e.line != entry.key.line),
        notes=[n for n in notes if n],
    )
    return replace(finding, credential_names=tuple(dict.fromkeys((*names, *value.names))))


def entry_names(entry: Entry, ctx: FileContext) -> tuple[str, ...]:
    """Names this entry's credential is known by: `env:X` for variables, `config:a.b` for settings."""
    dotted = ".".join(entry.path)
    if (entry.env_like or ctx.kind == "dotenv") and env_name_ok(entry.name):
        return (f"env:{entry.name}", f"config:{entry.name}")
    return (f"config:{dotted}",)


def kafka_finding(entry: Entry, ctx: FileContext) -> Optional[Finding]:
    """`connect.ems.authorization.key`: the value carries its own scheme; the connector is a blocker."""
    if entry.name != KAFKA_KEY or not isinstance(entry.value, Scalar):
        return None
    value = read_value(entry.value.value, entry.name)
    if value is None:
        return None
    endpoint_urls = [(e.value.value or "", e.value.line) for e in entries_of(entry.group, (), ())
                     if e.name == KAFKA_ENDPOINT and isinstance(e.value, Scalar)]
    found = map_urls(endpoint_urls or [(KAFKA_PATH, entry.key.line)], "POST", ctx.extra_hosts)
    endpoints = tuple(replace(e, status="blocker", basis="B", note=KAFKA_NOTE) for e in found)
    notes = [KAFKA_NOTE, source_note(value)]
    if value.source.kind == "literal":
        notes.append("meanwhile move the literal into a config provider, e.g. "
                     "${file:/opt/secrets/celonis.properties:authorization.key}")
    return build(RULE_KAFKA, ctx, entry, value, value.schemes, endpoints, "high", notes)


def header_finding(entry: Entry, ctx: FileContext) -> Optional[Finding]:
    """An `Authorization: AppKey|Bearer ...` value in a header map, sent to a Celonis host."""
    if entry.name.lower() != "authorization" or not isinstance(entry.value, Scalar):
        return None
    value = read_value(entry.value.value, "Authorization")
    if value is None or not value.schemes:
        return None
    confidence, endpoints = target(entry, ctx)
    if confidence is None:
        return None
    if value.source.kind == "config" and value.schemes == ("Bearer",):
        confidence = "low"  # a template variable after Bearer may hold an OAuth token
    notes = [header_replacement(value.schemes[0], ctx, endpoints), source_note(value)]
    return build(RULE_HEADER, ctx, entry, value, value.schemes, endpoints, confidence, notes)


def key_finding(entry: Entry, ctx: FileContext, scheme_hints: dict[str, tuple[str, ...]],
                rule_id: str = RULE_KEY, value: Optional[KeyValue] = None, force: bool = False,
                names: Optional[tuple[str, ...]] = None, replacement: Optional[str] = None,
                extra_notes: Iterable[Optional[str]] = ()) -> Optional[Finding]:
    """A key-named entry with Celonis context, an official name, or (`force`) a real-shape value.

    `names` replaces the credential names read from the entry's path; `replacement` the advice.
    """
    kind = name_class(entry.path) or ("celonis" if force else None)
    if kind is None:
        return None
    value = value or _entry_value(entry)
    if value is None or not (kind == "official" or force or plausible_key(value)):
        return None
    local = group_has_context(entry.group, ctx.extra_hosts)
    if kind == "generic" and (is_device_record(entry.group) or not (local or ctx.celonis)):
        return None
    confidence = "high" if kind == "official" or local else "medium"
    urls, method = nearest_urls(entry)
    endpoints = map_urls(urls, method, ctx.extra_hosts) if urls else map_urls(ctx.urls, "*", ctx.extra_hosts)
    schemes = (value.schemes or key_type_schemes(entry.group) or scheme_hints.get(entry.name)
               or ctx.key_type or ("AppKey", "Bearer"))
    if replacement is None:
        content_cli = norm(entry.name) == "apitoken" and any(
            norm(e.name) == "teamurl" for e in entries_of(entry.group, (), ()))
        if (entry.env_like or ctx.kind == "dotenv") and env_name_ok(entry.name):
            replacement = env_replacement(entry.name, ctx, endpoints, content_cli)
        else:
            replacement = config_replacement(".".join(entry.path), ctx, endpoints)
    notes = [replacement, source_note(value), *extra_notes]
    if len(schemes) == 2:
        notes.append("the scheme depends on how the key is used (CELONIS_KEY_TYPE, key_type); "
                     "both are possible")
    return build(rule_id, ctx, entry, value, schemes, endpoints, confidence, notes,
                 entry_names(entry, ctx) if names is None else names)


#: Shortest literal of unexpected shape still taken for a (modified or truncated) key under a key-like name.
MIN_UNEXPECTED_KEY = 16


def plausible_key(value: KeyValue) -> bool:
    """A value that can be a key: a reference, a real-shape or documentation key, a placeholder
    (`<your-key>`, `changeme`, `""`), or a literal of unexpected shape of at least 16 characters.

    `low`, `true`, `disabled`, `v2` under a key-like name (a severity table, a feature flag) are not.
    """
    if value.literal is None:
        return True
    kind = redact.classify_literal(value.literal)
    if kind in ("real-shape", "doc-example", "placeholder", "reference"):
        return True
    return kind == "unexpected-shape" and len(value.literal.strip()) >= MIN_UNEXPECTED_KEY


def _entry_value(entry: Entry) -> Optional[KeyValue]:
    """The key value of an entry: a scalar, a GitLab `{value: ...}`, or a Kubernetes `valueFrom`."""
    node = entry.value
    where = entry.name if entry.env_like else ".".join(entry.path)
    if isinstance(node, Scalar):
        return read_value(node.value, where)
    if isinstance(node, Mapping):
        ref = _value_from(node)
        if ref is not None:
            return ref
        inner = next((v for k, v in node.items if k.value == "value"), None)
        if isinstance(inner, Scalar):
            return read_value(inner.value, where)
    return None


def _value_from(node: Mapping) -> Optional[KeyValue]:
    """Kubernetes `valueFrom: {secretKeyRef: {name, key}}` (or configMapKeyRef) -> reference."""
    for kind, label in (("secretKeyRef", "secret-reference"), ("configMapKeyRef", "config")):
        ref = next((v for k, v in node.items if k.value == kind), None)
        if isinstance(ref, Mapping):
            parts = {str(k.value): v.value for k, v in ref.items if isinstance(v, Scalar)}
            name = f"{parts.get('name', '?')}/{parts.get('key', '?')}"
            prefix = "secret" if label == "secret-reference" else "configmap"
            return KeyValue(KeySource(label, name), names=(f"{prefix}:{name}",))
    return None


def scan_entries(roots: Iterable[Node], ctx: FileContext,
                 scheme_hints: Optional[dict[str, tuple[str, ...]]] = None,
                 skip: Iterable[Node] = ()) -> list[Finding]:
    """The generic rules over every entry of the trees (nodes in `skip` are left to their own rules)."""
    hints = scheme_hints or {}
    skipped = {id(n) for n in skip}
    findings: list[Finding] = []
    for root in roots:
        if id(root) in skipped:
            continue
        for entry in iter_entries(root):
            found = kafka_finding(entry, ctx) or header_finding(entry, ctx) or key_finding(entry, ctx, hints)
            if found is not None:
                findings.append(found)
    return dedupe(findings)


def dedupe(findings: Iterable[Finding]) -> list[Finding]:
    """One finding per location and rule (an aliased YAML node is reported where it is written)."""
    seen: set[tuple[str, int, int]] = set()
    out = []
    for f in findings:
        key = (f.rule_id, f.line, f.column)
        if key not in seen:
            seen.add(key)
            out.append(f)
    return out
