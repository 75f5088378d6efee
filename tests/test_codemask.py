"""migrator.codemask: secret-looking string literals are masked in lines of code, nothing else changes."""

from __future__ import annotations

import json

import pytest
from conftest import FAKE_APP_KEY

from migrator.codemask import mask_secrets_in_code_line as mask
from migrator.codemask import mask_secrets_in_notebook_line as mask_nb
from migrator.codemods import helper

SECRET = "S3cr3t-0123456789abcdef0123456789abcdef01234567"


@pytest.mark.parametrize("line, expected", [
    # rule 1: assigned to, compared with or keyed by a secret-ish name
    (f'CELONIS_CLIENT_SECRET = "{SECRET}"', f'CELONIS_CLIENT_SECRET = "…[{len(SECRET)} chars]"'),
    ('client_secret: str = "hunter2"', 'client_secret: str = "…[7 chars]"'),
    ('    password="pa55"', '    password="…[4 chars]"'),
    ('if token == "letmein":', 'if token == "…[7 chars]":'),
    ('data = {"client_id": "cid", "client_secret": "abc"}', 'data = {"client_id": "cid", "client_secret": "…[3 chars]"}'),
    ('os.environ["CELONIS_API_TOKEN"] = "zzz"', 'os.environ["CELONIS_API_TOKEN"] = "…[3 chars]"'),
    ('os.environ.setdefault("CELONIS_API_TOKEN", "zzz")', 'os.environ.setdefault("CELONIS_API_TOKEN", "…[3 chars]")'),
    ("self.api_key = 'k-1'", "self.api_key = '…[3 chars]'"),
    ('get_celonis(base_url="https://acme.eu-1.celonis.cloud", api_token="abc", key_type="APP_KEY")',
     'get_celonis(base_url="https://acme.eu-1.celonis.cloud", api_token="…[3 chars]", key_type="APP_KEY")'),
    # a key split over two adjacent literals: both halves
    (f'APP_KEY = ("{FAKE_APP_KEY[:54]}" "{FAKE_APP_KEY[54:]}")', 'APP_KEY = ("…[54 chars]" "…[54 chars]")'),
    # the scheme stays visible, the key does not
    (f'h = {{"Authorization": "AppKey {FAKE_APP_KEY}"}}', 'h = {"Authorization": "AppKey MDAw…[108 chars]"}'),
    (f'KEY = "{FAKE_APP_KEY}"', 'KEY = "MDAw…[108 chars]"'),
    # rule 2: long runs on a line that mentions a secret-ish name, AppKey or Bearer
    ('send("Bearer abc123def456ghi789jkl0")', 'send("Bearer …[22 chars]")'),
    # rule 3: an opaque blob anywhere (half of a split key on its own line, a hex secret)
    (f'    "{FAKE_APP_KEY[54:]}"', '    "…[54 chars]"'),
    ('X = "deadbeefdeadbeefdeadbeefdeadbeef0123"', 'X = "…[36 chars]"'),
])
def test_masks_secret_values(line: str, expected: str) -> None:
    assert mask(line) == expected


@pytest.mark.parametrize("line", [
    'HEADERS = {"Authorization": "AppKey " + os.environ["K"], "Accept": "application/json"}',
    '    return requests.get(f"{BASE}/log/api/external/audit", headers={"Authorization": "AppKey " + KEY})',
    '    return {"Authorization": f"Bearer {client_credentials_token(BASE, \'audit.log:read\')}"}',
    'r = requests.post(f"{BASE}/data-ingestion/api/v1/data-push/{POOL}/jobs/", headers={"Authorization": "Bearer " + T})',
    'POOL = "1b2c3d4e-5f6a-7b8c-9d0e-1f2a3b4c5d6e"',
    'BASE = "https://acme.eu-1.celonis.cloud"',
    'token_url = "https://acme.eu-1.celonis.cloud/oauth2/token"',
    'secret = os.environ.get("CELONIS_CLIENT_SECRET", "")',
    '__all__ = ["client_credentials_token", "CelonisAuth"]',
    "s = 'it''s' + \"a \\\"quoted\\\" word\"",
    "no literal at all, token = value",
    "",
])
def test_leaves_code_alone(line: str) -> None:
    assert mask(line) == line


def test_generated_helper_is_shown_unmasked() -> None:
    for name in (helper.HELPER_SOURCE, helper.helper_source("ACME_ID", "ACME_SECRET")):
        assert [line for line in name.splitlines() if mask(line) != line] == []


def test_notebook_json_lines() -> None:
    line = "    " + json.dumps(f'CELONIS_CLIENT_SECRET = "{SECRET}"\n') + ","
    assert mask_nb(line) == "    " + json.dumps(f'CELONIS_CLIENT_SECRET = "…[{len(SECRET)} chars]"\n',
                                               ensure_ascii=False) + ","
    whole = '   "source": ' + json.dumps('import os\nTOKEN = "abc"\nx = 1\n')
    assert mask_nb(whole) == '   "source": ' + json.dumps('import os\nTOKEN = "…[3 chars]"\nx = 1\n', ensure_ascii=False)
    plain = '    "BASE = \\"https://acme.eu-1.celonis.cloud\\"\\n",'
    assert mask_nb(plain) == plain
