"""Human-readable scan report: one block per finding, then the scope plan, blockers and skips."""

from __future__ import annotations

from migrator.findings import describe_source
from migrator.redact import scrub
from migrator.types import Endpoint, Finding, Resource, ScanResult, ScopePlan

_KIND = {"app_key": "app key", "user_api_key": "user API key", "static_key": "static key (scheme chosen at run time)"}
_STATUS = {"documented": "D", "inferred": "I", "blocker": "B", "unknown": "?"}


def safe(text: str) -> str:
    """Escape control characters (a file name may hold a newline) so one item stays on one line."""
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in text)


def resource_text(r: Resource | None) -> str:
    if r is None:
        return "team"
    label = r.type.replace("_", " ")
    if r.id:
        text = f"{label} {r.id}"
    elif r.placeholder:
        text = f"{label} {r.placeholder}"
    else:
        text = label
    return f"{text} ({r.note})" if r.note else text


def endpoint_line(e: Endpoint) -> str:
    scopes = ", ".join(e.scopes) if e.scopes else "no known OAuth scope"
    perms = "; ".join(e.permissions) if e.permissions else "permission not documented"
    api = e.api_name or "unknown Celonis API"
    return (f"{e.method} {e.path} [{api}] -> {scopes} ({e.status}) · {perms} on {resource_text(e.resource)}")


def finding_block(f: Finding) -> list[str]:
    where = f"{safe(f.path)}:{f.line}:{f.column}"
    if f.cell is not None:
        where += f" (cell {f.cell}, line {f.cell_line})"
    source = describe_source(f.key_source)
    if f.redacted:
        source += f" {f.redacted}"
    if f.leaked:
        source += " LEAKED: revoke this key"
    elif f.literal_class in ("placeholder", "doc-example"):
        source += " (placeholder)"
    lines = [
        f"{where}: {f.severity}: {f.rule_id} [{f.confidence} confidence]",
        f"    {f.auth_scheme} · {_KIND[f.credential_kind]} · key from {source}",
    ]
    lines += [f"    {endpoint_line(e)}" for e in f.endpoints]
    lines += [f"    note: {n}" for n in f.notes]
    return lines


def plan_lines(plan: ScopePlan, indent: str = "  ") -> list[str]:
    out = []
    if plan.scopes:
        out.append(f"{indent}scopes: {plan.scope_string}")
        for s in plan.scopes:
            alt = f" (alternative: {', '.join(s.alternatives)})" if s.alternatives else ""
            out.append(f"{indent}  {s.scope} [{s.basis}] for {', '.join(s.apis)}{alt}")
    else:
        out.append(f"{indent}scopes: none planned")
    if plan.permissions:
        out.append(f"{indent}permissions to assign:")
        for p in plan.permissions:
            out.append(f"{indent}  {p.permission} on {resource_text(p.resource)} [{p.basis}]")
    if plan.blockers:
        out.append(f"{indent}blockers (no documented OAuth scope):")
        for b in plan.blockers:
            out.append(f"{indent}  {b.method} {b.path}: {b.reason}")
    if plan.unknown:
        out.append(f"{indent}unknown Celonis paths: {', '.join(plan.unknown)}")
    return out


def render(result: ScanResult, *, verbose: bool = False) -> str:
    lines: list[str] = []
    for f in result.findings:
        lines += finding_block(f)
        lines.append("")
    n = len(result.findings)
    files = len({f.path for f in result.findings})
    if n:
        leaked = sum(f.leaked for f in result.findings)
        lines.append(f"{n} static-key finding{'s' if n != 1 else ''} in {files} file{'s' if files != 1 else ''}"
                     f" ({leaked} leaked literal{'s' if leaked != 1 else ''}).")
        lines.append("Static Celonis keys were retired at the end of March 2026: these calls fail today.")
        lines.append("OAuth scope plan for this scan:")
        lines += plan_lines(result.plan)
    else:
        lines.append("No static Celonis key use found.")
    unchanged = f", {result.files_unchanged} unchanged since the last scan" if result.files_unchanged else ""
    lines.append(f"Scanned {result.files_scanned} files ({result.files_scanned - result.files_prefiltered} parsed"
                 f"{unchanged}) in {result.duration_s:.2f}s; skipped {len(result.skips)}.")
    reasons: dict[str, int] = {}
    for s in result.skips:
        reasons[s.reason] = reasons.get(s.reason, 0) + 1
    if reasons:
        lines.append("Skipped: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
    for s in result.skips:
        if verbose or s.reason not in ("excluded-dir", "symlink"):
            lines.append(f"  skipped {safe(s.path)}: {s.reason}{': ' + safe(s.detail) if s.detail else ''}")
    return scrub("\n".join(lines) + "\n")
