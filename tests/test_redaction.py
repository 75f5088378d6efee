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
