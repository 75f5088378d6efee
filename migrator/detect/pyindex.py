"""A read-only index of one Python module, and a small symbolic string evaluator over it.

The detector needs to know what a header value or a URL *is*: "AppKey " followed
by the value of env var X, or "https://acme.eu-1.celonis.cloud/integration/api/pools/"
followed by a pool id passed in by a caller. This module folds constants,
f-strings, concatenation, `%` and `.format`, follows names through local and
module assignments, returns of local functions and arguments at call sites, and
turns everything it cannot know into a `Hole` that says where the value comes from.
"""

from __future__ import annotations

import dataclasses
import re
import time
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional, Union

import libcst as cst
from libcst import MaybeSentinel

from migrator.types import KeySource

MAX_ALTERNATIVES = 6
MAX_DEPTH = 12


@dataclass(frozen=True)
class Hole:
    """A piece of a string whose value is not visible in the code."""

    #: Best-effort identifier for placeholders ("pool", "token").
    name: str
    source: KeySource
    #: True when the value provably comes from an OAuth token flow.
    oauth: bool = False
    #: Raw literal behind an env fallback (`os.getenv("X") or "literal"`), for classification.
    fallback: Optional[str] = None


Part = Union[str, Hole]
Sym = tuple[Part, ...]


def sym_text(sym: Sym, hole_format: str = "{{{}}}") -> str:
    """Render a symbolic string (a URL) with holes as `{name}` placeholders.

    An env var with a default (`os.getenv("CELONIS_URL", "https://...")`) renders as its default,
    which is what a URL needs; key analysis looks at the Hole itself, never at this text.
    """
    return "".join(
        p if isinstance(p, str) else (p.fallback if p.fallback and p.source.kind == "env" else
                                      hole_format.format(_ident(p.name)))
        for p in sym
    )


def _ident(name: str) -> str:
    m = re.findall(r"[A-Za-z_][A-Za-z0-9_]*", name)
    return m[-1] if m else ""


def _concat(a: Sym, b: Sym) -> Sym:
    if a and b and isinstance(a[-1], str) and isinstance(b[0], str):
        return a[:-1] + (a[-1] + b[0],) + b[1:]
    return a + b


def _product(left: list[Sym], right: list[Sym]) -> list[Sym]:
    out = [_concat(a, b) for a in left for b in right]
    return _dedupe(out)


def _dedupe(syms: list[Sym]) -> list[Sym]:
    seen: list[Sym] = []
    for s in syms:
        if s not in seen:
            seen.append(s)
    return seen[:MAX_ALTERNATIVES]


def dotted(node: cst.BaseExpression) -> str:
    """`os.environ.get` for an Attribute chain, `` when not a plain chain."""
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else ""
    if isinstance(node, cst.Call):
        base = dotted(node.func)
        return f"{base}()" if base else ""
    return ""


def literal_str(node: Optional[cst.BaseExpression]) -> Optional[str]:
    """The value of a plain string literal, else None."""
    if isinstance(node, cst.SimpleString):
        plain = _unquoted(node.value)
        if plain is not None:
            return plain
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        value = node.evaluated_value
        if isinstance(value, bytes):
            return value.decode("latin-1")
        return value
    return None


def _unquoted(literal: str) -> Optional[str]:
    """The value of an ASCII string literal without prefix, escapes, CR or NUL: the text between its
    quotes. Saves `ast.literal_eval` (a compile per call) on the common case; None for any other."""
    if not literal.isascii() or literal[0] not in "'\"":
        return None
    if "\\" in literal or "\r" in literal or "\0" in literal:
        return None
    q = 3 if literal[:3] in ("'''", '"""') else 1
    return literal[q:-q]


@dataclass
class FunctionInfo:
    node: cst.FunctionDef
    qualname: str
    params: tuple[str, ...]
    assigns: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    returns: list[cst.BaseExpression] = field(default_factory=list)
    parent: Optional["FunctionInfo"] = None
    class_name: Optional[str] = None
    #: dotted name of every call in the function's code (nested functions included), in source order.
    callees: list[str] = field(default_factory=list)
    #: a string in the function's code names /oauth2/token or client_credentials.
    names_oauth: bool = False


