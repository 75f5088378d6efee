"""Find static Celonis keys in Python code with a read-only LibCST pass.

How it decides, in order:
1. *Sinks*: every place an `Authorization` header value is built (dict literal,
   `x["Authorization"] = ...`, `add_header`, `dict(Authorization=...)`,
   `.update(Authorization=...)`) and every pycelonis `get_celonis(...)` login.
2. *Value*: the header value is folded to symbolic strings; it must start with the
   `AppKey` or `Bearer` scheme (a scheme chosen at run time gives both). The rest
   is traced to its source; a value from an OAuth token response, `oauth2()` or a
   function that calls `/oauth2/token`, or a JWT literal, is OAuth and not reported.
3. *Target*: the header is followed through variables, returned dicts, `**`
   merges, sessions and clients to the HTTP calls that send it; their URLs are
   folded and mapped to Celonis APIs. A header that only reaches non-Celonis hosts
   is not reported; one whose target cannot be resolved is reported only when the
   module shows other Celonis evidence, and then with lower confidence.
"""

from __future__ import annotations

import dataclasses
import os
import re
import time
from dataclasses import dataclass
from functools import cached_property
from typing import Iterable, Mapping, Optional

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

from migrator import endpoints as ep
from migrator.detect import prefilters
from migrator.detect.pyindex import (
    ENV_CALLS,
    Env,
    Evaluator,
    FunctionInfo,
    Hole,
    ModuleIndex,
    Sym,
    _call_arg,
    bind_arguments,
    build_index,
    child_nodes,
    dotted,
    literal_str,
    sym_text,
)
from migrator.findings import make_finding
from migrator.types import Endpoint, Finding, KeySource, SourceFile

HTTP_VERBS = {"get", "post", "put", "patch", "delete", "head", "options"}
_METHODS = {v.upper() for v in HTTP_VERBS}
_REQUEST_VERBS = {"request", "stream", "send"}
_CLIENT_CTORS = re.compile(r"(^|\.)(Session|Client|AsyncClient|ClientSession|PoolManager)$")
_SCHEME = re.compile(r"^\s*(AppKey|Bearer)(?:\s+|$)(.*)$", re.S | re.I)
_CELONIS_NAME = re.compile(r"(?i)celonis")

def prefilter(text: str) -> bool:
    """Cheap keyword check: can this Python file contain a finding at all?"""
    return prefilters.python(text)


@dataclass
class _Sink:
    node: cst.CSTNode  # what the finding points at
    value: Optional[cst.BaseExpression]
    owner: Optional[FunctionInfo]
    #: expression node that carries the header onward (a dict), or None
    seed: Optional[cst.CSTNode]
    #: name/self-attr that becomes a carrier directly (receiver of x.headers[...] = ...)
    receiver: Optional[cst.BaseExpression]


@dataclass
class _KeyInfo:
    schemes: set[str]
    source: KeySource
    literal: Optional[str]
    notes: list[str]


def scan(source: SourceFile, extra_hosts: tuple[str, ...] = ()) -> list[Finding]:
    """Detector entry point (see migrator.detect)."""
    return scan_python(source.path, source.text, extra_hosts=extra_hosts)


#: Seconds one file may take before it is skipped with reason "timeout" (CI must never stall).
TIME_BUDGET_S = float(os.environ.get("CELONIS_MIGRATOR_FILE_BUDGET", "30"))


def scan_python(path: str, text: str, *, extra_hosts: Iterable[str] = (), line_offset: int = 0) -> list[Finding]:
    """Scan Python source. Raises libcst.ParserSyntaxError on unparsable code (the caller skips the file)
    and ScanTimeout when the analysis runs past the per-file budget."""
    deadline = time.monotonic() + TIME_BUDGET_S
    module = cst.parse_module(text)
    return _Detector(path, module, tuple(extra_hosts), line_offset, deadline).run()


