"""`scan --format sarif`: valid SARIF 2.1.0 in every test, rules once with help, stable fingerprints, no keys."""

from __future__ import annotations

import json
import subprocess
from functools import lru_cache
from typing import Any

import jsonschema
import pytest

from migrator.outputs import sarif_format
from migrator.ruleset import default_ruleset
from migrator.types import Finding, KeySource, ScanResult, ScopePlan
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY, REPO, SHARED, run_cli, write

SCHEMA_PATH = SHARED / "schemas" / "sarif-schema-2.1.0.json"

LEAKY = f'''\
import requests
KEY = "{FAKE_APP_KEY}"
requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
             headers={{"Authorization": "AppKey " + KEY}})
'''
ENV = '''\
import os, requests
requests.get("https://acme.eu-1.celonis.cloud/integration/api/pools",
             headers={"Authorization": "AppKey " + os.environ["ACME_KEY"]})
'''
USER = f'''\
import httpx
TOKEN = "{FAKE_USER_KEY}"
httpx.get("https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models",
          headers={{"Authorization": f"Bearer {{TOKEN}}"}})
'''


@lru_cache(maxsize=1)
def _validator() -> jsonschema.Draft4Validator:
    return jsonschema.Draft4Validator(json.loads(SCHEMA_PATH.read_text(encoding="utf-8")))


def valid_sarif(text: str) -> dict[str, Any]:
    """Parse a SARIF log and validate it against the official 2.1.0 schema; no key may appear."""
    assert FAKE_APP_KEY not in text and FAKE_USER_KEY not in text
    doc = json.loads(text)
    errors = sorted(_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, "\n".join(f"{list(e.path)}: {e.message}" for e in errors[:5])
    return doc


def sarif_scan(*args: str, cwd) -> tuple[int, dict[str, Any]]:
    proc = run_cli("scan", "--format", "sarif", *args, cwd=cwd)
    assert proc.returncode in (0, 1), proc.stderr
    assert FAKE_APP_KEY not in proc.stderr and FAKE_USER_KEY not in proc.stderr
    return proc.returncode, valid_sarif(proc.stdout)


def test_findings_rules_levels_and_locations(tmp_path):
    write(tmp_path, "src/audit.py", LEAKY, dedent=False)
    write(tmp_path, "src/pools.py", ENV, dedent=False)
    write(tmp_path, "src/user.py", USER, dedent=False)
    code, doc = sarif_scan(".", cwd=tmp_path)
    assert code == 1 and doc["version"] == "2.1.0"
    (run,) = doc["runs"]
    rules = run["tool"]["driver"]["rules"]
    ids = [r["id"] for r in rules]
    assert sorted(ids) == sorted(default_ruleset().ids) and len(ids) == len(set(ids))
    for r in rules:
        assert r["help"]["text"] and r["help"]["markdown"] and r["shortDescription"]["text"]
        assert r["helpUri"] == f"{sarif_format.README_URL}#detection-rules"
        assert r["id"] in r["help"]["text"]
        assert r["defaultConfiguration"]["level"] in ("error", "warning", "note")
    by_path = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: res for res in run["results"]}
    assert set(by_path) == {"src/audit.py", "src/pools.py", "src/user.py"}
    for res in run["results"]:
        loc = res["locations"][0]["physicalLocation"]
        assert loc["artifactLocation"]["uriBaseId"] == "%SRCROOT%"
        region = loc["region"]
        assert region["startLine"] >= 1 and region["startColumn"] >= 1 and region["endColumn"] >= 1
        assert ids[res["ruleIndex"]] == res["ruleId"]
        assert "snippet" not in json.dumps(res)
    audit = by_path["src/audit.py"]
    assert audit["level"] == "error" and audit["ruleId"] == "celonis-appkey-header"
    assert audit["locations"][0]["physicalLocation"]["region"]["startLine"] == 4
    assert audit["properties"]["leaked"] is True and audit["properties"]["redacted"] == "MDAw…[108 chars]"
    assert "audit.log:read" in audit["properties"]["scopes"]
    assert by_path["src/pools.py"]["level"] == "warning"
    assert by_path["src/user.py"]["ruleId"] == "celonis-bearer-static-key"
    assert run["columnKind"] == "unicodeCodePoints"
    assert "baselineState" not in audit and "suppressions" not in audit


def test_fingerprints_match_json_and_survive_moved_lines(tmp_path):
    write(tmp_path, "audit.py", LEAKY, dedent=False)
    _, first = sarif_scan(".", cwd=tmp_path)
    proc = run_cli("scan", "--format", "json", ".", cwd=tmp_path)
    (finding,) = json.loads(proc.stdout)["findings"]
    (res,) = first["runs"][0]["results"]
    assert res["partialFingerprints"] == {sarif_format.FINGERPRINT_KEY: finding["fingerprint"]}
    write(tmp_path, "audit.py", "# moved\n\n\n" + LEAKY, dedent=False)
    _, second = sarif_scan(".", cwd=tmp_path)
    (moved,) = second["runs"][0]["results"]
    assert moved["partialFingerprints"] == res["partialFingerprints"]
    assert moved["locations"][0]["physicalLocation"]["region"]["startLine"] == 7


