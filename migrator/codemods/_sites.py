"""What every codemod shares: the sites of the current tree, the Celonis origin, the token expressions.

Each codemod re-runs the Python detector on the tree it is given, so positions always match the
tree even after earlier codemods changed it; scopes never come from that rescan but from the
file's scope plan (`scopes=`), computed once by `migrator.scopes.build_plan` before any change.
A codemod plans edits by node identity (`SiteCommand.plan`), and the transformer applies them.
Sites a codemod refuses are recorded, with the reason, in `context.scratch[MANUAL]`, so that
later codemods leave them alone and the last one (`manual_sites`) can annotate them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Union

import libcst as cst
from libcst.codemod import CodemodContext, VisitorBasedCodemodCommand
from libcst.codemod.visitors import AddImportsVisitor
from libcst.metadata import CodeRange, ParentNodeProvider, PositionProvider

from migrator.codemods import helper
from migrator.detect.pyindex import (
    Evaluator,
    FunctionInfo,
    ModuleIndex,
    build_index,
    dotted,
    literal_str,
    sym_text,
)
from migrator.types import Finding

HEADER_RULES = ("celonis-appkey-header", "celonis-bearer-static-key", "celonis-runtime-scheme")
#: context.scratch key: {site key: reason} for sites left to a human.
MANUAL = "celonis_oauth.manual"
#: context.scratch key: list of (line, text) notes (key sources now unused, blockers to verify).
NOTES = "celonis_oauth.notes"
#: context.scratch key: names the rewritten code imports from the helper.
IMPORTS = "celonis_oauth.imports"
#: context.scratch key: when true, the caller (`codemods.rewrite`) adds the helper import once, after
#: every codemod ran; otherwise each codemod queues it with AddImportsVisitor (absolute imports only).
DEFER_IMPORTS = "celonis_oauth.defer_imports"
#: context.scratch keys: extra Celonis hosts to detect sites with, and rule ids whose sites are left alone
#: (the `extra-hosts` and `disable-rules` settings, as the scan used them).
EXTRA_HOSTS = "celonis_oauth.extra_hosts"
DISABLED_RULES = "celonis_oauth.disabled_rules"
TODO_PREFIX = "# TODO(celonis-oauth): "
#: What a TODO quotes that may differ from one run to the next while its site stays the same.
_QUOTED_VALUES = re.compile(r"'[^']*'|\"[^\"]*\"|\d+")
_CLIENT_CTOR = re.compile(r"(^|\.)(Session|Client|AsyncClient|ClientSession)$")
_HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options"}
_Statement = Union[cst.SimpleStatementLine, cst.BaseCompoundStatement]


def site_key(rule_id: str, code: str, scope: str = "") -> str:
    """Identity of a site across codemods: rule, the enclosing functions and classes (`scope`, e.g.
    `Client.members`), and the whitespace-normalised code of the sink. Line numbers would not do:
    earlier codemods move lines. Without the scope, two functions holding the same header code
    would share one site, and one's reason would land on the other."""
    return rule_id + "|" + scope + "|" + " ".join(code.split())


def str_literal(text: str) -> cst.SimpleString:
    return cst.SimpleString('"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"')


def scope_literal(scopes: str, quote: str = '"') -> cst.SimpleString:
    return cst.SimpleString(f"{quote}{scopes}{quote}")


