"""Bad `--from` scan JSON and `--granted` YAML: one-line errors with a breadcrumb to the bad value,
exit 2, never "internal error" (through the real CLI, on real files)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli, write

FINDING = {
    "rule_id": "celonis-appkey-header",
    "path": "svc/a.py",
    "line": 3,
    "column": 1,
    "severity": "medium",
    "key_source": {"kind": "env", "name": "K"},
    "endpoints": [
        {
            "method": "GET",
            "path": "/log/api/external/audit",
            "host": "acme.eu-1.celonis.cloud",
            "api": "audit-log",
            "scopes": ["audit.log:read"],
            "permissions": ["Audit Log API"],
            "status": "documented",
            "basis": "D",
        }
    ],
}
SCAN = {"schema_version": 1, "tool": {"version": "0.1.0"}, "findings": [FINDING]}


def _with(change) -> dict:
    data = copy.deepcopy(SCAN)
    change(data)
    return data


def _set(path: tuple, value):
    def change(data: dict) -> None:
        node = data
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value

    return change


CASES = [
    (_set(("findings", 0, "line"), "x"), "x.json: at findings[0].line: expected an integer, got a string"),
    (_set(("findings", 0, "endpoints"), "x"),
     "x.json: at findings[0].endpoints: expected a list, got a string"),
    (_set(("findings",), [FINDING, None]), "x.json: at findings[1]: expected an object, got null"),
    (_set(("findings", 0, "endpoints", 0, "scopes"), 5),
     "x.json: at findings[0].endpoints[0].scopes: expected a list, got an integer"),
    (_set(("findings", 0, "endpoints", 0, "scopes"), ["ok", 5]),
     "x.json: at findings[0].endpoints[0].scopes[1]: expected a string, got an integer"),
    (_set(("file_plans",), {"svc/a.py": {"scopes": 5}}),
     "x.json: at file_plans['svc/a.py'].scopes: expected a list, got an integer"),
    (_set(("file_plans",), {"svc/a.py": {"scopes": [{"scope": "a", "basis": "Z"}]}}),
     "x.json: at file_plans['svc/a.py'].scopes[0].basis: expected one of D, C, I, got 'Z'"),
    (_set(("findings", 0, "key_source"), "env"), "x.json: at findings[0].key_source: expected an object"),
    (_set(("findings", 0, "path"), None), "x.json: at findings[0].path: expected a value, got null"),
    (_set(("findings", 0, "leaked"), "yes"), "x.json: at findings[0].leaked: expected true or false"),
    (_set(("findings", 0, "line"), True), "x.json: at findings[0].line: expected an integer, got a boolean"),
    (_set(("stats",), {"files_scanned": "many"}), "x.json: at stats.files_scanned: expected an integer"),
    (_set(("diffs",), {"svc/a.py": 1}), "x.json: at diffs['svc/a.py']: expected a string"),
    (_set(("schema_version",), 99), "x.json: unsupported schema version 99 (this tool reads 1)"),
    (lambda d: (d.pop("findings"), d.update(schema_version=99)),
     "x.json: unsupported schema version 99 (this tool reads 1)"),
    (_set(("findings",), {}), "x.json: at findings: expected a list, got an object"),
]


@pytest.mark.parametrize("change, message", CASES)
@pytest.mark.parametrize("command", ["report", "verify-client"])
def test_bad_scan_json_is_a_breadcrumb_error(tmp_path, change, message, command):
    write(tmp_path, ".celonis-migrator.toml", "")
    (tmp_path / "x.json").write_text(json.dumps(_with(change)), encoding="utf-8")
    args = ("-o", "r.html") if command == "report" else ("--team-url", "https://acme.eu-1.celonis.cloud")
    proc = run_cli(command, "--from", "x.json", *args, cwd=tmp_path,
                   env={"CELONIS_CLIENT_ID": "id", "CELONIS_CLIENT_SECRET": "s"})
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr and len(proc.stderr.splitlines()) == 1
    assert not (tmp_path / "r.html").exists()


def test_deeply_nested_scan_json_is_a_one_line_error(tmp_path):
    write(tmp_path, ".celonis-migrator.toml", "")
    depth = 200_000
    nested = "[" * depth + "]" * depth
    (tmp_path / "deep.json").write_text('{"schema_version": 1, "findings": ' + nested + "}")
    proc = run_cli("report", "--from", "deep.json", "-o", "r.html", cwd=tmp_path)
    assert proc.returncode == 2
    assert "deep.json: not a scan result (JSON nested too deeply)" in proc.stderr
    assert "internal error" not in proc.stderr and len(proc.stderr.splitlines()) == 1


GRANTED_CASES = {
    "deep": (
        "clients: " + "[" * 100_000 + "]" * 100_000 + "\n",
        "granted.yaml: invalid granted file: nested too deeply",
    ),
    "date": (
        "clients:\n  a:\n    scopes: [2001-02-30]\n",
        "granted.yaml: invalid YAML value (day is out of range",
    ),
}


@pytest.mark.parametrize("case", sorted(GRANTED_CASES))
def test_bad_granted_yaml_is_a_one_line_error(tmp_path, case):
    text, message = GRANTED_CASES[case]
    write(tmp_path, ".celonis-migrator.toml", "")
    (tmp_path / "ok.json").write_text(json.dumps(SCAN), encoding="utf-8")
    (tmp_path / "granted.yaml").write_text(text, encoding="utf-8")
    proc = run_cli("report", "--from", "ok.json", "--granted", "granted.yaml", "-o", "r.html", cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr, proc.stderr
    assert "internal error" not in proc.stderr and len(proc.stderr.splitlines()) == 1


def test_a_minimal_scan_json_still_makes_a_report(tmp_path: Path):
    """Only the required field (`path`) and what an older version wrote: defaults fill the rest."""
    write(tmp_path, ".celonis-migrator.toml", "")
    minimal = {"schema_version": 1, "findings": [{"path": "svc/a.py"}, FINDING]}
    (tmp_path / "m.json").write_text(json.dumps(minimal), encoding="utf-8")
    proc = run_cli("report", "--from", "m.json", "-o", "r.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for table in ("findings", "plan", "permissions", "blockers"):
        proc = run_cli("report", "--from", "m.json", "--format", "csv", "--table", table, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
    # No file_plans in the JSON: the plan comes from the findings' endpoints.
    proc = run_cli("report", "--from", "m.json", "--format", "csv", "--table", "plan", cwd=tmp_path)
    assert "audit.log:read" in proc.stdout


def test_granted_from_live_with_a_malformed_team_url_is_a_one_line_error(tmp_path):
    write(tmp_path, ".celonis-migrator.toml", "")
    (tmp_path / "ok.json").write_text(json.dumps(SCAN), encoding="utf-8")
    proc = run_cli("report", "--from", "ok.json", "--granted-from-live", "https://[::1", "-o", "r.html",
                   cwd=tmp_path, env={"CELONIS_CLIENT_ID": "id", "CELONIS_CLIENT_SECRET": "s"})
    assert proc.returncode == 2
    assert "--team-url 'https://[::1': not a valid URL" in proc.stderr and "internal error" not in proc.stderr