def test_uris_are_relative_to_the_git_root_from_a_subdirectory(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    write(tmp_path, "svc/jobs/my audit.py", LEAKY, dedent=False)
    _, doc = sarif_scan("jobs", cwd=tmp_path / "svc")
    (res,) = doc["runs"][0]["results"]
    assert res["locations"][0]["physicalLocation"]["artifactLocation"] == {
        "uri": "svc/jobs/my%20audit.py", "uriBaseId": "%SRCROOT%"}


def test_clean_tree_lists_rules_and_no_results(tmp_path):
    write(tmp_path, "ok.py", "print('hello')\n")
    code, doc = sarif_scan(".", cwd=tmp_path)
    assert code == 0 and doc["runs"][0]["results"] == []
    assert len(doc["runs"][0]["tool"]["driver"]["rules"]) == len(default_ruleset().rules)
    assert doc["runs"][0]["invocations"][0]["executionSuccessful"] is True


def test_baseline_state_and_suppressions(tmp_path):
    write(tmp_path, "audit.py", LEAKY, dedent=False)
    assert run_cli("baseline", "create", ".", cwd=tmp_path).returncode == 0
    write(tmp_path, "pools.py", ENV, dedent=False)
    write(tmp_path, "user.py", USER.rstrip("\n") + "  # celonis-migrator: ignore\n", dedent=False)
    write(tmp_path, "stale.py", "x = 1  # celonis-migrator: ignore[celonis-appkey-header]\n", dedent=False)
    code, doc = sarif_scan("--baseline", ".celonis-migrator-baseline.json", ".", cwd=tmp_path)
    assert code == 1
    run = doc["runs"][0]
    by_path = {res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]: res for res in run["results"]}
    assert by_path["audit.py"]["baselineState"] == "unchanged"
    assert by_path["audit.py"]["suppressions"][0]["kind"] == "external"
    assert by_path["pools.py"]["baselineState"] == "new" and "suppressions" not in by_path["pools.py"]
    assert by_path["user.py"]["suppressions"] == [
        {"kind": "inSource", "justification": "celonis-migrator: ignore comment on line 4"}]
    notes = run["invocations"][0]["toolExecutionNotifications"]
    (unused,) = [n for n in notes if n["descriptor"]["id"] == "unused-ignore"]
    assert unused["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "stale.py"


def test_severity_override_changes_the_level(tmp_path):
    write(tmp_path, "pools.py", ENV, dedent=False)
    _, doc = sarif_scan("--severity", "celonis-appkey-header=info", ".", cwd=tmp_path)
    (res,) = doc["runs"][0]["results"]
    assert res["level"] == "note" and res["properties"]["severity"] == "info"


def test_output_file_and_skips_as_notifications(tmp_path):
    write(tmp_path, "broken.py", "def f(:\n  AppKey\n")
    write(tmp_path, "audit.py", LEAKY, dedent=False)
    proc = run_cli("scan", "--format", "sarif", "-o", "out.sarif", ".", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stdout == ""
    doc = valid_sarif((tmp_path / "out.sarif").read_text(encoding="utf-8"))
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert [n["descriptor"]["id"] for n in notes] == ["skipped/parse-error"]


def _finding(**kw: Any) -> Finding:
    base: dict[str, Any] = {
        "rule_id": "celonis-appkey-header", "path": "a.py", "line": 1, "column": 1, "end_line": 1, "end_column": 0,
        "auth_schemes": ("AppKey",), "credential_kind": "app_key", "key_source": KeySource("literal"),
        "redacted": None, "endpoints": (), "fingerprint": "f" * 32,
        "message": f"leaked AppKey {FAKE_APP_KEY} in a message", "related": ("0:0", "x", "3:1")}
    base.update(kw)
    return Finding(**base)


@pytest.mark.parametrize("finding", [
    pytest.param(_finding(), id="zero-end-column"),
    pytest.param(_finding(line=5, column=9, end_line=3, end_column=2), id="end-before-start"),
    pytest.param(_finding(rule_id="some-future-rule"), id="rule-without-a-file"),
    pytest.param(_finding(path="/elsewhere/x.py"), id="absolute-path-outside-repo"),
])
def test_degenerate_findings_still_validate(finding, tmp_path):
    result = ScanResult(findings=(finding,), skips=(), plan=ScopePlan(), file_plans=(), files_scanned=1,
                        duration_s=0.0)
    doc = valid_sarif(sarif_format.render(result, cwd=str(tmp_path), root=str(tmp_path)))
    (res,) = doc["runs"][0]["results"]
    region = res["locations"][0]["physicalLocation"]["region"]
    assert region["endColumn"] >= 1 and (region["endLine"], region["endColumn"]) > (region["startLine"],
                                                                                     region["startColumn"])
    assert [r["id"] for r in doc["runs"][0]["tool"]["driver"]["rules"]].count(finding.rule_id) == 1


def test_readme_has_the_section_rule_help_links_to():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "\n## Detection rules\n" in readme and sarif_format.RULES_SECTION == "detection-rules"
    assert sarif_format.README_URL.endswith("/README.md")
