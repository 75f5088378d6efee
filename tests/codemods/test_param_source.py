"""ParameterSourceCommand: a key passed in as a parameter is replaced at the callers (§1.3, §1.4)."""

from libcst.codemod import CodemodTest

from migrator.codemods.param_source import ParameterSourceCommand


class TestParameterSource(CodemodTest):
    TRANSFORM = ParameterSourceCommand

    def test_noop(self) -> None:
        code = 'def f(token):\n    return {"X-Token": token}\n'
        self.assertCodemod(code, code)

    def test_bearer_parameter_rewritten_at_call_site(self) -> None:  # 1.3
        before = '''
            import os
            import httpx

            def km_filters(km_id, token):
                url = f"https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models/{km_id}/filters"
                return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()

            km_filters("acme-p2p.p2p-km", os.environ["CELONIS_API_TOKEN"])
        '''
        after = '''
            import os
            import httpx
            from celonis_oauth import client_credentials_token

            def km_filters(km_id, token):
                url = f"https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models/{km_id}/filters"
                return httpx.get(url, headers={"Authorization": f"Bearer {token}"}).json()

            km_filters("acme-p2p.p2p-km", client_credentials_token("https://acme.eu-1.celonis.cloud", "intelligence.knowledge-models:read"))
        '''
        self.assertCodemod(before, after, scopes="intelligence.knowledge-models:read")

    def test_appkey_template_respelled(self) -> None:  # 1.4
        before = '''
            import os, requests
            AUTH_TEMPLATE = "AppKey {key}"
            def auth_header(key):
                return {"authorization": AUTH_TEMPLATE.format(key=key)}
            requests.post("https://acme.eu-1.celonis.cloud/machine-learning/api/executions",
                          headers=auth_header(os.environ["ML_KEY"]))
        '''
        after = '''
            import os, requests
            from celonis_oauth import client_credentials_token

            AUTH_TEMPLATE = "Bearer {key}"
            def auth_header(key):
                return {"authorization": AUTH_TEMPLATE.format(key=key)}
            requests.post("https://acme.eu-1.celonis.cloud/machine-learning/api/executions",
                          headers=auth_header(client_credentials_token("https://acme.eu-1.celonis.cloud", "machine-learning")))
        '''
        self.assertCodemod(before, after, scopes="machine-learning")

    def test_appkey_in_fstring_respelled_and_base_from_caller_argument(self) -> None:
        before = '''
            import os, requests
            def start(base, key):
                return requests.post(f"{base}/machine-learning/api/executions", headers={"Authorization": f"AppKey {key}"})
            start(os.environ["CELONIS_URL"], os.environ["ML_KEY"])
        '''
        after = '''
            import os, requests
            from celonis_oauth import client_credentials_token

            def start(base, key):
                return requests.post(f"{base}/machine-learning/api/executions", headers={"Authorization": f"Bearer {key}"})
            start(os.environ["CELONIS_URL"], client_credentials_token(os.environ["CELONIS_URL"], "machine-learning"))
        '''
        self.assertCodemod(before, after, scopes="machine-learning")

    def test_manual_without_callers(self) -> None:
        code = '''
            import requests
            def audit(token):
                return requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                                    headers={"Authorization": "AppKey " + token})
        '''
        self.assertCodemod(code, code, scopes="audit.log:read", expected_warnings=[
            "line 4: the key arrives as parameter 'token' of audit() and no caller in this file passes it: pass "
            "client_credentials_token(<team URL>, 'audit.log:read') at its callers"])

    def test_manual_reasons_quote_what_does_not_change_between_runs(self) -> None:
        """A TODO quotes the site's own scopes (the file's plan shrinks as other sites are migrated) and
        names a call by its caller (its line moves when the file is rewritten): a second run finds it."""
        code = '''
            import requests
            def audit(token):
                return requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                                    headers={"Authorization": "AppKey " + token})
            def main():
                audit()
        '''
        self.assertCodemod(code, code, scopes="audit.log:read studio", expected_warnings=[
            "line 4: the call of audit() in main() does not pass 'token': migrate it by hand"])
        uncalled = code.replace("audit()", "print()")
        self.assertCodemod(uncalled, uncalled, scopes="audit.log:read studio", expected_warnings=[
            "line 4: the key arrives as parameter 'token' of audit() and no caller in this file passes it: pass "
            "client_credentials_token(<team URL>, 'audit.log:read') at its callers"])
