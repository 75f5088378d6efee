"""benchmarks/generate_tree.py is deterministic, and a scan of its tree finds exactly the planted uses.

This is what makes the benchmark's correctness column meaningful: every template of benchmarks/planted.py
gives the findings it declares, and the decoys and ordinary files give none.
"""

from __future__ import annotations

import hashlib
import sys

from migrator.api import ScanOptions, scan
from tests.conftest import REPO

sys.path.insert(0, str(REPO / "benchmarks"))
import generate_tree  # noqa: E402


def digest(root) -> str:
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def test_small_tree_is_deterministic_and_scans_to_its_manifest(tmp_path):
    manifest = generate_tree.generate(tmp_path / "a", files=700, seed=3, copies=1, decoy_copies=1)
    again = generate_tree.generate(tmp_path / "b", files=700, seed=3, copies=1, decoy_copies=1)
    assert manifest == again and digest(tmp_path / "a") == digest(tmp_path / "b")
    assert manifest["files"] == 700 and {"binary", "node_modules", "planted", "decoy", "vendored"} <= set(
        manifest["files_by_category"])

    result = scan(["."], ScanOptions(cwd=str(tmp_path / "a"), use_git=False))
    got = {(f.path, f.line, f.rule_id) for f in result.findings}
    want = {(p["path"], p["line"], p["rule_id"]) for p in manifest["planted"]}
    assert got == want, {"missing": sorted(want - got), "extra": sorted(got - want)}
    assert {s.reason for s in result.skips} == {"binary", "excluded-dir"}
    assert result.files_prefiltered > 0.9 * result.files_scanned
