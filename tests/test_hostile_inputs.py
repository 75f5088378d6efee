"""Whatever a client hands over, `scan` finishes, says why it skipped each bad file, and still reports the rest.

One tree holds every kind of hostile input next to ordinary files with findings; it is scanned once
through the real CLI. Each bad file must come back as a skip with its reason, the good files' findings
must all appear, and the exit code stays the documented one (1: there are findings). Unreadable and
vanishing files are simulated in-process (root reads mode-000 files, and a deletion has to land
between listing and reading).
"""

from __future__ import annotations

import codecs
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from migrator import discover
from migrator.api import ScanOptions, scan
from tests.conftest import run_cli

GOOD = ('import os, requests\nrequests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit", '
        'headers={"Authorization": "AppKey " + os.environ["ACME_KEY"]})\n')
BIG = 50_000_000

#: path -> expected (reason, a word of the detail); every one is a skip in the default scan.
SKIPS = {
    "binary.py": ("binary", "NUL"),
    "latin1.py": ("undecodable", "UTF-8"),
    "bad_utf16.py": ("undecodable", "UTF-16"),
    "bundle.min.js": ("too-large", "MB"),
    "deep.json": ("parse-error", "nested"),
    "deep.yaml": ("parse-error", "nested"),
    "bomb.yaml": ("too-large", "alias"),
    "broken.ipynb": ("malformed", "JSON"),
    "loop": ("symlink", "not followed"),
    "outside_dir": ("symlink", "not followed"),
    "outside_link.py": ("symlink", "not followed"),
    "pipe.py": ("unreadable", "not a regular file"),
}
#: Files whose findings must still be reported, whatever their names and encodings.
GOOD_FILES = ["good.py", "with space.py", "new\nline.py", "naïve_日本.py", "utf16_bom.py", "sub dir/ünï.py"]


def build(root: Path) -> None:
    tree = root / "tree"
    tree.mkdir()
    for name in GOOD_FILES:
        (tree / name).parent.mkdir(parents=True, exist_ok=True)
        (tree / name).write_text(GOOD, encoding="utf-8")
    (tree / "utf16_bom.py").write_bytes(codecs.BOM_UTF16_LE + GOOD.encode("utf-16-le"))
    (tree / "empty.py").write_text("", encoding="utf-8")
    (tree / "bom_only.py").write_bytes(codecs.BOM_UTF8)
    (tree / "binary.py").write_bytes(b"\x7fELF\x02\x01\x01\x00AppKey Bearer Authorization" + bytes(range(256)) * 40)
    (tree / "latin1.py").write_bytes("# café\nheaders = {'Authorization': 'AppKey x'}\n".encode("latin-1"))
    (tree / "bad_utf16.py").write_bytes(codecs.BOM_UTF16_LE + b"a\x00\x00\xd8")
    with open(tree / "bundle.min.js", "wb") as fh:  # one 50 MB line, as bundlers write them
        chunk = b"var a=function(n){return n*2},b=[1,2,3].map(a);" * 1000
        while fh.tell() < BIG:
            fh.write(chunk)
        fh.write(b'fetch(u,{headers:{Authorization:"Bearer "+t}});')
    (tree / "deep.json").write_text('{"celonis":' * 100_000 + "1" + "}" * 100_000, encoding="utf-8")
    (tree / "deep.yaml").write_text("celonis: " + "[" * 100_000 + "]" * 100_000 + "\n", encoding="utf-8")
    laughs = ["celonis: {url: https://acme.eu-1.celonis.cloud}\n", "a: &a [" + ", ".join(["lol"] * 10) + "]\n"]
    for i in range(1, 10):
        laughs.append(f"{chr(97 + i)}: &{chr(97 + i)} [" + ", ".join([f"*{chr(96 + i)}"] * 10) + "]\n")
    (tree / "bomb.yaml").write_text("".join(laughs), encoding="utf-8")
    (tree / "broken.ipynb").write_text('{"cells": [{"cell_type": "code", "source": ["h = {\\"Authorization\\": "',
                                       encoding="utf-8")
    os.symlink("..", tree / "loop")
    outside = root / "outside"
    outside.mkdir()
    (outside / "secret.py").write_text(GOOD, encoding="utf-8")
    os.symlink(outside / "secret.py", tree / "outside_link.py")
    os.symlink(outside, tree / "outside_dir")
    os.mkfifo(tree / "pipe.py")


