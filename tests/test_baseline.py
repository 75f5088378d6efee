"""The baseline: stable identity without line numbers, known vs new, stale entries, create/update, no secrets."""

from __future__ import annotations

import json
import re

import pytest

from migrator import baseline as bl
from migrator.types import BaselineEntry
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY, run_cli, scan_json, write

BASELINE = ".celonis-migrator-baseline.json"

AUDIT = f'''\
import requests
KEY = "{FAKE_APP_KEY}"
requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
             headers={{"Authorization": "AppKey " + KEY}})
'''
POOLS = '''\
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


def _entries(root) -> list[dict]:
    return json.loads((root / BASELINE).read_text())["findings"]


# --- the file -------------------------------------------------------------------------------


def test_file_is_sorted_versioned_and_line_free():
    entries = [BaselineEntry("b.py", "r", "2"), BaselineEntry("a.py", "r", "9"), BaselineEntry("a.py", "r", "9")]
    text = bl.dumps(entries)
    data = json.loads(text)
    assert data == {"version": 1, "tool": "celonis-oauth-migrator", "findings": [
        {"fingerprint": "9", "rule_id": "r", "path": "a.py"}, {"fingerprint": "2", "rule_id": "r", "path": "b.py"}]}
    assert bl.loads(text, "f") == (BaselineEntry("a.py", "r", "9"), BaselineEntry("b.py", "r", "2"))
    assert text.endswith("}\n") and "line" not in text


@pytest.mark.parametrize(("text", "message"), [
    pytest.param("{", "not valid JSON", id="not-json"),
    pytest.param("[]", "at top: expected an object", id="not-an-object"),
    pytest.param('{"version": 2, "tool": "x", "findings": []}', "at version: unsupported version 2", id="version"),
    pytest.param('{"version": 1, "findings": [], "when": "now"}', "at when: unknown key", id="unknown-key"),
    pytest.param('{"version": 1, "findings": {}}', "at findings: must be a list", id="findings-not-list"),
    pytest.param('{"version": 1, "findings": [{"fingerprint": "a", "rule_id": "r"}]}',
                 "at findings[0]: must have exactly the keys fingerprint, rule_id, path", id="missing-path"),
    pytest.param('{"version": 1, "findings": [{"fingerprint": "", "rule_id": "r", "path": "p"}]}',
                 "at findings[0].fingerprint: must be a non-empty string", id="empty-fingerprint"),
])
def test_invalid_file_names_the_bad_value(text, message):
    with pytest.raises(bl.BaselineError, match=re.escape(message)):
        bl.loads(text, "base.json")


def test_update_keeps_entries_of_files_not_scanned():
    old = [BaselineEntry("a.py", "r", "1"), BaselineEntry("b.py", "r", "2"), BaselineEntry("gone.py", "r", "3")]
    current = [BaselineEntry("a.py", "r", "1"), BaselineEntry("a.py", "r", "4")]
    stale = bl.stale(old, {old[0]}, scanned={"a.py"}.__contains__, exists=lambda p: p != "gone.py")
    assert stale == (old[2],)
    assert bl.updated(old, current, stale) == (old[0], current[1], old[1])


# --- the CLI --------------------------------------------------------------------------------


def test_create_then_only_new_findings_fail(tmp_path):
    write(tmp_path, "audit.py", AUDIT, dedent=False)
    proc = run_cli("baseline", "create", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "Wrote 1 finding(s)" in proc.stderr
    text = (tmp_path / BASELINE).read_text()
    assert FAKE_APP_KEY not in text and FAKE_APP_KEY[:20] not in text and '"line"' not in text

    code, data = scan_json("--baseline", BASELINE, ".", cwd=tmp_path)
    assert code == 0 and [f["baseline_status"] for f in data["findings"]] == ["known"]
    assert data["stats"]["findings_known"] == 1 and data["stats"]["findings_new"] == 0
    assert data["baseline"] == {"path": BASELINE, "stale": []}
    assert data["plan"]["scopes"], "known findings still need their OAuth scopes planned"

    write(tmp_path, "pools.py", POOLS, dedent=False)
    proc = run_cli("scan", "--baseline", BASELINE, ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert "1 known finding(s) (not failing), 1 new." in proc.stdout
    assert "New findings (not in the baseline):\n  pools.py:3:" in proc.stdout
    assert FAKE_APP_KEY not in proc.stdout + proc.stderr


def test_identity_survives_moved_lines_and_unrelated_edits(tmp_path):
    write(tmp_path, "audit.py", AUDIT, dedent=False)
    assert run_cli("baseline", "create", ".", cwd=tmp_path).returncode == 0
    before = (tmp_path / BASELINE).read_bytes()
    write(tmp_path, "audit.py", '"""Docs."""\n\nimport csv\n\n\n' + AUDIT + "\nprint('done')\n", dedent=False)
    code, data = scan_json("--baseline", BASELINE, ".", cwd=tmp_path)
    assert code == 0 and data["findings"][0]["line"] == 9 and data["findings"][0]["baseline_status"] == "known"
    proc = run_cli("baseline", "update", ".", cwd=tmp_path)
    assert proc.returncode == 0 and "added 0, removed 0" in proc.stderr
    assert (tmp_path / BASELINE).read_bytes() == before


def test_stale_entries_are_reported_and_update_drops_them(tmp_path):
    write(tmp_path, "audit.py", AUDIT, dedent=False)
    write(tmp_path, "user.py", USER, dedent=False)
    assert run_cli("baseline", "create", ".", cwd=tmp_path).returncode == 0
    assert len(_entries(tmp_path)) == 2
    (tmp_path / "user.py").unlink()
    write(tmp_path, "audit.py", "import os\nKEY = os.environ['CELONIS_CLIENT_ID']\n", dedent=False)
    write(tmp_path, "pools.py", POOLS, dedent=False)
    proc = run_cli("scan", "--baseline", BASELINE, ".", cwd=tmp_path)
    assert proc.returncode == 1
    assert "Stale baseline entries" in proc.stdout
    assert "  audit.py: celonis-appkey-header" in proc.stdout and "  user.py: celonis-bearer-static-key" in proc.stdout
    _, data = scan_json("--baseline", BASELINE, ".", cwd=tmp_path)
    assert {e["path"] for e in data["baseline"]["stale"]} == {"audit.py", "user.py"}
    proc = run_cli("scan", "--format", "json", "--baseline", BASELINE, ".", cwd=tmp_path)
    assert "note: 2 stale baseline entries" in proc.stderr

    proc = run_cli("baseline", "update", ".", cwd=tmp_path)
    assert proc.returncode == 0 and "added 1, removed 2" in proc.stderr
    assert [e["path"] for e in _entries(tmp_path)] == ["pools.py"]
    assert run_cli("scan", "--baseline", BASELINE, ".", cwd=tmp_path).returncode == 0


def test_partial_scan_does_not_call_other_files_stale(tmp_path):
    write(tmp_path, "audit.py", AUDIT, dedent=False)
    write(tmp_path, "user.py", USER, dedent=False)
    assert run_cli("baseline", "create", ".", cwd=tmp_path).returncode == 0
    code, data = scan_json("--baseline", BASELINE, "audit.py", cwd=tmp_path)
    assert code == 0 and data["baseline"]["stale"] == []
    write(tmp_path, "pools.py", POOLS, dedent=False)
    assert run_cli("baseline", "update", "pools.py", cwd=tmp_path).returncode == 0
    assert [e["path"] for e in _entries(tmp_path)] == ["audit.py", "pools.py", "user.py"]


def test_create_refuses_to_overwrite_and_errors_exit_two(tmp_path):
    write(tmp_path, "audit.py", AUDIT, dedent=False)
    proc = run_cli("scan", "--baseline", "missing.json", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "missing.json" in proc.stderr and "baseline create" in proc.stderr
    proc = run_cli("baseline", "update", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "baseline create" in proc.stderr
    assert run_cli("baseline", "create", ".", cwd=tmp_path).returncode == 0
    proc = run_cli("baseline", "create", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "exists" in proc.stderr
    assert run_cli("baseline", "create", "--force", ".", cwd=tmp_path).returncode == 0
    write(tmp_path, "bad.json", '{"version": 1, "findings": [{"path": "a"}]}', dedent=False)
    proc = run_cli("scan", "--baseline", "bad.json", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "bad.json: at findings[0]" in proc.stderr


def test_baseline_path_from_config(tmp_path):
    write(tmp_path, "pyproject.toml", '[tool.celonis-migrator]\nbaseline = "ci/accepted.json"\n', dedent=False)
    (tmp_path / "ci").mkdir()
    write(tmp_path, "audit.py", AUDIT, dedent=False)
    assert run_cli("baseline", "create", ".", cwd=tmp_path).returncode == 0
    assert (tmp_path / "ci" / "accepted.json").is_file() and not (tmp_path / BASELINE).exists()
    code, data = scan_json(".", cwd=tmp_path)
    assert code == 0 and data["baseline"]["path"] == "ci/accepted.json"
    assert data["findings"][0]["baseline_status"] == "known"


def test_inline_ignored_findings_stay_out_of_the_baseline(tmp_path):
    write(tmp_path, "audit.py", AUDIT.rstrip("\n") + "  # celonis-migrator: ignore\n", dedent=False)
    assert run_cli("baseline", "create", ".", cwd=tmp_path).returncode == 0
    assert _entries(tmp_path) == []
