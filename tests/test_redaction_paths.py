"""Keys that reach outputs sideways: in a file name, a URL path, a usage error or a config value."""

from __future__ import annotations

import pytest

from tests.conftest import run_cli, write
from tests.test_redaction import canary_key


@pytest.mark.parametrize("fmt", ["text", "json", "sarif", "csv"])
def test_key_in_file_name_and_url_path_never_printed(tmp_path, fmt):
    key, other = canary_key(), canary_key()
    write(tmp_path, f"d/{key}.py", f'''
        import requests
        KEY = "{other}"
        requests.get(f"https://acme.eu-1.celonis.cloud/integration/api/pools/{{KEY}}/jobs",
                     headers={{"Authorization": "AppKey " + KEY}})
    ''')
    proc = run_cli("scan", "--format", fmt, "d", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    out = proc.stdout + proc.stderr
    for k in (key, other):
        assert k not in out and k[20:70] not in out


def test_usage_errors_echoing_a_key_are_redacted_and_one_line(tmp_path):
    key = canary_key()
    for args in (("scan", key), ("scan", "--format", key, "."), ("scan", "--severity", f"{key}=high", ".")):
        proc = run_cli(*args, cwd=tmp_path)
        assert proc.returncode == 2
        assert key not in proc.stdout + proc.stderr and key[20:70] not in proc.stderr
        assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