@pytest.fixture(scope="module")
def hostile(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    build(root)
    proc = run_cli("scan", "--no-git", "--format", "json", "tree", cwd=root)
    return root, proc


def test_scan_finishes_with_the_documented_exit_code(hostile):
    _root, proc = hostile
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr and json.loads(proc.stdout)["errors"] == []


def test_every_bad_file_is_skipped_with_its_reason(hostile):
    _root, proc = hostile
    skipped = {s["path"].removeprefix("tree/"): (s["reason"], s["detail"]) for s in json.loads(proc.stdout)["stats"]["skipped"]}
    for path, (reason, word) in SKIPS.items():
        assert path in skipped, f"{path} not reported as skipped"
        assert skipped[path][0] == reason and word in skipped[path][1], (path, skipped[path])
    assert set(skipped) == set(SKIPS), set(skipped) ^ set(SKIPS)


def test_the_good_files_are_all_still_reported(hostile):
    _root, proc = hostile
    data = json.loads(proc.stdout)
    found = {(f["path"].removeprefix("tree/"), f["line"], f["rule_id"]) for f in data["findings"]}
    assert found == {(name, 2, "celonis-appkey-header") for name in GOOD_FILES}
    assert not any("outside" in f["path"] or "secret" in f["path"] for f in data["findings"])
    assert data["stats"]["files_scanned"] == len(GOOD_FILES) + 2  # + empty.py, bom_only.py


def test_odd_names_are_escaped_in_the_text_report(hostile):
    root, _proc = hostile
    proc = run_cli("scan", "--no-git", "--verbose", "tree", cwd=root)
    assert proc.returncode == 1, proc.stderr
    assert "tree/new\\nline.py:2:" in proc.stdout and "tree/with space.py:2:" in proc.stdout
    assert "tree/naïve_日本.py:2:" in proc.stdout and "tree/sub dir/ünï.py:2:" in proc.stdout
    assert not any(line.startswith("line.py") for line in proc.stdout.splitlines())
    for path, (reason, _word) in SKIPS.items():
        assert f"skipped tree/{path}: {reason}" in proc.stdout


def test_symlinks_followed_on_request_never_loop(hostile):
    root, _proc = hostile
    proc = run_cli("scan", "--no-git", "--format", "json", "--follow-symlinks", "tree", cwd=root)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    skipped = {s["path"]: s["reason"] for s in data["stats"]["skipped"]}
    assert skipped["tree/loop"] == "symlink-loop"
    assert "tree/outside_link.py" in {f["path"] for f in data["findings"]}


def test_a_50_mb_single_line_file_is_scanned_when_the_cap_allows_it(hostile):
    root, _proc = hostile
    proc = run_cli("scan", "--no-git", "--format", "json", "--max-file-size", str(2 * BIG), "tree/bundle.min.js",
                   cwd=root)
    assert proc.returncode == 0, proc.stderr  # the Bearer there goes to a host that is not Celonis
    data = json.loads(proc.stdout)
    assert data["stats"]["files_scanned"] == 1 and data["stats"]["skipped"] == []


def _deny(monkeypatch, name: str, denied: Path) -> None:
    real = getattr(os, name)

    def fake(path, *args, **kwargs):
        if os.fspath(path) == str(denied):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, name, fake)


def test_unreadable_files_and_directories_are_skips(tmp_path, monkeypatch):
    for rel in ("a.py", "locked.py", "closed/b.py", "z.py"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text(GOOD, encoding="utf-8")
    if os.geteuid() != 0:
        (tmp_path / "locked.py").chmod(0)
        (tmp_path / "closed").chmod(0)
    else:
        _deny(monkeypatch, "open", tmp_path / "locked.py")
        _deny(monkeypatch, "scandir", tmp_path / "closed")
    try:
        result = scan(["."], ScanOptions(cwd=str(tmp_path), use_git=False))
    finally:
        (tmp_path / "closed").chmod(0o755)
    assert {(s.path, s.reason, s.detail) for s in result.skips} == {
        ("locked.py", "unreadable", "permission denied"), ("closed", "unreadable", "permission denied")}
    assert sorted(f.path for f in result.findings) == ["a.py", "z.py"]


def test_files_and_directories_deleted_during_the_scan(tmp_path, monkeypatch):
    for rel in ("a.py", "gone.py", "m.py", "zz_gone_dir/b.py", "zz_gone_dir/c.py"):
        (tmp_path / rel).parent.mkdir(exist_ok=True)
        (tmp_path / rel).write_text(GOOD, encoding="utf-8")
    real = discover.iter_candidates

    def deleting(*args, **kwargs):
        for item in real(*args, **kwargs):
            if getattr(item, "path", "") == "a.py":  # listed, not yet read: pull the rug
                (tmp_path / "gone.py").unlink()
                shutil.rmtree(tmp_path / "zz_gone_dir")
            yield item

    monkeypatch.setattr(discover, "iter_candidates", deleting)
    result = scan(["."], ScanOptions(cwd=str(tmp_path), use_git=False))
    assert {(s.path, s.reason) for s in result.skips} == {("gone.py", "vanished"), ("zz_gone_dir", "vanished")}
    assert sorted(f.path for f in result.findings) == ["a.py", "m.py"]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_tree_of_only_bad_files_exits_0_with_the_skips_listed(tmp_path, jobs):
    (tmp_path / "binary.py").write_bytes(b"\0" * 64)
    (tmp_path / "latin1.py").write_bytes(b"caf\xe9 AppKey\n")
    (tmp_path / "broken.ipynb").write_text('{"cells": [ "Authorization', encoding="utf-8")
    proc = run_cli("scan", "--no-git", "-j", jobs, "--format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    reasons = {s["path"]: s["reason"] for s in json.loads(proc.stdout)["stats"]["skipped"]}
    assert reasons == {"binary.py": "binary", "latin1.py": "undecodable", "broken.ipynb": "malformed"}
    assert sys.executable
