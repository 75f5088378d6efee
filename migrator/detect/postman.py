"""Postman collections and environments (usage-patterns.md §3.8).

A collection's `auth` (collection, folder or request level, inherited down the item tree)
and its `Authorization` header entries are the sites; the requests that use them give the
endpoints. `{{var}}` is resolved from the collection's `variable` list; a variable kept in
an environment file is reported there, and `link` joins the two by the name `postman:<var>`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Iterator, Optional

from migrator import endpoints as ep
from migrator import redact
from migrator.detect import configrules as rules
from migrator.detect.cfgtree import Entry, Mapping, Node, Scalar, Sequence, entries_of, get, text
from migrator.types import Endpoint, Finding, KeySource

RULE = "postman-static-key"

_VAR = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_KEYISH_VAR = re.compile(r"(?i)key|apitoken|api_token|celonis")


@dataclass
class _Request:
    method: str
    url: str
    line: int
    #: The auth object in force (own or inherited), or None.
    auth: Optional[Mapping]
    headers: list[Entry] = field(default_factory=list)


def is_collection(root: Node) -> bool:
    info = get(root, "info")
    schema = text(get(info, "schema")) if info is not None else None
    return isinstance(get(root, "item"), Sequence) and info is not None and (
        "getpostman.com" in (schema or "") or get(info, "_postman_id") is not None)


def is_environment(root: Node) -> bool:
    values = get(root, "values")
    if not isinstance(values, Sequence):
        return False
    shaped = all(isinstance(v, Mapping) and get(v, "key") and get(v, "value") for v in values.items)
    return get(root, "_postman_variable_scope") is not None or (shaped and get(root, "name") is not None)


def collection_findings(root: Node, ctx: rules.FileContext) -> list[Finding]:
    variables = _variables(root)
    requests = list(_requests(root, _auth(get(root, "auth"), None), variables))
    oauth = any(ep.normalise(r.url)[1] == "/oauth2/token" for r in requests)
    findings: list[Finding] = []
    auths: dict[int, tuple[Mapping, list[_Request]]] = {}
    for auth in _auth_nodes(root):
        auths.setdefault(id(auth), (auth, []))
    for request in requests:
        if request.auth is not None:
            auths.setdefault(id(request.auth), (request.auth, []))[1].append(request)
        for header in request.headers:
            found = _header_finding(header, request, variables, ctx)
            if found is not None:
                findings.append(found)
    for auth, users in auths.values():
        found = _auth_finding(auth, users, variables, oauth, ctx)
        if found is not None:
            findings.append(found)
    return rules.dedupe(findings)


def environment_findings(root: Node, ctx: rules.FileContext) -> list[Finding]:
    """Key-named values (or real-shape ones) of an environment file, named `postman:<var>` for linking."""
    values = get(root, "values")
    findings = []
    for entry in entries_of(values, (), (root,)) if values is not None else []:
        if not isinstance(entry.value, Scalar):
            continue
        value = rules.read_value(entry.value.value, f"postman:{entry.name}")
        if value is None:
            continue
        real = value.literal is not None and redact.is_real_shape(value.literal)
        found = rules.key_finding(entry, ctx, {}, rule_id=RULE, value=value, force=real,
                                  names=(f"postman:{entry.name}",),
                                  replacement=_replacement(ctx, (), entry.name))
        if found is not None:
            findings.append(found)
    return findings


# --- the item tree -----------------------------------------------------------------------------


def _variables(root: Node) -> dict[str, Scalar]:
    """Collection variables with a value: name -> value node."""
    out: dict[str, Scalar] = {}
    seq = get(root, "variable")
    for entry in entries_of(seq, (), ()) if seq is not None else []:
        if isinstance(entry.value, Scalar) and entry.value.value:
            out.setdefault(entry.name, entry.value)
    return out


def _auth(own: Optional[Node], inherited: Optional[Mapping]) -> Optional[Mapping]:
    """Postman inheritance: no auth or "inherit" takes the parent's; "noauth" clears it."""
    if not isinstance(own, Mapping):
        return inherited
    kind = text(get(own, "type"))
    if kind in (None, "inherit"):
        return inherited
    return None if kind == "noauth" else own


def _auth_nodes(root: Node) -> Iterator[Mapping]:
    """The collection-level auth and every folder's, so that unused ones are still reported."""
    own = _auth(get(root, "auth"), None)
    if own is not None:
        yield own
    stack: list[Node] = [root]
    while stack:
        node = stack.pop()
        items = get(node, "item")
        for item in items.items if isinstance(items, Sequence) else []:
            folder_auth = _auth(get(item, "auth"), None)
            if folder_auth is not None and get(item, "item") is not None:
                yield folder_auth
            stack.append(item)


def _requests(node: Node, inherited: Optional[Mapping], variables: dict[str, Scalar]) -> Iterator[_Request]:
    items = get(node, "item")
    for item in items.items if isinstance(items, Sequence) else []:
        if not isinstance(item, Mapping):
            continue
        if get(item, "item") is not None:
            yield from _requests(item, _auth(get(item, "auth"), inherited), variables)
        request = get(item, "request")
        if request is None:
            continue
        url_node = get(request, "url") if isinstance(request, Mapping) else request
        yield _Request(
            method=(text(get(request, "method")) or "GET").upper(),
            url=_resolve(_url_text(url_node), variables),
            line=(url_node.line if url_node is not None else item.line),
            auth=_auth(get(request, "auth"), inherited),
            headers=_headers(get(request, "header"), item),
        )