class _Detector:
    def __init__(self, path: str, module: cst.Module, extra_hosts: tuple[str, ...],
                 line_offset: int, deadline: Optional[float] = None) -> None:
        self.path = path
        self.module = module
        self.extra_hosts = extra_hosts
        self.line_offset = line_offset
        self.index: ModuleIndex = build_index(module)
        self.parent = self.index.parent
        self.ev = Evaluator(self.index, deadline)
        self.fingerprints: dict[str, int] = {}
        self._refs_cache: dict[int, list[tuple[str, str]]] = {}

    @cached_property
    def positions(self) -> Mapping[cst.CSTNode, CodeRange]:
        """Computed on first use, as many files never need a position. The provider is run directly:
        `MetadataWrapper.resolve` would add a full (empty) batched visitor pass over the tree."""
        return PositionProvider()._gen(MetadataWrapper(self.module, unsafe_skip_copy=True))

    @cached_property
    def _function_of(self) -> dict[int, FunctionInfo]:
        """id(FunctionDef) -> its FunctionInfo, for the definitions the index kept."""
        return {id(f.node): f for f in self.index.functions.values()}

    # ------------------------------------------------------------------ evidence
    def _module_evidence(self) -> bool:
        if self.index.imports_module("pycelonis") or self.index.imports_module("pycelonis_core"):
            return True
        for s in self.index.strings:
            if "celonis" in s.lower() and (ep.TEAM_HOST.search(s) or s.upper().startswith("CELONIS_")):
                return True
        names = list(self.index.assigns) + list(self.index.functions)
        return any(_CELONIS_NAME.search(n) for n in names)

    # ------------------------------------------------------------------ run
    def run(self) -> list[Finding]:
        findings: list[Finding] = []
        for sink in self._sinks():
            f = self._header_finding(sink)
            if f is not None:
                findings.append(f)
        findings.extend(self._pycelonis_findings())
        findings.extend(self._env_token_findings(findings))
        return findings

    # ------------------------------------------------------------------ sinks
    def _sinks(self) -> list[_Sink]:
        sinks: list[_Sink] = []
        for node in self.index.nodes:
            kind = type(node)
            if kind is cst.DictElement:
                if _is_auth_name(literal_str(node.key)):
                    sinks.append(_Sink(node, node.value, self._owner(node), self.parent(node), None))
            elif kind is cst.Assign:
                sinks.extend(self._assign_sinks(node))
            elif kind is cst.Call:
                sinks.extend(self._call_sinks(node))
            elif kind is cst.Tuple:
                if len(node.elements) == 2 and _is_auth_name(literal_str(node.elements[0].value)):
                    sinks.append(_Sink(node, node.elements[1].value, self._owner(node), self.parent(node), None))
        return sinks

    def _assign_sinks(self, node: cst.Assign) -> list[_Sink]:
        """`x["Authorization"] = ...`."""
        return [_Sink(node, node.value, self._owner(node), None, _receiver(t.target.value)) for t in node.targets
                if isinstance(t.target, cst.Subscript) and _is_auth_name(_slice_str(t.target))]

    def _call_sinks(self, node: cst.Call) -> list[_Sink]:
        """`add_header("Authorization", ...)` and the like, `dict(Authorization=...)`, `.update(Authorization=...)`."""
        name = dotted(node.func)
        attr = node.func.attr.value if isinstance(node.func, cst.Attribute) else name
        if attr in ("add_header", "putheader", "add_unredirected_header", "set", "setdefault",
                    "__setitem__") and node.args and _is_auth_name(literal_str(node.args[0].value)):
            if len(node.args) > 1:
                assert isinstance(node.func, cst.Attribute)
                return [_Sink(node, node.args[1].value, self._owner(node), None, _receiver(node.func.value))]
            return []
        sinks: list[_Sink] = []
        for a in node.args:
            if a.keyword is not None and _is_auth_name(a.keyword.value) and attr in ("dict", "update"):
                recv = _receiver(node.func.value) if isinstance(node.func, cst.Attribute) else None
                sinks.append(_Sink(a, a.value, self._owner(node), node if attr == "dict" else None, recv))
        return sinks

    def _owner(self, node: cst.CSTNode) -> Optional[FunctionInfo]:
        cur: Optional[cst.CSTNode] = node
        while cur is not None:
            fn = self._function_of.get(id(cur)) if isinstance(cur, cst.FunctionDef) else None
            if fn is not None:
                return fn
            cur = self.parent(cur)
        return None

    # ------------------------------------------------------------------ key analysis
    def _analyse_value(self, alts: list[Sym], env: Env, fn: Optional[FunctionInfo]) -> Optional[_KeyInfo]:
        schemes: set[str] = set()
        sources: list[tuple[KeySource, Optional[str], list[str]]] = []
        for sym in alts:
            if not sym or not isinstance(sym[0], str):
                continue
            m = _SCHEME.match(sym[0])
            if not m:
                continue
            scheme = "AppKey" if m.group(1).lower() == "appkey" else "Bearer"
            rest: Sym = ((m.group(2),) if m.group(2) else ()) + sym[1:]
            holes = [p for p in rest if isinstance(p, Hole)]
            if holes:
                hole = holes[0]
                if hole.oauth and scheme == "Bearer":
                    continue  # an OAuth access token; an AppKey header is never one, whatever its name
                source, literal, notes = self._trace_hole(hole, fn)
                if source is None and scheme == "Bearer":  # traced to OAuth at a call site
                    continue
                source = source or hole.source
            else:
                literal = "".join(p for p in rest if isinstance(p, str)).strip()
                if literal.startswith("eyJ") and literal.count(".") == 2:
                    continue  # a JWT: an OAuth access token, not a static key
                source, notes = KeySource("literal"), []
            schemes.add(scheme)
            sources.append((source, literal, notes))
        if not schemes:
            return None
        # prefer the most informative source: literal keys first, then named sources
        order = {"literal": 0, "env": 1, "config": 2, "secret-reference": 3, "cli-argument": 4,
                 "user-input": 5, "file": 6, "parameter": 7, "unknown": 8}
        sources.sort(key=lambda s: order.get(s[0].kind, 9))
        source, literal, notes = sources[0]
        return _KeyInfo(schemes, source, literal, notes)

    def _trace_hole(self, hole: Hole, fn: Optional[FunctionInfo]) -> tuple[Optional[KeySource], Optional[str], list[str]]:
        """Follow a parameter to its callers; keep env fallbacks. (None, ...) means OAuth."""
        notes: list[str] = []
        if hole.fallback:
            notes.append(f"env var {hole.source.name} has a literal fallback in the code")
            return hole.source, hole.fallback, notes
        if hole.source.kind == "parameter" and fn is not None:
            for call, caller in self._calls_to(fn):
                bound = bind_arguments(fn, call, self.ev.function_env(caller))
                if hole.source.name in bound:
                    expr, cenv = bound[hole.source.name]
                    for sym in self.ev.strings(expr, cenv):
                        if len(sym) == 1 and isinstance(sym[0], Hole):
                            h = sym[0]
                            if h.oauth:
                                return None, None, notes
                            if h.fallback:
                                notes.append(f"env var {h.source.name} has a literal fallback in the code")
                                return h.source, h.fallback, notes
                            if h.source.kind != "unknown":
                                notes.append(f"key passed in by the caller at line {self._line(call)}")
                                return h.source, None, notes
                        elif all(isinstance(p, str) for p in sym):
                            notes.append(f"key passed in by the caller at line {self._line(call)}")
                            return KeySource("literal"), "".join(sym), notes  # type: ignore[arg-type]
        return hole.source, None, notes

    def _calls_to(self, fn: FunctionInfo) -> list[tuple[cst.Call, Optional[FunctionInfo]]]:
        """Calls of a local function or method; a constructor is called by its class name."""
        name = fn.node.name.value
        if name == "__init__" and fn.class_name:
            return [(c, o) for c, o, _d in self._calls_by_last_name().get(fn.class_name, [])]
        out = []
        for call, owner, d in self._calls_by_last_name().get(name, []):
            if d == name or (fn.class_name and (d == f"self.{name}" or d.endswith(f".{name}"))):
                out.append((call, owner))
        return out

    _call_names: Optional[dict[str, list[tuple[cst.Call, Optional[FunctionInfo], str]]]] = None

    def _calls_by_last_name(self) -> dict[str, list[tuple[cst.Call, Optional[FunctionInfo], str]]]:
        """Every call indexed by the last part of its dotted name, built once per file."""
        if self._call_names is None:
            self._call_names = {}
            for call, owner in self.index.calls:
                d = dotted(call.func)
                if d:
                    self._call_names.setdefault(d.rsplit(".", 1)[-1], []).append((call, owner, d))
        return self._call_names

    # ------------------------------------------------------------------ header findings
    def _header_finding(self, sink: _Sink) -> Optional[Finding]:
        if sink.value is None:
            return None
        env = self.ev.function_env(sink.owner)
        info = self._analyse_value(self.ev.strings(sink.value, env), env, sink.owner)
        if info is None:
            return None
        calls = self._linked_calls(sink)
        endpoints, non_celonis, unresolved = self._resolve_calls(calls)
        if endpoints and all(_generic_hostless(e) for e in endpoints) and not self._module_evidence():
            endpoints, unresolved = [], True  # "/api/external/..." with an unknown host proves nothing alone
        if endpoints:
            confidence = "high" if (info.source.kind != "unknown" or "AppKey" in info.schemes) else "medium"
        elif non_celonis and not unresolved:
            return None
        else:
            named = bool(info.source.name and _CELONIS_NAME.search(info.source.name))
            if not (self._module_evidence() or named):
                return None
            confidence = "medium" if named or "AppKey" in info.schemes else "low"
            if info.source.kind == "unknown" and "Bearer" in info.schemes and "AppKey" not in info.schemes:
                confidence = "low"
        if len(info.schemes) > 1:
            rule = "celonis-runtime-scheme"
        elif "AppKey" in info.schemes:
            rule = "celonis-appkey-header"
        else:
            rule = "celonis-bearer-static-key"
        notes = list(info.notes)
        if not endpoints:
            notes.append("no Celonis call found for this header in the file; scopes cannot be planned from it")
        related = [f"{e.line}:1" for e in endpoints if e.line]
        return self._finding(rule, sink.node, info, endpoints, confidence, notes, related)

    def _finding(self, rule: str, node: cst.CSTNode, info: _KeyInfo, endpoints: list[Endpoint],
                 confidence: str, notes: list[str], related: list[str], severity: str = "medium") -> Finding:
        pos = self.positions[node]
        content = self.module.code_for_node(node)
        occ = self.fingerprints.get(content, 0)
        self.fingerprints[content] = occ + 1
        return make_finding(
            rule_id=rule,
            path=self.path,
            start=(pos.start.line + self.line_offset, pos.start.column + 1),
            end=(pos.end.line + self.line_offset, pos.end.column + 1),
            schemes=info.schemes,
            key_source=info.source,
            content=content,
            endpoints=_dedupe_endpoints(endpoints),
            literal=info.literal,
            confidence=confidence,
            language="python",
            fixable_by="fix",
            related=related,
            notes=notes,
            occurrence=occ,
            default_severity=severity,
        )

    # ------------------------------------------------------------------ carriers
    def _linked_calls(self, sink: _Sink) -> list[tuple[cst.Call, Optional[FunctionInfo], Optional[str]]]:
        """HTTP calls that send the header of `sink`, with the base URL of their client if any."""
        ancestors = self._ancestors(sink.seed) if sink.seed is not None else set()
        carriers: set[tuple[str, str]] = set()
        if sink.receiver is not None:
            carriers.add(self._carrier_key(sink.receiver, sink.owner))
        flows = self._flows()
        changed = True
        rounds = 0
        while changed and rounds < 10:
            self.ev.check_deadline()
            changed = False
            rounds += 1
            for target, expr, owner in flows:
                if target in carriers:
                    continue
                if id(expr) in ancestors or self._refs_carrier(expr, owner, carriers):
                    carriers.add(target)
                    changed = True
        linked = []
        for call, owner in self.index.calls:
            kind = self._http_call(call)
            if kind is None:
                continue
            recv = call.func.value if isinstance(call.func, cst.Attribute) else None
            hit = False
            if recv is not None and self._carrier_key(_receiver(recv), owner) in carriers:
                hit = True
            for a in call.args:
                if id(a.value) in ancestors or self._refs_carrier(a.value, owner, carriers):
                    hit = True
            if id(call) in ancestors:
                hit = True
            holder = self.parent(call)  # `req = Request(url)` and later `req.add_header(...)`
            if isinstance(holder, cst.Assign) and any(
                    self._carrier_key(t.target, owner) in carriers for t in holder.targets):
                hit = True
            if hit:
                linked.append((call, owner, self._base_url(recv, owner) if recv is not None else None))
        return linked

    def _ancestors(self, node: cst.CSTNode) -> set[int]:
        out = set()
        cur: Optional[cst.CSTNode] = node
        while cur is not None and not isinstance(cur, cst.Module):
            out.add(id(cur))
            cur = self.parent(cur)
        return out

    def _carrier_key(self, expr: Optional[cst.BaseExpression], owner: Optional[FunctionInfo]) -> tuple[str, str]:
        if expr is None:
            return ("", "")
        name = dotted(expr)
        if name.startswith("self.") and owner is not None and owner.class_name:
            return (f"class:{owner.class_name}", name[5:])
        if isinstance(expr, cst.Name):
            scope = self._scope_of(expr.value, owner)
            return (scope, expr.value)
        return ("expr", name)

    def _scope_of(self, name: str, owner: Optional[FunctionInfo]) -> str:
        fn = owner
        while fn is not None:
            if name in fn.assigns or name in fn.params:
                return fn.qualname
            fn = fn.parent
        return ""

    _flow_cache: Optional[list[tuple[tuple[str, str], cst.BaseExpression, Optional[FunctionInfo]]]] = None

    def _flows(self) -> list[tuple[tuple[str, str], cst.BaseExpression, Optional[FunctionInfo]]]:
        """(carrier target, expression, scope) for every assignment, return and header update."""
        if self._flow_cache is not None:
            return self._flow_cache
        flows: list[tuple[tuple[str, str], cst.BaseExpression, Optional[FunctionInfo]]] = []
        for name, exprs in self.index.assigns.items():
            flows.extend((("", name), e, None) for e in exprs)
        for fn in self.index.functions.values():
            for name, exprs in fn.assigns.items():
                flows.extend(((fn.qualname, name), e, fn) for e in exprs)
            flows.extend((("fn", fn.qualname), r, fn) for r in fn.returns)
        for cls, attrs in self.index.attrs.items():
            for attr, exprs in attrs.items():
                for e in exprs:
                    owner = next((f for f in self.index.functions.values()
                                  if f.class_name == cls and self.index.encloses(f.node, e)), None)
                    flows.append(((f"class:{cls}", attr), e, owner))
        for call, owner in self.index.calls:
            if isinstance(call.func, cst.Attribute) and call.func.attr.value in ("update", "setdefault", "extend"):
                recv = _receiver(call.func.value)
                for a in call.args:
                    flows.append((self._carrier_key(recv, owner), a.value, owner))
            callee = self.ev._callee(call)
            if callee is not None:  # a header dict passed to a local function travels in its parameter
                for param, (expr, _env) in bind_arguments(callee, call, self.ev.function_env(owner)).items():
                    flows.append(((callee.qualname, param), expr, owner))
        self._flow_cache = flows
        return flows

    def _refs_carrier(self, expr: cst.BaseExpression, owner: Optional[FunctionInfo],
                      carriers: set[tuple[str, str]]) -> bool:
        if not carriers:
            return False
        refs = self._refs_cache.get(id(expr))
        if refs is None:
            refs = self._refs_cache[id(expr)] = _references(expr)
        for kind, value in refs:
            if kind == "name" and (self._scope_of(value, owner), value) in carriers:
                return True
            if kind == "self" and owner is not None and (f"class:{owner.class_name}", value) in carriers:
                return True
            if kind == "call":
                fn = self.index.functions.get(value) or (self.index.function_named(value.split(".")[-1])
                                                         if value.startswith("self.") or "." not in value else None)
                if fn is not None and ("fn", fn.qualname) in carriers:
                    return True
        return False

    # ------------------------------------------------------------------ HTTP calls
    def _http_call(self, call: cst.Call) -> Optional[str]:
        name = dotted(call.func)
        last = name.rsplit(".", 1)[-1] if name else (
            call.func.attr.value if isinstance(call.func, cst.Attribute) else "")
        if last in HTTP_VERBS or last in _REQUEST_VERBS or last in ("Request", "urlopen", "api_request"):
            return last
        return None

    def _call_method_url(self, call: cst.Call) -> tuple[str, Optional[cst.BaseExpression]]:
        kind = self._http_call(call) or ""
        if kind in HTTP_VERBS:
            return kind.upper(), _call_arg(call, 0, "url")
        if kind in ("request", "stream"):
            m = literal_str(_call_arg(call, 0, "method"))
            return (m or "?").upper(), _call_arg(call, 1, "url")
        if kind == "Request" and (literal_str(_call_arg(call, 0, "method")) or "").upper() in _METHODS:
            return str(literal_str(_call_arg(call, 0, "method"))).upper(), _call_arg(call, 1, "url")  # requests
        if kind == "Request":
            m = literal_str(_call_arg(call, 3, "method")) or literal_str(_call_arg(call, 99, "method"))
            data = _call_arg(call, 1, "data")
            return (m or ("POST" if data is not None else "GET")).upper(), _call_arg(call, 0, "url")
        if kind == "api_request":
            m = literal_str(_call_arg(call, 99, "method"))
            return (m or "GET").upper(), _call_arg(call, 0, "url")
        if kind == "urlopen":
            return "?", _call_arg(call, 0, "url")
        return "?", None

    def _base_url(self, recv: cst.BaseExpression, owner: Optional[FunctionInfo]) -> Optional[str]:
        """base_url of an httpx-style client held in `recv`, if visible."""
        base = _receiver(recv)
        if not isinstance(base, cst.Name) and not dotted(base).startswith("self."):
            return None
        exprs: list[cst.BaseExpression] = []
        if isinstance(base, cst.Name):
            found, _env, _p = self.ev.resolve_name(base.value, self.ev.function_env(owner))
            exprs = found or []
        elif owner is not None and owner.class_name:
            exprs = self.index.attrs.get(owner.class_name, {}).get(dotted(base)[5:], [])
        for e in exprs:
            if isinstance(e, cst.Call) and _CLIENT_CTORS.search(dotted(e.func)):
                b = _call_arg(e, 99, "base_url")
                if b is not None:
                    syms = self.ev.strings(b, self.ev.function_env(owner))
                    return sym_text(syms[0]) if syms else None
        return None

    def _resolve_calls(self, calls) -> tuple[list[Endpoint], bool, bool]:  # type: ignore[no-untyped-def]
        endpoints: list[Endpoint] = []
        non_celonis = False
        unresolved = False
        for call, owner, base in calls:
            method, url_node = self._call_method_url(call)
            if isinstance(url_node, cst.Name):  # urlopen(req) where req = Request(url, ...)
                found, _env, _p = self.ev.resolve_name(url_node.value, self.ev.function_env(owner))
                ctor = found[-1] if found else None
                if isinstance(ctor, cst.Call) and self._http_call(ctor) == "Request":
                    method, url_node = self._call_method_url(ctor)
            if url_node is None:
                unresolved = True
                continue
            urls = self._urls(url_node, owner)
            if not urls:
                unresolved = True
            for url in urls:
                if base and not re.match(r"(?i)^(https?:)?//", url):
                    url = ep.join_url(base, url)
                mapped = self._map_endpoint(method, url, call)
                if mapped is not None:
                    endpoints.append(mapped)
                elif _has_concrete_host(url):
                    non_celonis = True
                else:
                    unresolved = True
        return endpoints, non_celonis, unresolved

    def _map_endpoint(self, method: str, url: str, call: cst.CSTNode) -> Optional[Endpoint]:
        """Map a call's URL; its line is looked up only for a Celonis call, as positions are costly."""
        mapped = ep.map_endpoint(method, url, extra_hosts=self.extra_hosts)
        return dataclasses.replace(mapped, line=self._line(call)) if mapped is not None else None

    def _urls(self, node: cst.BaseExpression, owner: Optional[FunctionInfo]) -> list[str]:
        """URL strings for a call, binding the enclosing function's parameters at each caller."""
        envs: list[Env] = []
        if owner is not None:
            for c, caller in self._calls_to(owner)[:4]:
                envs.append(Env(self.index, owner, bind_arguments(owner, c, self.ev.function_env(caller))))
        if not envs:
            envs = [self.ev.function_env(owner)]
        out: list[str] = []
        for env in envs:
            for sym in self.ev.strings(node, env):
                if sym and isinstance(sym[0], Hole) and sym[0].source.kind == "unknown" and isinstance(node, cst.Call):
                    continue
                text = sym_text(sym)
                if text not in out:
                    out.append(text)
        return out

    # ------------------------------------------------------------------ pycelonis
    def _pycelonis_findings(self) -> list[Finding]:
        uses_pycelonis = self.index.imports_module("pycelonis") or self.index.imports_module("pycelonis_core")
        findings = []
        for call, owner in self.index.calls:
            name = dotted(call.func)
            if not (name == "get_celonis" or name.endswith(".get_celonis")):
                continue
            if not uses_pycelonis and "pycelonis" not in name:
                continue
            f = self._pycelonis_login(call, owner)
            if f is not None:
                findings.append(f)
        return findings

    def _pycelonis_args(self, call: cst.Call, owner: Optional[FunctionInfo]) -> dict[str, cst.BaseExpression]:
        args: dict[str, cst.BaseExpression] = {}
        positional = [a for a in call.args if a.keyword is None and not a.star]
        for key, a in zip(("base_url", "api_token", "key_type"), positional):
            args[key] = a.value
        for a in call.args:
            if a.keyword is not None:
                args[a.keyword.value] = a.value
            elif a.star == "**":
                d = a.value
                if isinstance(d, cst.Name):
                    found, _e, _p = self.ev.resolve_name(d.value, self.ev.function_env(owner))
                    d = found[-1] if found else d
                if isinstance(d, cst.Dict):
                    for el in d.elements:
                        if isinstance(el, cst.DictElement) and literal_str(el.key):
                            args[str(literal_str(el.key))] = el.value
        for alias in ("url", "celonis_url"):
            if alias in args and "base_url" not in args:
                args["base_url"] = args[alias]
        return args

    def _pycelonis_login(self, call: cst.Call, owner: Optional[FunctionInfo]) -> Optional[Finding]:
        args = self._pycelonis_args(call, owner)
        env = self.ev.function_env(owner)
        notes: list[str] = []
        severity = "medium"
        legacy = any(k in args for k in ("url", "celonis_url")) or self.index.imports_module("pycelonis.celonis_api")
        if legacy:
            notes.append("pycelonis 1.x style login: 1.x has no OAuth support; upgrade to pycelonis 2.x "
                         "(url=/celonis_url= become base_url=) before migrating")
        schemes = self._key_type_schemes(args.get("key_type"), env)
        token = args.get("api_token")
        literal: Optional[str] = None
        if token is None:
            source = KeySource("env", "CELONIS_API_TOKEN")
            notes.append("api_token not given: pycelonis reads CELONIS_API_TOKEN (and CELONIS_KEY_TYPE); "
                         "unset CELONIS_API_TOKEN when switching to OAUTH_* variables, pycelonis prefers it")
            if any("CELONIS_ML_APP_ID" in s for s in self.index.strings):
                notes.append("inside the ML Workbench CELONIS_API_TOKEN is the workbench's own key: verify")
                severity = "info"
        else:
            syms = self.ev.strings(token, env)
            holes = [p for s in syms for p in s if isinstance(p, Hole)]
            if holes and all(h.oauth for h in holes):
                return None
            if not holes:
                literal = "".join(p for p in syms[0] if isinstance(p, str)) if syms else None
                if literal and literal.startswith("eyJ"):
                    return None
                source = KeySource("literal")
            else:
                source, literal, more = self._trace_hole(holes[0], owner)
                if source is None:
                    return None
                notes.extend(more)
        base = args.get("base_url")
        endpoints = self._pycelonis_endpoints(call, owner, base, args)
        pos_node = call
        info = _KeyInfo(schemes, source, literal, notes)
        return self._finding("pycelonis-static-key", pos_node, info, endpoints, "high" if token is not None else "medium",
                             notes, [f"{e.line}:1" for e in endpoints if e.line and e.line != self._line(call)],
                             severity)

    def _key_type_schemes(self, node: Optional[cst.BaseExpression], env: Env) -> set[str]:
        if node is None:
            return {"AppKey", "Bearer"}
        text = dotted(node) or ""
        lit = literal_str(node)
        value = (lit or text.rsplit(".", 1)[-1]).upper()
        if not lit and isinstance(node, cst.Name):
            syms = self.ev.strings(node, env)
            if syms and len(syms[0]) == 1 and isinstance(syms[0][0], str):
                value = syms[0][0].upper()
        if value == "APP_KEY":
            return {"AppKey"}
        if value in ("USER_KEY", "BEARER"):
            return {"Bearer"}
        return {"AppKey", "Bearer"}

    def _pycelonis_endpoints(self, call: cst.Call, owner: Optional[FunctionInfo],
                             base: Optional[cst.BaseExpression], args: dict[str, cst.BaseExpression]) -> list[Endpoint]:
        origin = ""
        if base is not None:
            syms = self.ev.strings(base, self.ev.function_env(owner))
            if syms:
                origin = sym_text(syms[0]).rstrip("/")
                if origin and not origin.startswith(("http://", "https://", "{")):
                    origin = "https://" + origin
        if not origin:
            origin = "https://{team}.{realm}.celonis.cloud"
        paths = [("GET", "/api/cloud"), ("GET", "/api/team")]
        perm = args.get("permissions")
        if not (isinstance(perm, cst.Name) and perm.value == "False"):
            paths.append(("GET", "/api/cloud/permissions"))
        out = []
        for method, p in paths:
            e = self._map_endpoint(method, origin + p, call)
            if e is not None:
                out.append(e)
        out.extend(self._pycelonis_object_use(call, owner, origin))
        return out

    def _pycelonis_object_use(self, call: cst.Call, owner: Optional[FunctionInfo], origin: str) -> list[Endpoint]:
        """Map `c.data_integration.*`, `c.studio.*`, `c.api_request(url)` of the client returned by the login."""
        holder = self.parent(call)
        names: set[str] = set()
        if isinstance(holder, cst.Assign):
            for t in holder.targets:
                if isinstance(t.target, cst.Name):
                    names.add(t.target.value)
        out: list[Endpoint] = []
        if not names:
            return out
        families = {"data_integration": ("*", "/integration/api/pools"),
                    "studio": ("*", "/package-manager/api/spaces"),
                    "apps": ("*", "/package-manager/api/spaces")}
        for other, _o in self.index.calls:
            chain = dotted(other.func)
            head = chain.split(".", 1)[0]
            if head not in names or chain == head:
                continue
            parts = chain.split(".")
            if len(parts) > 2 and parts[1] in families:
                method, p = families[parts[1]]
                if parts[-1].startswith(("get", "list", "find", "read", "export", "download")):
                    method = "GET"  # read-only SDK calls need the read permission only
                e = self._map_endpoint(method, origin + p, other)
                if e is not None:
                    out.append(e)
            elif parts[-1] in ("api_request", "request"):
                method, url_node = self._call_method_url(other)
                if url_node is not None:
                    for url in self._urls(url_node, _o):
                        if not re.match(r"(?i)^(https?:)?//", url) and not url.startswith("{"):
                            url = ep.join_url(origin, url)
                        e = self._map_endpoint(method, url, other)
                        if e is not None:
                            out.append(e)
        return out

    # ------------------------------------------------------------------ CELONIS_API_TOKEN
    def _env_token_findings(self, existing: list[Finding]) -> list[Finding]:
        """Reads or assignments of CELONIS_API_TOKEN not already part of a header or login finding.

        Only real uses count: `os.environ["CELONIS_API_TOKEN"]` (read or set) and
        `os.getenv("CELONIS_API_TOKEN")`; a `del` or `pop` that removes the key is the migration itself.
        """
        if ("env", "CELONIS_API_TOKEN") in {(f.key_source.kind, f.key_source.name) for f in existing}:
            return []
        findings = []
        lines_taken = {f.line for f in existing}
        hits = [n for n in self.index.nodes
                if type(n) is cst.SimpleString and literal_str(n) == "CELONIS_API_TOKEN"]
        for node in hits:
            if not self._is_env_use(node) or self._line(node) in lines_taken:
                continue
            stmt = self._statement(node)
            literal = None
            if isinstance(stmt, cst.Assign):
                tgt = stmt.targets[0].target
                if isinstance(tgt, cst.Subscript) and dotted(tgt.value) in ("os.environ", "environ"):
                    literal = literal_str(stmt.value)
            source = KeySource("literal") if literal is not None else KeySource("env", "CELONIS_API_TOKEN")
            notes = ["the scheme depends on CELONIS_KEY_TYPE where the key is used"]
            info = _KeyInfo({"AppKey", "Bearer"}, source, literal, notes)
            findings.append(self._finding("celonis-api-token-env", stmt or node, info, [], "medium", notes, []))
            lines_taken.add(self._line(node))
        return findings

    def _is_env_use(self, node: cst.SimpleString) -> bool:
        """`os.environ["X"]` (not under `del`) or `os.getenv("X")` / `os.environ.get("X")`."""
        parent = self.parent(node)
        if isinstance(parent, cst.Index):
            sub = self.parent(self.parent(parent))
            return (isinstance(sub, cst.Subscript) and dotted(sub.value) in ("os.environ", "environ")
                    and not isinstance(self.parent(sub), cst.Del))
        if isinstance(parent, cst.Arg):
            call = self.parent(parent)
            return isinstance(call, cst.Call) and dotted(call.func) in ENV_CALLS and call.args[0] is parent
        return False

    def _statement(self, node: cst.CSTNode) -> Optional[cst.CSTNode]:
        cur: Optional[cst.CSTNode] = node
        while cur is not None and not isinstance(cur, (cst.Assign, cst.Expr, cst.AnnAssign, cst.Return)):
            cur = self.parent(cur)
        return cur or node

    def _line(self, node: cst.CSTNode) -> int:
        return self.positions[node].start.line + self.line_offset


