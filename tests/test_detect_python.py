"""The Python detector on each shape of shared/reference/usage-patterns.md §1-2, and the look-alikes of §7."""

from __future__ import annotations

import textwrap

import pytest

from migrator.detect.python import scan_python
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY


def scan(code: str, path: str = "app.py"):
    return scan_python(path, textwrap.dedent(code))


def only(code: str):
    findings = scan(code)
    assert len(findings) == 1, [(f.rule_id, f.line, f.message) for f in findings]
    return findings[0]


def paths(f):
    return [(e.method, e.path, e.scopes, e.status) for e in f.endpoints]


def test_literal_appkey_at_call_site_is_a_leak_with_data_push_scope():
    f = only(f'''
        import requests
        BASE = "https://acme.eu-1.celonis.cloud"
        POOL = "aaaaaaaa-0000-4000-8000-000000000001"
        r = requests.post(f"{{BASE}}/data-ingestion/api/v1/data-push/{{POOL}}/jobs/",
                          headers={{"Authorization": "AppKey {FAKE_APP_KEY}"}},
                          json={{"targetName": "ORDERS", "type": "DELTA"}})
    ''')
    assert f.rule_id == "celonis-appkey-header"
    assert (f.line, f.column) == (6, 28)
    assert f.auth_schemes == ("AppKey",) and f.credential_kind == "app_key"
    assert f.key_source.kind == "literal" and f.leaked and f.severity == "high"
    assert f.redacted == "MDAw…[108 chars]"
    assert FAKE_APP_KEY not in repr(f)
    (e,) = f.endpoints
    assert e.method == "POST" and e.scopes == ("integration.data-pools:data_push",)
    assert e.resource is not None and e.resource.id == "aaaaaaaa-0000-4000-8000-000000000001"
    assert e.status == "documented"


def test_concatenation_into_module_header_dict_used_in_function():
    f = only('''
        import os, requests
        BASE = "https://acme.eu-1.celonis.cloud"
        API_KEY = os.environ["ACME_CELONIS_KEY"]
        HEADERS = {"Authorization": "AppKey " + API_KEY, "Accept": "application/json"}

        def data_models(pool):
            return requests.get(BASE + "/integration/api/pools/" + pool + "/data-models", headers=HEADERS)
    ''')
    assert f.line == 5 and f.key_source.kind == "env" and f.key_source.name == "ACME_CELONIS_KEY"
    assert not f.leaked and f.severity == "medium"
    (e,) = f.endpoints
    assert e.path == "/integration/api/pools/{poolId}/data-models"
    assert "integration.data-pools" in e.scopes


def test_fstring_bearer_parameter_traced_to_env_at_the_call_site():
    f = only('''
        import os, httpx
        def km_filters(km_id, token):
            url = f"https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models/{km_id}/filters"
            return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()

        km_filters("acme-p2p.p2p-km", os.environ["CELONIS_API_TOKEN"])
    ''')
    assert f.rule_id == "celonis-bearer-static-key" and f.credential_kind == "user_api_key"
    assert (f.key_source.kind, f.key_source.name) == ("env", "CELONIS_API_TOKEN")
    (e,) = f.endpoints
    assert e.scopes == ("intelligence.knowledge-models:read",)
    assert e.resource is not None and e.resource.id == "acme-p2p.p2p-km"


def test_format_template_lowercase_header_and_format_url():
    f = only('''
        import requests
        TEAM, REALM = "acme", "eu-1"
        AUTH_TEMPLATE = "AppKey {key}"
        def auth_header(key):
            return {"authorization": AUTH_TEMPLATE.format(key=key)}
        requests.post("https://{}.{}.celonis.cloud/machine-learning/api/executions".format(TEAM, REALM),
                      headers=auth_header(secrets["ml_app_key"]),
                      json={"notebookId": "nb", "executionFileName": "score.ipynb"})
    ''')
    assert f.auth_schemes == ("AppKey",)
    assert f.key_source.kind == "config" and "ml_app_key" in (f.key_source.name or "")
    (e,) = f.endpoints
    assert (e.method, e.scopes) == ("POST", ("machine-learning",))
    assert e.host == "acme.eu-1.celonis.cloud"


