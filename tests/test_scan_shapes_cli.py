"""Every Python shape of usage-patterns.md §1-2 and the §7 look-alikes, through one run of the real CLI."""

from __future__ import annotations

import pytest

from tests.conftest import FAKE_APP_KEY, scan_json, write

SHAPES = {
    "literal_call_site.py": (f'''
        import requests
        BASE = "https://acme.eu-1.celonis.cloud"
        POOL = "aaaaaaaa-0000-4000-8000-000000000001"
        r = requests.post(f"{{BASE}}/data-ingestion/api/v1/data-push/{{POOL}}/jobs/",
                          headers={{"Authorization": "AppKey {FAKE_APP_KEY}"}}, json={{}})
    ''', [(6, "AppKey", "literal", None, {"integration.data-pools:data_push"})]),
    "module_header_dict.py": ('''
        import os, requests
        BASE = "https://acme.eu-1.celonis.cloud"
        API_KEY = os.environ["ACME_CELONIS_KEY"]
        HEADERS = {"Authorization": "AppKey " + API_KEY, "Accept": "application/json"}
        def data_models(pool):
            return requests.get(BASE + "/integration/api/pools/" + pool + "/data-models", headers=HEADERS)
    ''', [(5, "AppKey", "env", "ACME_CELONIS_KEY", {"integration.data-pools"})]),
    "param_fstring.py": ('''
        import os, httpx
        def km_filters(km_id, token):
            url = f"https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models/{km_id}/filters"
            return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()
        km_filters("acme-p2p.p2p-km", os.environ["CELONIS_API_TOKEN"])
    ''', [(5, "Bearer", "env", "CELONIS_API_TOKEN", {"intelligence.knowledge-models:read"})]),
    "percent_urllib.py": ('''
        import getpass, urllib.request
        user_key = getpass.getpass("Celonis API key: ")
        hdr = {"Authorization": "%s %s" % ("Bearer", user_key)}
        req = urllib.request.Request("https://acme.eu-1.celonis.cloud/api/external/members?pageSize=200", headers=hdr)
    ''', [(4, "Bearer", "user-input", "getpass.getpass", {"team.user-group-info:read"})]),
    "runtime_scheme.py": ('''
        import os, requests
        BASE = "https://acme.eu-1.celonis.cloud"
        SCHEME = "AppKey" if os.getenv("ACME_KEY_KIND", "app") == "app" else "Bearer"
        def headers():
            return {"Authorization": f"{SCHEME} {os.environ['ACME_CELONIS_TOKEN']}"}
        requests.get(f"{BASE}/log/api/external/audit?pageSize=200", headers=headers())
    ''', [(6, "AppKey|Bearer", "env", "ACME_CELONIS_TOKEN", {"audit.log:read"})]),
    "merged_elsewhere.py": ('''
        import requests
        from acme import settings
        BASE = "https://acme.eu-1.celonis.cloud"
        def _auth():
            return {"Authorization": "AppKey " + settings.APP_KEY}
        def pause(subscription_id):
            h = {**_auth(), "Content-Type": "application/json"}
            return requests.patch(f"{BASE}/intelligence/api/subscriptions/{subscription_id}/pause", headers=h)
    ''', [(6, "AppKey", "config", "settings.APP_KEY", {"intelligence.subscriptions:manage"})]),
    "clients.py": ('''
        import requests, httpx
        BASE = "https://acme.eu-1.celonis.cloud"
        s = requests.Session()
        s.headers.update({"Authorization": f"Bearer {KEY}"})
        spaces = s.get(f"{BASE}/package-manager/api/spaces").json()
        km = httpx.Client(base_url="https://acme.eu-1.celonis.cloud/intelligence/api",
                          headers={"Authorization": f"AppKey {KEY}"})
        km.get("/knowledge-models")
    ''', [(5, "Bearer", "unknown", "KEY", {"studio"}),
          (8, "AppKey", "unknown", "KEY", {"intelligence.knowledge-models:read"})]),
    "pycelonis2.py": ('''
        from pycelonis import get_celonis
        c = get_celonis(base_url="https://acme.eu-1.celonis.cloud", api_token=TOKEN, key_type="USER_KEY")
        c.studio.get_spaces()
    ''', [(3, "Bearer", "unknown", "TOKEN", {"studio"})]),
    "powerbi.py": ('''
        import requests
        requests.get("https://api.powerbi.com/v1.0/collections/acme/workspaces", headers={"Authorization": "AppKey " + k})
    ''', []),
    "oauth_token.py": ('''
        import requests
        BASE = "https://acme.eu-1.celonis.cloud"
        tok = requests.post(f"{BASE}/oauth2/token", data={"grant_type": "client_credentials"}).json()["access_token"]
        requests.get(f"{BASE}/log/api/external/audit", headers={"Authorization": f"Bearer {tok}"})
    ''', []),
    "aha.py": ('''
        import requests
        requests.get("https://celonis.aha.io/api/v1/ideas", headers={"Authorization": f"Bearer {aha_token}"})
    ''', []),
    "docs_links.py": ('''
        DOCS = "https://developer.celonis.com/celonis-apis/auth/"
        LOGIN = "https://id.celonis.cloud/login"
    ''', []),
}


@pytest.fixture(scope="module")
def scanned(tmp_path_factory):
    root = tmp_path_factory.mktemp("shapes")
    for name, (code, _expected) in SHAPES.items():
        write(root, name, code)
    code, data = scan_json(".", cwd=root)
    assert code == 1
    return data


@pytest.mark.parametrize("name", SHAPES)
def test_shape(scanned, name):
    expected = SHAPES[name][1]
    got = [
        (f["line"], f["auth_scheme"], f["key_source"]["kind"], f["key_source"]["name"],
         {s for e in f["endpoints"] for s in e["scopes"]})
        for f in scanned["findings"] if f["path"] == name
    ]
    assert sorted(got, key=lambda g: g[0]) == expected
