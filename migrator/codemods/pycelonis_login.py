"""Log pycelonis 2.x in with OAuth (usage-patterns §2.1, celonis-apis §7.1).

`get_celonis(..., api_token=KEY, key_type="APP_KEY")` becomes
`get_celonis(..., api_token=client_credentials_for_pycelonis("scopes"), key_type="BEARER")`.
The callable is pycelonis' documented dynamic-token hook; tokens come from the generated helper,
not from pycelonis' `oauth2()`, whose cache in at least one 2.x release uses
`timedelta(expires_in)` (days), so a long-running process would keep an expired token. An explicit
api_token also wins over a CELONIS_API_TOKEN left in the environment. pycelonis 1.x, splatted
login arguments and ML Workbench code are left to a human.
"""

from __future__ import annotations

import libcst as cst

from migrator.codemods import helper
from migrator.codemods._shapes import with_kwarg
from migrator.codemods._sites import SiteCommand, scope_literal, str_literal
from migrator.types import Finding

_POSITIONS = {"api_token": 1, "key_type": 2}


class PycelonisLoginCommand(SiteCommand):
    DESCRIPTION = "Log pycelonis 2.x in with an OAuth token callable and key_type=\"BEARER\"."
    RULES = ("pycelonis-static-key",)

    def plan(self, finding: Finding, node: cst.CSTNode) -> str | None:
        notes = " ".join(finding.notes)
        if not isinstance(node, cst.Call):
            return "pycelonis login in a shape the codemod does not know: migrate it by hand"
        if "1.x" in notes:
            return ("pycelonis 1.x has no OAuth support: upgrade to pycelonis 2.x first (url=/celonis_url= become "
                    "base_url=), then run fix again")
        if "ML Workbench" in notes:
            return "inside the ML Workbench CELONIS_API_TOKEN is the workbench's own key: verify before migrating"
        if any(a.star for a in node.args):
            return "the login arguments are splatted (**kwargs): set api_token and key_type by hand"
        self.need_import(helper.PYCELONIS_FUNCTION)
        token = cst.Call(cst.Name(helper.PYCELONIS_FUNCTION),
                         [cst.Arg(scope_literal(self.scopes))] if self.scopes else [])
        new = node
        for name, value in (("api_token", token), ("key_type", str_literal("BEARER"))):
            new = _set_argument(new, name, value)
        self.replace(node, new)
        self.blocker_todo(finding, node)
        return None


def _set_argument(call: cst.Call, name: str, value: cst.BaseExpression) -> cst.Call:
    positional = [i for i, a in enumerate(call.args) if a.keyword is None]
    pos = _POSITIONS[name]
    if len(positional) > pos:
        args = list(call.args)
        args[positional[pos]] = args[positional[pos]].with_changes(value=value)
        return call.with_changes(args=args)
    return with_kwarg(call, name, value)
