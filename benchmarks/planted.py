"""The static-key uses that generate_tree.py plants, one template per shape, with the findings each must give.

A template is (file name, text, expected findings); an expected finding is (line, rule id). Text may
hold `{KEY}`: a fresh real-shape key (base64 of "<uuid>:<44-char secret>") drawn from the tree's seed,
so every planted literal differs and none can be allow-listed. `DECOYS` are look-alikes that must give
nothing: Bearer tokens sent to other hosts, OAuth tokens, placeholders in prose. tests/test_benchmark_tree.py
scans a small tree and checks every template against its expectation.
"""

from __future__ import annotations

import base64
import json
import random

APPKEY = "celonis-appkey-header"
BEARER = "celonis-bearer-static-key"
IN_CONFIG = "celonis-key-in-config"
HEADER_IN_CONFIG = "celonis-auth-header-in-config"
LITERAL = "celonis-key-literal"
PYCELONIS = "pycelonis-static-key"
RUNTIME = "celonis-runtime-scheme"


def fake_key(rng: random.Random) -> str:
    """A real-shape key that no real team issued: 108 base64 characters of "<uuid>:<secret>"."""
    hexits = "".join(rng.choice("0123456789abcdef") for _ in range(32))
    uuid = f"{hexits[:8]}-{hexits[8:12]}-{hexits[12:16]}-{hexits[16:20]}-{hexits[20:]}"
    secret = "".join(rng.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789") for _ in range(44))
    return base64.b64encode(f"{uuid}:{secret}".encode()).decode()


def _notebook(*cells: str) -> str:
    """A notebook as Jupyter writes it (nbformat 4, indent 1)."""
    return json.dumps({
        "cells": [{"cell_type": "code", "execution_count": i + 1, "id": f"c{i}", "metadata": {}, "outputs": [],
                   "source": cell.splitlines(keepends=True)} for i, cell in enumerate(cells)],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    }, indent=1) + "\n"


#: (file name, text, [(line, rule id), ...]). Lines are 1-based lines of the file as written.
TEMPLATES: list[tuple[str, str, list[tuple[int, str]]]] = [
    # --- Python (usage-patterns.md §1-2) ----------------------------------------------------------
    ("push_literal.py", '''\
import requests
BASE = "https://acme.eu-1.celonis.cloud"
POOL = "aaaaaaaa-0000-4000-8000-000000000001"
r = requests.post(f"{BASE}/data-ingestion/api/v1/data-push/{POOL}/jobs/",
                  headers={"Authorization": "AppKey {KEY}"}, json={})
''', [(5, APPKEY)]),
    ("models_env.py", '''\
import os
import requests

BASE = "https://acme.eu-1.celonis.cloud"
API_KEY = os.environ["ACME_CELONIS_KEY"]
HEADERS = {"Authorization": "AppKey " + API_KEY, "Accept": "application/json"}


def data_models(pool):
    return requests.get(BASE + "/integration/api/pools/" + pool + "/data-models", headers=HEADERS)
''', [(6, APPKEY)]),
    ("km_param.py", '''\
import os
import httpx


def km_filters(km_id, token):
    url = f"https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models/{km_id}/filters"
    return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()


km_filters("acme-p2p.p2p-km", os.environ["CELONIS_API_TOKEN"])
''', [(7, BEARER)]),
    ("members_urllib.py", '''\
import getpass
import urllib.request

user_key = getpass.getpass("Celonis API key: ")
hdr = {"Authorization": "%s %s" % ("Bearer", user_key)}
req = urllib.request.Request("https://acme.eu-1.celonis.cloud/api/external/members?pageSize=200", headers=hdr)
''', [(5, BEARER)]),
    ("audit_scheme.py", '''\
import os
import requests

BASE = "https://acme.eu-1.celonis.cloud"
SCHEME = "AppKey" if os.getenv("ACME_KEY_KIND", "app") == "app" else "Bearer"


def headers():
    return {"Authorization": f"{SCHEME} {os.environ['ACME_CELONIS_TOKEN']}"}


requests.get(f"{BASE}/log/api/external/audit?pageSize=200", headers=headers())
''', [(9, RUNTIME)]),
    ("session_client.py", '''\
import os
import requests

BASE = "https://acme.eu-1.celonis.cloud"
KEY = os.environ["CELONIS_USER_KEY"]
s = requests.Session()
s.headers.update({"Authorization": f"Bearer {KEY}"})
spaces = s.get(f"{BASE}/package-manager/api/spaces").json()
''', [(7, BEARER)]),
    ("login_pycelonis.py", '''\
from pycelonis import get_celonis

c = get_celonis(base_url="https://acme.eu-1.celonis.cloud", api_token=TOKEN, key_type="USER_KEY")
pools = c.data_integration.get_data_pools()
''', [(3, PYCELONIS)]),
    ("settings_fallback.py", '''\
import os

CELONIS_URL = "https://acme.eu-1.celonis.cloud"
APP_KEY = os.getenv("ACME_APP_KEY") or "{KEY}"
''', [(4, LITERAL)]),
    # --- notebooks (§4) -------------------------------------------------------------------------
    ("explore.ipynb", _notebook(
        'import requests\nBASE = "https://acme.eu-1.celonis.cloud"\n',
        'r = requests.get(f"{BASE}/log/api/external/audit", headers={"Authorization": "AppKey {KEY}"})\n',
    ), [(21, APPKEY)]),
    # --- configuration (§3) ---------------------------------------------------------------------
    (".env", '''\
CELONIS_URL=https://acme.eu-1.celonis.cloud
CELONIS_API_TOKEN={KEY}
CELONIS_KEY_TYPE=APP_KEY
''', [(2, IN_CONFIG)]),
    ("celonis.yaml", '''\
celonis:
  base_url: https://acme.eu-1.celonis.cloud
  api_token: "{KEY}"
  key_type: USER_KEY
''', [(3, IN_CONFIG)]),
    ("checks.yaml", '''\
checks:
  - name: audit-log
    url: https://acme.eu-1.celonis.cloud/log/api/external/audit
    headers:
      Authorization: "AppKey ${ACME_APP_KEY}"
''', [(5, HEADER_IN_CONFIG)]),
    ("appsettings.json", '''\
{
  "Celonis": {
    "BaseUrl": "https://acme.eu-1.celonis.cloud",
    "AppKey": "{KEY}"
  }
}
''', [(4, IN_CONFIG)]),
    ("celonis.ini", '''\
[celonis]
url = https://acme.eu-1.celonis.cloud
app_key = {KEY}
''', [(3, IN_CONFIG)]),
    ("celonis.toml", '''\
[celonis]
url = "https://acme.eu-1.celonis.cloud"
api_token = "{KEY}"
''', [(3, IN_CONFIG)]),
    ("application.properties", '''\
celonis.base-url=https://acme.eu-1.celonis.cloud
celonis.app-key={KEY}
''', [(2, IN_CONFIG)]),
    # --- shell, PowerShell, Markdown (§5) -------------------------------------------------------
    ("reload.sh", '''\
#!/usr/bin/env bash
: "${CELONIS_APP_KEY:?set it}"
curl -s "https://acme.eu-1.celonis.cloud/integration/api/pools/$POOL/jobs/$JOB" \\
     -H "Authorization: AppKey ${CELONIS_APP_KEY}"
''', [(4, APPKEY)]),
    ("members.ps1", '''\
$headers = @{ Authorization = "Bearer $env:CELONIS_API_TOKEN" }
Invoke-RestMethod -Uri "https://acme.eu-1.celonis.cloud/api/external/members" -Headers $headers
''', [(1, BEARER)]),
    ("RUNBOOK.md", '''\
# Reload

Run this once a day:

```bash
curl -H 'Authorization: Bearer {KEY}' https://acme.eu-1.celonis.cloud/api/external/members
```
''', [(6, BEARER)]),
    # --- other languages (§6) -------------------------------------------------------------------
    ("celonis.ts", '''\
import axios from "axios";
const celonis = axios.create({
  baseURL: "https://acme.eu-1.celonis.cloud",
  headers: { Authorization: `AppKey ${process.env.CELONIS_APP_KEY}` },
});
export const pools = () => celonis.get("/integration/api/pools");
''', [(4, APPKEY)]),
    ("CelonisClient.java", '''\
public class CelonisClient {
    HttpResponse<String> members(String base) throws Exception {
        HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/external/members?pageSize=200"))
            .header("Authorization", "AppKey " + System.getenv("CELONIS_APP_KEY")).GET().build();
        return http.send(req, BodyHandlers.ofString());
    }
}
''', [(4, APPKEY)]),
    ("CelonisApi.cs", '''\
public class CelonisApi {
    public async Task<string> Pools(HttpClient http) {
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", Environment.GetEnvironmentVariable("CELONIS_API_TOKEN"));
        return await http.GetStringAsync("https://acme.eu-1.celonis.cloud/integration/api/pools");
    }
}
''', [(3, BEARER)]),
    ("celonis.go", '''\
package celonis

func members(base string) (*http.Response, error) {
	req, _ := http.NewRequest("GET", base+"/api/external/members", nil)
	req.Header.Set("Authorization", "AppKey "+os.Getenv("CELONIS_APP_KEY"))
	return http.DefaultClient.Do(req)
}
''', [(5, APPKEY)]),
]

#: Look-alikes planted as ordinary files: each must give no finding.
DECOYS: list[tuple[str, str]] = [
    ("github_api.py", '''\
import os
import requests

TOKEN = os.environ["GITHUB_TOKEN"]
r = requests.get("https://api.github.com/user/repos", headers={"Authorization": f"Bearer {TOKEN}"})
'''),
    ("oauth_client.py", '''\
import requests

BASE = "https://acme.eu-1.celonis.cloud"
tok = requests.post(f"{BASE}/oauth2/token", data={"grant_type": "client_credentials"}).json()["access_token"]
requests.get(f"{BASE}/log/api/external/audit", headers={"Authorization": f"Bearer {tok}"})
'''),
    ("powerbi.py", '''\
import requests

requests.get("https://api.powerbi.com/v1.0/collections/acme/workspaces", headers={"Authorization": "AppKey " + k})
'''),
    ("auth.ts", '''\
export async function me(token: string) {
  return fetch("https://api.github.com/user", { headers: { Authorization: `Bearer ${token}` } });
}
'''),
    ("AUTH.md", '''\
# Authentication

Send an OAuth access token: `Authorization: Bearer <token>` obtained from the token endpoint.
'''),
]
