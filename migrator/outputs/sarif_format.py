"""`--format sarif`: SARIF 2.1.0 for GitHub code scanning and other SARIF viewers.

Built from the same dict as the JSON output (context.result_dict). Every rule of the
ruleset is listed once, so a viewer can tell "ran and found nothing" from "did not run"
and close fixed alerts. URIs are relative to the repository root (`%SRCROOT%`), columns
count Unicode code points, `partialFingerprints` carries our line-independent fingerprint,
and no snippet is ever included: the message is the redacted one, and the whole document
passes through `redact.scrub`.
"""

from __future__ import annotations

import json
import os
from typing import TYPE_CHECKING, Any, Iterable, Optional
from urllib.parse import quote

from migrator import __version__
from migrator.outputs.context import result_dict
from migrator.redact import scrub
from migrator.types import ScanResult

if TYPE_CHECKING:
    from migrator.ruleset import Rule

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
#: The project's README; rule help links point at its rules section. Set to the published repository.
README_URL = "https://github.com/celonis-oauth-migrator/celonis-oauth-migrator/blob/main/README.md"
RULES_SECTION = "detection-rules"
#: partialFingerprints key; bump the suffix if the fingerprint recipe changes.
FINGERPRINT_KEY = "celonisMigrator/v1"
SRCROOT = "%SRCROOT%"

#: Severity -> SARIF level.
LEVELS = {"high": "error", "medium": "warning", "low": "note", "info": "note"}
#: Severity -> GitHub's `security-severity` (CVSS-like, 0.0-10.0).
SECURITY_SEVERITY = {"high": "8.5", "medium": "6.0", "low": "3.5", "info": "1.0"}
#: Skip reasons worth a notification: files that should have been scanned and were not.
_NOTIFY_SKIPS = ("parse-error", "undecodable", "too-large", "unreadable", "internal-error", "malformed")


def render(result: ScanResult, *, rules: Optional[Iterable["Rule"]] = None, cwd: Optional[str] = None,
           root: Optional[str] = None) -> str:
    """The SARIF log as text. `rules` defaults to the bundled ruleset; `root` to the git work tree of `cwd`."""
    return scrub(json.dumps(sarif_log(result, rules=rules, cwd=cwd, root=root), indent=2, ensure_ascii=False)) + "\n"


def sarif_log(result: ScanResult, *, rules: Optional[Iterable["Rule"]] = None, cwd: Optional[str] = None,
              root: Optional[str] = None) -> dict[str, Any]:
    if rules is None:
        from migrator.ruleset import default_ruleset

        rules = default_ruleset().rules
    cwd = os.path.abspath(cwd or os.getcwd())
    root = os.path.abspath(root) if root else repo_root(cwd)
    ctx = result_dict(result)
    descriptors = [rule_descriptor(r) for r in rules]
    seen = {d["id"] for d in descriptors}
    for f in [*ctx["findings"], *ctx["suppressed"]]:
        if f["rule_id"] not in seen:  # a detector rule without a rules/ file: still listed once
            seen.add(f["rule_id"])
            descriptors.append(_bare_descriptor(f["rule_id"]))
    index = {d["id"]: i for i, d in enumerate(descriptors)}
    baseline_used = ctx["baseline"] is not None
    results = [_result(f, index, cwd, root, baseline_used) for f in [*ctx["findings"], *ctx["suppressed"]]]
    run: dict[str, Any] = {
        "tool": {
            "driver": {
                "name": "celonis-oauth-migrator",
                "version": __version__,
                "semanticVersion": __version__,
                "informationUri": README_URL,
                "rules": descriptors,
            }
        },
        "invocations": [{
            "executionSuccessful": not ctx["errors"],
            "toolExecutionNotifications": _notifications(ctx, cwd, root),
        }],
        "originalUriBaseIds": {SRCROOT: {"description": {"text": "The root of the scanned repository."}}},
        "columnKind": "unicodeCodePoints",
        "results": results,
        "properties": {
            "scopePlan": ctx["plan"]["scope_string"],
            "blockers": [f"{b['method']} {b['path']}" for b in ctx["plan"]["blockers"]],
            "filesScanned": ctx["stats"]["files_scanned"],
        },
    }
    return {"$schema": SCHEMA_URI, "version": "2.1.0", "runs": [run]}


def rule_descriptor(rule: "Rule") -> dict[str, Any]:
    refs_md = "".join(f"\n- <{ref}>" for ref in rule.references)
    refs_text = "".join(f"\n- {ref}" for ref in rule.references)
    help_url = f"{README_URL}#{RULES_SECTION}"
    return {
        "id": rule.id,
        "name": "".join(part.capitalize() for part in rule.id.split("-")),
        "shortDescription": {"text": rule.name},
        "fullDescription": {"text": rule.what},
        "help": {
            "text": f"{rule.what}\n\nWhy: {rule.why}\n\nUse instead: {rule.use_instead}\n\n"
                    f"Rules: {help_url} (rule file rules/detect/{rule.id}.yaml){refs_text}",
            "markdown": f"{rule.what}\n\n**Why is this bad?** {rule.why}\n\n**Use instead:** {rule.use_instead}\n\n"
                        f"[Rules]({help_url}) · rule file `rules/detect/{rule.id}.yaml`{refs_md}",
        },
        "helpUri": help_url,
        "defaultConfiguration": {"level": LEVELS[rule.severity]},
        "properties": {
            "tags": ["security", "secrets", "celonis", "oauth-migration"],
            "security-severity": SECURITY_SEVERITY[rule.severity],
            "precision": "high",
        },
    }