def _headers(headers: Optional[Node], item: Node) -> list[Entry]:
    """The request's header entries, without those switched off (`disabled: true`)."""
    if not isinstance(headers, Sequence):
        return []
    enabled = [h for h in headers.items if text(get(h, "disabled")) != "true"]
    return entries_of(Sequence(enabled, headers.line, headers.col), ("header",), (item,))


def _url_text(node: Optional[Node]) -> str:
    """A request URL: the string form, `raw`, or host and path parts joined."""
    if isinstance(node, Scalar):
        return node.value or ""
    if isinstance(node, Mapping):
        raw = text(get(node, "raw"))
        if raw:
            return raw
        return ".".join(_parts(get(node, "host"))) + "/" + "/".join(_parts(get(node, "path")))
    return ""


def _parts(node: Optional[Node]) -> list[str]:
    """The strings of a list node (Postman's split `host` and `path`)."""
    return [s.value or "" for s in node.items if isinstance(s, Scalar)] if isinstance(node, Sequence) else []


def _resolve(url: str, variables: dict[str, Scalar]) -> str:
    """Substitute collection variables in a URL (keys are never URL parts, so this leaks nothing)."""
    def value(found: re.Match[str]) -> str:
        known = variables.get(found.group(1))
        return (known.value if known else None) or found.group(0)
    return _VAR.sub(value, url)


# --- findings ----------------------------------------------------------------------------------


def _params(auth: Mapping, kind: str) -> dict[str, Scalar]:
    """The parameters of an auth type: v2.1 `[{key, value}]` lists or v2.0 mappings."""
    node = get(auth, kind)
    if isinstance(node, Mapping):
        return {str(k.value): v for k, v in node.items if isinstance(v, Scalar)}
    return {e.name: e.value for e in entries_of(node, (), ()) if isinstance(e.value, Scalar)} if node else {}


def _auth_finding(auth: Mapping, users: list[_Request], variables: dict[str, Scalar], oauth: bool,
                  ctx: rules.FileContext) -> Optional[Finding]:
    kind = text(get(auth, "type"))
    params = _params(auth, kind or "")
    if kind == "apikey":
        if (text(params.get("key")) or "").lower() != "authorization" or \
                (text(params.get("in")) or "header").lower() != "header":
            return None
        site = params.get("value")
        raw = text(site)
    elif kind == "bearer":
        site = params.get("token")
        raw = f"Bearer {text(site) or ''}"
    else:
        return None  # oauth2, basic, ... : not a static Celonis key
    if site is None:
        return None
    return _finding(site, raw, auth, [(r.method, r.url, r.line) for r in users], variables, oauth, ctx)


def _header_finding(header: Entry, request: _Request, variables: dict[str, Scalar],
                    ctx: rules.FileContext) -> Optional[Finding]:
    if header.name.lower() != "authorization" or not isinstance(header.value, Scalar):
        return None
    call = (request.method, request.url, request.line)
    return _finding(header.value, header.value.value, header.group, [call], variables, False, ctx)


def _finding(site: Scalar, raw: Optional[str], group: Node, calls: list[tuple[str, str, int]],
             variables: dict[str, Scalar], oauth: bool, ctx: rules.FileContext) -> Optional[Finding]:
    """One static-key site: its value, resolved variable, Celonis endpoints and confidence."""
    value = rules.read_value(raw, "postman auth")
    if value is None or not value.schemes:
        return None
    var = value.source.name if value.source.kind == "config" else None
    if var and oauth and value.schemes == ("Bearer",) and var not in variables:
        return None  # the collection fetches an OAuth token into this variable
    if var:
        value = _variable_value(var, variables, value.schemes)
        if value.literal is not None and redact.is_jwt(value.literal):
            return None  # an access token pasted into the variable: OAuth, expired long ago
    mapped = (ep.map_endpoint(method, url, line=line, extra_hosts=ctx.extra_hosts)
              for method, url, line in calls)
    endpoints = tuple(e for e in mapped if e is not None)
    if calls and not endpoints:
        return None  # every request goes elsewhere: another vendor's AppKey or token
    if not calls and not ctx.celonis:
        return None
    confidence = "high" if endpoints else "medium"
    if value.schemes == ("Bearer",) and var and not _KEYISH_VAR.search(var) and value.literal is None:
        confidence = "low"  # `{{token}}` of unknown origin may be an OAuth token
    entry = Entry(("auth",), site, site, group, (group,))
    related = [f"{variables[var].line}:{variables[var].col}"] if var in variables else []
    finding = rules.build(RULE, ctx, entry, value, value.schemes, endpoints, confidence,
                          [_replacement(ctx, endpoints, var)], (f"postman:{var}",) if var else ())
    return replace(finding, related=(*finding.related, *related)) if related else finding


def _variable_value(var: str, variables: dict[str, Scalar], schemes: tuple[str, ...]) -> rules.KeyValue:
    """`{{var}}` resolved from the collection's variables, else named for linking to an environment."""
    if var in variables:
        return rules.KeyValue(KeySource("literal", f"postman:{var}"), variables[var].value, schemes,
                              (f"postman:{var}",))
    return rules.KeyValue(KeySource("config", f"postman:{var}"), None, schemes, (f"postman:{var}",))


def _replacement(ctx: rules.FileContext, endpoints: tuple[Endpoint, ...], var: Optional[str]) -> str:
    delete = f"; delete the variable {var} and revoke the key" if var else "; revoke the key"
    return ("switch the auth to type oauth2: grant_type client_credentials, accessTokenUrl "
            f"{ctx.team_url}/oauth2/token, clientId {{{{clientId}}}}, clientSecret {{{{clientSecret}}}}, "
            f"scope \"{rules.scope_text(endpoints)}\", client_authentication header{delete}")
