"""Replace an Authorization default on a session or client with an auth object (usage-patterns §1.9).

`s.headers.update({"Authorization": ...})` / `s.headers["Authorization"] = ...` become
`s.auth = CelonisAuth(BASE, "scopes")`; `httpx.Client(..., headers={"Authorization": ...})` becomes
`httpx.Client(..., auth=CelonisAuth(...))`. requests and httpx call the auth object on every
request, so tokens are refreshed; a header set once would expire after 15 minutes. aiohttp (no
per-request auth hook) and clients whose type is not visible are left to a human.
"""

from __future__ import annotations

import libcst as cst

from migrator.codemods._shapes import with_kwarg, without_element, without_kwarg
from migrator.codemods._sites import _CLIENT_CTOR, HEADER_RULES, SiteCommand, _arg
from migrator.detect.pyindex import dotted
from migrator.types import Finding


class ClientAuthCommand(SiteCommand):
    DESCRIPTION = "Give requests/httpx sessions and clients auth=CelonisAuth(...) instead of a static Authorization default."
    RULES = HEADER_RULES

    def plan(self, finding: Finding, node: cst.CSTNode) -> str | None:
        shape = self.shape(node)
        if shape is None:
            return None
        kind, call, receiver = shape
        fn = self.owner(node)
        ctor = call if kind == "ctor" else self.client_ctor(receiver, fn) if receiver is not None else None
        if ctor is None:
            return ("cannot tell which HTTP client holds this default header: set auth=CelonisAuth(...) on it "
                    "by hand (requests and httpx accept it)")
        if "aiohttp" in dotted(ctor.func) or dotted(ctor.func).endswith("ClientSession"):
            return ("aiohttp sessions have no per-request auth hook: send "
                    "f\"Bearer {client_credentials_token(...)}\" with each request instead of a session default")
        base = _arg(ctor, 99, "base_url")
        origin = self.origin_expr(base, self.owner(ctor), {}) if base is not None else None
        if origin is None or not self.valid_in(origin, fn, self.owner(ctor)):
            origin = self.origin_for(finding, node)
        if origin is None:
            return "cannot resolve the Celonis URL this client calls; set auth=CelonisAuth(<team URL>, ...) by hand"
        auth = self.auth_object(origin)
        if kind == "ctor":
            if _arg(call, 99, "auth") is not None:
                return "this client already has auth=...; replace it with CelonisAuth(...) by hand"
            headers = _arg(call, 99, "headers")
            assert isinstance(headers, cst.Dict) and isinstance(node, cst.DictElement)
            trimmed = without_element(headers, node)
            new_call = with_kwarg(call, "headers", trimmed) if trimmed.elements else without_kwarg(call, "headers")
            self.replace(call, with_kwarg(new_call, "auth", auth))
        else:
            stmt = self.statement(node)
            assert isinstance(stmt, cst.SimpleStatementLine) and receiver is not None
            if len(stmt.body) != 1:
                return "several statements share this line: set auth=CelonisAuth(...) by hand"
            assign = cst.SimpleStatementLine([cst.Assign([cst.AssignTarget(cst.Attribute(receiver, cst.Name("auth")))],
                                                         auth)], leading_lines=stmt.leading_lines)
            rest = self.remaining_update(kind, call, node)
            if rest is None:
                self.replace(stmt, assign)
            else:
                self.replace(call, rest)
                self.insert_after(stmt, assign.with_changes(leading_lines=[]))
        self.blocker_todo(finding, node)
        return None

    def shape(self, node: cst.CSTNode) -> tuple[str, cst.Call, cst.BaseExpression | None] | None:
        """("update-dict" | "update-kw" | "setitem" | "ctor", call or None, receiver) of a client default."""
        if isinstance(node, cst.Assign):
            target = node.targets[0].target
            if isinstance(target, cst.Subscript) and isinstance(target.value, cst.Attribute) \
                    and target.value.attr.value == "headers":
                return "setitem", None, target.value.value  # type: ignore[return-value]
            return None
        if isinstance(node, cst.DictElement):
            arg = self.parents.get(self.parents.get(node))
            call = self.parents.get(arg) if isinstance(arg, cst.Arg) else None
        elif isinstance(node, cst.Arg):
            arg, call = node, self.parents.get(node)
        else:
            return None
        if not isinstance(call, cst.Call) or not isinstance(arg, cst.Arg):
            return None
        func = call.func
        if isinstance(func, cst.Attribute) and func.attr.value == "update" and isinstance(func.value, cst.Attribute) \
                and func.value.attr.value == "headers":
            return ("update-dict" if isinstance(node, cst.DictElement) else "update-kw"), call, func.value.value
        if isinstance(node, cst.DictElement) and _CLIENT_CTOR.search(dotted(func)) and arg.keyword is not None \
                and arg.keyword.value == "headers":
            return "ctor", call, None
        return None

    def remaining_update(self, kind: str, call: cst.Call | None, node: cst.CSTNode) -> cst.Call | None:
        """The `headers.update(...)` call without the Authorization entry, or None when nothing is left."""
        if call is None:
            return None
        if kind == "update-kw":
            left = [a for a in call.args if a is not node]
            return call.with_changes(args=left) if left else None
        d = call.args[0].value
        if not isinstance(d, cst.Dict) or len(d.elements) <= 1:
            return None
        return call.with_changes(args=[call.args[0].with_changes(value=without_element(d, node))])  # type: ignore[arg-type]
