"""Endpoints -> ScopePlan: the least-privilege scopes, the permissions behind them, the blockers.

Also reads scope strings found in config or existing OAuth code, so that variant spellings
(`integration.data-pools:data-push`, `audit.log`) are understood and the canonical form emitted.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from migrator.apitable import ApiTable, ScopeCatalog, ScopeVariant, default_table
from migrator.endpoints import NOTE_SEPARATOR
from migrator.types import Blocker, Endpoint, PermissionRequirement, Resource, ScopePlan, ScopeRequirement

#: Evidence from weakest to strongest: Inferred, Client-level claim, Documented.
_STRENGTH = {"I": 0, "C": 1, "D": 2}
#: The broad data-pool scope; it covers its own `:sub` scopes (celonis-apis.md §4.3).
_POOLS = "integration.data-pools"
_QUOTES = "\"'`[]"


def weakest(*bases: str) -> str:
    """The weakest of D/C/I evidence: a requirement is only as sure as its least sure reason."""
    return min(bases, key=lambda b: _STRENGTH[b])


def parse_scopes(text: str) -> tuple[str, ...]:
    """Scope strings of a config value or token request, in order, without duplicates.

    Split on whitespace and commas; trim quotes and JSON brackets around each.
    """
    parts = (part.strip(_QUOTES) for part in re.split(r"[\s,]+", text))
    return tuple(dict.fromkeys(part for part in parts if part))


def _variant(scope: str, catalog: ScopeCatalog) -> ScopeVariant | None:
    """The variant spelled `scope`; context variants only annotate API rows, so they are skipped."""
    return next((v for v in catalog.variants if v.kind != "context" and v.matches(scope)), None)


def _exact(scope: str, catalog: ScopeCatalog) -> tuple[str | None, str | None] | None:
    if scope in catalog.canonical:
        return scope, None
    variant = _variant(scope, catalog)
    if variant is None:
        return None
    if variant.kind == "spelling":
        return variant.canonical, None
    if variant.kind == "unverified":
        return variant.canonical, f"{scope!r} probably means {variant.canonical!r} (unverified)"
    if variant.kind == "historical":
        return None, f"{scope!r} is a historical scope ({variant.where}) with no current equivalent"
    return None, f"{scope!r} grants no Celonis API access; do not request it"


def normalise_scope(text: str, catalog: ScopeCatalog | None = None) -> tuple[str | None, str | None]:
    """(canonical scope or None, warning or None) for one scope string.

    Scopes compare case-sensitively; a case-only difference still names the scope meant, but
    is warned about because the token endpoint may refuse it.
    """
    catalog = catalog or default_table().catalog
    scope = text.strip().strip(_QUOTES)
    exact = _exact(scope, catalog)
    if exact is not None:
        return exact
    spellings = list(catalog.canonical) + [v.seen for v in catalog.variants if v.kind != "context"]
    folded = next((s for s in spellings if s.lower() == scope.lower()), None)
    if folded is not None:
        canonical, warning = _exact(folded, catalog) or (None, None)
        case = f"{scope!r} differs from {folded!r} only in case; scopes are case-sensitive"
        return canonical, "; ".join(w for w in (case, warning) if w)
    return None, f"unknown scope {scope!r}"


def _endpoint_plan(endpoint: Endpoint, table: ApiTable) -> ScopePlan:
    """The plan of one endpoint; merging plans does the union, narrowing and dedup."""
    if endpoint.status == "unknown" or endpoint.api is None:
        return ScopePlan(unknown=(f"{endpoint.method} {endpoint.path}",))
    if endpoint.status == "blocker":
        reason = endpoint.note or "no known OAuth scope"
        return ScopePlan(blockers=(Blocker(endpoint.method, endpoint.path, reason, api=endpoint.api),))
    row = table.by_id.get(endpoint.api)
    alternatives = row.alternatives if row else ()
    scopes = tuple(
        ScopeRequirement(s, endpoint.basis, (endpoint.api,), tuple(a for a in alternatives if a != s))
        for s in endpoint.scopes
    )
    basis = weakest(endpoint.basis, row.permission_status) if row else endpoint.basis
    resource = endpoint.resource or Resource("team")
    permissions = tuple(
        PermissionRequirement(p, resource, basis, (endpoint.api,)) for p in endpoint.permissions
    )
    return ScopePlan(scopes, permissions)


def _combine_scopes(scope: str, reqs: list[ScopeRequirement]) -> ScopeRequirement:
    return ScopeRequirement(
        scope,
        weakest(*(r.basis for r in reqs)),
        tuple(sorted({a for r in reqs for a in r.apis})),
        tuple(sorted({a for r in reqs for a in r.alternatives} - {scope})),
    )


def _merge_scopes(requirements: Iterable[ScopeRequirement]) -> tuple[ScopeRequirement, ...]:
    """Union by scope; `integration.data-pools`, when needed at all, absorbs its `:sub` scopes."""
    groups: dict[str, list[ScopeRequirement]] = {}
    for req in requirements:
        groups.setdefault(req.scope, []).append(req)
    if _POOLS in groups:
        for scope in [s for s in groups if s.startswith(_POOLS + ":")]:
            groups[_POOLS] += groups.pop(scope)
    return tuple(_combine_scopes(s, groups[s]) for s in sorted(groups))


def _combine_permissions(reqs: list[PermissionRequirement]) -> PermissionRequirement:
    """One requirement for the same permission on the same resource; notes on where IDs come from are kept."""
    first = reqs[0]
    notes = sorted({n for r in reqs for n in (r.resource.note or "").split(NOTE_SEPARATOR) if n})
    resource = Resource(
        first.resource.type, first.resource.id, first.resource.placeholder, NOTE_SEPARATOR.join(notes) or None
    )
    apis = tuple(sorted({a for r in reqs for a in r.apis}))
    return PermissionRequirement(first.permission, resource, weakest(*(r.basis for r in reqs)), apis)


def _merge_permissions(requirements: Iterable[PermissionRequirement]) -> tuple[PermissionRequirement, ...]:
    groups: dict[tuple[str, str, str, str], list[PermissionRequirement]] = {}
    for req in requirements:
        key = (req.permission, req.resource.type, req.resource.id or "", req.resource.placeholder or "")
        groups.setdefault(key, []).append(req)
    return tuple(_combine_permissions(groups[k]) for k in sorted(groups))


def merge_plans(plans: Iterable[ScopePlan]) -> ScopePlan:
    """Combine plans (of files, of findings) into one, sorted so that output is reproducible."""
    plans = list(plans)
    blockers: dict[tuple[str, str], Blocker] = {}
    for blocker in sorted((b for p in plans for b in p.blockers), key=lambda b: (b.path, b.method, b.reason)):
        blockers.setdefault((blocker.path, blocker.method), blocker)
    return ScopePlan(
        scopes=_merge_scopes(s for p in plans for s in p.scopes),
        permissions=_merge_permissions(r for p in plans for r in p.permissions),
        blockers=tuple(blockers.values()),
        unknown=tuple(sorted({u for p in plans for u in p.unknown})),
    )


def build_plan(endpoints: Iterable[Endpoint], table: ApiTable | None = None) -> ScopePlan:
    """The scopes, permissions, blockers and unknown paths that a credential's endpoints need."""
    endpoints = list(endpoints)
    if not endpoints:
        return ScopePlan()  # no table load: a clean scan never reads the rules' YAML
    table = table or default_table()
    return merge_plans(_endpoint_plan(e, table) for e in endpoints)
