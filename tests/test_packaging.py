"""A non-editable install works from any directory: rules/ and reports_templates/ ship in the wheel."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO, write


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    pytest.importorskip("hatchling", reason="hatchling (test extra) builds the wheel without network")
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q", "-w", str(out),
                    str(REPO)], check=True, capture_output=True, text=True, timeout=300)
    (whl,) = out.glob("celonis_oauth_migrator-*.whl")
    return whl


def test_wheel_carries_rules_and_templates(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    assert "migrator/_data/rules/apis.yaml" in names
    assert "migrator/_data/rules/scopes.yaml" in names
    assert "migrator/_data/rules/detect/celonis-appkey-header.yaml" in names
    assert "migrator/_data/reports_templates/report.html.j2" in names
    entry = next(n for n in names if n.endswith("entry_points.txt"))
    assert "celonis-migrator = migrator.cli:main" in zipfile.ZipFile(wheel).read(entry).decode()


def test_installed_command_runs_from_another_directory(wheel, tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)], check=True, timeout=120)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--force-reinstall", str(wheel)],
                   check=True, capture_output=True, timeout=300)
    work = tmp_path / "elsewhere"
    write(work, "job.py", '''
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit", headers={"Authorization": "AppKey " + K})
    ''')
    proc = subprocess.run([str(venv / "bin" / "celonis-migrator"), "scan", "."], cwd=work, capture_output=True,
                          text=True, timeout=120, env={"PATH": "/usr/bin:/bin", "NO_COLOR": "1"})
    assert proc.returncode == 1, proc.stderr
    assert "job.py:3:" in proc.stdout and "audit.log:read" in proc.stdout
    # the installed copy, not the checkout, was used
    where = subprocess.run([str(py), "-c", "import migrator, sys; print(migrator.__file__)"], cwd=work,
                           capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"}).stdout
    assert str(venv) in where


def test_libcst_is_not_imported_when_no_python_file_needs_a_parse(tmp_path):
    write(tmp_path, "a.py", "print('no keys here')\n")
    write(tmp_path, "notes.txt", "nothing\n")
    code = ("import sys; from migrator.api import scan; r = scan(['.']); "
            "print(r.files_scanned, 'libcst' in sys.modules)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin"}, timeout=60)
    assert proc.stdout.split() == ["2", "False"], proc.stderr


def test_a_clean_one_file_scan_loads_neither_parsers_nor_tables(tmp_path):
    """The pre-commit case: a clean file costs no LibCST, no YAML tables, no baseline, no templates."""
    write(tmp_path, "a.py", "print('no keys here')\n")
    code = ("import sys; from migrator.cli import main; sys.argv = ['celonis-migrator', 'scan', 'a.py']\n"
            "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\n"
            "heavy = ['libcst', 'yaml', 'jinja2', 'migrator.baseline', 'migrator.ruleset']\n"
            "print('loaded:', [m for m in heavy if m in sys.modules], file=sys.stderr)")
    proc = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True,
                          env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "NO_COLOR": "1"}, timeout=60)
    assert "loaded: []" in proc.stderr, proc.stderr
