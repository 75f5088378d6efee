"""The real CLI, in a subprocess, on realistic files: exit codes, the JSON contract, text output."""

from __future__ import annotations

import json
import shutil

from tests.conftest import FAKE_APP_KEY, REPO, run_cli, scan_json, write

EXAMPLES = REPO / "examples" / "legacy-scripts"


def test_version_and_help():
    proc = run_cli("--version")
    assert proc.returncode == 0 and "celonis-migrator, version" in proc.stdout
    proc = run_cli("scan", "--help")
    assert proc.returncode == 0 and "Example:" in proc.stdout and "--format" in proc.stdout


def test_scan_bundled_example_json_contract(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "legacy")
    code, data = scan_json("legacy", cwd=tmp_path)
    assert code == 1
    assert data["schema_version"] == 1 and data["tool"]["name"] == "celonis-oauth-migrator"
    by_file: dict[str, list[dict]] = {}
    for f in data["findings"]:
        by_file.setdefault(f["path"], []).append(f)
    assert sorted(by_file) == ["legacy/audit_export.py", "legacy/km_report.py", "legacy/push_orders.py",
                               "legacy/reload_model.py"]
    (audit,) = by_file["legacy/audit_export.py"]
    assert audit["line"] == 11 and audit["auth_scheme"] == "AppKey" and audit["leaked"] is True
    assert audit["redacted"] == "MDAw…[108 chars]" and audit["credential_kind"] == "app_key"
    assert {e["path"] for e in audit["endpoints"]} == {"/log/api/external/audit", "/api/external/authentication-events"}
    assert {s for e in audit["endpoints"] for s in e["scopes"]} == {"audit.log:read", "team.login-history:read"}
    (push,) = by_file["legacy/push_orders.py"]
    assert push["key_source"] == {"kind": "env", "name": "ACME_CELONIS_KEY"}
    assert {e["scopes"][0] for e in push["endpoints"]} == {"integration.data-pools:data_push"}
    assert all(e["resource"]["id"] == "aaaaaaaa-0000-4000-8000-000000000001" for e in push["endpoints"])
    (km,) = by_file["legacy/km_report.py"]
    assert km["auth_scheme"] == "Bearer" and km["key_source"] == {"kind": "env", "name": "CELONIS_API_TOKEN"}
    (pyc,) = by_file["legacy/reload_model.py"]
    assert pyc["rule_id"] == "pycelonis-static-key" and pyc["key_source"]["name"] == "CELONIS_APP_KEY"
    for f in data["findings"]:
        assert set(f) >= {"rule_id", "path", "line", "column", "end_line", "end_column", "auth_scheme",
                          "credential_kind", "key_source", "redacted", "endpoints", "fingerprint", "message"}
        assert f["line"] >= 1 and f["column"] >= 1 and f["end_column"] >= 1
    scopes = {s["scope"] for s in data["plan"]["scopes"]}
    assert {"audit.log:read", "team.login-history:read", "intelligence.knowledge-models:read",
            "integration.data-pools"} <= scopes
    assert {b["path"] for b in data["plan"]["blockers"]} >= {"/api/cloud", "/api/team"}
    assert set(data["file_plans"]) == set(by_file)
    assert data["file_plans"]["legacy/audit_export.py"]["scope_string"] == "audit.log:read team.login-history:read"
    assert data["stats"]["files_scanned"] == 6 and data["stats"]["files_skipped"] == 0
    assert FAKE_APP_KEY not in json.dumps(data)


def test_scan_text_output_names_scopes_and_never_the_key(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "legacy")
    proc = run_cli("scan", "legacy", cwd=tmp_path)
    assert proc.returncode == 1
    out = proc.stdout
    assert "legacy/audit_export.py:11:" in out and "LEAKED: revoke this key" in out
    assert "audit.log:read" in out and "retired at the end of March 2026" in out
    assert FAKE_APP_KEY not in out + proc.stderr


def test_clean_tree_exits_zero(tmp_path):
    write(tmp_path, "ok.py", "print('hello')\n")
    write(tmp_path, "oauth.py", (EXAMPLES / "already_oauth.py").read_text())
    code, data = scan_json(".", cwd=tmp_path)
    assert code == 0 and data["findings"] == []
    assert data["stats"]["files_prefiltered"] == 1  # ok.py decided without a parse


