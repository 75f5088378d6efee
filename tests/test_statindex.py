"""The stat index of `scan --cache-dir`: unchanged files are not read again, and a result is never stale.

Every way a file, the rules, the tool or an option can change must give a fresh result; so must a
file changed so recently that its timestamps cannot be trusted ("racily clean").
"""

from __future__ import annotations

import json
import os
import time

import pytest

import migrator.discover as discover
from migrator import cache as cache_module
from migrator import statindex
from migrator.api import ScanOptions, scan
from tests.conftest import FAKE_APP_KEY, run_cli, write

AUDIT = '''\
import os, requests
requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
             headers={"Authorization": "AppKey " + os.environ["ACME_KEY"]})
'''
LEAK = f'KEY = "{FAKE_APP_KEY}"\n'


@pytest.fixture()
def reads(monkeypatch):
    """The files the scan really opens (index hits never get here)."""
    calls: list[str] = []
    real = discover.read_bytes

    def counting(candidate, **kwargs):
        calls.append(candidate.path)
        return real(candidate, **kwargs)

    monkeypatch.setattr(discover, "read_bytes", counting)
    return calls


@pytest.fixture()
def no_racy_window(monkeypatch):
    """Files written a moment ago count as settled (the tests' files are all brand new)."""
    monkeypatch.setattr(statindex, "RACY_NS", 0)


@pytest.fixture()
def tree(tmp_path):
    root = tmp_path / "repo"
    write(root, "audit.py", AUDIT, dedent=False)
    write(root, "leak.txt", LEAK, dedent=False)
    write(root, "plain.py", "print('nothing to see')\n")
    write(root, "blob.bin", "x\0y")
    write(root, "settings.yaml", "celonis:\n  url: https://acme.eu-1.celonis.cloud\n  api_token: ${ACME_TOKEN}\n")
    return root


def run(root, cache_dir, **options):
    result = scan(["."], ScanOptions(cwd=str(root), use_git=False, cache_dir=str(cache_dir), **options))
    found = sorted((f.path, f.line, f.rule_id, f.severity, f.message, f.related) for f in result.findings)
    return found, result


def rewrite_keeping_stat_times(path, text):
    """Rewrite a file with same-size content and put its atime and mtime back (only ctime moves)."""
    st = os.stat(path)
    path.write_text(text, encoding="utf-8")
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))
    assert os.stat(path).st_size == st.st_size and os.stat(path).st_mtime_ns == st.st_mtime_ns


def test_trustworthy_leaves_out_recently_changed_files():
    from types import SimpleNamespace

    now, window = 10**19, statindex.RACY_NS
    settled = SimpleNamespace(st_mtime_ns=now - 2 * window, st_ctime_ns=now - 2 * window)
    fresh_mtime = SimpleNamespace(st_mtime_ns=now - 1, st_ctime_ns=now - 3 * window)
    fresh_ctime = SimpleNamespace(st_mtime_ns=now - 3 * window, st_ctime_ns=now - 1)
    assert statindex.trustworthy(settled, now)
    assert not statindex.trustworthy(fresh_mtime, now)
    assert not statindex.trustworthy(fresh_ctime, now)


def test_a_rescan_of_an_unchanged_tree_reads_no_file(tree, tmp_path, reads, no_racy_window):
    first, r1 = run(tree, tmp_path / "cache")
    assert sorted(reads) == ["audit.py", "blob.bin", "leak.txt", "plain.py", "settings.yaml"]
    reads.clear()
    again, r2 = run(tree, tmp_path / "cache")
    assert reads == [] and again == first and r2.files_unchanged == 5
    assert (r2.files_scanned, r2.files_prefiltered, r2.skips) == (r1.files_scanned, r1.files_prefiltered, r1.skips)
    assert r2.plan == r1.plan and r2.file_plans == r1.file_plans


