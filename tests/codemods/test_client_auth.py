"""ClientAuthCommand: session and client defaults become auth=CelonisAuth(...) (usage-patterns §1.9)."""

from libcst.codemod import CodemodTest

from migrator.codemods.client_auth import ClientAuthCommand


class TestClientAuth(CodemodTest):
    TRANSFORM = ClientAuthCommand

    def test_noop(self) -> None:
        code = 'import requests\ns = requests.Session()\ns.headers.update({"Accept": "application/json"})\n'
        self.assertCodemod(code, code)

    def test_session_headers_update(self) -> None:
        before = '''
            import requests
            BASE = "https://acme.eu-1.celonis.cloud"
            s = requests.Session()
            s.headers.update({"Authorization": f"Bearer {KEY}"})
            spaces = s.get(f"{BASE}/package-manager/api/spaces").json()
        '''
        after = '''
            import requests
            from celonis_oauth import CelonisAuth

            BASE = "https://acme.eu-1.celonis.cloud"
            s = requests.Session()
            s.auth = CelonisAuth(BASE, "studio")
            spaces = s.get(f"{BASE}/package-manager/api/spaces").json()
        '''
        self.assertCodemod(before, after, scopes="studio")

    def test_session_update_keeps_other_headers(self) -> None:
        before = '''
            import os, requests
            BASE = "https://acme.eu-1.celonis.cloud"
            session = requests.Session()
            session.headers.update({"Authorization": f"Bearer {os.environ['K']}", "Accept": "application/json"})
            session.get(f"{BASE}/intelligence/api/knowledge-models")
        '''
        after = '''
            import os, requests
            from celonis_oauth import CelonisAuth

            BASE = "https://acme.eu-1.celonis.cloud"
            session = requests.Session()
            session.headers.update({"Accept": "application/json"})
            session.auth = CelonisAuth(BASE, "intelligence.knowledge-models:read")
            session.get(f"{BASE}/intelligence/api/knowledge-models")
        '''
        self.assertCodemod(before, after, scopes="intelligence.knowledge-models:read")

    def test_session_item_assignment(self) -> None:
        before = '''
            import requests
            s = requests.Session()
            s.headers["Authorization"] = "AppKey " + KEY
            s.get("https://acme.eu-1.celonis.cloud/api/external/members")
        '''
        after = '''
            import requests
            from celonis_oauth import CelonisAuth

            s = requests.Session()
            s.auth = CelonisAuth("https://acme.eu-1.celonis.cloud", "team.user-group-info:read")
            s.get("https://acme.eu-1.celonis.cloud/api/external/members")
        '''
        self.assertCodemod(before, after, scopes="team.user-group-info:read")

    def test_httpx_client_headers_become_auth(self) -> None:
        before = '''
            import httpx
            km = httpx.Client(base_url="https://acme.eu-1.celonis.cloud/intelligence/api",
                              headers={"Authorization": f"AppKey {KEY}"})
            km.get("/knowledge-models")
        '''
        after = '''
            import httpx
            from celonis_oauth import CelonisAuth

            km = httpx.Client(base_url="https://acme.eu-1.celonis.cloud/intelligence/api", auth=CelonisAuth("https://acme.eu-1.celonis.cloud", "intelligence.knowledge-models:read"))
            km.get("/knowledge-models")
        '''
        self.assertCodemod(before, after, scopes="intelligence.knowledge-models:read")

    def test_manual_aiohttp(self) -> None:
        code = '''
            import aiohttp
            async def main():
                async with aiohttp.ClientSession(headers={"Authorization": "AppKey " + KEY}) as s:
                    await s.get("https://acme.eu-1.celonis.cloud/log/api/external/audit")
        '''
        self.assertCodemod(code, code, scopes="audit.log:read", expected_warnings=[
            "line 3: aiohttp sessions have no per-request auth hook: send "
            "f\"Bearer {client_credentials_token(...)}\" with each request instead of a session default"])
