"""The migration report's model, built from one or more `result_dict`s (the JSON contract).

`report PATH...` scans and `report --from scan.json ...` loads; both end here with the same
dicts, so a report from saved scans is the report of a fresh scan. The model decides every
figure, grouping and sentence; the HTML templates and the CSV tables only lay it out.

Words used below:

* **repository**: one scan root (a PATH argument, or the root a scan JSON was made from);
* **application**: a top-level directory under a repository's root; files directly in the
  root belong to the repository itself;
* **client**: one OAuth client to register, per repository (default), per application, or a
  single one for everything (`--clients per-repo|per-app|single`).
"""

from __future__ import annotations

import copy
import hashlib
import os
import posixpath
import subprocess
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Iterable, Mapping, Optional, Sequence

from migrator import __version__
from migrator.apitable import default_table
from migrator.endpoints import NOTE_SEPARATOR, package_key
from migrator.granted import Granted, GrantedClient, normalise_permission
from migrator.redact import scrub
from migrator.scopes import build_plan, merge_plans
from migrator.types import (
    SEVERITIES,
    Blocker,
    Endpoint,
    PermissionRequirement,
    Resource,
    ScopePlan,
    ScopeRequirement,
)

#: Static keys were discontinued "end of March 2026".
RETIREMENT_DATE = date(2026, 3, 31)
CLIENT_GROUPINGS = ("per-repo", "per-app", "single")
AUTH_METHODS = ("client_secret_basic", "client_secret_post")
DEFAULT_CLIENT_NAME = "celonis-oauth-client"
GRANT_TYPE = "client_credentials"
#: The prefix of every blocker reason in rules/apis.yaml; the report says it once, as a heading.
_BLOCKER_PREFIX = "no known OAuth scope: verify with Celonis or redesign before removing the key."
_POOLS = "integration.data-pools"
_GIT = ("git", "-c", "core.fsmonitor=false")

BASIS_LABELS = {"D": "documented", "C": "client-level claim", "I": "inferred", "B": "blocker", "U": "unknown"}
KIND_LABELS = {
    "app_key": "application key (AppKey)",
    "user_api_key": "user API key (Bearer)",
    "static_key": "static key (scheme chosen at run time)",
}
RESOURCE_LABELS = {
    "team": "team",
    "data_pool": "data pool",
    "package": "package",
    "knowledge_model": "knowledge model",
    "data_model": "data model",
    "ml_workbench": "ML Workbench",
    "action_engine_project": "Action Engine project",
    "storage_bucket": "storage bucket",
    "space": "space",
    "subscription": "subscription",
    "agent": "Copilot agent",
    "asset": "asset",
}
SOURCE_LABELS = {
    "env": "environment variable",
    "config": "config value",
    "secret-reference": "secret reference",
    "parameter": "function parameter",
    "user-input": "user input",
    "cli-argument": "command-line argument",
    "file": "file",
    "unknown": "unknown origin",
}

_DEFAULT_TODO = (
    "Ask Celonis whether this endpoint accepts OAuth tokens and which scope it needs, or move to a "
    "documented API, before removing the key."
)
#: What to do about each blocker row of rules/apis.yaml (celonis-apis.md section 5).
BLOCKER_TODO = {
    "cloud-api": (
        "Called by every pycelonis get_celonis() login. Log in with pycelonis 2.x oauth2(...) and "
        'key_type="BEARER", and test the login with the new client on a non-production team before '
        "revoking the key."
    ),
    "team-api-legacy": (
        "Called by every pycelonis get_celonis() login. Log in with pycelonis 2.x oauth2(...) and "
        'key_type="BEARER", and test the login with the new client before revoking the key.'
    ),
    "cloud-permissions": "Pass permissions=False to get_celonis(): the call is skipped.",
    "cloud-team": (
        "content-cli key-profile probe: use a content-cli Client Credentials profile, which skips it."
    ),
    "team-audit-csv": (
        "Replace with the Audit Log API (GET /log/api/external/audit, scope audit.log:read, team "
        "permission Audit Log API)."
    ),
    "data-consumption": (
        "Old pycelonis 1.x call: try scope integration.data-pools (inferred) on a test team, and "
        "confirm with Celonis."
    ),
    "process-analytics": (
        "Legacy Analyses: move to Studio and the Knowledge Model API "
        "(intelligence.knowledge-models:read), or get OAuth support confirmed by Celonis."
    ),
    "pql-language": "PQL parser used by pycelonis: confirm OAuth support with Celonis or drop the call.",
    "cpm-ems-migrator": (
        "Older content-cli command: upgrade content-cli and use an OAuth profile, or confirm with Celonis."
    ),
    "process-automation": (
        "Older content-cli command: upgrade content-cli and use an OAuth profile (studio, "
        "package-manager, integration.data-pools, action-engine.projects)."
    ),
    "process-mining": (
        "Older content-cli command: upgrade content-cli and use an OAuth profile (studio, "
        "package-manager, integration.data-pools, action-engine.projects)."
    ),
    "transformation-center": (
        "Older content-cli command: no current OAuth scope; confirm with Celonis or redesign."
    ),
    "process-repository": "No OAuth documentation for this API: ask Celonis support, or redesign.",
}
_UNKNOWN_TODO = (
    "Unknown Celonis path: find out which API it belongs to, then ask Celonis which scope it needs or "
    "replace it with a documented API, before removing the key."
)
_KAFKA_TODO = (
    "The Kafka EMS sink connector takes a fixed header value and has no client-credentials option; a "
    "pasted OAuth token expires after 15 minutes. Keep the key until Celonis documents OAuth for the "
    "connector, or move the feed to a client that fetches tokens (Data Push / Continuous Push API)."
)


# ---- input ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RepoRoot:
    """One scanned repository: a scan root and what git says about it."""

    #: Root as the finding paths spell it ("." for the cwd, "src/app", an absolute path).
    root: str
    label: str
    commit: Optional[str] = None
    #: Tracked files differ from the commit.
    dirty: bool = False


@dataclass(frozen=True)
class ScanInput:
    """One scan: its result dict, where it came from, its roots and proposed `fix` diffs."""

    result: Mapping[str, Any]
    #: "scan of PATH..." or the JSON file it was loaded from.
    origin: str
    #: The repositories of this scan; empty to infer from the dict.
    roots: tuple[RepoRoot, ...] = ()
    #: Path -> unified diff proposed by `fix` (never written).
    diffs: Mapping[str, str] = field(default_factory=dict)


# ---- model ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Retirement:
    #: The retirement date (31 March 2026).
    on: date
    today: date
    #: Days since the retirement date (negative: days to go).
    days: int

    @property
    def retired(self) -> bool:
        return self.days >= 0


@dataclass(frozen=True)
class InputInfo:
    origin: str
    tool_version: str
    files_scanned: int
    files_skipped: int
    findings: int
    errors: tuple[str, ...] = ()


@dataclass(frozen=True)
class Repository:
    label: str
    root: str
    commit: Optional[str]
    dirty: bool
    findings: int
    files: int

    @property
    def short_commit(self) -> Optional[str]:
        return self.commit[:12] if self.commit else None


@dataclass(frozen=True)
class Bar:
    label: str
    count: int
    #: Width in percent of the largest bar.
    width: float
    css: str = ""


@dataclass(frozen=True)
class Summary:
    findings: int
    files: int
    leaked: int
    fixable: int
    by_severity: tuple[Bar, ...]
    by_kind: tuple[Bar, ...]
    by_source: tuple[Bar, ...]
    clients: int
    scopes: int
    permissions_total: int
    permissions_to_assign: int
    blockers: int
    repositories: int


