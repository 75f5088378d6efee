"""ScanResult -> one sorted, JSON-ready dict: the documented output contract (schema version 1).

Every machine format (JSON, SARIF, CSV, HTML) starts from this dict, so the
field names and the redaction are decided once.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, Optional

from migrator import __version__
from migrator.types import Endpoint, Finding, Resource, ScanResult, ScopePlan

SCHEMA_VERSION = 1
_KIND_BY_SCHEMES = {("AppKey",): "app_key", ("Bearer",): "user_api_key"}


def resource_dict(r: Optional[Resource]) -> Optional[dict[str, Any]]:
    return None if r is None else {k: v for k, v in asdict(r).items()}


def endpoint_dict(e: Endpoint) -> dict[str, Any]:
    return {
        "method": e.method,
        "url": e.url,
        "path": e.path,
        "host": e.host,
        "api": e.api,
        "api_name": e.api_name,
        "scopes": list(e.scopes),
        "permissions": list(e.permissions),
        "resource": resource_dict(e.resource),
        "status": e.status,
        "basis": e.basis,
        "note": e.note,
        "line": e.line,
    }


def finding_dict(f: Finding) -> dict[str, Any]:
    return {
        "rule_id": f.rule_id,
        "path": f.path,
        "line": f.line,
        "column": f.column,
        "end_line": f.end_line,
        "end_column": f.end_column,
        "auth_scheme": f.auth_scheme,
        "auth_schemes": list(f.auth_schemes),
        "credential_kind": f.credential_kind,
        "key_source": {"kind": f.key_source.kind, "name": f.key_source.name},
        "redacted": f.redacted,
        "literal_class": f.literal_class,
        "leaked": f.leaked,
        "severity": f.severity,
        "confidence": f.confidence,
        "language": f.language,
        "fixable_by": f.fixable_by,
        "endpoints": [endpoint_dict(e) for e in f.endpoints],
        "fingerprint": f.fingerprint,
        "message": f.message,
        "notes": list(f.notes),
        "related": list(f.related),
        "cell": f.cell,
        "cell_line": f.cell_line,
        "baseline_status": f.baseline_status,
        "ignore_line": f.ignore_line,
        "credential_id": f.credential_id,
        "credential_names": list(f.credential_names),
        "linked": list(f.linked),
    }


def plan_dict(p: ScopePlan) -> dict[str, Any]:
    return {
        "scopes": [
            {"scope": s.scope, "basis": s.basis, "apis": list(s.apis), "alternatives": list(s.alternatives)}
            for s in p.scopes
        ],
        "scope_string": p.scope_string,
        "permissions": [
            {"permission": q.permission, "resource": resource_dict(q.resource), "basis": q.basis, "apis": list(q.apis)}
            for q in p.permissions
        ],
        "blockers": [
            {"method": b.method, "path": b.path, "reason": b.reason, "api": b.api} for b in p.blockers
        ],
        "unknown_endpoints": list(p.unknown),
    }


def credentials_list(findings: tuple[Finding, ...]) -> list[dict[str, Any]]:
    """One entry per credential (findings sharing a `credential_id`): the keys to revoke and replace.

    Schemes: those of the findings that know theirs (a `.env` entry may be "AppKey|Bearer" while the
    code that sends it says AppKey), else every scheme seen.
    """
    groups: dict[str, list[Finding]] = {}
    for f in findings:
        groups.setdefault(f.credential_id or f.fingerprint, []).append(f)
    out = []
    for ident, members in sorted(groups.items()):
        known = {s for f in members if len(f.auth_schemes) == 1 for s in f.auth_schemes}
        schemes = [s for s in ("AppKey", "Bearer") if s in (known or {s for f in members for s in f.auth_schemes})]
        out.append({
            "id": ident,
            "auth_schemes": schemes,
            "credential_kind": _KIND_BY_SCHEMES.get(tuple(schemes), "static_key"),
            "leaked": any(f.leaked for f in members),
            "key_sources": sorted({f"{f.key_source.kind}:{f.key_source.name or ''}" for f in members}),
            "findings": [f"{f.path}:{f.line}" for f in members],
        })
    return out


def result_dict(result: ScanResult) -> dict[str, Any]:
    reasons: dict[str, int] = {}
    for s in result.skips:
        reasons[s.reason] = reasons.get(s.reason, 0) + 1
    return {
        "schema_version": SCHEMA_VERSION,
        "tool": {"name": "celonis-oauth-migrator", "version": __version__},
        "roots": list(result.roots),
        "findings": [finding_dict(f) for f in result.findings],
        "plan": {**plan_dict(result.plan), "credentials": credentials_list(result.findings)},
        "file_plans": {path: plan_dict(p) for path, p in result.file_plans},
        "stats": {
            "files_scanned": result.files_scanned,
            "files_parsed": result.files_scanned - result.files_prefiltered,
            "files_prefiltered": result.files_prefiltered,
            "files_skipped": len(result.skips),
            "skipped_by_reason": dict(sorted(reasons.items())),
            "skipped": [{"path": s.path, "reason": s.reason, "detail": s.detail} for s in result.skips],
            "findings": len(result.findings),
            "credentials": len({f.credential_id or f.fingerprint for f in result.findings}),
            "findings_new": len(result.new_findings),
            "findings_known": len(result.findings) - len(result.new_findings),
            "findings_suppressed": len(result.suppressed),
            "duration_s": round(result.duration_s, 3),
        },
        "errors": list(result.errors),
        "suppressed": [finding_dict(f) for f in result.suppressed],
        "unused_ignores": [{"path": u.path, "line": u.line, "rules": list(u.rules)} for u in result.unused_ignores],
        "baseline": None if result.baseline_path is None else {
            "path": result.baseline_path,
            "stale": [{"fingerprint": e.fingerprint, "rule_id": e.rule_id, "path": e.path}
                      for e in result.stale_baseline],
        },
    }
