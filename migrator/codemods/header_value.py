"""Rewrite an `Authorization` value built from a static key to `Bearer <OAuth token>` in place.

Covers header dicts, `x["Authorization"] = ...`, `add_header(...)`, `dict(Authorization=...)`,
f-strings, `+`, `%` and `.format`, and a scheme chosen at run time (usage-patterns §1.1, 1.4-1.8):
the whole value becomes `f"Bearer {client_credentials_token(BASE, 'scopes')}"`, with BASE the
origin expression the code already uses. A value that would be built once and reused for longer
than a token lives (stored on an instance, a local dict reused in a loop, a client default reached
through a variable) is left to a human.
"""

from __future__ import annotations

import libcst as cst

from migrator.codemods._shapes import sink_value
from migrator.codemods._sites import _CLIENT_CTOR, HEADER_RULES, SiteCommand
from migrator.detect.pyindex import dotted
from migrator.types import Finding


class HeaderValueCommand(SiteCommand):
    DESCRIPTION = "Send `Bearer <OAuth token>` where an Authorization value is built from a static key."
    RULES = HEADER_RULES

    def plan(self, finding: Finding, node: cst.CSTNode) -> str | None:
        value = sink_value(node)
        if value is None:
            return "the Authorization value is built in a shape the codemod does not know"
        frozen = self.frozen_reason(node)
        if frozen:
            return frozen
        origin = self.origin_for(finding, node)
        if origin is None:
            return ("cannot resolve the Celonis URL this key is sent to; send "
                    "f\"Bearer {client_credentials_token(<team URL>, '<scopes>')}\" by hand")
        self.replace(value, self.bearer_value(origin, value))
        self.blocker_todo(finding, node)
        if finding.rule_id == "celonis-runtime-scheme":
            self.note(finding.line, "the AppKey/Bearer choice made at run time is now unused: delete it")
        return None

    def frozen_reason(self, node: cst.CSTNode) -> str | None:
        stmt = self.statement(node)
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and stmt.body else None
        fn = self.owner(node)
        if isinstance(node, cst.Assign) and isinstance(small, cst.Assign):
            target = node.targets[0].target
            holder = target.value if isinstance(target, cst.Subscript) else None
            if isinstance(holder, cst.Name) and fn is None:
                return "a module-level header dict is changed here: the token would be frozen at import"
            return self.reuse_reason(holder, fn, stmt)
        if not isinstance(small, (cst.Assign, cst.AnnAssign)) or not self.stored_directly(node, small):
            return None
        targets = [t.target for t in small.targets] if isinstance(small, cst.Assign) else [small.target]
        for target in targets:
            if dotted(target).startswith("self."):
                return (f"the header is stored on the instance ({dotted(target)}), so its token would expire "
                        "while the object lives: use auth=CelonisAuth(...) or build the header per request")
            if isinstance(target, cst.Name):
                if fn is None:
                    return "a module-level header value would freeze the token at import time"
                reason = self.reuse_reason(target, fn, stmt)
                if reason:
                    return reason
        return None

    def reuse_reason(self, holder: cst.BaseExpression | None, fn, stmt) -> str | None:  # type: ignore[no-untyped-def]
        if not isinstance(holder, cst.Name) or fn is None or stmt is None:
            return None
        name = holder.value
        for use in _loads(fn.node, name):
            parent = self.parents.get(use)
            call = self.parents.get(parent) if isinstance(parent, cst.Arg) else None
            if isinstance(call, cst.Call) and (_CLIENT_CTOR.search(dotted(call.func))
                                               or dotted(call.func).endswith("headers.update")):
                return (f"the header dict {name!r} becomes a session/client default, so its token would expire: "
                        "use auth=CelonisAuth(...) on the client")
            if self.in_loop_outside(use, stmt):
                return (f"the header dict {name!r} is built once and reused in a loop, so its token would expire: "
                        "build it inside the loop or use auth=CelonisAuth(...)")
        return None


def _loads(tree: cst.CSTNode, name: str) -> list[cst.Name]:
    found: list[cst.Name] = []

    class V(cst.CSTVisitor):
        def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
            return not isinstance(node.target, cst.Name)

        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            if node.value == name:
                found.append(node)

    tree.visit(V())
    return found
