"""ManualSitesCommand: what is left gets a TODO(celonis-oauth) comment, only with --write, only once."""

from libcst.codemod import CodemodTest

from migrator.codemods.manual_sites import ManualSitesCommand

UNRESOLVED = '''
    import os, subprocess
    subprocess.run(["content-cli", "pull", "package"], env={"API_TOKEN": os.environ["CELONIS_API_TOKEN"]})
'''
REASON = ("CELONIS_API_TOKEN is used outside an Authorization header (a non-HTTP use or a client the codemod does not "
          "know): replace it with client_credentials_token(<team URL>, '<scopes>') by hand")


class TestManualSites(CodemodTest):
    TRANSFORM = ManualSitesCommand

    def test_noop(self) -> None:
        code = "import os\nprint(os.environ['HOME'])\n"
        self.assertCodemod(code, code, write_todos=True)

    def test_no_comment_without_write(self) -> None:
        self.assertCodemod(UNRESOLVED, UNRESOLVED)

    def test_todo_with_write(self) -> None:
        after = f'''
            import os, subprocess
            # TODO(celonis-oauth): {REASON}
            subprocess.run(["content-cli", "pull", "package"], env={{"API_TOKEN": os.environ["CELONIS_API_TOKEN"]}})
        '''
        self.assertCodemod(UNRESOLVED, after, write_todos=True)
        self.assertCodemod(after, after, write_todos=True)  # a fixpoint: the comment is not added twice

    def test_unused_token_read_is_a_note_not_a_site(self) -> None:
        code = 'import os\nTOKEN = os.environ["CELONIS_API_TOKEN"]\n'
        self.assertCodemod(code, code, write_todos=True)