class SiteCommand(VisitorBasedCodemodCommand):
    """Base of the site codemods: find this codemod's findings in the current tree, plan, apply."""

    METADATA_DEPENDENCIES = (PositionProvider, ParentNodeProvider)
    #: Rule ids this codemod looks at.
    RULES: tuple[str, ...] = ()
    #: Leave sites an earlier codemod gave to a human alone.
    SKIP_MANUAL = True

    def __init__(self, context: CodemodContext, scopes: str | None = None, write_todos: bool = False,
                 relative_import: bool = False, exported_names: Iterable[str] = ()) -> None:
        super().__init__(context)
        #: Space-separated scopes of the file's plan; None = plan from this tree's own findings.
        self.scopes = scopes
        self.write_todos = write_todos
        self.relative_import = relative_import
        self.exported_names = frozenset(exported_names)
        self._replace: dict[int, cst.CSTNode] = {}
        self._todos: dict[int, list[str]] = {}
        self._after: dict[int, list[cst.BaseStatement]] = {}
        self._header_taken = 0

    # ------------------------------------------------------------------ driver
    def transform_module_impl(self, tree: cst.Module) -> cst.Module:
        from migrator.detect.python import scan_python
        from migrator.scopes import build_plan

        disabled = self.context.scratch.get(DISABLED_RULES, ())
        findings = [f for f in scan_python(self.context.filename or "<fix>", tree.code,
                                           extra_hosts=self.context.scratch.get(EXTRA_HOSTS, ()))
                    if f.rule_id not in disabled]
        if self.scopes is None:
            self.scopes = build_plan(e for f in findings for e in f.endpoints).scope_string
        mine = [f for f in findings if f.rule_id in self.RULES]
        if not mine:
            return tree
        self.tree = tree
        self.positions = self.metadata[PositionProvider]
        self.parents = self.metadata[ParentNodeProvider]
        self.index: ModuleIndex = build_index(tree)
        self.ev = Evaluator(self.index)
        manual = self.context.scratch.setdefault(MANUAL, {})
        for f in mine:
            node = self.locate(f)
            if node is None:
                continue
            key = self.site_key(f, node)
            if key in manual and self.SKIP_MANUAL:
                continue
            reason = self.plan(f, node)
            if reason:
                manual[key] = reason
                self.warn(f"line {f.line}: {reason}")
        if not (self._replace or self._todos or self._after):
            return tree
        return tree.visit(self)

    def site_key(self, finding: Finding, node: cst.CSTNode) -> str:
        """This site's identity (see `site_key`) in the current tree."""
        return site_key(finding.rule_id, self.tree.code_for_node(node), self.scope_of(node))

    def scope_of(self, node: cst.CSTNode) -> str:
        """Dotted names of the functions and classes around `node`, outermost first ("" at module level)."""
        names: list[str] = []
        parent = self.parents.get(node)
        while parent is not None:
            if isinstance(parent, (cst.FunctionDef, cst.ClassDef)):
                names.append(parent.name.value)
            parent = self.parents.get(parent)
        return ".".join(reversed(names))

    def plan(self, finding: Finding, node: cst.CSTNode) -> str | None:
        """Plan edits for one site; return a reason to leave it to a human, or None."""
        raise NotImplementedError

    # ------------------------------------------------------------------ locating
    def locate(self, f: Finding) -> cst.CSTNode | None:
        types: tuple[type, ...] = (cst.DictElement, cst.Assign, cst.Call, cst.Arg, cst.Tuple,
                                   cst.Expr, cst.AnnAssign, cst.Return, cst.SimpleString)
        best = None
        for node, rng in self.positions.items():
            if not isinstance(node, types):
                continue
            if (rng.start.line, rng.start.column + 1, rng.end.line, rng.end.column + 1) == \
                    (f.line, f.column, f.end_line, f.end_column):
                if best is None or types.index(type(node)) < types.index(type(best)):
                    best = node
        return best

    def owner(self, node: cst.CSTNode) -> FunctionInfo | None:
        cur: cst.CSTNode | None = node
        while cur is not None:
            if isinstance(cur, cst.FunctionDef):
                return next((fn for fn in self.index.functions.values() if fn.node is cur), None)
            cur = self.parents.get(cur)
        return None

    def statement(self, node: cst.CSTNode) -> _Statement | None:
        cur: cst.CSTNode | None = node
        while cur is not None and not isinstance(cur, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            cur = self.parents.get(cur)
        return cur

    def line(self, node: cst.CSTNode) -> int:
        rng: CodeRange = self.positions[node]
        return rng.start.line

    def stored_directly(self, node: cst.CSTNode, small: cst.CSTNode) -> bool:
        """Is the value assigned as is (not consumed by a call such as `requests.get(...)`)?"""
        cur = self.parents.get(node)
        while cur is not None and cur is not small:
            if isinstance(cur, cst.Call) and dotted(cur.func) != "dict" or isinstance(cur, cst.Lambda):
                return False
            cur = self.parents.get(cur)
        return True

    def in_loop_outside(self, use: cst.CSTNode, definition: cst.CSTNode) -> bool:
        """True when `use` sits in a loop that does not also contain `definition` (a frozen value)."""
        cur = self.parents.get(use)
        while cur is not None and not isinstance(cur, (cst.FunctionDef, cst.Module)):
            if isinstance(cur, (cst.For, cst.While)) and not _contains(cur, definition):
                return True
            cur = self.parents.get(cur)
        return False

    # ------------------------------------------------------------------ origin of the Celonis URL
    def origin_for(self, finding: Finding, target: cst.CSTNode,
                   bindings: dict[str, cst.BaseExpression] | None = None) -> cst.BaseExpression | None:
        """An expression for the team URL that is valid where `target` is, from the calls of `finding`."""
        scope = self.owner(target)
        for call in self.calls_at({e.line for e in finding.endpoints if e.line}):
            url = self.url_of(call)
            if url is None:
                continue
            expr = self.origin_expr(url, self.owner(call), bindings or {})
            if expr is not None and self.valid_in(expr, scope, self.owner(call)):
                return expr
            concrete = self.concrete_origin(url, self.owner(call))
            if concrete is not None:
                return concrete
        return None

    def calls_at(self, lines: set[int]) -> list[cst.Call]:
        out = []
        for call, _owner in self.index.calls:
            if self.line(call) in lines and self.http_verb(call):
                out.append(call)
        return sorted(out, key=self.line)

    @staticmethod
    def http_verb(call: cst.Call) -> str:
        name = dotted(call.func) or (call.func.attr.value if isinstance(call.func, cst.Attribute) else "")
        last = name.rsplit(".", 1)[-1]
        return last if last in _HTTP_VERBS or last in ("request", "stream", "Request", "urlopen") else ""

    def url_of(self, call: cst.Call) -> cst.BaseExpression | None:
        verb = self.http_verb(call)
        url = _arg(call, 1 if verb in ("request", "stream") else 0, "url")
        if verb == "urlopen" and isinstance(url, cst.Name):
            found, _env, _p = self.ev.resolve_name(url.value, self.ev.function_env(self.owner(call)))
            ctor = found[-1] if found else None
            url = _arg(ctor, 0, "url") if isinstance(ctor, cst.Call) else None
        if url is not None and isinstance(call.func, cst.Attribute) and not self._absolute(url, call):
            base = self.client_base_url(call.func.value, self.owner(call))
            return base
        return url

    def _absolute(self, url: cst.BaseExpression, call: cst.Call) -> bool:
        syms = self.ev.strings(url, self.ev.function_env(self.owner(call)))
        return not syms or not sym_text(syms[0]).startswith("/")

    def client_base_url(self, receiver: cst.BaseExpression, fn: FunctionInfo | None) -> cst.BaseExpression | None:
        ctor = self.client_ctor(receiver, fn)
        return _arg(ctor, 99, "base_url") if ctor is not None else None

    def client_ctor(self, receiver: cst.BaseExpression, fn: FunctionInfo | None) -> cst.Call | None:
        """The `Session()` / `httpx.Client(...)` call that created `receiver`, if visible."""
        exprs: list[cst.BaseExpression] = []
        if isinstance(receiver, cst.Name):
            found, _env, _p = self.ev.resolve_name(receiver.value, self.ev.function_env(fn))
            exprs = found or []
        elif dotted(receiver).startswith("self.") and fn is not None and fn.class_name:
            exprs = self.index.attrs.get(fn.class_name, {}).get(dotted(receiver)[5:], [])
        calls = [e for e in exprs if isinstance(e, cst.Call) and _CLIENT_CTOR.search(dotted(e.func))]
        return calls[-1] if calls else None

    def origin_expr(self, url: cst.BaseExpression, fn: FunctionInfo | None,
                    bindings: dict[str, cst.BaseExpression], depth: int = 0) -> cst.BaseExpression | None:
        """The part of a URL expression that names the team (`BASE`, `"https://acme..."`, an env read)."""
        if depth > 6:
            return None
        text = literal_str(url)
        if text is not None:
            origin = _literal_origin(text)
            return str_literal(origin) if origin else None
        if isinstance(url, cst.FormattedString):
            found = _fstring_origin(url)
            return self.origin_expr(found, fn, bindings, depth + 1) if isinstance(found, cst.Name) else found
        if isinstance(url, cst.BinaryOperation) and isinstance(url.operator, cst.Add):
            left = url
            while isinstance(left, cst.BinaryOperation) and isinstance(left.operator, cst.Add):
                left = left.left
            return self.origin_expr(left, fn, bindings, depth + 1)
        if isinstance(url, cst.Name):
            if url.value in bindings:
                return self.origin_expr(bindings[url.value], None, {}, depth + 1)
            if fn is not None and url.value in fn.params:
                return url
            local = fn.assigns.get(url.value) if fn is not None else None
            if local and len(local) == 1:
                return self.origin_expr(local[0], fn, bindings, depth + 1)
            values = self.index.assigns.get(url.value)
            if values and len(values) == 1:
                text = literal_str(values[0])
                if text is not None and _literal_origin(text) and _literal_origin(text) != text.rstrip("/"):
                    return self.origin_expr(values[0], None, {}, depth + 1)
            return url
        if isinstance(url, (cst.Attribute, cst.Subscript)):
            return url
        if isinstance(url, cst.Call) and dotted(url.func) in ("os.getenv", "os.environ.get", "getenv", "environ.get"):
            return url
        return None

    def concrete_origin(self, url: cst.BaseExpression, fn: FunctionInfo | None) -> cst.SimpleString | None:
        for sym in self.ev.strings(url, self.ev.function_env(fn)):
            if all(isinstance(p, str) for p in sym):
                origin = _literal_origin(sym_text(sym))
                if origin:
                    return str_literal(origin)
        return None

    def valid_in(self, expr: cst.BaseExpression, scope: FunctionInfo | None, source: FunctionInfo | None) -> bool:
        """Can `expr`, taken from `source`, be evaluated in `scope`? Module-level names always can."""
        if scope is source or (scope is not None and source is not None and scope.node is source.node):
            return True
        for name in _free_names(expr):
            if name in self.index.assigns or name in self.index.imports or name in self.index.functions \
                    or name in _BUILTINS:
                continue
            if scope is not None and (name in scope.params or name in scope.assigns):
                if name == "self" and source is not None and source.class_name == scope.class_name:
                    continue
                if name != "self":
                    continue
            return False
        return True

    # ------------------------------------------------------------------ building new code
    def token_call(self, origin: cst.BaseExpression, quote: str = '"') -> cst.Call:
        self.need_import(helper.TOKEN_FUNCTION)
        args = [cst.Arg(origin)]
        if self.scopes:
            args.append(cst.Arg(scope_literal(self.scopes, quote)))
        return cst.Call(cst.Name(helper.TOKEN_FUNCTION), _comma(args))

    def auth_object(self, origin: cst.BaseExpression) -> cst.Call:
        self.need_import(helper.AUTH_CLASS)
        args = [cst.Arg(origin)] + ([cst.Arg(scope_literal(self.scopes))] if self.scopes else [])
        return cst.Call(cst.Name(helper.AUTH_CLASS), _comma(args))

    def bearer_value(self, origin: cst.BaseExpression, like: cst.BaseExpression) -> cst.BaseExpression:
        """`f"Bearer {client_credentials_token(BASE, 'scopes')}"`, or `"Bearer " + ...` for concatenations."""
        quote = _quote_of(like)
        origin_code = cst.Module(body=[]).code_for_node(origin)
        concat = isinstance(like, cst.BinaryOperation) or "'" in origin_code or '"' in origin_code
        if concat:
            return cst.BinaryOperation(cst.SimpleString(f"{quote}Bearer {quote}"), cst.Add(),
                                       self.token_call(origin, quote))
        inner = "'" if quote == '"' else '"'
        return cst.FormattedString(
            [cst.FormattedStringText("Bearer "), cst.FormattedStringExpression(self.token_call(origin, inner))],
            start=f"f{quote}", end=quote)

    def need_import(self, name: str) -> None:
        """Import `name` from the helper: once per file, whatever the number of sites and codemods.

        AddImportsVisitor cannot see an existing relative import without a package name, and the
        codemods share one context, so queuing there from each codemod duplicated
        `from .celonis_oauth import ...`; `codemods.rewrite` sets DEFER_IMPORTS and adds it itself.
        """
        self.context.scratch.setdefault(IMPORTS, set()).add(name)
        if not self.context.scratch.get(DEFER_IMPORTS):
            AddImportsVisitor.add_needed_import(self.context, helper.MODULE, name,
                                                relative=1 if self.relative_import else 0)

    def replace(self, node: cst.CSTNode, new: cst.CSTNode) -> None:
        self._replace[id(node)] = new

    def insert_after(self, stmt: cst.BaseStatement, new: cst.BaseStatement) -> None:
        self._after.setdefault(id(stmt), []).append(new)

    def todo(self, node: cst.CSTNode, text: str) -> None:
        """Queue `# TODO(celonis-oauth): text` above the statement holding `node` (only with --write)."""
        stmt = self.statement(node)
        if self.write_todos and stmt is not None:
            self._todos.setdefault(id(stmt), []).append(TODO_PREFIX + text)

    def site_scopes(self, finding: Finding) -> str:
        """The scopes of this site alone, for a TODO: unlike the file's plan, they do not shrink when a
        later run finds the other sites migrated, so the TODO says the same thing every run."""
        from migrator.scopes import build_plan

        return build_plan(finding.endpoints).scope_string or "<scopes>"

    def header_todos(self, stmt: cst.CSTNode) -> list[cst.EmptyLine]:
        """Our TODOs right above `stmt` that LibCST parsed into `Module.header` (it does so for the comments
        above a module's first statement): unseen, they would be added again on every run."""
        header = self.tree.header
        if not (self.tree.body and self.tree.body[0] is stmt):
            return []
        return list(header[len(header) - _todo_tail(header):])

    def comments_above(self, stmt: cst.CSTNode) -> list[cst.EmptyLine]:
        """The comment lines right above `stmt`, those parsed into `Module.header` included."""
        return [*self.header_todos(stmt), *getattr(stmt, "leading_lines", ())]

    def note(self, line: int, text: str) -> None:
        self.context.scratch.setdefault(NOTES, []).append((line, text))

    def blocker_todo(self, finding: Finding, node: cst.CSTNode) -> None:
        """Migrated anyway, but endpoints with no documented scope must be verified."""
        paths = sorted({f"{e.method} {e.path}" for e in finding.endpoints if e.status in ("blocker", "unknown")})
        if paths:
            self.todo(node, "verify with Celonis that OAuth tokens are accepted here: no documented scope for "
                      + ", ".join(paths))

    # ------------------------------------------------------------------ applying
    def on_leave(self, original_node: cst.CSTNode, updated_node: cst.CSTNode):  # type: ignore[no-untyped-def,override]
        result = super().on_leave(original_node, updated_node)
        new = self._replace.get(id(original_node))
        if new is not None:
            result = new
        comments = self._todos.get(id(original_node))
        if comments and isinstance(result, (cst.SimpleStatementLine, cst.BaseCompoundStatement)):
            header = self.header_todos(original_node)
            if header:  # moved from Module.header onto the statement: the same text in the same place
                self._header_taken = len(header)
            lines = place_todos([*header, *result.leading_lines], comments)
            result = result.with_changes(leading_lines=lines)
        if isinstance(result, cst.Module) and self._header_taken:
            result = result.with_changes(header=result.header[:len(result.header) - self._header_taken])
        after = self._after.get(id(original_node))
        if after and isinstance(result, cst.BaseStatement):
            result = cst.FlattenSentinel([result, *after])
        return result


# ---------------------------------------------------------------------- TODO comments
def _comment(line: cst.EmptyLine) -> str:
    return line.comment.value.rstrip() if line.comment is not None else ""


def is_todo(line: cst.EmptyLine) -> bool:
    return _comment(line).startswith(TODO_PREFIX)


def todo_shape(comment: str) -> str:
    """A TODO without the values it quotes (scopes, line numbers): two TODOs of one shape on one
    statement are the same TODO written by different runs."""
    return _QUOTED_VALUES.sub("...", comment.rstrip())


def place_todos(lines: Sequence[cst.EmptyLine], todos: Iterable[str]) -> list[cst.EmptyLine]:
    """`lines` (the comments above a statement) holding each of `todos` once.

    A TODO already there is kept; one of ours that says the same with other values (what an earlier
    run quoted) is rewritten in place, so it is neither stale nor doubled; only a new one is added,
    last. Any other comment, and any TODO of ours no site asks for, is left as it is.
    """
    out = list(lines)
    free = [i for i, line in enumerate(out) if is_todo(line)]
    pending = []
    for todo in dict.fromkeys(todos):
        same = next((i for i in free if _comment(out[i]) == todo), None)
        if same is None:
            pending.append(todo)
        else:
            free.remove(same)
    for todo in pending:
        like = next((i for i in free if todo_shape(_comment(out[i])) == todo_shape(todo)), None)
        if like is None:
            out.append(cst.EmptyLine(comment=cst.Comment(todo)))
        else:
            free.remove(like)
            out[like] = out[like].with_changes(comment=cst.Comment(todo))
    return out


def _todo_tail(lines: Sequence[cst.EmptyLine]) -> int:
    """How many of `lines`, counted from the end, are TODOs of ours (none after a blank line)."""
    n = 0
    while n < len(lines) and is_todo(lines[len(lines) - 1 - n]):
        n += 1
    return n


# ---------------------------------------------------------------------- helpers
_BUILTINS = {"os", "str", "dict", "len", "True", "False", "None"}


def _arg(call: cst.Call | None, pos: int, kw: str) -> cst.BaseExpression | None:
    if call is None:
        return None
    for a in call.args:
        if a.keyword is not None and a.keyword.value == kw:
            return a.value
    positional = [a for a in call.args if a.keyword is None and not a.star]
    return positional[pos].value if len(positional) > pos else None


def _comma(args: list[cst.Arg]) -> list[cst.Arg]:
    return [a.with_changes(comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))) if i < len(args) - 1 else a
            for i, a in enumerate(args)]


