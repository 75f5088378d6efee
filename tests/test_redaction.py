"""Canary keys planted in scanned files never appear in any output, error or stderr.

New output formats and commands add themselves to OUTPUT_COMMANDS; the canary search is the same.
"""

from __future__ import annotations

import base64
import uuid

import pytest

from tests.conftest import run_cli, write


def canary_key() -> str:
    """A fresh real-shape key: base64 of "<uuid>:<44-char secret>", so no test can pass by allowlisting."""
    secret = base64.b64encode(uuid.uuid4().bytes * 2)[:44].decode().replace("=", "A")
    value = base64.b64encode(f"{uuid.uuid4()}:{secret}".encode()).decode()
    assert len(value) == 108
    return value


@pytest.fixture()
def planted(tmp_path):
    keys = [canary_key() for _ in range(4)]
    write(tmp_path, "lit.py", f'''
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                     headers={{"Authorization": "AppKey {keys[0]}"}})
    ''')
    write(tmp_path, "fallback.py", f'''
        import os, requests
        KEY = os.getenv("ACME_KEY") or "{keys[1]}"
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members", headers={{"Authorization": "Bearer " + KEY}})
    ''')
    write(tmp_path, "env_set.py", f'''
        import os
        os.environ["CELONIS_API_TOKEN"] = "{keys[2]}"
    ''')
    write(tmp_path, "broken.py", f'KEY = "{keys[3]}"\nheaders = {{"Authorization": "AppKey " + KEY\n')
    return tmp_path, keys


OUTPUT_COMMANDS = [
    ("scan",),
    ("scan", "--format", "json"),
    ("scan", "--verbose"),
]