def test_percent_format_with_urllib_request_and_getpass():
    f = only('''
        import getpass, urllib.request
        user_key = getpass.getpass("Celonis API key: ")
        hdr = {"Authorization": "%s %s" % ("Bearer", user_key)}
        req = urllib.request.Request("https://acme.eu-1.celonis.cloud/api/external/members?pageSize=200", headers=hdr)
    ''')
    assert f.auth_schemes == ("Bearer",) and f.key_source.kind == "user-input"
    (e,) = f.endpoints
    assert (e.method, e.path, e.scopes) == ("GET", "/api/external/members", ("team.user-group-info:read",))


def test_add_header_on_urllib_request():
    f = only('''
        import os, urllib.request
        req = urllib.request.Request("https://acme.eu-1.celonis.cloud/log/api/external/audit")
        req.add_header("Authorization", "AppKey " + os.environ["CELONIS_APP_KEY"])
        urllib.request.urlopen(req)
    ''')
    assert f.line == 4 and f.key_source.name == "CELONIS_APP_KEY"
    assert [e.scopes for e in f.endpoints] == [("audit.log:read",)]


def test_scheme_chosen_at_run_time_is_one_finding_with_both_schemes():
    f = only('''
        import os, requests
        BASE = "https://acme.eu-1.celonis.cloud"
        SCHEME = "AppKey" if os.getenv("ACME_KEY_KIND", "app") == "app" else "Bearer"
        def headers():
            return {"Authorization": f"{SCHEME} {os.environ['ACME_CELONIS_TOKEN']}"}
        requests.get(f"{BASE}/log/api/external/audit?pageSize=200", headers=headers())
    ''')
    assert f.rule_id == "celonis-runtime-scheme"
    assert f.auth_schemes == ("AppKey", "Bearer") and f.credential_kind == "static_key"
    assert f.auth_scheme == "AppKey|Bearer"
    assert f.key_source.name == "ACME_CELONIS_TOKEN"
    assert [e.path for e in f.endpoints] == ["/log/api/external/audit"]


def test_header_built_in_one_function_merged_and_used_in_another():
    f = only('''
        import requests
        from acme import settings
        BASE = "https://acme.eu-1.celonis.cloud"
        def _auth():
            return {"Authorization": "AppKey " + settings.APP_KEY}

        def pause(subscription_id):
            h = {**_auth(), "Content-Type": "application/json"}
            return requests.patch(f"{BASE}/intelligence/api/subscriptions/{subscription_id}/pause", headers=h)
    ''')
    assert f.line == 6 and f.key_source.kind == "config"
    (e,) = f.endpoints
    assert (e.method, e.scopes) == ("PATCH", ("intelligence.subscriptions:manage",))
    assert f.related == ("10:1",)


def test_env_with_literal_fallback_is_a_leak():
    f = only(f'''
        import os, requests
        CELONIS_URL = "https://acme.eu-1.celonis.cloud"
        APP_KEY = os.getenv("ACME_APP_KEY") or "{FAKE_APP_KEY}"
        def run(pool, job):
            url = f"{{CELONIS_URL}}/integration/api/v2/data-pools/{{pool}}/data-jobs/{{job}}/execute?mode=DELTA"
            return requests.post(url, headers={{"Authorization": f"AppKey {{APP_KEY}}"}})
    ''')
    assert f.key_source.kind == "env" and f.key_source.name == "ACME_APP_KEY"
    assert f.leaked and any("fallback" in n for n in f.notes)
    (e,) = f.endpoints
    assert e.scopes == ("integration.data-pools",)


def test_session_headers_update_and_httpx_base_url():
    findings = scan('''
        import requests, httpx
        BASE = "https://acme.eu-1.celonis.cloud"
        s = requests.Session()
        s.headers.update({"Authorization": f"Bearer {KEY}"})
        spaces = s.get(f"{BASE}/package-manager/api/spaces").json()

        km = httpx.Client(base_url="https://acme.eu-1.celonis.cloud/intelligence/api",
                          headers={"Authorization": f"AppKey {KEY}"})
        km.get("/knowledge-models")
    ''')
    by_line = {f.line: f for f in findings}
    assert sorted(by_line) == [5, 9]
    assert [e.path for e in by_line[5].endpoints] == ["/package-manager/api/spaces"]
    assert by_line[5].endpoints[0].scopes[0] in ("studio", "package-manager")
    assert [(e.path, e.scopes) for e in by_line[9].endpoints] == [
        ("/intelligence/api/knowledge-models", ("intelligence.knowledge-models:read",))]


