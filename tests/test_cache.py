"""The content-hash cache (`scan --cache-dir`): re-scans parse nothing unchanged, and never return a stale result.

Staleness is checked for each input of a result: the file's text, the rules (and the tool), and the
detector options. Corrupt or unwritable caches are ignored, and no cache file ever holds a key.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

import migrator.detect as detect
from migrator import cache as cache_module
from migrator import resources
from migrator.api import ScanOptions, scan
from tests.conftest import FAKE_APP_KEY, REPO, run_cli, write

AUDIT = '''\
import os, requests
requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
             headers={"Authorization": "AppKey " + os.environ["ACME_KEY"]})
'''
PRIVATE_HOST = '''\
import os, requests
requests.get("https://celonis.acme.internal/log/api/external/audit",
             headers={"Authorization": "AppKey " + os.environ["ACME_KEY"]})
'''
LEAK = f'''\
import requests
KEY = "{FAKE_APP_KEY}"
requests.get("https://acme.eu-1.celonis.cloud/api/external/members", headers={{"Authorization": "Bearer " + KEY}})
'''


@pytest.fixture()
def parses(monkeypatch):
    """Counts the files a detector really parses (cache hits never get here)."""
    calls: list[str] = []
    real = detect.scan_source

    def counting(source, **kwargs):
        calls.append(source.path)
        return real(source, **kwargs)

    monkeypatch.setattr(detect, "scan_source", counting)
    return calls


@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / "repo"
    write(root, "audit.py", AUDIT, dedent=False)
    write(root, "leak.py", LEAK, dedent=False)
    write(root, "private.py", PRIVATE_HOST, dedent=False)
    write(root, "plain.py", "print('nothing to see')\n")
    write(root, "settings.yaml", "celonis:\n  url: https://acme.eu-1.celonis.cloud\n  api_token: ${ACME_TOKEN}\n")
    return root


def run(root: Path, cache_dir: Path, **options):
    result = scan(["."], ScanOptions(cwd=str(root), use_git=False, cache_dir=str(cache_dir), **options))
    return sorted((f.path, f.line, f.rule_id, f.severity, f.message) for f in result.findings), result


def test_a_rescan_parses_nothing_and_gives_the_same_result(tree, tmp_path, parses):
    cache_dir = tmp_path / "cache"
    first, _ = run(tree, cache_dir)
    assert sorted(parses) == ["audit.py", "leak.py", "private.py", "settings.yaml"]  # plain.py: prefilter only
    parses.clear()
    again, result = run(tree, cache_dir)
    assert parses == [] and again == first
    assert result.files_scanned == 5 and result.files_prefiltered == 1
    uncached, _ = run(tree, tmp_path / "other-cache")
    assert uncached == first


def test_a_changed_file_is_parsed_again(tree, tmp_path, parses):
    cache_dir = tmp_path / "cache"
    run(tree, cache_dir)
    parses.clear()
    (tree / "audit.py").write_text(AUDIT.replace("AppKey ", "Bearer "), encoding="utf-8")
    found, _ = run(tree, cache_dir)
    assert parses == ["audit.py"]
    assert ("audit.py", 3, "celonis-bearer-static-key") in {f[:3] for f in found}
    assert "celonis-appkey-header" not in {f[2] for f in found if f[0] == "audit.py"}


def test_same_text_under_another_path_is_not_shared(tree, tmp_path, parses):
    cache_dir = tmp_path / "cache"
    run(tree, cache_dir)
    parses.clear()
    shutil.copy(tree / "audit.py", tree / "copy.py")
    found, _ = run(tree, cache_dir)
    assert parses == ["copy.py"] and ("copy.py", 3, "celonis-appkey-header") in {f[:3] for f in found}


def test_a_changed_rule_file_changes_the_fingerprint(tmp_path, monkeypatch):
    rules = tmp_path / "rules"
    shutil.copytree(resources.rules_dir(), rules)
    monkeypatch.setattr(resources, "rules_dir", lambda: rules)
    cache_module.tool_fingerprint.cache_clear()
    try:
        before = cache_module.tool_fingerprint()
        path = rules / "apis.yaml"
        path.write_text(path.read_text(encoding="utf-8") + "\n# one more line\n", encoding="utf-8")
        cache_module.tool_fingerprint.cache_clear()
        after_edit = cache_module.tool_fingerprint()
        (rules / "detect" / "new-rule.yaml").write_text("version: 1\n", encoding="utf-8")
        cache_module.tool_fingerprint.cache_clear()
        after_add = cache_module.tool_fingerprint()
    finally:
        cache_module.tool_fingerprint.cache_clear()
    assert len({before, after_edit, after_add}) == 3


def test_a_new_fingerprint_means_no_hit(tree, tmp_path, parses, monkeypatch):
    cache_dir = tmp_path / "cache"
    first, _ = run(tree, cache_dir)
    parses.clear()
    monkeypatch.setattr(cache_module, "tool_fingerprint", lambda: "rules changed")
    monkeypatch.setattr("migrator.api._CACHES", {})
    again, _ = run(tree, cache_dir)
    assert sorted(parses) == ["audit.py", "leak.py", "private.py", "settings.yaml"] and again == first


def test_detector_options_are_part_of_the_key(tree, tmp_path, parses):
    cache_dir = tmp_path / "cache"
    plain, _ = run(tree, cache_dir)
    assert "private.py" not in {f[0] for f in plain}
    parses.clear()
    hosted, _ = run(tree, cache_dir, extra_hosts=("celonis.acme.internal",))
    assert "private.py" in parses and "private.py" in {f[0] for f in hosted}
    parses.clear()
    again, _ = run(tree, cache_dir)
    assert parses == [] and again == plain


def test_rule_selection_and_severity_apply_after_a_hit(tree, tmp_path, parses):
    cache_dir = tmp_path / "cache"
    run(tree, cache_dir)
    parses.clear()
    found, _ = run(tree, cache_dir, disabled_rules=("celonis-appkey-header",),
                   severity_overrides=(("celonis-bearer-static-key", "low"),))
    assert parses == []
    assert "celonis-appkey-header" not in {f[2] for f in found}
    assert {f[3] for f in found if f[2] == "celonis-bearer-static-key"} == {"low"}


def test_corrupt_entries_are_misses_and_are_rewritten(tree, tmp_path, parses):
    cache_dir = tmp_path / "cache"
    first, _ = run(tree, cache_dir)
    entries = sorted(p for p in cache_dir.rglob("*.json") if "index" not in p.parent.name)
    assert len(entries) == 4
    garbage = ["", "{", "[]", '{"format": 1, "path": "audit.py", "result": {"__type__": "Nope"}}',
               '{"format": 1, "path": "leak.py", "result": [{"__type__": "Finding", "bogus": 1}]}']
    for entry, text in zip(entries, garbage):
        entry.write_text(text, encoding="utf-8")
    parses.clear()
    again, _ = run(tree, cache_dir)
    assert again == first and len(parses) == 4
    parses.clear()
    assert run(tree, cache_dir)[0] == first and parses == []


def test_an_unusable_cache_directory_is_not_an_error(tree, tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where the cache should go", encoding="utf-8")
    found, result = run(tree, blocker)
    assert found and not result.errors


def test_no_cache_file_holds_a_key(tree, tmp_path):
    cache_dir = tmp_path / "cache"
    found, _ = run(tree, cache_dir)
    assert any(f[0] == "leak.py" for f in found)
    for entry in cache_dir.rglob("*"):
        if entry.is_file():
            text = entry.read_text(encoding="utf-8")
            assert FAKE_APP_KEY not in text and FAKE_APP_KEY[8:40] not in text
            json.loads(text)


def test_cli_rescan_with_workers_gives_identical_output(tree, tmp_path):
    args = ("scan", "--no-git", "--format", "json", "--cache-dir", str(tmp_path / "cache"), ".")
    outputs = []
    for jobs in ("1", "2", "2"):
        proc = run_cli(*args[:-1], "-j", jobs, ".", cwd=tree)
        assert proc.returncode == 1, proc.stderr
        data = json.loads(proc.stdout)
        data["stats"].pop("duration_s")
        outputs.append(data)
    assert outputs[0] == outputs[1] == outputs[2]
    assert (tmp_path / "cache").is_dir() and REPO.is_dir()


def test_only_skips_that_depend_on_the_text_alone_are_stored(tmp_path):
    from migrator.types import Skip, SourceFile

    cache = cache_module.Cache(str(tmp_path / "cache"))
    for n, reason in enumerate(("timeout", "internal-error", "parse-error", "malformed")):
        source = SourceFile(f"f{n}.py", f"/x/f{n}.py", "python", "headers = {'Authorization': 'AppKey x'\n")
        cache.put(source, Skip(source.path, reason, "detail"))
        assert (cache.get(source) is not None) == (reason in ("parse-error", "malformed")), reason