def test_a_rewrite_that_keeps_size_and_mtime_is_still_seen(tree, tmp_path, reads, no_racy_window):
    run(tree, tmp_path / "cache")
    rewrite_keeping_stat_times(tree / "plain.py", "print('nothing to seX')\n")
    reads.clear()
    run(tree, tmp_path / "cache")
    assert reads == ["plain.py"]


def test_a_file_replaced_by_rename_is_seen(tree, tmp_path, reads, no_racy_window):
    """An editor's save-by-rename: a new inode at the same path, even with size and times copied."""
    run(tree, tmp_path / "cache")
    target = tree / "plain.py"
    st = os.stat(target)
    other = tree / "plain.py.new"
    other.write_text("print('nothing to seX')\n", encoding="utf-8")
    os.utime(other, ns=(st.st_atime_ns, st.st_mtime_ns))
    os.replace(other, target)
    reads.clear()
    run(tree, tmp_path / "cache")
    assert reads == ["plain.py"]


def test_a_changed_file_gives_its_new_findings(tree, tmp_path, no_racy_window):
    first, _ = run(tree, tmp_path / "cache")
    assert any(f[0] == "audit.py" for f in first)
    (tree / "audit.py").write_text("print('migrated')\n", encoding="utf-8")
    (tree / "new.txt").write_text(LEAK, encoding="utf-8")
    (tree / "leak.txt").unlink()
    again, result = run(tree, tmp_path / "cache")
    assert not any(f[0] in ("audit.py", "leak.txt") for f in again)
    assert any(f[0] == "new.txt" for f in again) and result.files_unchanged == 3


def test_racily_clean_files_are_never_indexed(tree, tmp_path, reads):
    """With the real window, files written just now are read again, whatever their stat says."""
    run(tree, tmp_path / "cache")
    reads.clear()
    _, result = run(tree, tmp_path / "cache")
    assert len(reads) == 5 and result.files_unchanged == 0
    assert not list((tmp_path / "cache").rglob("index/*.json"))  # nothing worth writing


@pytest.mark.parametrize("change", [
    {"disabled_rules": ("celonis-appkey-header",)},
    {"severity_overrides": (("celonis-appkey-header", "low"),)},
    {"inline_ignores": False},
    {"max_bytes": 10},
    {"extra_hosts": ("celonis.acme.internal",)},
])
def test_an_option_that_changes_an_outcome_uses_another_index(tree, tmp_path, reads, no_racy_window, change):
    run(tree, tmp_path / "cache")
    expected, _ = scan_without_cache(tree, **change)
    reads.clear()
    got, result = run(tree, tmp_path / "cache", **change)
    assert len(reads) == 5 and result.files_unchanged == 0 and got == expected


def scan_without_cache(root, **options):
    result = scan(["."], ScanOptions(cwd=str(root), use_git=False, **options))
    return sorted((f.path, f.line, f.rule_id, f.severity, f.message, f.related) for f in result.findings), result


def test_a_new_tool_or_rules_fingerprint_means_a_fresh_index(tree, tmp_path, reads, no_racy_window, monkeypatch):
    run(tree, tmp_path / "cache")
    reads.clear()
    monkeypatch.setattr(cache_module, "tool_fingerprint", lambda: "another rules version")
    run(tree, tmp_path / "cache")
    assert len(reads) == 5


def test_other_roots_or_cwd_use_another_index(tree, tmp_path, reads, no_racy_window):
    (tree / "sub").mkdir()
    (tree / "sub" / "x.py").write_text("x = 1\n", encoding="utf-8")
    run(tree, tmp_path / "cache")
    reads.clear()
    scan(["sub", "plain.py"], ScanOptions(cwd=str(tree), use_git=False, cache_dir=str(tmp_path / "cache")))
    assert sorted(reads) == ["plain.py", "sub/x.py"]
    reads.clear()
    scan(["."], ScanOptions(cwd=str(tree / "sub"), use_git=False, cache_dir=str(tmp_path / "cache")))
    assert reads == ["x.py"]