@dataclass
class ModuleIndex:
    """Everything the detector looks up by name, collected in one pass."""

    module: cst.Module
    assigns: dict[str, list[cst.BaseExpression]] = field(default_factory=dict)
    functions: dict[str, FunctionInfo] = field(default_factory=dict)
    #: `self.x = ...` per class: {class: {"x": [exprs]}}
    attrs: dict[str, dict[str, list[cst.BaseExpression]]] = field(default_factory=dict)
    #: local name -> "module.name" for imports.
    imports: dict[str, str] = field(default_factory=dict)
    #: every Call node, with the function it sits in (None = module level).
    calls: list[tuple[cst.Call, Optional[FunctionInfo]]] = field(default_factory=list)
    #: function of each node that matters (statements, calls, dicts).
    owner: dict[int, Optional[FunctionInfo]] = field(default_factory=dict)
    #: all string literal values (for Celonis evidence).
    strings: list[str] = field(default_factory=list)
    #: every node but whitespace and punctuation, in LibCST's visiting order (pre-order, lexical).
    nodes: list[cst.CSTNode] = field(default_factory=list)
    #: id(node) -> parent node, for the nodes in `nodes` (LibCST's ParentNodeProvider without its cost).
    parents: dict[int, cst.CSTNode] = field(default_factory=dict)

    def parent(self, node: Optional[cst.CSTNode]) -> Optional[cst.CSTNode]:
        return self.parents.get(id(node)) if node is not None else None

    def encloses(self, container: cst.CSTNode, node: cst.CSTNode) -> bool:
        """`node` is `container` or lies inside it."""
        cur: Optional[cst.CSTNode] = node
        while cur is not None:
            if cur is container:
                return True
            cur = self.parents.get(id(cur))
        return False

    def function_named(self, name: str) -> Optional[FunctionInfo]:
        info = self.functions.get(name)
        if info is None:
            for q, f in self.functions.items():
                if q.rsplit(".", 1)[-1] == name:
                    return f
        return info

    def imports_module(self, prefix: str) -> bool:
        return any(v == prefix or v.startswith(prefix + ".") for v in self.imports.values())


#: Fields that only ever hold whitespace, comments, brackets or punctuation: never walked.
_TRIVIA_FIELDS = frozenset({
    "lpar", "rpar", "lbrace", "rbrace", "lbracket", "rbracket", "comma", "trailing_comma", "semicolon", "colon",
    "first_colon", "second_colon", "equal", "dot", "relative", "operator", "asynchronous", "posonly_ind",
    "separator", "newline", "header", "footer", "leading_lines", "lines_after_decorators", "empty_lines",
    "trailing_whitespace", "leading_whitespace", "comment", "first_line", "last_line",
})
#: node class -> (the fields LibCST visits, in its visiting order, trivia left out;
#: the fields it left unvisited because they were None on the node it was learnt from).
_CHILD_FIELDS: dict[type, tuple[tuple[str, ...], tuple[str, ...]]] = {}


class _FieldRecorder(cst.CSTVisitor):
    """Notes which fields of one node LibCST visits, and in what order, without descending."""

    def __init__(self) -> None:
        self.fields: list[str] = []

    def on_visit(self, node: cst.CSTNode) -> bool:
        return False

    def on_visit_attribute(self, node: cst.CSTNode, attribute: str) -> None:
        self.fields.append(attribute)


def _is_trivia(field_name: str) -> bool:
    return field_name in _TRIVIA_FIELDS or field_name.startswith("whitespace")


def _learn_fields(node: cst.CSTNode) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """Ask LibCST itself which fields of this node it visits, so that the walk keeps its order."""
    recorder = _FieldRecorder()
    node._visit_and_replace_children(recorder)
    visited = tuple(f for f in recorder.fields if not _is_trivia(f))
    unvisited_none = tuple(f.name for f in dataclasses.fields(node) if f.name not in recorder.fields
                           and not _is_trivia(f.name) and getattr(node, f.name) is None)
    return visited, unvisited_none


def _holds_nodes(value: object) -> bool:
    return isinstance(value, cst.CSTNode) or (isinstance(value, (list, tuple)) and len(value) > 0)


def _child_fields(node: cst.CSTNode) -> tuple[str, ...]:
    """The non-trivia child fields of a node, learnt once per class; learnt again from a node that fills
    a field the first one left None (LibCST skips some of those, e.g. an f-string's format spec)."""
    known = _CHILD_FIELDS.get(type(node))
    if known is None or any(_holds_nodes(getattr(node, f)) for f in known[1]):
        known = _CHILD_FIELDS[type(node)] = _learn_fields(node)
    return known[0]