def _bare_descriptor(rule_id: str) -> dict[str, Any]:
    help_url = f"{README_URL}#{RULES_SECTION}"
    text = "Static Celonis key use."
    return {"id": rule_id, "shortDescription": {"text": text}, "fullDescription": {"text": text},
            "help": {"text": f"{text} Documentation: {help_url}", "markdown": f"{text} [Documentation]({help_url})"},
            "helpUri": help_url, "properties": {"tags": ["security", "secrets", "celonis"]}}


def _result(f: dict[str, Any], index: dict[str, int], cwd: str, root: str, baseline_used: bool) -> dict[str, Any]:
    scopes = sorted({s for e in f["endpoints"] for s in e["scopes"]})
    out: dict[str, Any] = {
        "ruleId": f["rule_id"],
        "ruleIndex": index[f["rule_id"]],
        "level": LEVELS.get(f["severity"], "warning"),
        "message": {"text": f["message"]},
        "locations": [_location(f["path"], cwd, root, _region(f))],
        "partialFingerprints": {FINGERPRINT_KEY: f["fingerprint"]},
        "properties": {
            "severity": f["severity"],
            "security-severity": SECURITY_SEVERITY.get(f["severity"], "5.0"),
            "confidence": f["confidence"],
            "credentialKind": f["credential_kind"],
            "authScheme": f["auth_scheme"],
            "keySource": f["key_source"],
            "leaked": f["leaked"],
            "redacted": f["redacted"],
            "fixableBy": f["fixable_by"],
            "scopes": scopes,
            "endpoints": [f"{e['method']} {e['path']}" for e in f["endpoints"]],
        },
    }
    related = [_related(f, r, cwd, root, i) for i, r in enumerate(f["related"])]
    related = [r for r in related if r is not None]
    if related:
        out["relatedLocations"] = related
    if baseline_used and f["baseline_status"]:
        out["baselineState"] = "unchanged" if f["baseline_status"] == "known" else "new"
    suppressions = []
    if f["ignore_line"] is not None:
        suppressions.append({"kind": "inSource",
                             "justification": f"celonis-migrator: ignore comment on line {f['ignore_line']}"})
    if f["baseline_status"] == "known":
        suppressions.append({"kind": "external", "status": "accepted",
                             "justification": "accepted in the celonis-migrator baseline file"})
    if suppressions:
        out["suppressions"] = suppressions
    return out


def _region(f: dict[str, Any]) -> dict[str, int]:
    start_line = max(int(f["line"]), 1)
    start_col = max(int(f["column"]), 1)
    end_line = max(int(f["end_line"]), start_line)
    end_col = max(int(f["end_column"]), 1)
    if end_line == start_line and end_col <= start_col:
        end_col = start_col + 1
    return {"startLine": start_line, "startColumn": start_col, "endLine": end_line, "endColumn": end_col}


def _related(f: dict[str, Any], text: str, cwd: str, root: str, i: int) -> Optional[dict[str, Any]]:
    line, _, col = text.partition(":")
    if not line.isdigit() or int(line) < 1:
        return None
    column = int(col) if col.isdigit() and int(col) >= 1 else 1
    loc = _location(f["path"], cwd, root, {"startLine": int(line), "startColumn": column})
    loc["id"] = i
    loc["message"] = {"text": "Celonis call that sends this credential"}
    return loc


def _location(path: str, cwd: str, root: str, region: Optional[dict[str, int]] = None) -> dict[str, Any]:
    physical: dict[str, Any] = {"artifactLocation": artifact(path, cwd, root)}
    if region:
        physical["region"] = region
    return {"physicalLocation": physical}


def artifact(path: str, cwd: str, root: str) -> dict[str, Any]:
    """A repo-relative URI with `uriBaseId`, or an absolute file URI for a path outside the repository."""
    absolute = os.path.normpath(os.path.join(cwd, path))
    rel = os.path.relpath(absolute, root)
    if rel == os.pardir or rel.startswith(os.pardir + os.sep) or os.path.isabs(rel):
        return {"uri": "file://" + quote(absolute.replace(os.sep, "/") if absolute.startswith("/")
                                         else "/" + absolute.replace(os.sep, "/"))}
    return {"uri": quote(rel.replace(os.sep, "/")), "uriBaseId": SRCROOT}


def repo_root(start: str) -> str:
    """The git work tree holding `start` (the nearest directory with `.git`), else `start`."""
    directory = start
    while True:
        if os.path.exists(os.path.join(directory, ".git")):
            return directory
        parent = os.path.dirname(directory)
        if parent == directory:
            return start
        directory = parent


def _notifications(ctx: dict[str, Any], cwd: str, root: str) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = [{"level": "error", "message": {"text": e}} for e in ctx["errors"]]
    for s in ctx["stats"]["skipped"]:
        if s["reason"] in _NOTIFY_SKIPS:
            out.append({"level": "warning", "descriptor": {"id": f"skipped/{s['reason']}"},
                        "message": {"text": f"not scanned ({s['reason']}): {s['detail']}".rstrip(": ")},
                        "locations": [_location(s["path"], cwd, root)]})
    for u in ctx["unused_ignores"]:
        rules = f"[{','.join(u['rules'])}]" if u["rules"] else ""
        out.append({"level": "warning", "descriptor": {"id": "unused-ignore"},
                    "message": {"text": f"celonis-migrator: ignore{rules} comment matches no finding"},
                    "locations": [_location(u["path"], cwd, root, {"startLine": u["line"]})]})
    if ctx["baseline"]:
        for e in ctx["baseline"]["stale"]:
            out.append({"level": "note", "descriptor": {"id": "stale-baseline-entry"},
                        "message": {"text": f"baseline entry {e['rule_id']} {e['fingerprint'][:12]} matches no finding"
                                    f" (remove it with `celonis-migrator baseline update`)"},
                        "locations": [_location(e["path"], cwd, root)]})
    return out
