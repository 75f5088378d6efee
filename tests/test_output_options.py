"""Output habits: CSV, --output, --quiet, colour only on a TTY (NO_COLOR, --no-color), progress, --jobs, --exit-zero."""

from __future__ import annotations

import csv
import io
import json
import os
import pty
import subprocess
import sys

import pytest

from migrator.outputs import csv_format
from migrator.terminal import Progress, colour_enabled, colour_report
from migrator.types import ScanResult, ScopePlan
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY, REPO, run_cli, write
from tests.test_sarif import valid_sarif

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
KEYS = (FAKE_APP_KEY, FAKE_USER_KEY)


def no_keys(*texts: str) -> bool:
    return not any(k in t for t in texts for k in KEYS)


# --- CSV ---------------------------------------------------------------------------------------


def test_csv_findings_table(tmp_path):
    write(tmp_path, "audit.py", LEAKY, dedent=False)
    write(tmp_path, "=cmd.py", ENV, dedent=False)
    write(tmp_path, "user.py", USER.rstrip("\n") + "  # celonis-migrator: ignore\n", dedent=False)
    proc = run_cli("scan", "--format", "csv", ".", cwd=tmp_path)
    assert proc.returncode == 1 and no_keys(proc.stdout, proc.stderr)
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert list(rows[0]) == list(csv_format.FINDING_COLUMNS)
    by_path = {r["path"]: r for r in rows}
    assert set(by_path) == {"'=cmd.py", "audit.py", "user.py"}, "a formula-looking cell is defused"
    audit = by_path["audit.py"]
    assert audit["line"] == "4" and audit["leaked"] == "true" and audit["redacted"] == "MDAw…[108 chars]"
    assert "audit.log:read" in audit["scopes"].split() and audit["suppressed"] == "false"
    assert by_path["user.py"]["suppressed"] == "true"
    assert by_path["'=cmd.py"]["key_source"] == "env" and by_path["'=cmd.py"]["key_source_name"] == "ACME_KEY"


def test_csv_tables_are_named():
    empty = ScanResult(findings=(), skips=(), plan=ScopePlan(), file_plans=(), files_scanned=0, duration_s=0)
    assert csv_format.render(empty) == ",".join(csv_format.FINDING_COLUMNS) + "\n"
    with pytest.raises(ValueError, match="unknown CSV table 'nope'; tables: findings"):
        csv_format.render(empty, table="nope")


@pytest.mark.parametrize(("value", "cell"), [
    ("=1+1", "'=1+1"), ("+x", "'+x"), ("-x", "'-x"), ("@x", "'@x"), ("a=b", "a=b"), (None, ""), (True, "true"), (3, "3"),
])
def test_csv_cells(value, cell):
    assert csv_format.cell(value) == cell