@pytest.mark.parametrize("args", OUTPUT_COMMANDS, ids=[" ".join(a) for a in OUTPUT_COMMANDS])
def test_no_output_contains_a_planted_key(planted, args):
    root, keys = planted
    proc = run_cli(*args, ".", cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    everything = proc.stdout + proc.stderr
    for key in keys:
        assert key not in everything
        assert key[8:40] not in everything  # not even a long slice of it
    assert "[108 chars]" in everything  # the literals were found and shown masked


# --- every supported format x every output, including crashes ------------------------------------

#: One file per supported format, each holding a canary key literal where that format's detector looks.
CANARY_FILES = {
    "job.py": 'import requests\nrequests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",\n'
              '             headers={{"Authorization": "AppKey {key}"}})\n',
    "explore.ipynb": '{{"cells": [{{"cell_type": "code", "execution_count": 1, "id": "a", "metadata": {{}}, '
                     '"outputs": [], "source": ["import requests\\n", "r = requests.get(\\"https://acme.eu-1.celonis'
                     '.cloud/api/external/members\\", headers={{\\"Authorization\\": \\"Bearer {key}\\"}})\\n"]}}], '
                     '"metadata": {{}}, "nbformat": 4, "nbformat_minor": 5}}\n',
    "settings.yaml": 'celonis:\n  base_url: https://acme.eu-1.celonis.cloud\n  api_token: "{key}"\n',
    "appsettings.json": '{{"Celonis": {{"BaseUrl": "https://acme.eu-1.celonis.cloud", "AppKey": "{key}"}}}}\n',
    ".env": "CELONIS_URL=https://acme.eu-1.celonis.cloud\nCELONIS_API_TOKEN={key}\n",
    "celonis.ini": "[celonis]\nurl = https://acme.eu-1.celonis.cloud\napp_key = {key}\n",
    "celonis.toml": '[celonis]\nurl = "https://acme.eu-1.celonis.cloud"\napi_token = "{key}"\n',
    "app.properties": "celonis.base-url=https://acme.eu-1.celonis.cloud\ncelonis.app-key={key}\n",
    "reload.sh": "#!/bin/sh\ncurl -H 'Authorization: AppKey {key}' https://acme.eu-1.celonis.cloud/api/external/members\n",
    "RUNBOOK.md": "# Runbook\n\n```bash\ncurl -H 'Authorization: Bearer {key}' "
                  "https://acme.eu-1.celonis.cloud/api/external/members\n```\n",
    "client.ts": 'const key = "{key}";\nfetch("https://acme.eu-1.celonis.cloud/api/external/members", '
                 '{{ headers: {{ Authorization: `AppKey ${{key}}` }} }});\n',
    "Client.java": 'class Client {{\n  String pools(HttpRequest.Builder b) {{\n'
                   '    return b.uri(URI.create("https://acme.eu-1.celonis.cloud/integration/api/pools"))\n'
                   '      .header("Authorization", "AppKey {key}").build().toString();\n  }}\n}}\n',
    "Client.cs": 'class Client {{\n  void Go(HttpClient http) {{\n    http.DefaultRequestHeaders.Authorization = '
                 'new AuthenticationHeaderValue("Bearer", "{key}");\n'
                 '    http.GetStringAsync("https://acme.eu-1.celonis.cloud/api/external/members");\n  }}\n}}\n',
    "client.go": 'package c\n\nfunc members() {{\n\treq, _ := http.NewRequest("GET", '
                 '"https://acme.eu-1.celonis.cloud/api/external/members", nil)\n'
                 '\treq.Header.Set("Authorization", "AppKey {key}")\n}}\n',
    "members.ps1": '$headers = @{{ Authorization = "Bearer {key}" }}\n'
                   'Invoke-RestMethod -Uri "https://acme.eu-1.celonis.cloud/api/external/members" -Headers $headers\n',
}


@pytest.fixture(scope="module")
def every_format(tmp_path_factory):
    root = tmp_path_factory.mktemp("formats")
    keys = {}
    for name, template in CANARY_FILES.items():
        keys[name] = canary_key()
        (root / name).write_text(template.format(key=keys[name]), encoding="utf-8")
    return root, keys


def assert_no_key(keys, *texts: str) -> None:
    for text in texts:
        for name, key in keys.items():
            assert key not in text, f"the canary of {name} leaked"
            assert key[8:40] not in text and key[-40:] not in text, f"a slice of the canary of {name} leaked"
        assert "Traceback" not in text


def test_every_format_is_detected(every_format):
    import json

    root, keys = every_format
    proc = run_cli("scan", "--no-git", "--format", "json", ".", cwd=root)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    found = {f["path"] for f in data["findings"]}
    assert found == set(CANARY_FILES), set(CANARY_FILES) ^ found
    assert all(f["redacted"] is None or f["redacted"].endswith("[108 chars]") for f in data["findings"])
    assert_no_key(keys, proc.stdout, proc.stderr)


FORMAT_COMMANDS = [
    ("scan", "--no-git"),
    ("scan", "--no-git", "--verbose"),
    ("scan", "--no-git", "--quiet"),
    ("scan", "--no-git", "--format", "json"),
    ("scan", "--no-git", "--format", "sarif"),
    ("scan", "--no-git", "--format", "csv"),
    ("scan", "--no-git", "-j", "2", "--format", "json", "--cache-dir", "{tmp}/cache"),
    ("scan", "--no-git", "--format", "sarif", "-o", "{tmp}/out.sarif"),
    ("report", "--no-git", "-o", "{tmp}/report.html"),
    ("report", "--no-git", "--format", "csv", "--table", "findings", "-o", "{tmp}/report.csv"),
    ("fix", "--no-git"),
    ("baseline", "create", "--no-git", "--baseline", "{tmp}/baseline.json"),
]


@pytest.mark.parametrize("args", FORMAT_COMMANDS, ids=[" ".join(a[:4]) for a in FORMAT_COMMANDS])
def test_no_output_of_any_command_holds_a_canary(every_format, tmp_path, args):
    root, keys = every_format
    argv = [a.replace("{tmp}", str(tmp_path)) for a in args]
    proc = run_cli(*argv, ".", cwd=root)
    assert proc.returncode in (0, 1), proc.stderr
    written = [p.read_text(encoding="utf-8", errors="replace") for p in tmp_path.rglob("*") if p.is_file()]
    assert_no_key(keys, proc.stdout, proc.stderr, *written)
    if "-o" in argv:
        assert written, "the output file was not written"


@pytest.mark.parametrize(("mode", "extra"), [("1", ()), ("1", ("--verbose",)), ("1", ("-j", "2")),
                                            ("detector", ("--verbose",)), ("detector", ("--format", "json"))])
def test_a_crash_never_shows_a_key(every_format, mode, extra):
    root, keys = every_format
    proc = run_cli("scan", "--no-git", *extra, ".", cwd=root, env={"CELONIS_MIGRATOR_TEST_CRASH": mode})
    assert_no_key(keys, proc.stdout, proc.stderr)
    if mode == "1":  # uncaught: one redacted line on stderr, exit 2
        assert proc.returncode == 2, proc.stdout + proc.stderr
        lines = proc.stderr.strip().splitlines()
        assert len(lines) == 1 and lines[0].startswith("Error: internal error (RuntimeError): test crash in"), lines
        assert "…[108 chars]" in lines[0]  # the key was in the message, and was masked
    else:  # inside a detector: every file is an internal-error skip, the scan goes on, and exits 2
        assert proc.returncode == 2, proc.stderr
        assert "could not be scanned because of an internal error" in proc.stderr
        assert "internal-error" in proc.stdout and "…[108 chars]" in proc.stdout