def test_session_item_assignment_and_request_method():
    f = only('''
        import os, requests
        session = requests.Session()
        session.headers["Authorization"] = "AppKey " + os.environ["K"]
        session.request("GET", "https://globex.us-2.celonis.cloud/api/external/authentication-events")
    ''')
    assert [(e.method, e.scopes) for e in f.endpoints] == [("GET", ("team.login-history:read",))]


def test_class_wrapper_with_self_attributes():
    f = only('''
        import requests
        class Celonis:
            def __init__(self, url, key):
                self.url = url
                self.headers = {"Authorization": f"AppKey {key}"}
            def members(self):
                return requests.get(self.url + "/api/external/members", headers=self.headers)
        c = Celonis("https://acme.eu-1.celonis.cloud", open("celonis.key").read().strip())
    ''')
    assert f.line == 6
    assert f.endpoints and f.endpoints[0].scopes == ("team.user-group-info:read",)


def test_unknown_celonis_path_and_blocker_are_kept():
    f = only('''
        import requests
        H = {"Authorization": "AppKey " + KEY}
        requests.get("https://acme.eu-1.celonis.cloud/api/cloud/team", headers=H)
        requests.get("https://acme.eu-1.celonis.cloud/some/private/thing", headers=H)
    ''')
    statuses = sorted(e.status for e in f.endpoints)
    assert statuses == ["blocker", "unknown"]


def test_pycelonis_2x_login_with_app_key_and_object_use():
    f = only('''
        from pycelonis import get_celonis
        c = get_celonis(base_url="https://acme.eu-1.celonis.cloud", api_token=TOKEN, key_type="APP_KEY")
        pools = c.data_integration.get_data_pools()
    ''')
    assert f.rule_id == "pycelonis-static-key" and f.auth_schemes == ("AppKey",)
    paths_ = {e.path for e in f.endpoints}
    assert {"/api/cloud", "/api/team", "/api/cloud/permissions"} <= paths_
    assert any("integration.data-pools" in e.scopes for e in f.endpoints)
    assert any(e.status == "blocker" for e in f.endpoints)


@pytest.mark.parametrize("call, schemes", [
    ('get_celonis("https://acme.eu-1.celonis.cloud", TOKEN, "USER_KEY")', ("Bearer",)),
    ('get_celonis(**{"base_url": URL, "api_token": TOKEN, "key_type": KeyType.BEARER})', ("Bearer",)),
    ("get_celonis(base_url=URL, api_token=TOKEN)", ("AppKey", "Bearer")),
    ("get_celonis(permissions=False)", ("AppKey", "Bearer")),
])
def test_pycelonis_call_shapes(call, schemes):
    f = only(f'''
        from pycelonis import get_celonis
        from pycelonis_core.client import KeyType
        c = {call}
    ''')
    assert f.auth_schemes == schemes


def test_pycelonis_env_only_login_names_celonis_api_token_and_no_permissions_call():
    f = only('''
        from pycelonis import get_celonis
        c = get_celonis(permissions=False)
    ''')
    assert (f.key_source.kind, f.key_source.name) == ("env", "CELONIS_API_TOKEN")
    assert "/api/cloud/permissions" not in {e.path for e in f.endpoints}


def test_pycelonis_1x_login_dict_is_reported_with_upgrade_note():
    f = only('''
        from pycelonis import get_celonis
        from pycelonis.celonis_api.utils import KeyType
        login = {"celonis_url": "acme.eu-1.celonis.cloud", "api_token": TOKEN, "key_type": KeyType.USER_KEY}
        celonis = get_celonis(**login)
        rows = celonis.api_request("https://acme.eu-1.celonis.cloud/integration/api/pools")
    ''')
    assert f.auth_schemes == ("Bearer",)
    assert any("1.x" in n for n in f.notes)
    assert "/integration/api/pools" in {e.path for e in f.endpoints}


def test_celonis_api_token_read_passed_elsewhere():
    f = only('''
        import os
        from acme.client import Conn
        conn = Conn("https://acme.eu-1.celonis.cloud", os.environ["CELONIS_API_TOKEN"])
    ''')
    assert f.rule_id == "celonis-api-token-env" and f.credential_kind == "static_key"


