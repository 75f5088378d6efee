"""Pass an OAuth token at the callers when the static key arrives as a parameter (usage-patterns §1.3-1.4).

`def km_filters(km_id, token): ... {"Authorization": f"Bearer {token}"}` keeps its signature; each
call `km_filters(..., os.environ["CELONIS_API_TOKEN"])` in the file becomes
`km_filters(..., client_credentials_token(TEAM, "intelligence.knowledge-models:read"))`. An `AppKey`
scheme at the sink (a literal, or a template constant used only there) is respelled `Bearer`.
A function with no caller in the file is left to a human.
"""

from __future__ import annotations

import libcst as cst

from migrator.codemods._shapes import SCHEME, appkey_to_bearer, sink_value, starts_with_scheme
from migrator.codemods._sites import HEADER_RULES, SiteCommand
from migrator.detect.pyindex import FunctionInfo, Hole, bind_arguments, dotted, literal_str
from migrator.types import Finding


class ParameterSourceCommand(SiteCommand):
    DESCRIPTION = "Keep the function; pass client_credentials_token(...) at its callers instead of the static key."
    RULES = HEADER_RULES

    def plan(self, finding: Finding, node: cst.CSTNode) -> str | None:
        fn = self.owner(node)
        value = sink_value(node)
        param = self.key_parameter(value, fn) if value is not None and fn is not None else None
        if param is None or fn is None or value is None:
            return None
        calls = self.callers(fn)
        if not calls:
            scopes = self.site_scopes(finding)  # not the file's plan: that shrinks as other sites are migrated
            return (f"the key arrives as parameter {param!r} of {fn.qualname}() and no caller in this file passes "
                    f"it: pass client_credentials_token(<team URL>, '{scopes}') at its callers")
        edits: list[tuple[cst.CSTNode, cst.CSTNode]] = []
        if "AppKey" in finding.auth_schemes:
            scheme = self.scheme_edit(value)
            if scheme is None:
                return "the AppKey scheme is built in a way the codemod cannot respell: change it to Bearer by hand"
            edits.append(scheme)
        for call, caller in calls:
            bound = bind_arguments(fn, call, self.ev.function_env(caller))
            if param not in bound:
                return f"{_call_of(fn, caller)} does not pass {param!r}: migrate it by hand"
            arg = bound[param][0]
            if any(isinstance(p, Hole) and p.oauth for s in self.ev.strings(arg, bound[param][1]) for p in s):
                continue
            origin = self.origin_for(finding, call, {p: e for p, (e, _env) in bound.items()})
            if origin is None:
                return f"cannot resolve the Celonis URL for {_call_of(fn, caller)}"
            edits.append((arg, self.token_call(origin)))
        for old, new in edits:
            self.replace(old, new)
        self.blocker_todo(finding, node)
        return None

    def key_parameter(self, value: cst.BaseExpression, fn: FunctionInfo) -> str | None:
        for sym in self.ev.strings(value, self.ev.function_env(fn)):
            if not sym or not isinstance(sym[0], str) or not SCHEME.match(sym[0]):
                continue
            holes = [p for p in sym if isinstance(p, Hole)]
            if holes and holes[0].source.kind == "parameter" and holes[0].source.name in fn.params:
                return holes[0].source.name
        return None

    def callers(self, fn: FunctionInfo) -> list[tuple[cst.Call, FunctionInfo | None]]:
        name = fn.node.name.value
        out = []
        for call, owner in self.index.calls:
            d = dotted(call.func)
            if (d == name and not fn.class_name) or (fn.class_name and d.endswith("." + name)):
                out.append((call, owner))
        return out

    def scheme_edit(self, value: cst.BaseExpression) -> tuple[cst.CSTNode, cst.CSTNode] | None:
        """The literal that spells `AppKey` in `value` (or in a template constant used only here), respelled."""
        found: list[cst.CSTNode] = []

        class V(cst.CSTVisitor):
            def on_visit(self, node: cst.CSTNode) -> bool:
                if isinstance(node, (cst.SimpleString, cst.FormattedStringText)) and starts_with_scheme(node):
                    found.append(node)
                return not found

        value.visit(V())
        if not found:
            for name in (n for n in _names(value) if len(self.index.assigns.get(n, [])) == 1):
                const = self.index.assigns[name][0]
                text = literal_str(const)
                if isinstance(const, cst.SimpleString) and text and text.lower().startswith("appkey") \
                        and sum(1 for s in self.index.calls if name in _names(s[0])) <= 1:
                    found.append(const)
        if not found:
            return None
        old = found[0]
        if isinstance(old, cst.SimpleString):
            return old, appkey_to_bearer(old)
        assert isinstance(old, cst.FormattedStringText)
        return old, old.with_changes(value="Bearer" + old.value.lstrip()[len("AppKey"):])


def _call_of(fn: FunctionInfo, caller: FunctionInfo | None) -> str:
    """Names a call for a TODO by where it is, not by its line: lines move when the file is rewritten."""
    where = f"in {caller.qualname}()" if caller is not None else "at module level"
    return f"the call of {fn.qualname}() {where}"


def _names(node: cst.CSTNode) -> set[str]:
    out: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            out.add(n.value)

    node.visit(V())
    return out
