"""ManualSitesCommand: what is left gets a TODO(celonis-oauth) comment, only with --write, only once."""

from libcst.codemod import CodemodTest

from migrator.codemods._sites import TODO_PREFIX, place_todos
from migrator.codemods.manual_sites import ManualSitesCommand

UNRESOLVED = '''
    import os, subprocess
    subprocess.run(["content-cli", "pull", "package"], env={"API_TOKEN": os.environ["CELONIS_API_TOKEN"]})
'''
#: A site that is the module's first statement (as it often is in a notebook's first cell).
FIRST = ('subprocess.run(["content-cli", "pull"], env={"API_TOKEN": os.environ["CELONIS_API_TOKEN"]})\n'
         "import os, subprocess\n")
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

    def test_todo_quoting_other_values_is_rewritten_in_place(self) -> None:
        """A TODO of ours that an earlier run wrote with other scopes is this site's TODO, stale: it is
        updated where it is, not doubled; other comments, and our TODOs of another shape, stay."""
        stale = REASON.replace("'<scopes>'", "'integration.data-pools studio'")
        before = f'''
            import os, subprocess
            # TODO(celonis-oauth): {stale}
            # TODO(celonis-oauth): verify with Celonis that OAuth tokens are accepted here
            # pull the package first
            subprocess.run(["content-cli", "pull", "package"], env={{"API_TOKEN": os.environ["CELONIS_API_TOKEN"]}})
        '''
        after = before.replace(stale, REASON)
        self.assertCodemod(before, after, write_todos=True)
        self.assertCodemod(after, after, write_todos=True)

    def test_todo_above_the_first_statement_is_found(self) -> None:
        """LibCST parses the comments above a module's first statement into Module.header."""
        before = "#!/usr/bin/env python\n" + FIRST
        after = f"#!/usr/bin/env python\n# TODO(celonis-oauth): {REASON}\n" + FIRST
        self.assertCodemod(before, after, write_todos=True)
        self.assertCodemod(after, after, write_todos=True)
        self.assertCodemod(after.replace("'<scopes>'", "'studio'"), after, write_todos=True)


def test_place_todos_keeps_exact_rewrites_alike_and_adds_new() -> None:
    import libcst as cst

    def lines(*comments: str) -> list[cst.EmptyLine]:
        return [cst.EmptyLine(comment=cst.Comment(c)) for c in comments]

    def texts(result: list[cst.EmptyLine]) -> list[str]:
        return [line.comment.value for line in result if line.comment is not None]

    kept, stale, new = (TODO_PREFIX + "a: 'x'", TODO_PREFIX + "pass token(<team URL>, 'old') on line 3",
                        TODO_PREFIX + "something else")
    fresh = TODO_PREFIX + "pass token(<team URL>, 'new') on line 9"
    placed = place_todos(lines("# mine", stale, kept), [kept, fresh, new])
    assert texts(placed) == ["# mine", fresh, kept, new]
    assert texts(place_todos(lines(kept), [kept, kept])) == [kept]