# --- --output, --quiet, --exit-zero --------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "csv"])
def test_every_format_to_a_file_and_exit_zero(tmp_path, fmt):
    write(tmp_path, "audit.py", LEAKY, dedent=False)
    proc = run_cli("scan", "--format", fmt, "--output", "report.out", "--exit-zero", ".", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == ""
    text = (tmp_path / "report.out").read_text(encoding="utf-8")
    assert "audit.py" in text and no_keys(text, proc.stderr)
    if fmt == "sarif":
        valid_sarif(text)
    assert "\x1b[" not in text


def test_quiet_prints_one_line_per_new_finding(tmp_path):
    write(tmp_path, "audit.py", LEAKY, dedent=False)
    assert run_cli("baseline", "create", ".", cwd=tmp_path).returncode == 0
    write(tmp_path, "pools.py", ENV, dedent=False)
    write(tmp_path, "unused.py", "x = 1  # celonis-migrator: ignore\n", dedent=False)
    proc = run_cli("scan", "--quiet", "--baseline", ".celonis-migrator-baseline.json", ".", cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr == ""
    (line,) = proc.stdout.splitlines()
    assert line.startswith("pools.py:3:") and ": medium: celonis-appkey-header: Static Celonis" in line
    proc = run_cli("scan", "-q", "--format", "json", "--baseline", ".celonis-migrator-baseline.json", ".",
                   cwd=tmp_path)
    assert proc.returncode == 1 and proc.stderr == "" and json.loads(proc.stdout)["unused_ignores"]
    proc = run_cli("scan", "--format", "json", "--baseline", ".celonis-migrator-baseline.json", ".", cwd=tmp_path)
    assert "note: 1 unused ignore comment(s)" in proc.stderr
    (tmp_path / "pools.py").unlink()
    proc = run_cli("scan", "-q", "--baseline", ".celonis-migrator-baseline.json", ".", cwd=tmp_path)
    assert proc.returncode == 0 and proc.stdout == "" and proc.stderr == ""


# --- colour ----------------------------------------------------------------------------------------


def _run_on_tty(args: list[str], cwd, env: dict[str, str]) -> tuple[int, str, str]:
    """Run the CLI with stdout on a pseudo-terminal; stderr is a pipe."""
    master, slave = pty.openpty()
    full_env = {**os.environ, "PYTHONPATH": str(REPO), **env}
    proc = subprocess.Popen([sys.executable, "-m", "migrator", *args], cwd=cwd, env=full_env, stdout=slave,
                            stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    os.close(slave)
    chunks = []
    while True:
        try:
            data = os.read(master, 65536)
        except OSError:
            break
        if not data:
            break
        chunks.append(data)
    os.close(master)
    err = proc.stderr.read().decode() if proc.stderr else ""
    return proc.wait(timeout=120), b"".join(chunks).decode(), err


def test_colour_only_on_a_tty_and_never_with_no_color(tmp_path):
    write(tmp_path, "audit.py", LEAKY, dedent=False)
    code, out, err = _run_on_tty(["scan", "."], tmp_path, {"NO_COLOR": ""})
    assert code == 1 and "\x1b[31m" in out and "\x1b[" not in err, "red severity on a TTY"
    assert no_keys(out, err)
    code, out, _ = _run_on_tty(["scan", "."], tmp_path, {"NO_COLOR": "1"})
    assert code == 1 and "\x1b[" not in out and "audit.py:4:" in out
    code, out, _ = _run_on_tty(["scan", "--no-color", "."], tmp_path, {"NO_COLOR": ""})
    assert "\x1b[" not in out
    code, out, _ = _run_on_tty(["scan", "--format", "json", "."], tmp_path, {"NO_COLOR": ""})
    assert "\x1b[" not in out and json.loads(out)
    proc = run_cli("scan", ".", cwd=tmp_path, env={"NO_COLOR": ""})
    assert "\x1b[" not in proc.stdout + proc.stderr, "no colour into a pipe"


class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_colour_enabled_rules(monkeypatch):
    monkeypatch.delenv("NO_COLOR", raising=False)
    assert colour_enabled(_Tty()) and not colour_enabled(io.StringIO())
    assert not colour_enabled(_Tty(), no_color=True)
    monkeypatch.setenv("NO_COLOR", "1")
    assert not colour_enabled(_Tty())
    monkeypatch.setenv("NO_COLOR", "")
    assert colour_enabled(_Tty())
    report = "a.py:3:1: high: celonis-key-literal [high confidence]\n    LEAKED: revoke this key\n"
    assert colour_report(report, enabled=False) == report
    coloured = colour_report(report, enabled=True)
    assert "\x1b[31m\x1b[1mhigh" in coloured and coloured.count("\x1b[0m") >= 3


# --- progress -------------------------------------------------------------------------------------


def test_progress_draws_on_a_tty_and_erases_itself():
    stream = _Tty()
    with Progress(enabled=True, stream=stream, delay=0) as progress:
        progress("src/a.py")
    text = stream.getvalue()
    assert "scanning… 1 files  src/a.py" in text and text.endswith("\r\x1b[2K")
    quiet = io.StringIO()
    with Progress(enabled=False, stream=quiet, delay=0) as progress:
        progress("src/a.py")
    assert quiet.getvalue() == "" and progress.count == 1


def test_no_progress_when_stderr_is_not_a_tty(tmp_path):
    for i in range(30):
        write(tmp_path, f"m{i}.py", ENV, dedent=False)
    proc = run_cli("scan", ".", cwd=tmp_path)
    assert "\r" not in proc.stderr and "scanning" not in proc.stderr


# --- --jobs ---------------------------------------------------------------------------------------


def test_jobs_give_the_same_report_in_the_same_order(tmp_path):
    for i in range(40):
        write(tmp_path, f"pkg{i % 4}/m{i:02}.py", [LEAKY, ENV, USER, "print('clean')\n"][i % 4], dedent=False)
    write(tmp_path, "broken.py", "def f(:\n  AppKey\n")
    reports = []
    for jobs in ("1", "3"):
        proc = run_cli("scan", "--format", "json", "--jobs", jobs, ".", cwd=tmp_path)
        assert proc.returncode == 1 and no_keys(proc.stdout, proc.stderr)
        data = json.loads(proc.stdout)
        data["stats"].pop("duration_s")
        reports.append(data)
    assert reports[0] == reports[1]
    assert len(reports[0]["findings"]) >= 30
    assert [s["path"] for s in reports[0]["stats"]["skipped"]] == ["broken.py"]
    proc = run_cli("scan", "--jobs", "0", ".", cwd=tmp_path)
    assert proc.returncode == 2


def test_every_output_and_stderr_is_free_of_planted_keys(tmp_path):
    write(tmp_path, "audit.py", LEAKY, dedent=False)
    write(tmp_path, "user.py", USER, dedent=False)
    write(tmp_path, f"{FAKE_APP_KEY[:60]}.py", ENV, dedent=False)
    outputs = []
    for fmt in ("text", "json", "sarif", "csv"):
        proc = run_cli("scan", "--format", fmt, "-v", ".", cwd=tmp_path)
        outputs += [proc.stdout, proc.stderr]
    proc = run_cli("baseline", "create", ".", cwd=tmp_path)
    outputs += [proc.stdout, proc.stderr, (tmp_path / ".celonis-migrator-baseline.json").read_text()]
    proc = run_cli("scan", "-q", ".", cwd=tmp_path)
    outputs += [proc.stdout, proc.stderr]
    assert no_keys(*outputs)
