"""PycelonisLoginCommand: pycelonis 2.x logins use an OAuth token callable and key_type="BEARER" (§2.1)."""

from libcst.codemod import CodemodTest

from migrator.codemods.pycelonis_login import PycelonisLoginCommand


class TestPycelonisLogin(CodemodTest):
    TRANSFORM = PycelonisLoginCommand

    def test_noop(self) -> None:
        code = ('from pycelonis import get_celonis\nfrom celonis_oauth import client_credentials_for_pycelonis\n'
                'c = get_celonis(base_url="https://acme.eu-1.celonis.cloud", '
                'api_token=client_credentials_for_pycelonis("studio"), key_type="BEARER")\n')
        self.assertCodemod(code, code)

    def test_keywords(self) -> None:
        before = '''
            import os
            from pycelonis import get_celonis
            c = get_celonis(
                base_url="https://acme.eu-1.celonis.cloud",
                api_token=os.environ["CELONIS_APP_KEY"],
                key_type="APP_KEY",
            )
        '''
        after = '''
            import os
            from pycelonis import get_celonis
            from celonis_oauth import client_credentials_for_pycelonis

            c = get_celonis(
                base_url="https://acme.eu-1.celonis.cloud",
                api_token=client_credentials_for_pycelonis("integration.data-pools"),
                key_type="BEARER",
            )
        '''
        self.assertCodemod(before, after, scopes="integration.data-pools")

    def test_positional_and_missing_key_type(self) -> None:
        before = '''
            from pycelonis import get_celonis
            c = get_celonis("https://acme.eu-1.celonis.cloud", TOKEN)
        '''
        after = '''
            from pycelonis import get_celonis
            from celonis_oauth import client_credentials_for_pycelonis

            c = get_celonis("https://acme.eu-1.celonis.cloud", client_credentials_for_pycelonis("studio"), key_type="BEARER")
        '''
        self.assertCodemod(before, after, scopes="studio")

    def test_env_only_login_gets_explicit_token(self) -> None:
        before = '''
            from pycelonis import get_celonis
            c = get_celonis(permissions=False)
        '''
        after = '''
            from pycelonis import get_celonis
            from celonis_oauth import client_credentials_for_pycelonis

            c = get_celonis(permissions=False, api_token=client_credentials_for_pycelonis("studio"), key_type="BEARER")
        '''
        self.assertCodemod(before, after, scopes="studio")

    def test_manual_pycelonis_1x(self) -> None:
        code = '''
            from pycelonis import get_celonis
            celonis = get_celonis(url="acme.eu-1.celonis.cloud", api_token=TOKEN, key_type="USER_KEY")
        '''
        self.assertCodemod(code, code, expected_warnings=[
            "line 2: pycelonis 1.x has no OAuth support: upgrade to pycelonis 2.x first (url=/celonis_url= become "
            "base_url=), then run fix again"])

    def test_manual_splatted_login(self) -> None:
        code = '''
            from pycelonis import get_celonis
            login = {"base_url": "https://acme.eu-1.celonis.cloud", "api_token": TOKEN, "key_type": "APP_KEY"}
            celonis = get_celonis(**login)
        '''
        self.assertCodemod(code, code, expected_warnings=[
            "line 3: the login arguments are splatted (**kwargs): set api_token and key_type by hand"])
