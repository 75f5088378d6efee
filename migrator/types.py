"""The data that flows between stages, as frozen dataclasses.

Every stage takes and returns these values, never parser nodes, so that
outputs, baselines and codemods can be written and tested without a parser.
This module imports nothing of ours.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

#: Severity levels, most severe first.
SEVERITIES = ("high", "medium", "low", "info")

#: Endpoint status values of the JSON contract.
ENDPOINT_STATUSES = ("documented", "inferred", "blocker", "unknown")


@dataclass(frozen=True)
class SourceFile:
    """A file that discovery decided to scan."""

    #: POSIX path as shown to the user (relative to the cwd when under it).
    path: str
    #: Absolute filesystem path used to read the file.
    abspath: str
    #: File kind: "python", "notebook", "yaml", "json", "dotenv", "ini", "toml",
    #: "properties", "shell", "markdown", "powershell", "javascript", "java",
    #: "csharp", "go", "kotlin", "scala", "text".
    kind: str
    #: Decoded text.
    text: str
    #: Encoding the text was decoded with ("utf-8", "utf-8-sig", "utf-16", ...).
    encoding: str = "utf-8"


@dataclass(frozen=True)
class Skip:
    """A path that was not scanned, with a one-line reason a user can act on."""

    path: str
    #: Short machine-readable reason: "binary", "too-large", "undecodable",
    #: "parse-error", "unreadable", "symlink", "symlink-loop", "malformed", "vanished".
    reason: str
    detail: str = ""


@dataclass(frozen=True)
class KeySource:
    """Where the key value comes from.

    kind: "literal", "env", "config", "parameter", "user-input", "cli-argument",
    "file", "secret-reference", "unknown".
    """

    kind: str
    name: Optional[str] = None


@dataclass(frozen=True)
class Resource:
    """A Celonis resource that a permission must be granted on."""

    #: "team", "data_pool", "package", "knowledge_model", "data_model", "ml_workbench",
    #: "action_engine_project", "storage_bucket", "space", "subscription", "agent", "asset".
    type: str
    #: Literal ID when the code shows it, else None.
    id: Optional[str] = None
    #: Placeholder name when the ID is not a literal, e.g. "{poolId}".
    placeholder: Optional[str] = None
    #: Free text: where the ID comes from, or why a package is not visible.
    note: Optional[str] = None


@dataclass(frozen=True)
class Endpoint:
    """One Celonis call the credential is used with, mapped to its API row."""

    method: str
    #: Normalised URL with placeholders, e.g. "https://acme.eu-1.celonis.cloud/integration/api/pools/{poolId}".
    url: Optional[str]
    #: Path template, e.g. "/integration/api/pools/{poolId}".
    path: str
    #: API row id from rules/apis.yaml, or None for an unknown path.
    api: Optional[str] = None
    api_name: Optional[str] = None
    scopes: tuple[str, ...] = ()
    permissions: tuple[str, ...] = ()
    resource: Optional[Resource] = None
    #: "documented" | "inferred" | "blocker" | "unknown"
    status: str = "unknown"
    #: D (documented), C (client-level claim), I (inferred), B (blocker), U (unknown).
    basis: str = "U"
    #: Team host, e.g. "acme.eu-1.celonis.cloud" (may hold "{team}" placeholders).
    host: Optional[str] = None
    note: Optional[str] = None
    #: 1-based line of the call in the file (evidence), 0 when not known.
    line: int = 0


@dataclass(frozen=True)
class Finding:
    """One static-key use. Never holds the raw key."""

    rule_id: str
    path: str
    line: int
    column: int
    end_line: int
    end_column: int
    #: ("AppKey",), ("Bearer",) or ("AppKey", "Bearer") when chosen at run time.
    auth_schemes: tuple[str, ...]
    #: "app_key" | "user_api_key" | "static_key"
    credential_kind: str
    key_source: KeySource
    #: Masked preview of a literal key ("MDAw…[108 chars]"), None when no literal is visible.
    redacted: Optional[str]
    endpoints: tuple[Endpoint, ...]
    fingerprint: str
    message: str
    severity: str = "medium"
    #: "high" | "medium" | "low": how sure we are this is a static Celonis key.
    confidence: str = "high"
    #: Literal classification: "real-shape", "doc-example", "placeholder", "unexpected-shape", None.
    literal_class: Optional[str] = None
    #: True when a real-shape key literal is in the file: revoke it.
    leaked: bool = False
    #: "python" or the file kind that produced it.
    language: str = "python"
    #: "fix" when the codemod can rewrite it, "manual" otherwise.
    fixable_by: str = "manual"
    #: Extra locations (e.g. the call that proves the endpoint), as "line:col" strings.
    related: tuple[str, ...] = ()
    #: Free-form notes shown to the user ("literal fallback", "verify in ML Workbench", ...).
    notes: tuple[str, ...] = ()
    #: Notebook cell (0-based) and line inside the cell, when the file is a notebook.
    cell: Optional[int] = None
    cell_line: Optional[int] = None
    #: Truncated SHA-256 of the literal key, to recognise one key reported twice; never output.
    key_hash: Optional[str] = None
    #: "new" or "known" when the scan was given a baseline, None otherwise.
    baseline_status: Optional[str] = None
    #: 1-based line of the `celonis-migrator: ignore` comment that silences this finding, or None.
    ignore_line: Optional[int] = None
    #: Other names the detector knows this key by ("env:CELONIS_API_TOKEN", "secret:creds/TOKEN",
    #: "config:celonis.api_token", "postman:celonisAppKey"); `link` joins findings that share one.
    credential_names: tuple[str, ...] = ()
    #: Identity of the credential after linking: findings with the same id are one key.
    credential_id: Optional[str] = None
    #: "path:line" of the other findings of the same credential (set by `link`).
    linked: tuple[str, ...] = ()

    @property
    def auth_scheme(self) -> str:
        return "|".join(self.auth_schemes)

    @property
    def suppressed(self) -> bool:
        """True when an inline ignore comment silences this finding."""
        return self.ignore_line is not None


@dataclass(frozen=True)
class ScopeRequirement:
    """A scope the OAuth client needs, and why."""

    scope: str
    #: D, C or I: the weakest evidence behind it.
    basis: str
    #: API ids that need it.
    apis: tuple[str, ...] = ()
    #: Alternatives offered when the docs conflict (e.g. "studio" for Tools API).
    alternatives: tuple[str, ...] = ()


@dataclass(frozen=True)
class PermissionRequirement:
    """A Celonis permission to assign to the OAuth client, on a resource."""

    permission: str
    resource: Resource
    basis: str
    apis: tuple[str, ...] = ()


@dataclass(frozen=True)
class Blocker:
    """An endpoint with no documented OAuth scope."""

    method: str
    path: str
    reason: str
    api: Optional[str] = None
    paths: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScopePlan:
    """Least-privilege scopes, permissions and blockers for a set of findings."""

    scopes: tuple[ScopeRequirement, ...] = ()
    permissions: tuple[PermissionRequirement, ...] = ()
    blockers: tuple[Blocker, ...] = ()
    #: Celonis paths with no API row: "method path".
    unknown: tuple[str, ...] = ()

    @property
    def scope_string(self) -> str:
        """Space-separated scopes as the token endpoint takes them."""
        return " ".join(s.scope for s in self.scopes)


@dataclass(frozen=True)
class BaselineEntry:
    """One accepted finding in a baseline file: its identity, never its line or its key."""

    path: str
    rule_id: str
    fingerprint: str


@dataclass(frozen=True)
class UnusedIgnore:
    """A `celonis-migrator: ignore` comment that silenced nothing."""

    path: str
    line: int
    #: Rule ids named in `ignore[...]`; empty for a bare `ignore`.
    rules: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScanResult:
    findings: tuple[Finding, ...]
    skips: tuple[Skip, ...]
    plan: ScopePlan
    file_plans: tuple[tuple[str, ScopePlan], ...]
    files_scanned: int
    duration_s: float
    errors: tuple[str, ...] = ()
    #: Files decided by the keyword prefilter without a parse.
    files_prefiltered: int = 0
    #: Files the --cache-dir stat index knew unchanged since the last scan: not even read.
    files_unchanged: int = 0
    roots: tuple[str, ...] = field(default_factory=tuple)
    #: Findings silenced by inline ignore comments (not in `findings`; they never fail a run).
    suppressed: tuple[Finding, ...] = ()
    #: Ignore comments that silenced nothing.
    unused_ignores: tuple[UnusedIgnore, ...] = ()
    #: The baseline file the scan compared against, or None.
    baseline_path: Optional[str] = None
    #: Baseline entries that match no finding of a scanned (or deleted) file.
    stale_baseline: tuple[BaselineEntry, ...] = ()

    @property
    def new_findings(self) -> tuple[Finding, ...]:
        """Findings that fail a run: all of them, minus those known to the baseline."""
        return tuple(f for f in self.findings if f.baseline_status != "known")


@dataclass(frozen=True)
class FixOutcome:
    """What fix did (or would do) to one file."""

    path: str
    #: "changed" | "unchanged" | "skipped" | "failed"
    kind: str
    diff: str = ""
    fixed: int = 0
    #: (line, reason) of sites left to a human.
    manual: tuple[tuple[int, str], ...] = ()
    blockers: tuple[str, ...] = ()
    reason: str = ""