def test_user_key_literal_bearer_is_a_leak():
    f = only(f'''
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members",
                     headers={{"Authorization": "Bearer {FAKE_USER_KEY}"}})
    ''')
    assert f.leaked and f.credential_kind == "user_api_key" and f.redacted == "MTEx…[108 chars]"


def test_placeholder_literal_is_info_not_leak():
    f = only('''
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members",
                     headers={"Authorization": "AppKey <your-app-key>"})
    ''')
    assert not f.leaked and f.severity == "info" and f.literal_class == "placeholder"


def test_bearer_of_unknown_origin_to_team_host_is_reported():
    f = only('''
        import requests
        from vault import get_secret
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members",
                     headers={"Authorization": "Bearer " + get_secret("celonis")})
    ''')
    assert f.rule_id == "celonis-bearer-static-key"


def test_header_with_no_visible_call_needs_module_evidence():
    code = '''
        import os
        def auth():
            return {"Authorization": "AppKey " + os.environ["CELONIS_APP_KEY"]}
    '''
    f = only(code)
    assert f.endpoints == () and any("no Celonis call" in n for n in f.notes)
    assert scan('''
        import os
        def auth():
            return {"Authorization": "AppKey " + os.environ["PARTNER_KEY"]}
    ''') == []


NEGATIVES = {
    "powerbi-appkey": '''
        import requests
        requests.get("https://api.powerbi.com/v1.0/collections/acme/workspaces",
                     headers={"Authorization": "AppKey " + pbi_key})
    ''',
    "thingworx-appkey-header-name": '''
        import requests
        requests.get("https://twx.acme.example/Thingworx/Things/Pump1/Properties", headers={"appKey": twx_key})
    ''',
    "lorawan-data-field": '''
        device = {"devEui": "0011", "appKey": "00112233445566778899aabbccddeeff"}
    ''',
    "celonis-oauth-token-response": '''
        import requests
        BASE = "https://acme.eu-1.celonis.cloud"
        tok = requests.post(f"{BASE}/oauth2/token", auth=(cid, csec),
                            data={"grant_type": "client_credentials", "scope": "audit.log:read"}).json()["access_token"]
        requests.get(f"{BASE}/log/api/external/audit", headers={"Authorization": f"Bearer {tok}"})
    ''',
    "token-helper-function": '''
        import requests
        BASE = "https://acme.eu-1.celonis.cloud"
        def get_token():
            r = requests.post(BASE + "/oauth2/token", data={"grant_type": "client_credentials"})
            return r.json()["access_token"]
        requests.get(BASE + "/log/api/external/audit", headers={"Authorization": "Bearer " + get_token()})
    ''',
    "pycelonis-oauth2": '''
        import os
        from pycelonis import get_celonis, oauth2
        c = get_celonis(base_url="https://acme.eu-1.celonis.cloud",
                        api_token=oauth2(os.environ["OAUTH_CLIENT_ID"], os.environ["OAUTH_CLIENT_SECRET"], "studio"),
                        key_type="BEARER")
    ''',
    "partner-oauth": '''
        import requests
        requests.get("https://api.partner.example/v1/things", headers={"Authorization": f"Bearer {partner_token}"})
    ''',
    "aha-bearer-in-celonis-named-code": '''
        import requests
        celonis_ideas = requests.get("https://celonis.aha.io/api/v1/ideas",
                                     headers={"Authorization": f"Bearer {aha_token}"})
    ''',
    "jwt-literal": '''
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members",
                     headers={"Authorization": "Bearer eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJvcGVuaWQiXX0.c2ln"})
    ''',
    "library-plumbing": '''
        def build(prefix, token):
            return {"Authorization": f"{prefix} {token}"}
    ''',
    "key-type-without-pycelonis": '''
        from signer import Signer
        s = Signer(key_type="app_key")
    ''',
    "basic-auth": '''
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members", headers={"Authorization": "Basic " + b64})
    ''',
    "pypi-celonis-index": '''
        import subprocess
        subprocess.run(["pip", "install", "--extra-index-url=https://pypi.celonis.cloud/", "pycelonis"])
    ''',
    "oauth-attribute": '''
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members",
                     headers={"Authorization": f"Bearer {session.access_token}"})
    ''',
}


