"""Build `Finding` values the same way for every detector.

Detectors decide *where* and *what* (scheme, key source, the raw literal if one
is visible, the endpoints); this module decides the derived fields (credential
kind, leak, severity, redacted preview, fingerprint, message) so that every file
format reports alike. The raw literal goes to `redact` and is dropped here.
"""

from __future__ import annotations

from typing import Iterable, Optional

from migrator import redact
from migrator.types import Endpoint, Finding, KeySource

_KIND_BY_SCHEMES = {
    ("AppKey",): "app_key",
    ("Bearer",): "user_api_key",
}

_KIND_WORDS = {"app_key": "application key", "user_api_key": "user API key", "static_key": "static key"}


def credential_kind(schemes: Iterable[str]) -> str:
    return _KIND_BY_SCHEMES.get(tuple(sorted(set(schemes))), "static_key")


def describe_source(source: KeySource) -> str:
    labels = {
        "literal": "a literal in the file",
        "env": "environment variable",
        "config": "config value",
        "parameter": "function parameter",
        "user-input": "user input",
        "cli-argument": "command-line argument",
        "file": "file",
        "secret-reference": "secret reference",
        "unknown": "a value of unknown origin",
    }
    label = labels.get(source.kind, source.kind)
    if source.name and source.kind not in ("literal", "unknown"):
        return f"{label} {source.name}"
    return label


def make_finding(
    *,
    rule_id: str,
    path: str,
    start: tuple[int, int],
    end: tuple[int, int],
    schemes: Iterable[str],
    key_source: KeySource,
    content: str,
    endpoints: Iterable[Endpoint] = (),
    literal: Optional[str] = None,
    confidence: str = "high",
    language: str = "python",
    fixable_by: str = "manual",
    related: Iterable[str] = (),
    notes: Iterable[str] = (),
    occurrence: int = 0,
    cell: Optional[int] = None,
    cell_line: Optional[int] = None,
    default_severity: str = "medium",
) -> Finding:
    """Assemble a finding. `literal` is the raw key value if the file shows one; it is not kept."""
    ordered = tuple(s for s in ("AppKey", "Bearer") if s in set(schemes))
    kind = credential_kind(ordered)
    literal_class = redact.classify_literal(literal) if literal is not None else None
    leaked = literal_class == "real-shape"
    redacted = redact.mask(literal) if literal else None
    if leaked:
        severity = "high"
    elif literal_class in ("placeholder", "doc-example", "reference"):
        severity = "info"
    elif confidence == "low":
        severity = "low"
    else:
        severity = default_severity
    notes = tuple(notes)
    if leaked:
        notes = ("real-shape key literal: revoke this key; removing it from the code does not remove it from history",
                 *notes)
    eps = tuple(endpoints)
    message = _message(ordered, kind, key_source, literal_class, eps)
    return Finding(
        rule_id=rule_id,
        path=path,
        line=start[0],
        column=start[1],
        end_line=end[0],
        end_column=max(end[1], 1),
        auth_schemes=ordered,
        credential_kind=kind,
        key_source=key_source,
        redacted=redacted,
        endpoints=eps,
        fingerprint=redact.fingerprint(rule_id, path, content, occurrence),
        message=redact.scrub(message),
        severity=severity,
        confidence=confidence,
        literal_class=literal_class,
        leaked=leaked,
        language=language,
        fixable_by=fixable_by,
        related=tuple(related),
        notes=tuple(redact.scrub(n) for n in notes),
        cell=cell,
        cell_line=cell_line,
        key_hash=redact.content_hash("key", literal)[:24] if literal_class == "real-shape" and literal else None,
    )


def _message(schemes: tuple[str, ...], kind: str, source: KeySource, literal_class: Optional[str],
             endpoints: tuple[Endpoint, ...]) -> str:
    scheme = " or ".join(f"'Authorization: {s}'" for s in schemes) or "a static scheme"
    if kind == "static_key":
        # Either scheme may be sent (chosen by a setting or probed): "static key" would say it twice.
        what = f"Static Celonis key{' (scheme chosen at run time)' if len(schemes) > 1 else ''} sent as {scheme}"
    else:
        what = f"Static Celonis {_KIND_WORDS[kind]} sent as {scheme}"
    if literal_class == "real-shape":
        src = "a real-looking key literal (leaked)"
    elif literal_class in ("placeholder", "doc-example"):
        src = "a placeholder"
    else:
        src = describe_source(source)
    scopes = sorted({s for e in endpoints for s in e.scopes})
    tail = f"; replace with an OAuth client holding {' '.join(scopes)}" if scopes else "; replace with an OAuth client"
    return f"{what}, key from {src}. Static keys were retired at the end of March 2026{tail}."