@dataclass(frozen=True)
class ScopeRow:
    scope: str
    basis: str
    basis_label: str
    apis: tuple[str, ...]
    alternatives: tuple[str, ...]
    #: "done" | "to-assign"
    status: str
    status_note: str = ""


@dataclass(frozen=True)
class TokenUrl:
    host: str
    url: str
    note: str = ""


@dataclass(frozen=True)
class PermissionRow:
    client: str
    client_anchor: str
    permission: str
    #: Resource type after reading a KM ID as its package ("package").
    resource_type: str
    resource_label: str
    #: Literal ID (pool ID, package key), or None.
    resource_id: Optional[str]
    #: Placeholder when the code computes the ID, e.g. "{poolId}".
    placeholder: Optional[str]
    #: How the ID was found, e.g. "from KM ID acme-p2p.p2p-km".
    origin: str
    note: str
    basis: str
    basis_label: str
    apis: tuple[str, ...]
    #: "done" | "to-assign"
    status: str
    status_note: str = ""
    #: The KM ID the package key was read from.
    km_id: Optional[str] = None

    @property
    def team_level(self) -> bool:
        return self.resource_type == "team"


@dataclass(frozen=True)
class BlockerRow:
    kind: str  # "no-scope" | "unknown" | "integration"
    method: str
    path: str
    api: Optional[str]
    explanation: str
    todo: str
    clients: tuple[str, ...]
    files: tuple[tuple[str, str], ...]  # (path, anchor)


@dataclass(frozen=True)
class ClientPlan:
    name: str
    anchor: str
    repositories: tuple[str, ...]
    applications: tuple[str, ...]
    files: tuple[tuple[str, str], ...]
    findings: int
    scopes: tuple[ScopeRow, ...]
    scope_string: str
    token_urls: tuple[TokenUrl, ...]
    grant_type: str
    auth_method: str
    permissions: tuple[PermissionRow, ...]
    blockers: int
    unknown: tuple[str, ...]
    #: Where "done" comes from (granted.yaml, a live check), or "" when nothing is known.
    granted_source: str
    plan: ScopePlan

    @property
    def scopes_to_assign(self) -> int:
        return sum(1 for s in self.scopes if s.status != "done")

    @property
    def permissions_to_assign(self) -> int:
        return sum(1 for p in self.permissions if p.status != "done")


@dataclass(frozen=True)
class EndpointRow:
    method: str
    path: str
    url: Optional[str]
    api_name: str
    scopes: tuple[str, ...]
    permissions: tuple[str, ...]
    status: str
    basis_label: str
    line: int
    note: str


@dataclass(frozen=True)
class FindingRow:
    anchor: str
    path: str
    file_anchor: str
    line: int
    column: int
    cell: Optional[int]
    cell_line: Optional[int]
    rule_id: str
    apis: tuple[str, ...]
    scopes: tuple[str, ...]
    kind: str
    kind_label: str
    auth_scheme: str
    source: str
    source_detail: str
    redacted: Optional[str]
    leaked: bool
    severity: str
    severity_rank: int
    confidence: str
    fixable_by: str
    message: str
    notes: tuple[str, ...]
    endpoints: tuple[EndpointRow, ...]
    client: str
    client_anchor: str


@dataclass(frozen=True)
class DiffLine:
    kind: str  # "add" | "del" | "hunk" | "meta" | "ctx"
    text: str


@dataclass(frozen=True)
class FileDetail:
    path: str
    anchor: str
    repository: str
    client: str
    client_anchor: str
    findings: tuple[FindingRow, ...]
    scopes: tuple[str, ...]
    permissions: tuple[str, ...]
    blockers: tuple[str, ...]
    diff: tuple[DiffLine, ...]
    #: "fix" when a diff is shown, "manual" when every finding needs a human, "" when unknown.
    fix_note: str
    #: Every client of the file as (name, anchor), `client` first; several when it reaches several teams.
    clients: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class Report:
    title: str
    generated: date
    tool_version: str
    retirement: Retirement
    inputs: tuple[InputInfo, ...]
    repositories: tuple[Repository, ...]
    grouping: str
    grouping_note: str
    summary: Summary
    clients: tuple[ClientPlan, ...]
    permissions: tuple[PermissionRow, ...]
    blockers: tuple[BlockerRow, ...]
    findings: tuple[FindingRow, ...]
    files: tuple[FileDetail, ...]
    #: The merged plan of every scan (what `scan` prints for all the trees at once).
    plan: ScopePlan
    has_granted: bool
    granted_sources: tuple[str, ...]
    granted_warnings: tuple[str, ...]
    skipped: tuple[tuple[str, int], ...]
    errors: tuple[str, ...]
    has_diffs: bool
    #: Files `fix` would change or create that hold no finding (its generated OAuth helper).
    fix_other_files: tuple[str, ...] = ()


# ---- helpers --------------------------------------------------------------------------------------


def anchor(prefix: str, text: str) -> str:
    """A stable HTML id made of safe characters only, whatever the text holds."""
    slug = "".join(ch if ch.isascii() and ch.isalnum() else "-" for ch in text.lower()).strip("-")
    slug = "-".join(part for part in slug.split("-") if part)[:40]
    digest = hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()[:8]
    return f"{prefix}-{slug}-{digest}" if slug else f"{prefix}-{digest}"


def _clean_root(root: str) -> str:
    root = root.replace(os.sep, "/") if os.sep != "/" else root
    while root.startswith("./") and len(root) > 2:
        root = root[2:]
    root = root.rstrip("/") or ("/" if root.startswith("/") else ".")
    return root


def display_root(path: str, cwd: Optional[str] = None) -> str:
    """A PATH argument spelled the way discovery spells finding paths (relative to the cwd when under it)."""
    cwd = os.path.abspath(cwd or os.getcwd())
    full = os.path.abspath(os.path.join(cwd, path))
    if full == cwd:
        return "."
    shown = full.removeprefix(os.path.join(cwd, ""))
    return shown.replace(os.sep, "/")


def root_label(root: str, cwd: Optional[str] = None) -> str:
    """The repository name: the root directory's own name (the cwd's name for ".")."""
    base = os.path.abspath(os.path.join(cwd or os.getcwd(), root))
    if os.path.isfile(base):
        base = os.path.dirname(base)
    return os.path.basename(base.rstrip(os.sep)) or base