def _literal_origin(text: str) -> str | None:
    m = re.match(r"(?i)^(https?://[^/?#\s]+)", text.strip())
    return m.group(1) if m else None


def _fstring_origin(node: cst.FormattedString) -> cst.BaseExpression | None:
    parts = list(node.parts)
    if parts and isinstance(parts[0], cst.FormattedStringExpression):
        return parts[0].expression  # f"{BASE}/path": the base is the first expression
    kept: list[cst.BaseFormattedStringContent] = []
    seen = ""
    for part in parts:
        if isinstance(part, cst.FormattedStringText):
            full = seen + part.value
            start = full.find("://")
            cut = full.find("/", start + 3) if start >= 0 else -1
            if cut >= 0:
                keep = part.value[: cut - len(seen)]
                if keep:
                    kept.append(part.with_changes(value=keep))
                break
            seen = full
        else:
            seen += "{}"
        kept.append(part)
    if not kept or "://" not in seen + "".join(p.value for p in kept if isinstance(p, cst.FormattedStringText)):
        return None
    if all(isinstance(p, cst.FormattedStringText) for p in kept):
        text = "".join(p.value for p in kept)  # type: ignore[union-attr]
        return str_literal(text)
    return node.with_changes(parts=kept)


def _quote_of(node: cst.BaseExpression) -> str:
    if isinstance(node, cst.BinaryOperation):
        return _quote_of(node.left)
    if isinstance(node, cst.SimpleString):
        return node.quote if node.quote in ('"', "'") else '"'
    if isinstance(node, cst.FormattedString):
        return node.end if node.end in ('"', "'") else '"'
    return '"'


def _free_names(expr: cst.CSTNode) -> set[str]:
    names: set[str] = set()

    class V(cst.CSTVisitor):
        def visit_Attribute(self, node: cst.Attribute) -> bool:
            node.value.visit(self)
            return False

        def visit_Name(self, node: cst.Name) -> None:
            names.add(node.value)

    expr.visit(V())
    return names


def _contains(tree: cst.CSTNode, target: cst.CSTNode) -> bool:
    found = False

    class V(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nonlocal found
            found = found or node is target
            return not found

    tree.visit(V())
    return found