def test_usage_errors_exit_two(tmp_path):
    proc = run_cli("scan", "does-not-exist", cwd=tmp_path)
    assert proc.returncode == 2 and "does-not-exist" in proc.stderr
    proc = run_cli("scan", "--format", "xml", ".", cwd=tmp_path)
    assert proc.returncode == 2
    proc = run_cli("scan", "--disable-rule", "no-such-rule", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "unknown rule id" in proc.stderr


def test_unparsable_python_is_skipped_and_the_scan_goes_on(tmp_path):
    write(tmp_path, "broken.py", "def f(:\n    pass\n  AppKey\n")
    write(tmp_path, "good.py", """\
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                     headers={"Authorization": "AppKey " + KEY})
    """)
    code, data = scan_json(".", cwd=tmp_path)
    assert code == 1 and [f["path"] for f in data["findings"]] == ["good.py"]
    (skip,) = data["stats"]["skipped"]
    assert skip["path"] == "broken.py" and skip["reason"] == "parse-error" and "syntax error" in skip["detail"]


def test_output_file_and_exit_zero(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "legacy")
    proc = run_cli("scan", "--format", "json", "-o", "out.json", "--exit-zero", "legacy", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    assert json.loads((tmp_path / "out.json").read_text())["findings"]


def test_disable_rule(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "legacy")
    code, data = scan_json("--disable-rule", "pycelonis-static-key", "legacy", cwd=tmp_path)
    assert "pycelonis-static-key" not in {f["rule_id"] for f in data["findings"]}


def test_paths_outside_cwd_are_absolute(tmp_path):
    shutil.copytree(EXAMPLES, tmp_path / "legacy")
    (tmp_path / "elsewhere").mkdir()
    code, data = scan_json(str(tmp_path / "legacy" / "audit_export.py"), cwd=tmp_path / "elsewhere")
    assert data["findings"][0]["path"] == (tmp_path / "legacy" / "audit_export.py").as_posix()


def test_rules_lists_rules_and_api_table():
    proc = run_cli("rules")
    assert proc.returncode == 0
    assert "celonis-appkey-header" in proc.stdout and "audit.log:read" in proc.stdout


def test_real_shape_key_in_any_file_is_a_leak_reported_once(tmp_path):
    write(tmp_path, "acme/settings.py", f'''
        import os
        CELONIS_URL = "https://acme.eu-1.celonis.cloud"
        APP_KEY = os.getenv("ACME_APP_KEY") or "{FAKE_APP_KEY}"
    ''')
    write(tmp_path, "notes/handover.txt", f"prod key (do not share): {FAKE_APP_KEY}\n")
    write(tmp_path, "job.py", f'''
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                     headers={{"Authorization": "AppKey {FAKE_APP_KEY}"}})
    ''')
    code, data = scan_json(".", cwd=tmp_path)
    got = sorted((f["path"], f["line"], f["rule_id"], f["leaked"]) for f in data["findings"])
    assert got == [
        ("acme/settings.py", 4, "celonis-key-literal", True),
        ("job.py", 4, "celonis-appkey-header", True),
        ("notes/handover.txt", 1, "celonis-key-literal", True),
    ]
    job = next(f for f in data["findings"] if f["path"] == "job.py")
    assert job["related"][-1:] != ["4:1"]  # the literal is in the header itself: no second location
    txt = next(f for f in data["findings"] if f["path"] == "notes/handover.txt")
    assert txt["column"] == 26 and txt["credential_kind"] == "static_key" and txt["severity"] == "high"
    assert FAKE_APP_KEY not in json.dumps(data)


def test_a_key_repeated_in_a_file_is_one_finding_with_every_location(tmp_path):
    write(tmp_path, "job.py", f'''
        # old key: {FAKE_APP_KEY}
        BACKUP_KEY = "{FAKE_APP_KEY}"
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                     headers={{"Authorization": "AppKey {FAKE_APP_KEY}"}})
    ''')
    code, data = scan_json(".", cwd=tmp_path)
    (f,) = data["findings"]
    assert (f["rule_id"], f["line"]) == ("celonis-appkey-header", 6)
    assert {"2:12", "3:15"} <= set(f["related"])


def test_a_file_past_the_time_budget_is_skipped_with_a_reason_and_the_scan_goes_on(tmp_path):
    write(tmp_path, "slow.py", """\
        import requests
        h = {"Authorization": "AppKey " + K}
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit", headers=h)
    """)
    write(tmp_path, "other.txt", f"key: {FAKE_APP_KEY}\n")
    proc = run_cli("scan", "--format", "json", ".", cwd=tmp_path, env={"CELONIS_MIGRATOR_FILE_BUDGET": "0"})
    data = json.loads(proc.stdout)
    assert proc.returncode == 1
    assert [(s["path"], s["reason"]) for s in data["stats"]["skipped"]] == [("slow.py", "timeout")]
    assert [f["path"] for f in data["findings"]] == ["other.txt"]


def test_an_internal_error_exits_2_even_with_exit_zero(tmp_path):
    """A file our detector fails on leaves the result incomplete: never exit 0 or 1 as if it were known."""
    (tmp_path / "job.py").write_text('headers = {"Authorization": "AppKey " + K}\n', encoding="utf-8")
    (tmp_path / "notes.txt").write_text("nothing here\n", encoding="utf-8")
    for extra in ((), ("--exit-zero",), ("--format", "json")):
        proc = run_cli("scan", "--no-git", *extra, ".", cwd=tmp_path, env={"CELONIS_MIGRATOR_TEST_CRASH": "detector"})
        assert proc.returncode == 2, (extra, proc.stderr)
        assert "1 file(s) could not be scanned because of an internal error" in proc.stderr
        assert "job.py" in proc.stdout  # still listed in the report, with its reason
