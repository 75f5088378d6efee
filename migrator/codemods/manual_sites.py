"""The last pass: every static-key site still in the file is listed with its reason.

With `--write` (write_todos=True) each gets a `# TODO(celonis-oauth): <reason>` comment above its
statement, once: a second run finds the comment and adds nothing, or rewrites it in place when it
quotes other values, such as an older run's scopes (`_sites.place_todos`). `CELONIS_API_TOKEN` reads
that nothing uses any more are notes ("delete it"), not sites for a human.
"""

from __future__ import annotations

import libcst as cst

from migrator.codemods._sites import (
    DEFER_IMPORTS,
    HEADER_RULES,
    MANUAL,
    TODO_PREFIX,
    SiteCommand,
    place_todos,
)
from migrator.detect.pyindex import dotted
from migrator.types import Finding

#: context.scratch key: final [(line, reason)] of the sites left to a human.
SITES = "celonis_oauth.sites"
_DEFAULT = "not rewritten automatically (a shape the codemods do not cover): migrate this site by hand"


class ManualSitesCommand(SiteCommand):
    DESCRIPTION = "List the static-key sites left for a human and mark them with TODO(celonis-oauth) comments."
    RULES = HEADER_RULES + ("pycelonis-static-key", "celonis-api-token-env")
    SKIP_MANUAL = False

    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        self.context.scratch[SITES] = []
        self._planned: list[tuple[int, str, int, bool]] = []
        result = super().transform_module_impl(tree)
        if self.context.scratch.get(DEFER_IMPORTS):
            # codemods.rewrite moves these lines past the TODO comments (and every later change) itself.
            self.context.scratch[SITES] = [(line, reason) for line, reason, _s, _n in self._planned]
            return result
        added = sorted(stmt_line for _l, _r, stmt_line, new in self._planned if new)
        self.context.scratch[SITES] = [(line + sum(1 for a in added if a <= line), reason)
                                       for line, reason, _s, _n in self._planned]
        return result

    def plan(self, finding: Finding, node: cst.CSTNode) -> str | None:
        manual = self.context.scratch.setdefault(MANUAL, {})
        reason = manual.get(self.site_key(finding, node))
        if finding.rule_id == "celonis-api-token-env" and reason is None:
            reason = self.env_reason(finding, node)
        elif reason is None:
            reason = _DEFAULT
        if reason:
            stmt = self.statement(node)
            above = self.comments_above(stmt) if stmt is not None else []
            adds_line = len(place_todos(above, [TODO_PREFIX + reason])) > len(above)
            self._planned.append((finding.line, reason, self.line(stmt) if stmt is not None else finding.line,
                                  self.write_todos and adds_line))
            self.todo(node, reason)
        return None

    def env_reason(self, finding: Finding, node: cst.CSTNode) -> str | None:
        stmt = self.statement(node)
        small = stmt.body[0] if isinstance(stmt, cst.SimpleStatementLine) and stmt.body else None
        if isinstance(small, cst.Assign) and len(small.targets) == 1:
            target = small.targets[0].target
            if isinstance(target, cst.Name) and not self.is_used(target.value, small):
                self.note(finding.line, f"{target.value} reads CELONIS_API_TOKEN but nothing uses it any more: "
                          "delete it, then remove CELONIS_API_TOKEN from the environment and revoke the key")
                return None
            if isinstance(target, cst.Subscript) and dotted(target.value) in ("os.environ", "environ"):
                return ("sets CELONIS_API_TOKEN for pycelonis or content-cli: delete it once they use OAuth "
                        "(pycelonis prefers CELONIS_API_TOKEN over OAUTH_* variables)")
        if isinstance(small, cst.Expr) and isinstance(small.value, cst.Call) \
                and dotted(small.value.func).endswith("environ.setdefault"):
            return "sets CELONIS_API_TOKEN for another tool: delete it once that tool uses OAuth"
        return ("CELONIS_API_TOKEN is used outside an Authorization header (a non-HTTP use or a client the codemod "
                "does not know): replace it with client_credentials_token(<team URL>, '<scopes>') by hand")

    def is_used(self, name: str, assign: cst.Assign) -> bool:
        class V(cst.CSTVisitor):
            used = False

            def visit_AssignTarget(self, node: cst.AssignTarget) -> bool:
                return not isinstance(node.target, cst.Name)

            def visit_Attribute(self, node: cst.Attribute) -> bool:
                node.value.visit(self)
                return False

            def visit_Name(self, node: cst.Name) -> None:
                V.used = V.used or node.value == name

        self.tree.visit(V())
        return V.used