@pytest.mark.parametrize("code", NEGATIVES.values(), ids=NEGATIVES.keys())
def test_look_alikes_are_not_reported(code):
    assert scan(code) == []


def test_two_requests_in_one_file_decided_per_request():
    findings = scan('''
        import requests
        celonis = {"Authorization": "AppKey " + ck}
        partner = {"Authorization": "AppKey " + pk}
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members", headers=celonis)
        requests.get("https://api.powerbi.com/v1.0/collections", headers=partner)
    ''')
    assert [f.line for f in findings] == [3]


def test_fingerprint_is_stable_when_lines_move():
    code = '''
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members", headers={"Authorization": "AppKey " + k})
    '''
    a = only(code)
    b = only("\n\n# moved\n" + textwrap.dedent(code))
    assert a.line != b.line and a.fingerprint == b.fingerprint


def test_env_url_with_default_is_mapped_through_its_default():
    f = only('''
        import os, requests
        BASE = os.getenv("CELONIS_URL", "https://acme.eu-1.celonis.cloud")
        requests.get(BASE + "/log/api/external/audit", headers={"Authorization": "AppKey " + os.environ["K"]})
    ''')
    assert [e.path for e in f.endpoints] == ["/log/api/external/audit"]


def test_generic_hostless_path_needs_module_evidence():
    code = '''
        import requests
        def members(base, key):
            return requests.get(base + "/api/external/members", headers={"Authorization": "AppKey " + key})
    '''
    assert scan(code) == []
    f = only(textwrap.dedent(code) + 'TEAM = "https://acme.eu-1.celonis.cloud"\n')
    assert [e.path for e in f.endpoints] == ["/api/external/members"]


@pytest.mark.parametrize("code", [
    'import os\nos.environ.pop("CELONIS_API_TOKEN", None)\n',
    'import os\ndel os.environ["CELONIS_API_TOKEN"]\n',
    'REMOVE = ["CELONIS_API_TOKEN", "CELONIS_KEY_TYPE"]\n',
], ids=["pop", "del", "list-of-names"])
def test_removing_celonis_api_token_is_not_a_use(code):
    assert scan(code) == []


def test_setting_celonis_api_token_to_a_literal_is_a_leak():
    f = only(f'import os\nos.environ["CELONIS_API_TOKEN"] = "{FAKE_USER_KEY}"\n')
    assert f.rule_id == "celonis-api-token-env" and f.leaked and f.key_source.kind == "literal"


def test_header_dict_passed_as_argument_to_a_local_function():
    f = only('''
        import os, requests
        BASE = "https://acme.eu-1.celonis.cloud"
        HEADERS = {"Authorization": "AppKey " + os.environ["CELONIS_APP_KEY"]}
        def fetch(path, headers):
            return requests.get(BASE + path, headers=headers).json()
        fetch("/log/api/external/audit", HEADERS)
        fetch("/api/external/members", headers=HEADERS)
    ''')
    assert sorted(e.path for e in f.endpoints) == ["/api/external/members", "/log/api/external/audit"]


REVIEW_SHAPES = {
    # an AppKey header is never OAuth, whatever the value is called
    "appkey-named-access-token": ('''
        import os, requests
        settings = {"access_token": os.environ["ACME_KEY"]}
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                     headers={"Authorization": "AppKey " + settings["access_token"]})
    ''', ("AppKey", "env", "ACME_KEY")),
    "comment-mentions-client-credentials": ('''
        import os, requests
        def key():
            # TODO: move to client_credentials
            return os.environ["ACME_KEY"]
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit", headers={"Authorization": "Bearer " + key()})
    ''', ("Bearer", "env", "ACME_KEY")),
    "template-substitute": ('''
        import os, requests
        from string import Template
        k = os.environ["ACME_KEY"]
        requests.get("https://acme.eu-1.celonis.cloud/scim/v2/Users",
                     headers={"Authorization": Template("AppKey $k").substitute(k=k)})
    ''', ("AppKey", "env", "ACME_KEY")),
    "join": ('''
        import os, requests
        k = os.environ["ACME_KEY"]
        requests.get("https://acme.eu-1.celonis.cloud/api/external/authentication-events",
                     headers={"Authorization": " ".join(["AppKey", k])})
    ''', ("AppKey", "env", "ACME_KEY")),
    "percent-dict": ('''
        import os, requests
        k = os.environ["ACME_KEY"]
        requests.get("https://acme.eu-1.celonis.cloud/machine-learning/api/jobs",
                     headers={"Authorization": "AppKey %(k)s" % {"k": k}})
    ''', ("AppKey", "env", "ACME_KEY")),
    "format-map": ('''
        import os, requests
        k = os.environ["ACME_KEY"]
        requests.get("https://acme.eu-1.celonis.cloud/storage-manager/api/buckets",
                     headers={"Authorization": "AppKey {k}".format_map({"k": k})})
    ''', ("AppKey", "env", "ACME_KEY")),
    "secret-store": ('''
        import boto3, requests
        key = boto3.client("secretsmanager").get_secret_value(SecretId="prod/celonis/app-key")["SecretString"]
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit", headers={"Authorization": "AppKey " + key})
    ''', ("AppKey", "secret-reference", "prod/celonis/app-key")),
}