def git_info(path: str) -> tuple[Optional[str], bool]:
    """(HEAD commit, tracked files changed) of the git work tree holding `path`; (None, False) outside git."""
    directory = path if os.path.isdir(path) else (os.path.dirname(path) or ".")
    try:
        head = subprocess.run(
            [*_GIT, "-C", directory, "rev-parse", "--verify", "-q", "HEAD"],
            capture_output=True,
            text=True,
            timeout=20,
            check=False,
        )
        if head.returncode != 0 or not head.stdout.strip():
            return None, False
        status = subprocess.run(
            [*_GIT, "-C", directory, "status", "--porcelain", "--untracked-files=no", "--", "."],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return None, False
    return head.stdout.strip(), bool(status.returncode == 0 and status.stdout.strip())


def repo_roots(paths: Sequence[str], cwd: Optional[str] = None) -> tuple[RepoRoot, ...]:
    """One repository per PATH argument, labelled by its directory name, with its git commit."""
    roots: list[RepoRoot] = []
    for path in paths:
        root = display_root(path, cwd)
        if any(r.root == root for r in roots):
            continue
        commit, dirty = git_info(os.path.join(cwd or os.getcwd(), path))
        roots.append(RepoRoot(root, root_label(root, cwd), commit, dirty))
    return _unique_labels(roots)


def _unique_labels(roots: Sequence[RepoRoot]) -> tuple[RepoRoot, ...]:
    counts = Counter(r.label for r in roots)
    return tuple(
        RepoRoot(r.root, r.root if counts[r.label] > 1 else r.label, r.commit, r.dirty) for r in roots
    )


def _under(path: str, root: str) -> bool:
    if root == ".":
        return not path.startswith("/") and not path.startswith("../")
    return path == root or path.startswith(root.rstrip("/") + "/")


def _relative(path: str, root: str) -> str:
    if root == ".":
        return path
    return path[len(root.rstrip("/")) + 1 :] if path != root else posixpath.basename(path)


def _inferred_roots(result: Mapping[str, Any], origin: str) -> tuple[RepoRoot, ...]:
    """Roots of a scan JSON: its own `roots` when it has them, else the common directory of its paths."""
    declared = result.get("roots") or (result.get("scan") or {}).get("roots") or ()
    if declared:
        return tuple(
            RepoRoot(
                _clean_root(str(r)),
                posixpath.basename(_clean_root(str(r)).rstrip("/")) or _clean_root(str(r)),
            )
            for r in declared
        )
    paths = [f["path"] for f in result.get("findings", [])] + list(result.get("file_plans", {}))
    dirs = [posixpath.dirname(p) for p in paths]
    common = (
        posixpath.commonpath(dirs)
        if dirs and all(d.startswith("/") == dirs[0].startswith("/") for d in dirs)
        else ""
    )
    if common and common not in (".", "/"):
        return (RepoRoot(common, posixpath.basename(common) or common),)
    stem = posixpath.basename(origin.replace(os.sep, "/"))
    return (RepoRoot(".", stem.rsplit(".", 1)[0] if "." in stem else stem or "scan"),)


def api_label(api_id: str) -> str:
    """The API's short name ("Data Integration") for a rules/apis.yaml id; the id when unknown."""
    row = default_table().by_id.get(api_id)
    return row.name.split(" (")[0] if row else api_id


def short_api_name(name: str) -> str:
    return name.split(" (")[0]


def resource_from_dict(d: Optional[Mapping[str, Any]]) -> Resource:
    if not d:
        return Resource("team")
    return Resource(str(d.get("type") or "team"), d.get("id"), d.get("placeholder"), d.get("note"))


def plan_from_dict(d: Optional[Mapping[str, Any]]) -> ScopePlan:
    """Read back a `plan_dict` (the JSON contract) as a ScopePlan."""
    if not d:
        return ScopePlan()
    return ScopePlan(
        scopes=tuple(
            ScopeRequirement(
                s["scope"],
                s.get("basis", "I"),
                tuple(s.get("apis") or ()),
                tuple(s.get("alternatives") or ()),
            )
            for s in d.get("scopes", [])
        ),
        permissions=tuple(
            PermissionRequirement(
                p["permission"],
                resource_from_dict(p.get("resource")),
                p.get("basis", "I"),
                tuple(p.get("apis") or ()),
            )
            for p in d.get("permissions", [])
        ),
        blockers=tuple(
            Blocker(b.get("method", "*"), b["path"], b.get("reason", ""), b.get("api"))
            for b in d.get("blockers", [])
        ),
        unknown=tuple(d.get("unknown_endpoints", [])),
    )


def _diff_lines(diff: str) -> tuple[DiffLine, ...]:
    out = []
    for line in scrub(diff).splitlines():
        if line.startswith(("+++", "---")):
            kind = "meta"
        elif line.startswith("@@"):
            kind = "hunk"
        elif line.startswith("+"):
            kind = "add"
        elif line.startswith("-"):
            kind = "del"
        else:
            kind = "ctx"
        out.append(DiffLine(kind, line))
    return tuple(out)


def _bars(counts: Iterable[tuple[str, int, str]]) -> tuple[Bar, ...]:
    items = [(label, n, css) for label, n, css in counts if n]
    top = max((n for _, n, _ in items), default=0)
    return tuple(Bar(label, n, round(100.0 * n / top, 1) if top else 0.0, css) for label, n, css in items)


def source_label(f: Mapping[str, Any]) -> str:
    kind = (f.get("key_source") or {}).get("kind") or "unknown"
    if kind == "literal":
        if f.get("leaked"):
            return "leaked literal"
        if f.get("literal_class") in ("placeholder", "doc-example"):
            return "placeholder literal"
        return "literal (not a live key)"
    return SOURCE_LABELS.get(kind, kind)


def _source_detail(f: Mapping[str, Any]) -> str:
    src = f.get("key_source") or {}
    name = src.get("name")
    label = source_label(f)
    return f"{label} {name}" if name and src.get("kind") not in ("literal", "unknown") else label


# ---- grouping -------------------------------------------------------------------------------------


@dataclass
class _Group:
    """The findings of one client name before it is split per team host."""

    name: str
    #: (finding, repository label, application or None), in input order.
    members: list[tuple[Mapping[str, Any], str, Optional[str]]] = field(default_factory=list)


@dataclass
class _Client:
    """One client to register: a group's findings that reach one team host ("" = not visible)."""

    name: str
    host: str
    repositories: set[str] = field(default_factory=set)
    applications: set[str] = field(default_factory=set)
    files: set[str] = field(default_factory=set)
    findings: int = 0
    plans: list[ScopePlan] = field(default_factory=list)


#: The client name suffix for the findings of a split group whose team host is not visible.
HOST_NOT_VISIBLE = "team-not-visible"


def _host(e: Mapping[str, Any]) -> str:
    host = e.get("host")
    return host.strip().lower() if isinstance(host, str) else ""


def finding_hosts(f: Mapping[str, Any]) -> tuple[str, ...]:
    """The team hosts a finding's calls reach, sorted (lower-case); empty when none is visible."""
    return tuple(sorted({h for e in f.get("endpoints") or () if (h := _host(e))}))


def host_label(host: str) -> str:
    """The short team name of a host for a client name: `acme.eu-1` for `acme.eu-1.celonis.cloud`."""
    if not host:
        return HOST_NOT_VISIBLE
    return host.removesuffix(".celonis.cloud") or host


def _assign_hosts(members: Sequence[tuple[Mapping[str, Any], str, Optional[str]]]) -> list[tuple[str, ...]]:
    """The team host(s) of each finding of a group: an OAuth client belongs to one team.

    A finding's hosts are those its calls reach. A finding with none takes the team of the hosted
    findings of its credential (`credential_id`: the same key, so the same team) when they reach
    one team; a finding with no call at all (a `.env` entry) also takes the group's team when the
    group reaches only one. Anything else is "" (team host not visible in code), and so are the
    host-less calls of a finding that reaches several teams.
    """
    hosted = [finding_hosts(f) for f, _, _ in members]
    by_credential: dict[str, set[str]] = defaultdict(set)
    for (f, _, _), hosts in zip(members, hosted, strict=True):
        if hosts and isinstance(f.get("credential_id"), str):
            by_credential[f["credential_id"]].update(hosts)
    group_hosts = {h for hosts in hosted for h in hosts}
    out = []
    for (f, _, _), hosts in zip(members, hosted, strict=True):
        if len(hosts) > 1 and any(not _host(e) for e in f.get("endpoints") or ()):
            hosts = (*hosts, "")  # calls of a several-team finding whose own host is not visible
        if not hosts:
            team = by_credential.get(str(f.get("credential_id")), set()) if f.get("credential_id") else set()
            if len(team) == 1:
                hosts = tuple(team)
            elif not team and not f.get("endpoints") and len(group_hosts) == 1:
                hosts = tuple(group_hosts)
            else:
                hosts = ("",)
        out.append(hosts)
    return out


def endpoint_from_dict(e: Mapping[str, Any]) -> Endpoint:
    """Read back an `endpoint_dict` (the JSON contract) as an Endpoint."""
    resource = e.get("resource")
    status = str(e.get("status") or "unknown")
    basis = str(e.get("basis") or "U")
    if status not in ("blocker", "unknown") and basis not in ("D", "C", "I"):
        basis = "I"  # a mapped call's evidence is documented, a client-level claim or inferred
    return Endpoint(
        method=str(e.get("method") or "*"),
        url=e.get("url"),
        path=str(e.get("path") or ""),
        api=e.get("api"),
        api_name=e.get("api_name"),
        scopes=tuple(e.get("scopes") or ()),
        permissions=tuple(e.get("permissions") or ()),
        resource=resource_from_dict(resource) if resource else None,
        status=status,
        basis=basis,
        host=e.get("host"),
        note=e.get("note"),
        line=int(e.get("line") or 0),
    )


def _client_name(grouping: str, repo: str, app: Optional[str], single_name: str) -> tuple[str, Optional[str]]:
    if grouping == "single":
        return single_name, app
    if grouping == "per-app" and app:
        return f"{repo}/{app}", app
    return repo, app


_GROUPING_NOTES = {
    "per-repo": (
        "One OAuth client per repository (scan root): each repository gets only the scopes its own code "
        "needs."
    ),
    "per-app": (
        "One OAuth client per application: an application is a top-level directory under a repository's "
        "root; files directly in the root belong to the repository's own client."
    ),
    "single": (
        "One OAuth client for everything scanned: simplest to run, but it holds the union of all scopes."
    ),
}


_SPLIT_NOTE = (
    " An OAuth client belongs to one Celonis team and gets its tokens from that team's host: code that "
    "reaches several team hosts gets one client per team (NAME@team; NAME@" + HOST_NOT_VISIBLE + " for "
    "calls whose team host is not visible in code)."
)


# ---- granted --------------------------------------------------------------------------------------


def _scope_status(scope: ScopeRequirement, granted: Optional[GrantedClient]) -> tuple[str, str]:
    if granted is None:
        return "to-assign", ""
    have = set(granted.scopes)
    if scope.scope in have:
        return "done", ""
    if scope.scope.startswith(_POOLS + ":") and _POOLS in have:
        return "done", f"covered by {_POOLS}"
    alt = next((a for a in scope.alternatives if a in have), None)
    if alt:
        return "done", f"alternative {alt} granted"
    return "to-assign", ""


def _permission_status(
    row_type: str,
    row_id: Optional[str],
    km_id: Optional[str],
    permission: str,
    granted: Optional[GrantedClient],
) -> tuple[str, str]:
    if granted is None:
        return "to-assign", ""
    if not granted.permissions_known:
        return "to-assign", "a live token check cannot see permissions: confirm in Celonis"
    want = normalise_permission(permission)
    for g in granted.permissions:
        if normalise_permission(g.permission) != want:
            continue
        if row_type == "team" and g.resource_type == "team":
            return "done", ""
        if row_id is not None:
            if g.resource_type == row_type and g.resource_id == row_id:
                return "done", ""
            if km_id and g.resource_type == "knowledge_model" and g.resource_id == km_id:
                return "done", ""
        elif g.resource_type == row_type or (
            km_id is None and row_type == "package" and g.resource_type == "knowledge_model"
        ):
            where = (
                f"{RESOURCE_LABELS.get(g.resource_type, g.resource_type)} {g.resource_id}"
                if g.resource_id
                else f"a {RESOURCE_LABELS.get(g.resource_type, g.resource_type)}"
            )
            return "done", f"granted on {where}; the code does not show which one it uses: check"
    return "to-assign", ""


def _permission_row(
    client: str, client_anchor: str, req: PermissionRequirement, granted: Optional[GrantedClient]
) -> PermissionRow:
    r = req.resource
    rtype, rid, origin, km_id = r.type, r.id, "", None
    label = RESOURCE_LABELS.get(r.type, r.type.replace("_", " "))
    notes = [
        n
        for n in (r.note or "").split(NOTE_SEPARATOR)
        if n
        and n != f"{label} not visible in code"
        and n != f"{r.type.replace('_', ' ')} not visible in code"
    ]
    if r.type == "knowledge_model":
        key = package_key(r.id) if r.id else None
        if key:
            rtype, rid, origin, km_id = "package", key, f"from KM ID {r.id}", r.id
            notes = [n for n in notes if not n.startswith("package key ")]
        elif r.placeholder:
            rtype = "package"
    status, status_note = _permission_status(rtype, rid, km_id, req.permission, granted)
    return PermissionRow(
        client=client,
        client_anchor=client_anchor,
        permission=req.permission,
        resource_type=rtype,
        resource_label=RESOURCE_LABELS.get(rtype, rtype.replace("_", " ")),
        resource_id=rid,
        placeholder=r.placeholder,
        origin=origin,
        note="; ".join(notes),
        basis=req.basis,
        basis_label=BASIS_LABELS.get(req.basis, req.basis),
        apis=tuple(api_label(a) for a in req.apis),
        status=status,
        status_note=status_note,
        km_id=km_id,
    )


# ---- build ----------------------------------------------------------------------------------------


def build_report(
    inputs: Sequence[ScanInput],
    *,
    clients: str = "per-repo",
    client_name: str = DEFAULT_CLIENT_NAME,
    granted: Optional[Granted] = None,
    title: Optional[str] = None,
    today: Optional[date] = None,
    auth_method: str = "client_secret_basic",
    client_globs: Sequence[tuple[str, Sequence[str]]] = (),
) -> Report:
    """The report model of one or more scans (pure: git information comes in with `inputs`).

    `client_globs` ([tool.celonis-migrator.clients]: name -> globs over the finding paths) names the
    client of the files it matches, first match wins; `clients` groups the rest.
    """
    from migrator.discover import _glob_regex

    if clients not in CLIENT_GROUPINGS:
        raise ValueError(f"clients must be one of {CLIENT_GROUPINGS}")
    today = today or date.today()
    granted = granted or Granted()
    named = [(name, _glob_regex(list(globs))) for name, globs in client_globs]

    groups: dict[str, _Group] = {}
    file_group: dict[str, str] = {}
    file_repo: dict[str, str] = {}
    given_plans: dict[str, Optional[ScopePlan]] = {}
    file_findings: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    diffs: dict[str, str] = {}
    repos: dict[str, RepoRoot] = {}
    repo_counts: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    infos: list[InputInfo] = []
    skipped: Counter[str] = Counter()
    errors: list[str] = []

    for item in inputs:
        result = item.result
        stats = result.get("stats") or {}
        infos.append(
            InputInfo(
                origin=item.origin,
                tool_version=str((result.get("tool") or {}).get("version", "?")),
                files_scanned=int(stats.get("files_scanned", 0)),
                files_skipped=int(stats.get("files_skipped", 0)),
                findings=len(result.get("findings", [])),
                errors=tuple(scrub(str(e)) for e in result.get("errors", [])),
            )
        )
        errors.extend(scrub(str(e)) for e in result.get("errors", []))
        skipped.update({str(k): int(v) for k, v in (stats.get("skipped_by_reason") or {}).items()})
        roots = item.roots or _inferred_roots(result, item.origin)
        for r in roots:
            repos.setdefault(r.root + "\0" + r.label, r)
        plans = {p: plan_from_dict(d) for p, d in (result.get("file_plans") or {}).items()}
        diffs.update({p: d for p, d in item.diffs.items() if d})
        for finding in result.get("findings", []):
            path = str(finding["path"])
            root = max((r for r in roots if _under(path, r.root)), key=lambda r: len(r.root), default=None)
            if root is None:
                root = RepoRoot(
                    posixpath.dirname(path) or ".", posixpath.basename(posixpath.dirname(path)) or "scan"
                )
                repos.setdefault(root.root + "\0" + root.label, root)
            rel = _relative(path, root.root)
            app = rel.split("/", 1)[0] if "/" in rel else None
            name, app = _client_name(clients, root.label, app, client_name)
            configured = next((n for n, rx in named if rx is not None and rx.fullmatch(path)), None)
            if configured is not None:
                name = configured
            if path not in file_group:
                file_group[path] = name
                file_repo[path] = root.label
                given_plans[path] = plans.get(path)
            # A file belongs to one group (the first input that names it decides).
            group = groups.setdefault(file_group[path], _Group(file_group[path]))
            group.members.append((finding, root.label, app))
            repo_counts[root.root + "\0" + root.label].append(finding)
            file_findings[path].append(finding)

    # A file's plan: the scan's own, else the plan of its findings' endpoints (an older JSON).
    file_plans: dict[str, ScopePlan] = {}
    for path, fs in file_findings.items():
        given = given_plans[path]
        file_plans[path] = (
            given
            if given is not None
            else build_plan(endpoint_from_dict(e) for f in fs for e in f.get("endpoints") or ())
        )
    all_plans = [file_plans[path] for path in file_findings]

    # Split each group per team host: an OAuth client belongs to one Celonis team.
    finding_clients: dict[int, tuple[str, ...]] = {}
    endpoint_client: dict[tuple[int, int], str] = {}
    split: list[str] = []
    members_of: dict[str, _Client] = {}
    for gname, g in groups.items():
        assigned = _assign_hosts(g.members)
        teams = {h for hosts in assigned for h in hosts}
        if len(teams) > 1:
            split.append(gname)

        def cname(host: str, gname: str = gname, many: bool = len(teams) > 1) -> str:
            return f"{gname}@{host_label(host)}" if many else gname

        for (f, repo, app), hosts in zip(g.members, assigned, strict=True):
            names = tuple(cname(h) for h in hosts)
            finding_clients[id(f)] = names
            for host, n in zip(hosts, names, strict=True):
                c = members_of.setdefault(n, _Client(n, host))
                c.repositories.add(repo)
                if app:
                    c.applications.add(app)
                c.files.add(str(f["path"]))
                c.findings += 1
            for k, e in enumerate(f.get("endpoints") or ()):
                host = _host(e)
                endpoint_client[(id(f), k)] = (
                    cname(host) if host in hosts else names[0] if len(names) == 1 else cname("")
                )

    # Each (file, client) pair's plan: the file's own when the file is one client's, else its share.
    sub_plans: dict[tuple[str, str], ScopePlan] = {}
    file_clients: dict[str, tuple[str, ...]] = {}
    for path, fs in file_findings.items():
        shares = sorted({n for f in fs for n in finding_clients[id(f)]})
        file_clients[path] = tuple(shares)
        if len(shares) == 1:
            sub_plans[(path, shares[0])] = file_plans[path]
            continue
        for n in shares:
            sub_plans[(path, n)] = build_plan(
                endpoint_from_dict(e)
                for f in fs
                for k, e in enumerate(f.get("endpoints") or ())
                if endpoint_client[(id(f), k)] == n
            )
    for (_path, n), plan in sorted(sub_plans.items()):
        members_of[n].plans.append(plan)

    # Clients, in name order, with their merged plan and the granted comparison.
    client_plans: list[ClientPlan] = []
    client_anchor = {name: anchor("client", name) for name in members_of}
    for name in sorted(members_of):
        cm = members_of[name]
        plan = merge_plans(cm.plans)
        gc = granted.client(name)
        scope_rows = []
        for s in plan.scopes:
            status, note = _scope_status(s, gc)
            scope_rows.append(
                ScopeRow(
                    s.scope,
                    s.basis,
                    BASIS_LABELS.get(s.basis, s.basis),
                    tuple(api_label(a) for a in s.apis),
                    s.alternatives,
                    status,
                    note,
                )
            )
        perm_rows = sorted(
            (_permission_row(name, client_anchor[name], p, gc) for p in plan.permissions),
            key=lambda r: (r.resource_type != "team", r.resource_type, r.resource_id or "", r.permission),
        )
        if cm.host:
            note = (
                "the team or realm is computed at run time: fill in the placeholder" if "{" in cm.host else ""
            )
            token = TokenUrl(cm.host, f"https://{cm.host}/oauth2/token", note)
        else:
            token = TokenUrl(
                "", "https://<team>.<realm>.celonis.cloud/oauth2/token", "team host not visible in code"
            )
        client_plans.append(
            ClientPlan(
                name=name,
                anchor=client_anchor[name],
                repositories=tuple(sorted(cm.repositories)),
                applications=tuple(sorted(cm.applications)),
                files=tuple((p, anchor("file", p)) for p in sorted(cm.files)),
                findings=cm.findings,
                scopes=tuple(scope_rows),
                scope_string=plan.scope_string,
                token_urls=(token,),
                grant_type=GRANT_TYPE,
                auth_method=auth_method,
                permissions=tuple(perm_rows),
                blockers=len(plan.blockers) + len(plan.unknown),
                unknown=plan.unknown,
                granted_source=gc.source if gc else "",
                plan=plan,
            )
        )

    # Findings rows, in path/line order.
    rows: list[FindingRow] = []
    for path in sorted(file_findings):
        for f in sorted(
            file_findings[path], key=lambda f: (f.get("line", 0), f.get("column", 0), f.get("rule_id", ""))
        ):
            primary = finding_clients[id(f)][0]
            rows.append(_finding_row(f, primary, client_anchor[primary]))

    blockers = _blocker_rows(sub_plans, finding_clients, file_findings)
    files = tuple(
        _file_detail(
            path,
            file_repo[path],
            tuple((n, client_anchor[n]) for n in file_clients[path]),
            [r for r in rows if r.path == path],
            file_plans[path],
            diffs.get(path),
        )
        for path in sorted(file_findings)
    )
    all_perms = tuple(p for c in client_plans for p in c.permissions)
    repositories = tuple(
        Repository(
            r.label,
            r.root,
            r.commit,
            r.dirty,
            len(repo_counts[key]),
            len({f["path"] for f in repo_counts[key]}),
        )
        for key, r in sorted(repos.items(), key=lambda kv: (kv[1].label, kv[1].root))
    )
    summary = _summary(rows, client_plans, all_perms, blockers, len(repositories))
    plan_names = {c.name for c in client_plans}
    warnings = list(granted.warnings)
    for gc in granted.clients:
        if gc.name not in plan_names:
            warnings.append(
                f"{gc.source or 'granted'}: client {gc.name!r} is not in this report's plan "
                f"(clients: {', '.join(sorted(plan_names)) or 'none'})"
            )
    default_title = "Celonis OAuth migration report"
    if len(repositories) == 1:
        default_title += f": {repositories[0].label}"
    return Report(
        title=title or default_title,
        generated=today,
        tool_version=__version__,
        retirement=Retirement(RETIREMENT_DATE, today, (today - RETIREMENT_DATE).days),
        inputs=tuple(infos),
        repositories=repositories,
        grouping=clients,
        grouping_note=(
            (
                "Clients named in the configuration ([tool.celonis-migrator.clients]) take the files "
                "their globs match. Other files: "
                if named
                else ""
            )
            + _GROUPING_NOTES[clients]
            + (_SPLIT_NOTE if split else "")
        ),
        summary=summary,
        clients=tuple(client_plans),
        permissions=all_perms,
        blockers=blockers,
        findings=tuple(rows),
        files=files,
        plan=merge_plans(all_plans),
        has_granted=bool(granted.clients),
        granted_sources=tuple(sorted({c.source for c in granted.clients if c.source})),
        granted_warnings=tuple(scrub(w) for w in warnings),
        skipped=tuple(sorted(skipped.items())),
        errors=tuple(errors),
        has_diffs=bool(diffs),
        fix_other_files=tuple(sorted(p for p in diffs if p not in file_findings)),
    )


def _endpoint_row(e: Mapping[str, Any]) -> EndpointRow:
    return EndpointRow(
        method=str(e.get("method") or "*"),
        path=str(e.get("path") or ""),
        url=e.get("url"),
        api_name=str(e.get("api_name") or "unknown Celonis API"),
        scopes=tuple(e.get("scopes") or ()),
        permissions=tuple(e.get("permissions") or ()),
        status=str(e.get("status") or "unknown"),
        basis_label=BASIS_LABELS.get(str(e.get("basis") or "U"), "unknown"),
        line=int(e.get("line") or 0),
        note=str(e.get("note") or ""),
    )


def _finding_row(f: Mapping[str, Any], client: str, client_anchor: str) -> FindingRow:
    eps = tuple(_endpoint_row(e) for e in f.get("endpoints", []))
    apis = (
        tuple(dict.fromkeys(short_api_name(e.api_name) for e in eps))
        if eps
        else ("Celonis call not visible",)
    )
    scopes = tuple(dict.fromkeys(s for e in eps for s in e.scopes))
    severity = str(f.get("severity") or "medium")
    path = str(f["path"])
    line = int(f.get("line") or 0)
    return FindingRow(
        anchor=anchor("finding", f"{path}:{line}:{f.get('column', 0)}:{f.get('fingerprint', '')}"),
        path=path,
        file_anchor=anchor("file", path),
        line=line,
        column=int(f.get("column") or 0),
        cell=f.get("cell"),
        cell_line=f.get("cell_line"),
        rule_id=str(f.get("rule_id") or ""),
        apis=apis,
        scopes=scopes,
        kind=str(f.get("credential_kind") or "static_key"),
        kind_label=KIND_LABELS.get(str(f.get("credential_kind")), str(f.get("credential_kind"))),
        auth_scheme=str(f.get("auth_scheme") or ""),
        source=source_label(f),
        source_detail=_source_detail(f),
        redacted=scrub(str(f["redacted"])) if f.get("redacted") else None,
        leaked=bool(f.get("leaked")),
        severity=severity,
        severity_rank=SEVERITIES.index(severity) if severity in SEVERITIES else len(SEVERITIES),
        confidence=str(f.get("confidence") or ""),
        fixable_by=str(f.get("fixable_by") or "manual"),
        message=scrub(str(f.get("message") or "")),
        notes=tuple(scrub(str(n)) for n in f.get("notes", [])),
        endpoints=eps,
        client=client,
        client_anchor=client_anchor,
    )


def _split_reason(reason: str, api: Optional[str]) -> tuple[str, str]:
    explanation = reason[len(_BLOCKER_PREFIX) :].strip() if reason.startswith(_BLOCKER_PREFIX) else reason
    return explanation or "No documented OAuth scope.", BLOCKER_TODO.get(api or "", _DEFAULT_TODO)


def _blocker_rows(
    plans: Mapping[tuple[str, str], ScopePlan],
    finding_clients: Mapping[int, tuple[str, ...]],
    findings_of: Mapping[str, list[Mapping[str, Any]]],
) -> tuple[BlockerRow, ...]:
    """Blocker rows from each (file, client) plan; Kafka connector configs are integrations."""
    found: dict[tuple[str, str, str], dict[str, Any]] = {}

    def add(
        kind: str,
        method: str,
        path: str,
        api: Optional[str],
        explanation: str,
        todo: str,
        file: str,
        clients: Iterable[str],
    ) -> None:
        entry = found.setdefault(
            (kind, path, method),
            {"api": api, "explanation": explanation, "todo": todo, "clients": set(), "files": set()},
        )
        entry["clients"].update(clients)
        entry["files"].add(file)

    kafka_paths: dict[str, set[str]] = defaultdict(set)
    kafka_clients: dict[str, set[str]] = defaultdict(set)
    for file, fs in findings_of.items():
        for f in fs:
            if str(f.get("rule_id", "")).startswith("kafka-ems"):
                paths = {str(e.get("path")) for e in f.get("endpoints") or [] if e.get("path")}
                kafka_paths[file] |= paths or {"Kafka EMS sink connector"}
                kafka_clients[file].update(finding_clients[id(f)])
    matched: dict[str, set[str]] = defaultdict(set)
    for (file, client), plan in sorted(plans.items()):
        for b in plan.blockers:
            explanation, todo = _split_reason(b.reason, b.api)
            if b.path in kafka_paths[file]:
                matched[file].add(b.path)
                add("integration", b.method, b.path, b.api, explanation, _KAFKA_TODO, file, (client,))
            else:
                add("no-scope", b.method, b.path, b.api, explanation, todo, file, (client,))
        for u in plan.unknown:
            method, _, path = u.partition(" ")
            add(
                "unknown",
                method,
                path or u,
                None,
                "No API row matches this Celonis path: no known OAuth scope.",
                _UNKNOWN_TODO,
                file,
                (client,),
            )
    for file, paths in kafka_paths.items():
        for path in sorted(paths - matched[file]):
            explanation = "Kafka EMS sink connector: the key is a fixed header value in the connector config."
            add("integration", "POST", path, None, explanation, _KAFKA_TODO, file, kafka_clients[file])
    rows = []
    order = {"no-scope": 0, "integration": 1, "unknown": 2}
    for (kind, path, method), e in sorted(
        found.items(), key=lambda kv: (order[kv[0][0]], kv[0][1], kv[0][2])
    ):
        rows.append(
            BlockerRow(
                kind,
                method,
                path,
                e["api"],
                scrub(e["explanation"]),
                e["todo"],
                tuple(sorted(e["clients"])),
                tuple((p, anchor("file", p)) for p in sorted(e["files"])),
            )
        )
    return tuple(rows)


def _file_detail(
    path: str,
    repo: str,
    clients: tuple[tuple[str, str], ...],
    rows: list[FindingRow],
    plan: ScopePlan,
    diff: Optional[str],
) -> FileDetail:
    lines = _diff_lines(diff) if diff else ()
    if lines:
        note = "fix"
    elif rows and all(r.fixable_by != "fix" for r in rows):
        note = "manual"
    else:
        note = ""
    return FileDetail(
        path=path,
        anchor=anchor("file", path),
        repository=repo,
        client=clients[0][0],
        client_anchor=clients[0][1],
        findings=tuple(rows),
        scopes=tuple(s.scope for s in plan.scopes),
        permissions=tuple(_permission_text(p) for p in plan.permissions),
        blockers=tuple(f"{b.method} {b.path}" for b in plan.blockers) + plan.unknown,
        diff=lines,
        fix_note=note,
        clients=clients,
    )


def _permission_text(p: PermissionRequirement) -> str:
    r = p.resource
    if r.type == "team":
        return f"{p.permission} (team)"
    if r.type == "knowledge_model" and r.id and package_key(r.id):
        return f"{p.permission} on package {package_key(r.id)} (from KM ID {r.id})"
    label = RESOURCE_LABELS.get(r.type, r.type)
    return f"{p.permission} on {label} {r.id or r.placeholder or '(not visible in code)'}"


def _summary(
    rows: Sequence[FindingRow],
    clients: Sequence[ClientPlan],
    perms: Sequence[PermissionRow],
    blockers: Sequence[BlockerRow],
    repositories: int,
) -> Summary:
    sev = Counter(r.severity for r in rows)
    kinds = Counter(r.kind for r in rows)
    sources = Counter(r.source for r in rows)
    source_order = [
        "leaked literal",
        "literal (not a live key)",
        "placeholder literal",
        "environment variable",
        "secret reference",
        "config value",
    ]
    ordered_sources = source_order + sorted(s for s in sources if s not in source_order)
    return Summary(
        findings=len(rows),
        files=len({r.path for r in rows}),
        leaked=sum(1 for r in rows if r.leaked),
        fixable=sum(1 for r in rows if r.fixable_by == "fix"),
        by_severity=_bars((s, sev[s], f"sev-{s}") for s in SEVERITIES),
        by_kind=_bars((KIND_LABELS[k], kinds[k], f"kind-{k}") for k in KIND_LABELS),
        by_source=_bars((s, sources[s], "source") for s in ordered_sources),
        clients=len(clients),
        scopes=len({s.scope for c in clients for s in c.scopes}),
        permissions_total=len(perms),
        permissions_to_assign=sum(1 for p in perms if p.status != "done"),
        blockers=len(blockers),
        repositories=repositories,
    )


# ---- tables (CSV) ---------------------------------------------------------------------------------


def instruction_text(p: PermissionRow) -> str:
    """The admin's to-do in words: "Grant client `x` USE PACKAGE on package `acme-p2p` (from KM ID ...)"."""
    head = f"Grant client `{p.client}` {p.permission}"
    if p.team_level:
        return f"{head} (team permission)"
    if p.resource_id:
        origin = f" ({p.origin})" if p.origin else ""
        return f"{head} on {p.resource_label} `{p.resource_id}`{origin}"
    if p.placeholder:
        return f"{head} on the {p.resource_label} the code computes as {p.placeholder}"
    return f"{head} on the {p.resource_label} it uses (not visible in code)"


def table_rows(report: Report, table: str) -> list[dict[str, Any]]:
    """Rows of the report's plan, permissions and blockers tables, for CSV (columns in csv_format)."""
    if table == "plan":
        return [
            {
                "client": c.name,
                "scope": s.scope,
                "basis": s.basis,
                "evidence": s.basis_label,
                "apis": "; ".join(s.apis),
                "alternatives": " ".join(s.alternatives),
                "status": s.status,
                "status_note": s.status_note,
                "grant_type": c.grant_type,
                "auth_method": c.auth_method,
                "token_urls": " ".join(t.url for t in c.token_urls),
                "repositories": " ".join(c.repositories),
            }
            for c in report.clients
            for s in c.scopes
        ]
    if table == "permissions":
        return [
            {
                "client": p.client,
                "permission": p.permission,
                "resource_type": p.resource_type,
                "resource_id": p.resource_id,
                "placeholder": p.placeholder,
                "origin": p.origin,
                "note": p.note,
                "basis": p.basis,
                "evidence": p.basis_label,
                "apis": "; ".join(p.apis),
                "status": p.status,
                "status_note": p.status_note,
                "instruction": instruction_text(p) if p.status != "done" else "",
            }
            for p in report.permissions
        ]
    if table == "blockers":
        return [
            {
                "kind": b.kind,
                "method": b.method,
                "path": b.path,
                "api": b.api,
                "explanation": b.explanation,
                "what_to_do": b.todo,
                "clients": " ".join(b.clients),
                "files": " ".join(p for p, _ in b.files),
            }
            for b in report.blockers
        ]
    raise ValueError(f"unknown report table {table!r}")


def csv_text(report: Report, inputs: Sequence[ScanInput], table: str) -> str:
    """One of the report's tables as CSV: findings (as `scan --format csv`), plan, permissions, blockers."""
    from migrator.outputs import csv_format

    if table == "findings":
        columns, rows_of = csv_format.TABLES["findings"]
        rows = [row for item in inputs for row in rows_of(_complete(item.result))]
        return csv_format.render_table(columns, rows)
    columns = csv_format.TABLES[table][0]
    return csv_format.render_table(columns, table_rows(report, table))


_FINDING_DEFAULTS: dict[str, Any] = {
    "baseline_status": None,
    "ignore_line": None,
    "notes": [],
    "endpoints": [],
}


def _complete(result: Mapping[str, Any]) -> dict[str, Any]:
    """A scan dict with the fields newer tool versions add, for JSON written by an older version."""
    return {
        **result,
        "findings": [{**_FINDING_DEFAULTS, **f} for f in result.get("findings", [])],
        "suppressed": [{**_FINDING_DEFAULTS, **f} for f in result.get("suppressed", [])],
    }


# ---- inputs ---------------------------------------------------------------------------------------


SCHEMA_VERSION = 1
_NOT_A_SCAN = "not a `celonis-migrator scan --format json` result"
_REQUIRED = object()
_STATUSES = ("documented", "inferred", "blocker", "unknown")
_EVIDENCE = ("D", "C", "I")


class _Bad(Exception):
    """A value of a scan JSON that is not what the contract says: where it is and what was expected."""

    def __init__(self, where: str, problem: str) -> None:
        super().__init__(where, problem)
        self.where = where
        self.problem = problem


def _kind_of(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {str: "a string", int: "an integer", float: "a number", list: "a list", dict: "an object"}.get(
        type(value), type(value).__name__
    )


def _expect(value: Any, kind: Any, where: str) -> Any:
    """`value` checked against `kind` (a type name, a choice tuple or a nested spec), normalised."""
    if isinstance(kind, tuple):
        if value not in kind:
            raise _Bad(where, f"expected one of {', '.join(map(str, kind))}, got {_shown_value(value)}")
        return value
    if isinstance(kind, dict):
        return _object(value, kind, where)
    if isinstance(kind, list):
        items = _expect(value, "list", where)
        return [_expect(v, kind[0], f"{where}[{i}]") for i, v in enumerate(items)]
    checks = {
        "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
        "str": (lambda v: isinstance(v, str), "a string"),
        "bool": (lambda v: isinstance(v, bool), "true or false"),
        "list": (lambda v: isinstance(v, list), "a list"),
        "object": (lambda v: isinstance(v, dict), "an object"),
        "any": (lambda v: True, "a value"),
    }
    ok, what = checks[kind]
    if not ok(value):
        raise _Bad(where, f"expected {what}, got {_kind_of(value)}")
    return value


def _shown_value(value: Any) -> str:
    return scrub(repr(value))[:40] if isinstance(value, (str, int, float, bool)) else _kind_of(value)


def _object(value: Any, spec: Mapping[str, tuple[Any, Any]], where: str) -> dict[str, Any]:
    """A JSON object checked field by field; missing or null optional fields get their default."""
    data = _expect(value, "object", where)
    out = dict(data)
    for key, (kind, default) in spec.items():
        here = f"{where}.{key}" if where else key
        if data.get(key) is None:
            if default is _REQUIRED:
                raise _Bad(here, "missing" if key not in data else "expected a value, got null")
            out[key] = copy.copy(default)
        else:
            out[key] = _expect(data[key], kind, here)
    return out


_Spec = dict[str, tuple[Any, Any]]
_RESOURCE_SPEC: _Spec = {
    "type": ("str", "team"),
    "id": ("str", None),
    "placeholder": ("str", None),
    "note": ("str", None),
}
_ENDPOINT_SPEC: _Spec = {
    "method": ("str", "*"),
    "url": ("str", None),
    "path": ("str", ""),
    "host": ("str", None),
    "api": ("str", None),
    "api_name": ("str", None),
    "scopes": (["str"], []),
    "permissions": (["str"], []),
    "resource": (_RESOURCE_SPEC, None),
    "status": (_STATUSES, "unknown"),
    "basis": (("D", "C", "I", "B", "U"), "U"),
    "note": ("str", None),
    "line": ("int", 0),
}
_FINDING_SPEC: _Spec = {
    "path": ("str", _REQUIRED),
    "rule_id": ("str", ""),
    "line": ("int", 0),
    "column": ("int", 0),
    "end_line": ("int", 0),
    "end_column": ("int", 0),
    "auth_scheme": ("str", ""),
    "auth_schemes": (["str"], []),
    "credential_kind": ("str", "static_key"),
    "key_source": ({"kind": ("str", "unknown"), "name": ("str", None)}, {"kind": "unknown", "name": None}),
    "redacted": ("str", None),
    "literal_class": ("str", None),
    "leaked": ("bool", False),
    "severity": ("str", "medium"),
    "confidence": ("str", ""),
    "language": ("str", None),
    "fixable_by": ("str", "manual"),
    "endpoints": ([_ENDPOINT_SPEC], []),
    "fingerprint": ("str", ""),
    "message": ("str", ""),
    "notes": (["str"], []),
    "related": (["str"], []),
    "cell": ("int", None),
    "cell_line": ("int", None),
    "baseline_status": ("str", None),
    "ignore_line": ("int", None),
    "credential_id": ("str", None),
    "credential_names": (["str"], []),
    "linked": (["str"], []),
}
_PLAN_SPEC: _Spec = {
    "scopes": (
        [{"scope": ("str", _REQUIRED), "basis": (_EVIDENCE, "I"), "apis": (["str"], []),
          "alternatives": (["str"], [])}],
        [],
    ),
    "permissions": (
        [{"permission": ("str", _REQUIRED), "resource": (_RESOURCE_SPEC, None), "basis": (_EVIDENCE, "I"),
          "apis": (["str"], [])}],
        [],
    ),
    "blockers": (
        [{"method": ("str", "*"), "path": ("str", _REQUIRED), "reason": ("str", ""), "api": ("str", None)}],
        [],
    ),
    "unknown_endpoints": (["str"], []),
    "scope_string": ("str", ""),
    "credentials": ("list", []),
}
_STATS_SPEC: _Spec = {
    "files_scanned": ("int", 0),
    "files_skipped": ("int", 0),
    "skipped_by_reason": ("object", {}),
}


def validate_scan(data: Any) -> dict[str, Any]:
    """A scan JSON checked against the contract (schema version 1) and completed with defaults.

    Raises _Bad with a breadcrumb (`findings[3].line`) and what was expected. Fields unknown to
    this version are kept: they are only ever added within a schema version.
    """
    if not isinstance(data, dict):
        raise _Bad("", f"{_NOT_A_SCAN} (the top level is {_kind_of(data)})")
    version = data.get("schema_version")
    if version is None and "findings" not in data:
        raise _Bad("", f"{_NOT_A_SCAN} (no schema_version, no findings list)")
    if version != SCHEMA_VERSION:
        shown = _shown_value(version)
        raise _Bad("", f"unsupported schema version {shown} (this tool reads {SCHEMA_VERSION})")
    if "findings" not in data:
        raise _Bad("", f"{_NOT_A_SCAN} (no findings list)")
    out = dict(data)
    out["findings"] = _expect(data["findings"], [_FINDING_SPEC], "findings")
    out["suppressed"] = _expect(data.get("suppressed") or [], [_FINDING_SPEC], "suppressed")
    if data.get("tool") is not None:
        out["tool"] = _object(data["tool"], {"version": ("any", "?")}, "tool")
    stats = _object(data.get("stats") or {}, _STATS_SPEC, "stats")
    for reason, count in stats["skipped_by_reason"].items():
        _expect(count, "int", f"stats.skipped_by_reason.{reason}")
    out["stats"] = stats
    out["errors"] = _expect(data.get("errors") or [], "list", "errors")
    out["roots"] = _expect(data.get("roots") or [], ["str"], "roots")
    if data.get("scan") is not None:
        out["scan"] = _object(data["scan"], {"roots": (["str"], [])}, "scan")
    if data.get("plan") is not None:
        out["plan"] = _object(data["plan"], _PLAN_SPEC, "plan")
    plans = _expect(data.get("file_plans") or {}, "object", "file_plans")
    out["file_plans"] = {
        str(k): _object(v, _PLAN_SPEC, f"file_plans[{json_key(k)}]") for k, v in plans.items()
    }
    diffs = _expect(data.get("diffs") or {}, "object", "diffs")
    out["diffs"] = {str(k): _expect(v, "str", f"diffs[{json_key(k)}]") for k, v in diffs.items()}
    return out


def json_key(key: str) -> str:
    """An object key in a breadcrumb, quoted and bounded (a path may hold anything)."""
    return repr(scrub(str(key))[:80])


def load_scan_json(path: str) -> ScanInput:
    """A `scan --format json` file as a report input; MigratorError (one line, with a breadcrumb to
    the bad value: `x.json: at findings[3].line: expected an integer`) when it is not one."""
    import json

    from migrator.errors import MigratorError

    shown = path.replace(os.sep, "/")
    try:
        with open(path, encoding="utf-8-sig") as fh:
            data = json.load(fh)
    except OSError as exc:
        raise MigratorError(f"cannot read {shown}: {exc.strerror or exc}") from None
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise MigratorError(f"{shown}: not a JSON file ({type(exc).__name__})") from None
    except RecursionError:
        raise MigratorError(f"{shown}: not a scan result (JSON nested too deeply)") from None
    except ValueError as exc:  # e.g. an integer with too many digits
        raise MigratorError(f"{shown}: not a JSON file ({type(exc).__name__})") from None
    try:
        data = validate_scan(data)
    except _Bad as bad:
        where = f" at {bad.where}:" if bad.where else ""
        raise MigratorError(f"{shown}:{where} {bad.problem}") from None
    except RecursionError:
        raise MigratorError(f"{shown}: not a scan result (nested too deeply)") from None
    return ScanInput(data, shown, (), {k: v for k, v in data["diffs"].items()})


def proposed_diffs(paths: Sequence[str], options: Any = None) -> dict[str, str]:
    """Path -> the diff `fix` would apply (nothing is written); empty when `fix` is not available."""
    from migrator import api

    fix = getattr(api, "fix", None)
    if fix is None:
        return {}
    try:
        outcomes = (
            fix(list(paths), write=False, options=options)
            if options is not None
            else fix(list(paths), write=False)
        )
    except Exception:  # noqa: BLE001 - a preview must never stop the report
        return {}
    return {
        o.path: o.diff
        for o in outcomes
        if getattr(o, "diff", "") and getattr(o, "kind", "changed") == "changed"
    }


def scan_input(
    paths: Sequence[str], options: Any = None, *, with_diffs: bool = True, cwd: Optional[str] = None
) -> ScanInput:
    """Scan PATHS (one repository per PATH) as a report input, with `fix`'s proposed diffs."""
    from migrator.api import ScanOptions, scan
    from migrator.outputs.context import result_dict

    result = scan(list(paths), options or ScanOptions())
    roots = repo_roots(paths, cwd)
    diffs = proposed_diffs(paths, options) if with_diffs else {}
    return ScanInput(result_dict(result), "scan of " + " ".join(r.root for r in roots), roots, diffs)