def child_nodes(node: cst.CSTNode) -> list[cst.CSTNode]:
    """Non-trivia children in visiting order: a plain attribute walk, unlike LibCST's visitors, which
    rebuild every node they pass."""
    out: list[cst.CSTNode] = []
    for name in _child_fields(node):
        value = getattr(node, name)
        if isinstance(value, (list, tuple)):
            out.extend(value)
        elif value is not None and value is not MaybeSentinel.DEFAULT:
            out.append(value)
    return out


class _Indexer:
    """One walk over the module that fills a ModuleIndex; `visit_X`/`leave_X` run on entering/leaving an X."""

    def __init__(self, index: ModuleIndex) -> None:
        self.index = index
        self.stack: list[FunctionInfo] = []
        self.classes: list[str] = []

    def walk(self, root: cst.CSTNode) -> None:
        """Iterative pre-order walk (no recursion limit on deeply nested code)."""
        nodes, parents = self.index.nodes, self.index.parents
        todo: list[Union[cst.CSTNode, tuple[Callable[[_Indexer, cst.CSTNode], None], cst.CSTNode]]] = [root]
        while todo:
            item = todo.pop()
            if type(item) is tuple:  # (leave handler, node): the node's subtree is done
                item[0](self, item[1])
                continue
            node = item
            nodes.append(node)
            visit = _VISIT.get(type(node))
            if visit is not None:
                visit(self, node)
            leave = _LEAVE.get(type(node))
            if leave is not None:
                todo.append((leave, node))
            children = child_nodes(node)
            for child in children:
                parents[id(child)] = node
            children.reverse()
            todo.extend(children)

    # scopes
    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.classes.append(node.name.value)

    def leave_ClassDef(self, original_node: cst.ClassDef) -> None:
        self.classes.pop()

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        p = node.params
        names = [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]
        for star in (p.star_arg, p.star_kwarg):
            if isinstance(star, cst.Param):
                names.append(star.name.value)
        prefix = ".".join([*self.classes, *(f.node.name.value for f in self.stack)])
        qual = f"{prefix}.{node.name.value}" if prefix else node.name.value
        info = FunctionInfo(
            node=node,
            qualname=qual,
            params=tuple(names),
            parent=self.stack[-1] if self.stack else None,
            class_name=self.classes[-1] if self.classes else None,
        )
        self.index.functions[qual] = info
        self.stack.append(info)

    def leave_FunctionDef(self, original_node: cst.FunctionDef) -> None:
        self.stack.pop()

    def _current(self) -> Optional[FunctionInfo]:
        return self.stack[-1] if self.stack else None

    def _record(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        fn = self._current()
        if isinstance(target, cst.Name):
            table = fn.assigns if fn else self.index.assigns
            table.setdefault(target.value, []).append(value)
        elif isinstance(target, cst.Attribute) and dotted(target.value) in ("self", "cls") and fn and fn.class_name:
            self.index.attrs.setdefault(fn.class_name, {}).setdefault(target.attr.value, []).append(value)
        elif isinstance(target, (cst.Tuple, cst.List)) and isinstance(value, (cst.Tuple, cst.List)):
            for t, v in zip(target.elements, value.elements):
                self._record(t.value, v.value)

    # assignments
    def visit_Assign(self, node: cst.Assign) -> None:
        self.index.owner[id(node)] = self._current()
        for t in node.targets:
            self._record(t.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        self.index.owner[id(node)] = self._current()
        if node.value is not None:
            self._record(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        """`headers |= {...}` merges into what the name holds (a header dict carried onward)."""
        self.index.owner[id(node)] = self._current()
        if isinstance(node.operator, cst.BitOrAssign):
            self._record(node.target, node.value)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._record(node.target, node.value)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._record(node.asname.name, node.item)

    def visit_Return(self, node: cst.Return) -> None:
        fn = self._current()
        if fn is not None and node.value is not None:
            fn.returns.append(node.value)

    def visit_Call(self, node: cst.Call) -> None:
        self.index.calls.append((node, self._current()))
        self.index.owner[id(node)] = self._current()
        name = dotted(node.func)
        for fn in self.stack:
            fn.callees.append(name)

    def visit_Dict(self, node: cst.Dict) -> None:
        self.index.owner[id(node)] = self._current()

    def visit_Subscript(self, node: cst.Subscript) -> None:
        self.index.owner[id(node)] = self._current()

    def visit_SimpleString(self, node: cst.SimpleString) -> None:
        value = literal_str(node)
        if value:
            self.index.strings.append(value)
        self._note_oauth(bool(value) and ("/oauth2/token" in value or value == "client_credentials"))

    def visit_FormattedStringText(self, node: cst.FormattedStringText) -> None:
        self.index.strings.append(node.value)
        self._note_oauth("/oauth2/token" in node.value)

    def _note_oauth(self, names_oauth: bool) -> None:
        if names_oauth:
            for fn in self.stack:
                fn.names_oauth = True

    # imports
    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            name = dotted(alias.name)
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            self.index.imports[local.split(".")[0] if not alias.asname else local] = name

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        module = ("." * len(node.relative)) + (dotted(node.module) if node.module else "")
        if isinstance(node.names, cst.ImportStar):
            self.index.imports[f"*{module}"] = module
            return
        for alias in node.names:
            name = dotted(alias.name)
            local = alias.asname.name.value if alias.asname and isinstance(alias.asname.name, cst.Name) else name
            self.index.imports[local] = f"{module}.{name}"


_VISIT = {getattr(cst, n[len("visit_"):]): f for n, f in vars(_Indexer).items() if n.startswith("visit_")}
_LEAVE = {getattr(cst, n[len("leave_"):]): f for n, f in vars(_Indexer).items() if n.startswith("leave_")}


def build_index(module: cst.Module) -> ModuleIndex:
    index = ModuleIndex(module=module)
    _Indexer(index).walk(module)
    return index


# ----------------------------------------------------------------------------------------------
# Sources: what a value that is not a literal is.

ENV_CALLS = {"os.getenv", "os.environ.get", "getenv", "environ.get", "os.environ.setdefault"}
_INPUT_CALLS = {"input", "getpass", "getpass.getpass", "st.text_input", "click.prompt", "typer.prompt"}
_OAUTH_CALLS = re.compile(r"(^|\.)(oauth2|fetch_token|get_access_token|acquire_token\w*|client_credentials\w*)$")
_OAUTH_NAMES = re.compile(r"(?i)access_token|oauth")
#: Secret-store lookups (boto3 Secrets Manager, hvac, Azure Key Vault, GCP Secret Manager).
_SECRET_CALLS = {"get_secret_value", "read_secret_version", "read_secret", "get_secret", "access_secret_version"}


def _subscript_key(node: cst.Subscript) -> Optional[str]:
    if len(node.slice) != 1:
        return None
    inner = node.slice[0].slice
    if isinstance(inner, cst.Index):
        return literal_str(inner.value)
    return None


def _call_arg(call: cst.Call, pos: int, kw: str) -> Optional[cst.BaseExpression]:
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for a in call.args:
        if a.keyword is not None and a.keyword.value == kw:
            return a.value
    return positional[pos].value if len(positional) > pos else None


@dataclass
class Env:
    """Evaluation context: the function we are in and any parameters bound by a caller."""

    index: ModuleIndex
    fn: Optional[FunctionInfo] = None
    bindings: dict[str, tuple[cst.BaseExpression, "Env"]] = field(default_factory=dict)
    depth: int = 0

    def deeper(self, fn: Optional[FunctionInfo] = None, bindings=None) -> "Env":  # type: ignore[no-untyped-def]
        return Env(self.index, fn if fn is not None else self.fn, bindings if bindings is not None else self.bindings,
                   self.depth + 1)


class Evaluator:
    """Evaluate expressions to lists of alternative symbolic strings."""

    def __init__(self, index: ModuleIndex, deadline: Optional[float] = None) -> None:
        self.index = index
        #: time.monotonic() value after which analysis gives up (ScanTimeout), None for no limit.
        self.deadline = deadline

    def check_deadline(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            from migrator.errors import ScanTimeout

            raise ScanTimeout("analysis exceeded the per-file time budget; the file was not fully scanned")

    # -- public
    def strings(self, node: cst.BaseExpression, env: Optional[Env] = None) -> list[Sym]:
        env = env or Env(self.index)
        if env.depth > MAX_DEPTH:
            return [(Hole("?", KeySource("unknown")),)]
        return _dedupe(self._eval(node, env))

    def function_env(self, fn: Optional[FunctionInfo]) -> Env:
        return Env(self.index, fn)

    def resolve_name(self, name: str, env: Env) -> tuple[Optional[list[cst.BaseExpression]], Env, bool]:
        """Find the expressions assigned to `name`: (exprs, env to evaluate them in, is_param)."""
        if name in env.bindings:
            expr, caller_env = env.bindings[name]
            return [expr], caller_env, False
        fn = env.fn
        while fn is not None:
            if name in fn.assigns:
                return fn.assigns[name], Env(self.index, fn, env.bindings, env.depth + 1), False
            if name in fn.params:
                return None, env, True
            fn = fn.parent
        if name in self.index.assigns:
            return self.index.assigns[name], Env(self.index, None, {}, env.depth + 1), False
        return None, env, False

    # -- internals
    def _eval(self, node: cst.BaseExpression, env: Env) -> list[Sym]:
        self.check_deadline()
        if env.depth > MAX_DEPTH:
            return [(Hole("?", KeySource("unknown")),)]
        lit = literal_str(node)
        if lit is not None:
            return [(lit,)]
        if isinstance(node, cst.ConcatenatedString):
            return _product(self._eval(node.left, env), self._eval(node.right, env))
        if isinstance(node, cst.FormattedString):
            out: list[Sym] = [()]
            for part in node.parts:
                if isinstance(part, cst.FormattedStringText):
                    out = [_concat(s, (part.value,)) for s in out]
                else:
                    out = _product(out, self._eval(part.expression, env))
            return out
        if isinstance(node, cst.BinaryOperation):
            if isinstance(node.operator, cst.Add):
                return _product(self._eval(node.left, env), self._eval(node.right, env))
            if isinstance(node.operator, cst.Modulo):
                return self._percent(node, env)
        if isinstance(node, cst.BooleanOperation) and isinstance(node.operator, cst.Or):
            return self._or(node, env)
        if isinstance(node, cst.IfExp):
            return _dedupe(self._eval(node.body, env) + self._eval(node.orelse, env))
        if isinstance(node, cst.Name):
            return self._name(node.value, env)
        if isinstance(node, cst.Attribute):
            return self._attribute(node, env)
        if isinstance(node, cst.Subscript):
            return [(self._subscript_hole(node, env),)]
        if isinstance(node, cst.Call):
            return self._call(node, env)
        if isinstance(node, cst.Await):
            return self._eval(node.expression, env)
        return [(Hole(dotted(node) or "?", KeySource("unknown")),)]

    def _name(self, name: str, env: Env) -> list[Sym]:
        if name in ("None", "True", "False"):
            return []  # `self._token = None` before a refresh: not a value that is ever sent
        exprs, inner, is_param = self.resolve_name(name, env)
        if exprs:
            out: list[Sym] = []
            for e in exprs[-MAX_ALTERNATIVES:]:
                out.extend(self._eval(e, inner))
            return _dedupe(out)
        if is_param:
            return [(Hole(name, KeySource("parameter", name)),)]
        if name in self.index.imports:
            return [(Hole(name, KeySource("config", self.index.imports[name])),)]
        return [(Hole(name, KeySource("unknown", name)),)]

    def _attribute(self, node: cst.Attribute, env: Env) -> list[Sym]:
        chain = dotted(node)
        base = dotted(node.value)
        if base in ("self", "cls") and env.fn is not None and env.fn.class_name:
            exprs = self.index.attrs.get(env.fn.class_name, {}).get(node.attr.value)
            if exprs:
                cls_fns = [f for f in self.index.functions.values() if f.class_name == env.fn.class_name]
                out: list[Sym] = []
                for e in exprs:
                    owner = next((f for f in cls_fns if self.index.encloses(f.node, e)), env.fn)
                    out.extend(self._eval(e, env.deeper(fn=owner, bindings={})))
                return _dedupe(out)
        if base in ("args", "options", "opts") or base.endswith("parse_args()"):
            return [(Hole(node.attr.value, KeySource("cli-argument", f"--{node.attr.value.replace('_', '-')}")),)]
        if node.attr.value == "access_token" or _OAUTH_NAMES.search(base):
            return [(Hole(node.attr.value, KeySource("unknown", chain), oauth=True),)]
        return [(Hole(node.attr.value, KeySource("config", chain or node.attr.value)),)]

    def _subscript_hole(self, node: cst.Subscript, env: Env) -> Hole:
        key = _subscript_key(node)
        base = dotted(node.value)
        if base in ("os.environ", "environ"):
            return Hole(key or "env", KeySource("env", key))
        if base in ("sys.argv",):
            return Hole("argv", KeySource("cli-argument", "sys.argv"))
        if isinstance(node.value, cst.Call) and dotted(node.value.func).rsplit(".", 1)[-1] in _SECRET_CALLS:
            (hole,) = self._call(node.value, env)[0]  # get_secret_value(...)["SecretString"]
            if isinstance(hole, Hole):
                return hole
        entry = self._dict_entry(node.value, key, env)
        if entry is not None:
            syms = self._eval(entry[0], entry[1])
            if len(syms) == 1 and len(syms[0]) == 1 and isinstance(syms[0][0], Hole):
                return syms[0][0]
        if key == "access_token" or self._is_oauth_value(node.value, env):
            return Hole(key or "token", KeySource("unknown", key), oauth=True)
        if base.endswith(("request.form", "request.args", "request.values")):
            return Hole(key or "input", KeySource("user-input", f"{base}[{key!r}]"))
        path = _subscript_path(node)
        return Hole(key or "value", KeySource("config", path))

    def _dict_entry(self, base: cst.BaseExpression, key: Optional[str], env: Env
                    ) -> Optional[tuple[cst.BaseExpression, Env]]:
        """`settings["k"]` where `settings = {"k": expr}` is visible: that expr."""
        if key is None or not isinstance(base, cst.Name):
            return None
        exprs, inner, _p = self.resolve_name(base.value, env)
        for e in reversed(exprs or []):
            if isinstance(e, cst.Dict):
                for el in e.elements:
                    if isinstance(el, cst.DictElement) and literal_str(el.key) == key:
                        return el.value, inner
        return None

    def _is_oauth_value(self, node: cst.BaseExpression, env: Env, depth: int = 0) -> bool:
        """True when `node` is (derived from) an OAuth token response."""
        if depth > 6:
            return False
        if isinstance(node, cst.Call):
            if _OAUTH_CALLS.search(dotted(node.func)):
                return True
            if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("json", "get"):
                return self._is_oauth_value(node.func.value, env, depth + 1)
            url = _call_arg(node, 0, "url")
            if url is not None and any("/oauth2/token" in sym_text(s) for s in self._eval(url, env.deeper())):
                return True
            fn = self._callee(node)
            if fn is not None and _function_talks_oauth(fn, self.index):
                return True
        if isinstance(node, cst.Name):
            exprs, inner, _ = self.resolve_name(node.value, env)
            return any(self._is_oauth_value(e, inner, depth + 1) for e in (exprs or []))
        if isinstance(node, cst.Subscript):
            return _subscript_key(node) == "access_token" or self._is_oauth_value(node.value, env, depth + 1)
        return False

    def _percent(self, node: cst.BinaryOperation, env: Env) -> list[Sym]:
        templates = self._eval(node.left, env)
        right = node.right
        if isinstance(right, cst.Dict):  # "AppKey %(k)s" % {"k": key}
            named = {literal_str(el.key): el.value for el in right.elements if isinstance(el, cst.DictElement)}
            out_named: list[Sym] = []
            for t in templates:
                if len(t) != 1 or not isinstance(t[0], str):
                    continue
                combos: list[Sym] = [()]
                for piece in re.split(r"(%\([^)]*\)[-#0 +]*\d*(?:\.\d+)?[sdrifx])", t[0]):
                    m = re.fullmatch(r"%\(([^)]*)\).*", piece)
                    if m and m.group(1) in named:
                        combos = _product(combos, self._eval(named[m.group(1)], env))
                    elif piece:
                        combos = [_concat(c, (piece,)) for c in combos]
                out_named.extend(combos)
            return _dedupe(out_named) or [(Hole("?", KeySource("unknown")),)]
        items = [e.value for e in right.elements] if isinstance(right, cst.Tuple) else [right]
        values = [self._eval(i, env) for i in items]
        out: list[Sym] = []
        for t in templates:
            if len(t) != 1 or not isinstance(t[0], str):
                out.append((Hole("?", KeySource("unknown")),))
                continue
            pieces = re.split(r"%[-#0 +]*\d*(?:\.\d+)?[sdrifx]", t[0])
            combos: list[Sym] = [(pieces[0],)]
            for i, piece in enumerate(pieces[1:]):
                val = values[i] if i < len(values) else [(Hole("?", KeySource("unknown")),)]
                combos = _product(_product(combos, val), [(piece,)])
            out.extend(combos)
        return _dedupe(out)

    def _format(self, template_node: cst.BaseExpression, call: cst.Call, env: Env) -> list[Sym]:
        templates = self._eval(template_node, env)
        positional = [a.value for a in call.args if a.keyword is None and not a.star]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        out: list[Sym] = []
        for t in templates:
            if len(t) != 1 or not isinstance(t[0], str):
                out.append((Hole("?", KeySource("unknown")),))
                continue
            combos: list[Sym] = [()]
            auto = 0
            for text, fieldname in _format_fields(t[0]):
                combos = [_concat(c, (text,)) for c in combos] if text else combos
                if fieldname is None:
                    continue
                if fieldname == "":
                    expr = positional[auto] if auto < len(positional) else None
                    auto += 1
                elif fieldname.isdigit():
                    expr = positional[int(fieldname)] if int(fieldname) < len(positional) else None
                else:
                    expr = keywords.get(fieldname)
                val = self._eval(expr, env) if expr is not None else [(Hole(fieldname, KeySource("unknown")),)]
                combos = _product(combos, val)
            out.extend(combos)
        return _dedupe(out)

    def _or(self, node: cst.BooleanOperation, env: Env) -> list[Sym]:
        left = self._eval(node.left, env)
        right = self._eval(node.right, env)
        # `os.getenv("X") or "literal"`: the env var with a literal fallback.
        if len(left) == 1 and len(left[0]) == 1 and isinstance(left[0][0], Hole) and left[0][0].source.kind == "env":
            fb = [r[0] for r in right if len(r) == 1 and isinstance(r[0], str)]
            if fb and fb[0]:
                h = left[0][0]
                return [(Hole(h.name, h.source, fallback=fb[0]),)]
        return _dedupe(left + right)

    def _callee(self, call: cst.Call) -> Optional[FunctionInfo]:
        name = dotted(call.func)
        if not name:
            return None
        if name.startswith("self."):
            return self.index.function_named(name[5:])
        return self.index.functions.get(name) or (self.index.function_named(name) if "." not in name else None)

    def _call(self, node: cst.Call, env: Env) -> list[Sym]:
        name = dotted(node.func)
        if name in ENV_CALLS:
            key = literal_str(_call_arg(node, 0, "key"))
            default = literal_str(_call_arg(node, 1, "default"))
            return [(Hole(key or "env", KeySource("env", key), fallback=default or None),)]
        if name in _INPUT_CALLS or name.endswith(".getpass") or name.endswith("text_input"):
            return [(Hole("input", KeySource("user-input", name)),)]
        last = name.rsplit(".", 1)[-1]
        if last in _SECRET_CALLS:
            ref = next((literal_str(a.value) for a in node.args if literal_str(a.value)), None)
            return [(Hole("secret", KeySource("secret-reference", ref or f"{name}()")),)]
        fn = self._callee(node)
        if fn is not None and fn.returns and env.depth < MAX_DEPTH:
            if _function_talks_oauth(fn, self.index):
                return [(Hole("token", KeySource("unknown", name), oauth=True),)]
            bindings = bind_arguments(fn, node, env)
            out: list[Sym] = []
            for r in fn.returns:
                out.extend(self._eval(r, Env(self.index, fn, bindings, env.depth + 1)))
            return _dedupe(out)
        if _OAUTH_CALLS.search(name):
            return [(Hole("token", KeySource("unknown", name), oauth=True),)]
        if name.rsplit(".", 1)[-1] in ("urljoin",) and len(node.args) >= 2:
            return _product(_product(self._eval(node.args[0].value, env), [("/",)]), self._eval(node.args[1].value, env))
        if isinstance(node.func, cst.Attribute) and node.func.attr.value == "join" and len(node.args) == 1:
            return self._join(node.func.value, node.args[0].value, env)
        if isinstance(node.func, cst.Attribute) and node.func.attr.value in ("substitute", "safe_substitute"):
            return self._template(node.func.value, node, env)
        if isinstance(node.func, cst.Attribute):
            attr = node.func.attr.value
            if attr == "format":
                return self._format(node.func.value, node, env)
            if attr == "format_map" and node.args and isinstance(node.args[0].value, cst.Dict):
                as_kwargs = cst.Call(func=node.func, args=[
                    cst.Arg(value=el.value, keyword=cst.Name(str(literal_str(el.key))))
                    for el in node.args[0].value.elements
                    if isinstance(el, cst.DictElement) and literal_str(el.key) and str(literal_str(el.key)).isidentifier()])
                return self._format(node.func.value, as_kwargs, env)
            if attr in ("strip", "rstrip", "lstrip", "decode", "encode") and not isinstance(
                node.func.value, (cst.SimpleString,)
            ):
                inner = node.func.value
                if isinstance(inner, cst.Call) and isinstance(inner.func, cst.Attribute) and inner.func.attr.value == "read":
                    return [(Hole("file", KeySource("file", _open_name(inner.func.value))),)]
                return self._eval(inner, env)
            if attr == "read":
                return [(Hole("file", KeySource("file", _open_name(node.func.value))),)]
            if attr == "get" and _call_arg(node, 0, "key") is not None:
                key = literal_str(_call_arg(node, 0, "key"))
                if key == "access_token" or self._is_oauth_value(node.func.value, env):
                    return [(Hole("token", KeySource("unknown", key), oauth=True),)]
                return [(Hole(key or "value", KeySource("config", f"{dotted(node.func.value)}[{key!r}]")),)]
        if name in ("str",) and node.args:
            return self._eval(node.args[0].value, env)
        if self._is_oauth_value(node, env):
            return [(Hole("token", KeySource("unknown", name), oauth=True),)]
        return [(Hole(name or "call", KeySource("unknown", f"{name}()" if name else None)),)]

    def _join(self, sep_node: cst.BaseExpression, items: cst.BaseExpression, env: Env) -> list[Sym]:
        """`" ".join(["AppKey", key])`."""
        sep = literal_str(sep_node)
        if sep is None or not isinstance(items, (cst.List, cst.Tuple)):
            return [(Hole("?", KeySource("unknown")),)]
        out: list[Sym] = [()]
        for i, el in enumerate(items.elements):
            if i:
                out = [_concat(o, (sep,)) for o in out]
            out = _product(out, self._eval(el.value, env))
        return out

    def _template(self, template_node: cst.BaseExpression, call: cst.Call, env: Env) -> list[Sym]:
        """`Template("AppKey $k").substitute(k=k)`."""
        if not (isinstance(template_node, cst.Call) and dotted(template_node.func).endswith("Template")
                and template_node.args):
            return [(Hole("?", KeySource("unknown")),)]
        text = literal_str(template_node.args[0].value)
        if text is None:
            return [(Hole("?", KeySource("unknown")),)]
        keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        out: list[Sym] = [()]
        for piece in re.split(r"(\$\{?[A-Za-z_]\w*\}?)", text):
            m = re.fullmatch(r"\$\{?([A-Za-z_]\w*)\}?", piece)
            if m and m.group(1) in keywords:
                out = _product(out, self._eval(keywords[m.group(1)], env))
            elif piece:
                out = [_concat(o, (piece,)) for o in out]
        return out


def bind_arguments(fn: FunctionInfo, call: cst.Call, env: Env) -> dict[str, tuple[cst.BaseExpression, Env]]:
    """Map a function's parameters to the argument expressions of one call."""
    params = list(fn.params)
    if params and params[0] in ("self", "cls") and (isinstance(call.func, cst.Attribute)
                                                     or fn.node.name.value == "__init__"):
        params = params[1:]
    bound: dict[str, tuple[cst.BaseExpression, Env]] = {}
    positional = [a for a in call.args if a.keyword is None and not a.star]
    for p, a in zip(params, positional):
        bound[p] = (a.value, env)
    for a in call.args:
        if a.keyword is not None and a.keyword.value in params:
            bound[a.keyword.value] = (a.value, env)
    return bound


def _format_fields(template: str) -> Iterator[tuple[str, Optional[str]]]:
    import string

    try:
        for text, fieldname, _spec, _conv in string.Formatter().parse(template):
            yield text, (fieldname.split(".")[0].split("[")[0] if fieldname is not None else None)
    except ValueError:
        yield template, None


def _open_name(node: cst.BaseExpression) -> Optional[str]:
    if isinstance(node, cst.Call) and dotted(node.func) in ("open", "io.open", "Path", "pathlib.Path"):
        return literal_str(_call_arg(node, 0, "file"))
    return dotted(node) or None


def _subscript_path(node: cst.BaseExpression) -> str:
    keys: list[str] = []
    while isinstance(node, cst.Subscript):
        k = _subscript_key(node)
        keys.append(str(k) if k is not None else "?")
        node = node.value
    base = dotted(node) or "config"
    return base + "".join(f"[{k!r}]" for k in reversed(keys))


def _function_talks_oauth(fn: FunctionInfo, index: Optional[ModuleIndex] = None, depth: int = 0) -> bool:
    """A function whose code (its strings, not its comments) names /oauth2/token or client_credentials,
    directly or through the local functions it calls."""
    if fn.names_oauth or index is None or depth >= 3:
        return fn.names_oauth
    for name in fn.callees:
        callee = index.function_named(name.rsplit(".", 1)[-1]) if name else None
        if callee is not None and callee is not fn and _function_talks_oauth(callee, index, depth + 1):
            return True
    return False