@pytest.mark.parametrize("code, expected", REVIEW_SHAPES.values(), ids=REVIEW_SHAPES.keys())
def test_more_value_shapes(code, expected):
    f = only(code)
    assert (f.auth_scheme, f.key_source.kind, f.key_source.name) == expected
    assert f.endpoints, "the call should be linked"


def test_class_session_and_constructor_argument_traced_to_caller():
    f = only('''
        import os, requests
        class Celonis:
            def __init__(self, key):
                self.session = requests.Session()
                self.session.headers.update({"Authorization": "AppKey " + key})
            def audit(self):
                return self.session.get("https://acme.eu-1.celonis.cloud/log/api/external/audit")
        api = Celonis(os.environ["ACME_KEY"])
    ''')
    assert [e.scopes for e in f.endpoints] == [("audit.log:read",)]
    assert (f.key_source.kind, f.key_source.name) == ("env", "ACME_KEY")


@pytest.mark.parametrize("code", [
    '''
    import requests
    headers = {"Accept": "application/json"}
    headers |= {"Authorization": "AppKey " + K}
    requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit", headers=headers)
    ''',
    '''
    import requests
    from urllib.parse import urljoin
    BASE = "https://acme.eu-1.celonis.cloud"
    requests.get(urljoin(BASE, "log/api/external/audit"), headers={"Authorization": "AppKey " + K})
    ''',
    '''
    import requests
    BASE = "https://acme.eu-1.celonis.cloud"
    req = requests.Request("GET", f"{BASE}/log/api/external/audit", headers={"Authorization": "AppKey " + K}).prepare()
    ''',
    '''
    import urllib.request
    req2 = urllib.request.Request("https://acme.eu-1.celonis.cloud/log/api/external/audit")
    req2.add_header("Authorization", "AppKey " + K)
    ''',
], ids=["ior-merge", "urljoin", "requests-Request", "request-then-add_header"])
def test_more_call_shapes_keep_the_endpoint(code):
    f = only(code)
    assert [e.path for e in f.endpoints] == ["/log/api/external/audit"]


def test_oauth_token_cached_on_the_class_is_not_reported():
    assert scan('''
        import requests
        class TokenCache:
            _token = None
            @classmethod
            def get(cls):
                if cls._token is None:
                    body = requests.post("https://acme.eu-1.celonis.cloud/oauth2/token",
                                         data={"grant_type": "client_credentials"}).json()
                    cls._token = body["access_token"]
                return cls._token
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                     headers={"Authorization": f"Bearer {TokenCache.get()}"})
    ''') == []
    assert scan('''
        import requests
        class Api:
            def __init__(self):
                self._token = None
            def _refresh(self):
                self._token = requests.post(self.url + "/oauth2/token", data={}).json()["access_token"]
            def audit(self):
                return requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                                    headers={"Authorization": f"Bearer {self._token}"})
    ''') == []


def test_pycelonis_read_calls_need_read_permissions_and_ml_workbench_is_info():
    f = only('''
        import os
        from pycelonis import get_celonis
        if os.environ.get("CELONIS_ML_APP_ID"):
            c = get_celonis()
            c.data_integration.get_data_pools()
    ''')
    assert f.severity == "info"
    di = next(e for e in f.endpoints if e.api == "data-integration")
    assert di.method == "GET"