# ---------------------------------------------------------------------- helpers
def _is_auth_name(value: Optional[str]) -> bool:
    return value is not None and value.strip().lower() == "authorization"


def _slice_str(node: cst.Subscript) -> Optional[str]:
    if len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index):
        return literal_str(node.slice[0].slice.value)
    return None


def _receiver(node: cst.BaseExpression) -> cst.BaseExpression:
    """`s.headers` -> `s`; `self._s.headers` -> `self._s`; `h` -> `h`."""
    if isinstance(node, cst.Attribute) and node.attr.value in ("headers", "default_headers", "common"):
        return _receiver(node.value)
    if isinstance(node, cst.Attribute) and node.attr.value in ("client", "session"):
        inner = node.value
        if isinstance(inner, cst.Name) and inner.value not in ("self", "cls"):
            return inner  # pycelonis' `c.client.request(...)` uses the login held in `c`
    return node


def _references(expr: cst.CSTNode) -> list[tuple[str, str]]:
    refs: list[tuple[str, str]] = []

    def walk(node: cst.CSTNode) -> None:
        if isinstance(node, cst.Name):
            refs.append(("name", node.value))
            return
        if isinstance(node, cst.Attribute):
            d = dotted(node)
            if d.startswith("self.") and d.count(".") == 1:
                refs.append(("self", node.attr.value))
                return
            walk(node.value)
            return
        if isinstance(node, cst.Call):
            d = dotted(node.func)
            if d:
                refs.append(("call", d))
            if isinstance(node.func, cst.Attribute):
                walk(node.func.value)
            for a in node.args:
                walk(a.value)
            return
        if isinstance(node, (cst.Lambda, cst.FunctionDef)):
            return
        for child in child_nodes(node):
            walk(child)

    walk(expr)
    return refs


def _generic_hostless(e: Endpoint) -> bool:
    """A path without a host whose prefix other products use too (/api/..., /scim/...)."""
    return e.host is None and e.path.startswith(("/api/", "/scim/"))


def _has_concrete_host(url: str) -> bool:
    m = re.match(r"(?i)^(?:https?:)?//([^/{}]+)(?:/|$)", url)
    return bool(m and "{" not in m.group(1))


def _dedupe_endpoints(endpoints: list[Endpoint]) -> list[Endpoint]:
    seen: dict[tuple[str, Optional[str], str], Endpoint] = {}
    for e in endpoints:
        seen.setdefault((e.method, e.url, e.path), e)
    return sorted(seen.values(), key=lambda e: (e.path, e.method, e.url or ""))
