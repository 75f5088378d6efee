"""HeaderConstantCommand: a module-level header constant becomes a function (usage-patterns §1.2)."""

from libcst.codemod import CodemodTest

from migrator.codemods.header_constant import HeaderConstantCommand


class TestHeaderConstant(CodemodTest):
    TRANSFORM = HeaderConstantCommand

    def test_noop(self) -> None:
        code = 'HEADERS = {"Accept": "application/json"}\n'
        self.assertCodemod(code, code)

    def test_constant_becomes_function(self) -> None:
        before = '''
            import os
            import requests

            BASE = "https://acme.eu-1.celonis.cloud"
            API_KEY = os.environ["ACME_CELONIS_KEY"]
            HEADERS = {"Authorization": "AppKey " + API_KEY, "Accept": "application/json"}


            def data_models(pool):
                return requests.get(BASE + "/integration/api/pools/" + pool + "/data-models", headers=HEADERS)
        '''
        after = '''
            import os
            import requests
            from celonis_oauth import client_credentials_token

            BASE = "https://acme.eu-1.celonis.cloud"
            API_KEY = os.environ["ACME_CELONIS_KEY"]


            def _celonis_headers():
                return {"Authorization": "Bearer " + client_credentials_token(BASE, "integration.data-pools"), "Accept": "application/json"}


            def data_models(pool):
                return requests.get(BASE + "/integration/api/pools/" + pool + "/data-models", headers=_celonis_headers())
        '''
        self.assertCodemod(before, after, scopes="integration.data-pools")

    def test_manual_when_mutated(self) -> None:
        code = '''
            import os, requests
            BASE = "https://acme.eu-1.celonis.cloud"
            HEADERS = {"Authorization": "AppKey " + os.environ["K"]}
            HEADERS.update({"Accept": "application/json"})
            requests.get(BASE + "/log/api/external/audit", headers=HEADERS)
        '''
        self.assertCodemod(code, code, expected_warnings=[
            "line 3: module-level header constant HEADERS is mutated (HEADERS.update): turning it into a function "
            "here could break other code, so do it by hand (a constant would freeze the 15-minute token)"])

    def test_manual_when_imported_elsewhere(self) -> None:
        code = '''
            import os, requests
            BASE = "https://acme.eu-1.celonis.cloud"
            HEADERS = {"Authorization": "AppKey " + os.environ["K"]}
            requests.get(BASE + "/log/api/external/audit", headers=HEADERS)
        '''
        self.assertCodemod(code, code, exported_names=["HEADERS"], expected_warnings=[
            "line 3: module-level header constant HEADERS is imported by another module (or listed in __all__): "
            "turning it into a function here could break other code, so do it by hand (a constant would freeze the "
            "15-minute token)"])