def test_file_arguments_alone_get_no_index(tree, tmp_path, reads, no_racy_window):
    """A pre-commit run names files, a new set each time: an index per set would pile up without end."""
    for _ in range(2):
        scan(["audit.py", "plain.py"], ScanOptions(cwd=str(tree), use_git=False, cache_dir=str(tmp_path / "cache")))
    assert reads == ["audit.py", "plain.py"] * 2
    assert not list((tmp_path / "cache").rglob("index/*.json"))


def test_a_corrupt_index_is_an_empty_one(tree, tmp_path, reads, no_racy_window):
    first, _ = run(tree, tmp_path / "cache")
    [index] = (tmp_path / "cache").rglob("index/*.json")
    for garbage in ("", "{", "[]", '{"format": 1, "files": {"audit.py": [[1, 2], 0]}}',
                    json.dumps({"format": 1, "files": {"audit.py": [[0, 0, 0, 0, 0], {"skip": 1}]}})):
        index.write_text(garbage, encoding="utf-8")
        reads.clear()
        again, result = run(tree, tmp_path / "cache")
        assert again == first and "audit.py" in reads
    reads.clear()
    assert run(tree, tmp_path / "cache")[0] == first and reads == []


def test_only_outcomes_that_depend_on_the_bytes_are_indexed(tree, tmp_path, reads, no_racy_window, monkeypatch):
    (tree / "gone.py").write_text("x = 1\n", encoding="utf-8")
    real = discover.read_bytes

    def vanishing(candidate, **kwargs):
        if candidate.path == "gone.py":
            return discover.Skip("gone.py", "vanished", "deleted after it was listed")
        return real(candidate, **kwargs)

    monkeypatch.setattr(discover, "read_bytes", vanishing)
    run(tree, tmp_path / "cache")
    [index] = (tmp_path / "cache").rglob("index/*.json")
    files = json.loads(index.read_text(encoding="utf-8"))["files"]
    assert "gone.py" not in files and "blob.bin" in files  # binary: decided by the bytes, kept


def test_the_index_never_holds_a_key(tree, tmp_path, no_racy_window):
    found, _ = run(tree, tmp_path / "cache")
    assert any(f[0] == "leak.txt" for f in found)
    [index] = (tmp_path / "cache").rglob("index/*.json")
    text = index.read_text(encoding="utf-8")
    assert FAKE_APP_KEY not in text and FAKE_APP_KEY[8:40] not in text


def test_cli_rescan_after_the_racy_window_reads_nothing_and_sees_every_change(tree, tmp_path):
    args = ("scan", "--no-git", "--cache-dir", str(tmp_path / "cache"))
    first = run_cli(*args, "--format", "json", ".", cwd=tree)
    assert first.returncode == 1, first.stderr
    time.sleep(statindex.RACY_NS / 1e9 + 0.2)  # let the files settle
    run_cli(*args, "--format", "json", ".", cwd=tree)  # now they are indexed
    text = run_cli(*args, ".", cwd=tree)
    assert "5 unchanged since the last scan" in text.stdout, text.stdout
    again = run_cli(*args, "--format", "json", ".", cwd=tree)
    a, b = json.loads(first.stdout), json.loads(again.stdout)
    a["stats"].pop("duration_s"), b["stats"].pop("duration_s")
    assert a == b
    rewrite_keeping_stat_times(tree / "plain.py", "print('nothing to seX')\n")
    (tree / "audit.py").write_text("print('migrated')\n", encoding="utf-8")
    after = run_cli(*args, "--format", "json", ".", cwd=tree)
    paths = {f["path"] for f in json.loads(after.stdout)["findings"]}
    assert "audit.py" not in paths and "leak.txt" in paths
    text = run_cli(*args, ".", cwd=tree)
    assert "3 unchanged since the last scan" in text.stdout, text.stdout  # the two rewritten files were read
