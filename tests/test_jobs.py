"""--jobs: N worker processes or `auto`, and the same result whichever is used."""

from __future__ import annotations

import concurrent.futures
import json

import pytest

from migrator import api
from migrator.api import ScanOptions
from tests.conftest import FAKE_APP_KEY, run_cli

KEYED = f'import requests\nrequests.get("https://acme.eu-1.celonis.cloud/integration/api/pools", ' \
        f'headers={{"Authorization": "AppKey {FAKE_APP_KEY}"}})\n'


def _tree(root, files: int, keyed_every: int = 97):
    for i in range(files):
        sub = root / f"pkg{i % 7}"
        sub.mkdir(exist_ok=True)
        (sub / f"m{i}.py").write_text(KEYED if i % keyed_every == 0 else f"x = {i}\n", encoding="utf-8")


def _comparable(stdout: str) -> dict:
    data = json.loads(stdout)
    data["stats"].pop("duration_s")
    return data


def test_auto_scans_a_small_tree_in_this_process(tmp_path, monkeypatch):
    _tree(tmp_path, 40)
    started = []
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", lambda *a, **k: started.append(k) or 1 / 0)
    result = api.scan(["."], ScanOptions(cwd=str(tmp_path), use_git=False, jobs=0))
    assert started == [] and len(result.findings) == 1 and result.files_scanned == 40


def test_auto_starts_workers_past_the_inline_files_and_keeps_the_order(tmp_path, monkeypatch):
    _tree(tmp_path, 60, keyed_every=9)
    monkeypatch.setattr(api, "AUTO_INLINE_FILES", 10)
    monkeypatch.setattr(api, "auto_jobs", lambda: 2)
    real = concurrent.futures.ProcessPoolExecutor
    started = []

    def counting(*args, **kwargs):
        started.append(kwargs.get("max_workers"))
        return real(*args, **kwargs)

    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", counting)
    auto = api.scan(["."], ScanOptions(cwd=str(tmp_path), use_git=False, jobs=0))
    single = api.scan(["."], ScanOptions(cwd=str(tmp_path), use_git=False, jobs=1))
    assert started == [2]
    assert auto.findings == single.findings and len(single.findings) == 7
    assert (auto.files_scanned, auto.files_prefiltered) == (single.files_scanned, single.files_prefiltered) == (60, 53)


def test_auto_jobs_is_the_cores_this_process_may_use_capped(monkeypatch):
    monkeypatch.setattr(api.os, "sched_getaffinity", lambda pid: set(range(64)), raising=False)
    assert api.auto_jobs() == api.AUTO_MAX_JOBS
    monkeypatch.setattr(api.os, "sched_getaffinity", lambda pid: {0}, raising=False)
    assert api.auto_jobs() == 1


def test_cli_jobs_auto_and_numbers_give_identical_output(tmp_path):
    _tree(tmp_path, 1100)  # past AUTO_INLINE_FILES: auto starts workers on any machine with 2 cores
    outputs = []
    for jobs in ("auto", "1", "2"):
        proc = run_cli("scan", "--no-git", "--format", "json", "-j", jobs, ".", cwd=tmp_path)
        assert proc.returncode == 1, proc.stderr
        outputs.append(_comparable(proc.stdout))
    assert outputs[0] == outputs[1] == outputs[2]
    assert outputs[0]["stats"]["files_scanned"] == 1100 and outputs[0]["stats"]["findings"] == 12


@pytest.mark.parametrize("bad", ["0", "-1", "many", "1.5"])
def test_cli_rejects_a_bad_jobs_value(tmp_path, bad):
    proc = run_cli("scan", "--no-git", "-j", bad, ".", cwd=tmp_path)
    assert proc.returncode == 2 and "is not a number >= 1 or 'auto'" in proc.stderr


def test_config_jobs_auto(tmp_path):
    (tmp_path / "pyproject.toml").write_text('[tool.celonis-migrator]\njobs = "auto"\n', encoding="utf-8")
    _tree(tmp_path, 3)
    proc = run_cli("scan", "--no-git", "--format", "json", ".", cwd=tmp_path)
    assert proc.returncode == 1 and json.loads(proc.stdout)["stats"]["findings"] == 1, proc.stderr
    (tmp_path / "pyproject.toml").write_text('[tool.celonis-migrator]\njobs = "all"\n', encoding="utf-8")
    proc = run_cli("scan", "--no-git", ".", cwd=tmp_path)
    assert proc.returncode == 2 and 'must be an integer >= 1 or "auto"' in proc.stderr
