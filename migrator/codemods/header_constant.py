"""Turn a module-level header constant holding a static key into a function (usage-patterns §1.2).

`HEADERS = {"Authorization": "AppKey " + KEY, ...}` would freeze a 15-minute token at import, so
it becomes `def _celonis_headers(): return {"Authorization": f"Bearer {client_credentials_token(...)}", ...}`
and every `HEADERS` becomes `_celonis_headers()`. Unsafe, and left to a human: a constant that
is reassigned, mutated, shadowed, used as a default argument, listed in `__all__` or imported
by another file.
"""

from __future__ import annotations

import libcst as cst
from libcst.metadata import ExpressionContext, ExpressionContextProvider, ParentNodeProvider, PositionProvider

from migrator.codemods._shapes import sink_value
from migrator.codemods._sites import HEADER_RULES, SiteCommand
from migrator.types import Finding

_MUTATORS = {"update", "setdefault", "pop", "popitem", "clear", "__setitem__", "__delitem__", "append", "extend"}


class HeaderConstantCommand(SiteCommand):
    DESCRIPTION = "Turn a module-level header constant with a static key into a function that fetches OAuth tokens."
    RULES = HEADER_RULES
    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider, ExpressionContextProvider)

    def plan(self, finding: Finding, node: cst.CSTNode) -> str | None:
        stmt = self.statement(node)
        if not isinstance(stmt, cst.SimpleStatementLine) or not isinstance(self.parents.get(stmt), cst.Module):
            return None
        small = stmt.body[0]
        if len(stmt.body) != 1 or not isinstance(small, cst.Assign) or len(small.targets) != 1 \
                or not isinstance(small.targets[0].target, cst.Name) or node is small \
                or not self.stored_directly(node, small):
            return None
        name = small.targets[0].target.value
        uses = self.uses(name, small)
        unsafe = self.unsafe(name, uses)
        if unsafe:
            return unsafe
        value = sink_value(node)
        origin = self.origin_for(finding, node)
        if value is None or origin is None:
            return f"cannot resolve the Celonis URL that {name} is sent to; turn {name} into a function by hand"
        new_value = _replace_node(small.value, value, self.bearer_value(origin, value))
        fname = self.function_name(name)
        body = cst.IndentedBlock([cst.SimpleStatementLine([cst.Return(new_value)])])
        blank = [] if len(stmt.leading_lines) >= 2 and all(ln.comment is None for ln in stmt.leading_lines[:2]) \
            else [cst.EmptyLine(), cst.EmptyLine()]
        self.replace(stmt, cst.FunctionDef(cst.Name(fname), cst.Parameters(), body,
                                           leading_lines=[*blank, *stmt.leading_lines]))
        for use in uses:
            self.replace(use, cst.Call(cst.Name(fname)))
        self.blocker_todo(finding, node)
        self.note(finding.line, f"{name} is now the function {fname}(), so each request gets a current token")
        return None

    def uses(self, name: str, assign: cst.Assign) -> list[cst.Name]:
        contexts = self.metadata[ExpressionContextProvider]
        return [n for n, ctx in contexts.items()
                if isinstance(n, cst.Name) and n.value == name and ctx == ExpressionContext.LOAD]

    def unsafe(self, name: str, uses: list[cst.Name]) -> str | None:
        why = None
        if len(self.index.assigns.get(name, [])) != 1:
            why = "is assigned more than once"
        elif any(name in fn.assigns or name in fn.params for fn in self.index.functions.values()):
            why = "is reassigned or shadowed inside a function"
        elif name in self.exported_names or any(s == name for s in self.index.strings):
            why = "is imported by another module (or listed in __all__)"
        for use in uses:
            parent = self.parents.get(use)
            grand = self.parents.get(parent) if parent is not None else None
            if isinstance(parent, cst.Attribute) and parent.attr.value in _MUTATORS:
                why = why or f"is mutated ({name}.{parent.attr.value})"
            elif isinstance(parent, cst.Subscript) and isinstance(grand, (cst.AssignTarget, cst.AugAssign, cst.Del)):
                why = why or "is mutated by item assignment"
            elif isinstance(parent, cst.Param):
                why = why or "is a default argument value, evaluated once"
        return (f"module-level header constant {name} {why}: turning it into a function here could break "
                "other code, so do it by hand (a constant would freeze the 15-minute token)") if why else None

    def function_name(self, name: str) -> str:
        base = name.lower().lstrip("_")
        candidate = "_" + base if base.startswith("celonis") else "_celonis_" + base
        taken = set(self.index.assigns) | set(self.index.functions) | set(self.index.imports)
        taken |= {n.value for n in self.metadata[ExpressionContextProvider] if isinstance(n, cst.Name)}
        result, i = candidate, 2
        while result in taken:
            result, i = f"{candidate}_{i}", i + 1
        return result


def _replace_node(tree: cst.BaseExpression, old: cst.CSTNode, new: cst.CSTNode) -> cst.BaseExpression:
    class T(cst.CSTTransformer):
        def on_leave(self, original_node, updated_node):  # type: ignore[no-untyped-def,override]
            return new if original_node is old else updated_node

    return tree.visit(T())  # type: ignore[return-value]
