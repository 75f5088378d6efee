"""The API-to-scope table (rules/apis.yaml) and the scope catalogue (rules/scopes.yaml).

Both are data so that a scope mapping can be corrected without touching code, and so
that every row's own examples can run as tests. Loading checks every key and reports
the first problem with a breadcrumb (`apis[3].paths[0]`), the way pre-commit does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property, lru_cache
from pathlib import Path
from typing import Any, NoReturn

from migrator.errors import RuleFileError
from migrator.resources import rules_dir

#: Row status: Documented, Client-level claim, Inferred, Blocker (no known scope).
STATUSES = ("D", "C", "I", "B")
HTTP_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS")
#: Resource types of types.Resource.
RESOURCE_TYPES = (
    "team",
    "data_pool",
    "package",
    "knowledge_model",
    "data_model",
    "ml_workbench",
    "action_engine_project",
    "storage_bucket",
    "space",
    "subscription",
    "agent",
    "asset",
)
#: How a seen scope spelling relates to its canonical form (rules/scopes.yaml).
VARIANT_KINDS = ("spelling", "unverified", "historical", "no-api", "context")

_ID = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
_PARAM = re.compile(r"\{([A-Za-z][A-Za-z0-9]*)\}")
_LITERAL_SEGMENT = re.compile(r"^[A-Za-z0-9._~$-]+$")
_EXAMPLE = re.compile(r"^(\*|[A-Z]+) (\S+)$")


@dataclass(frozen=True)
class ResourceSpec:
    """Which resource a permission is granted on, and which path parameter holds its ID."""

    type: str
    param: str | None = None
    #: Said to the admin whenever this resource is reported, so only what is always true
    #: ("package not visible in code" for a subscription ID).
    note: str | None = None


@dataclass(frozen=True)
class PathPattern:
    """A path such as `/integration/api/pools/{poolId}/**`; `/**` matches anything below, or nothing."""

    text: str
    #: Upper-case methods; empty means any method.
    methods: tuple[str, ...]
    #: Overrides the row's resource for this path (e.g. spaces under the Package Manager).
    resource: ResourceSpec | None
    #: Source of the path regex; compiled on first use (most patterns are ruled out by their prefix,
    #: so a one-file scan compiles almost none).
    source: str
    params: tuple[str, ...]
    glob: bool
    #: (literal segments, all segments, exact): larger is more specific.
    specificity: tuple[int, int, int]

    @property
    def regex(self) -> re.Pattern[str]:
        return _compiled(self.source)

    @property
    def prefix(self) -> str:
        """The literal start every matching path has: the text up to its first parameter."""
        return self.base.split("{", 1)[0]

    @property
    def base(self) -> str:
        """The pattern without its trailing `/**`."""
        return self.text[: -len("/**")] if self.glob else self.text

    def fits(self, method: str) -> bool:
        """Unknown methods ("*", "?", "") fit every pattern: the code did not say."""
        return not self.methods or method in ("*", "?", "") or method in self.methods

    def match(self, path: str) -> dict[str, str] | None:
        """Path parameters (and `tail` under `/**`) when `path` matches, else None."""
        if not path.startswith(self.prefix):
            return None
        found = self.regex.fullmatch(path)
        return None if found is None else {k: v for k, v in found.groupdict().items() if v is not None}


@dataclass(frozen=True)
class ApiRow:
    """One API: its paths, the scope it needs and the permissions behind it."""

    id: str
    name: str
    paths: tuple[PathPattern, ...]
    #: Canonical scope; None for a blocker.
    scope: str | None
    alternatives: tuple[str, ...]
    narrow_read_scope: str | None
    permissions: tuple[str, ...]
    #: Used instead of `permissions` for GET and HEAD calls, when given.
    read_permissions: tuple[str, ...]
    resource: ResourceSpec
    status: str
    #: Evidence for the permissions, when weaker than the scope's (D, C or I).
    permission_status: str
    source: str
    note: str
    match_examples: tuple[tuple[str, str], ...]
    no_match_examples: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class ScopeInfo:
    """A canonical scope as the admin UI spells it."""

    scope: str
    meaning: str
    #: Scopes to offer instead when the docs conflict (intelligence.tools:execute -> studio).
    alternatives: tuple[str, ...] = ()
    note: str | None = None


@dataclass(frozen=True)
class ScopeVariant:
    """A spelling seen in docs or code and what it means (rules/scopes.yaml `variants`)."""

    #: The spelling; a trailing `*` matches any suffix (historical `transformation-center.*`).
    seen: str
    #: Canonical scope, or None when nothing current replaces it.
    canonical: str | None
    kind: str
    where: str
    examples: tuple[str, ...]
    #: For kind "context": the API rows where docs wrote `seen` but meant `canonical`.
    apis: tuple[str, ...] = ()

    def matches(self, text: str) -> bool:
        if self.seen.endswith("*"):
            return text.startswith(self.seen[:-1])
        return text == self.seen


@dataclass(frozen=True)
class ScopeCatalog:
    scopes: tuple[ScopeInfo, ...]
    variants: tuple[ScopeVariant, ...]

    @cached_property
    def canonical(self) -> dict[str, ScopeInfo]:
        return {s.scope: s for s in self.scopes}


@dataclass(frozen=True)
class ApiTable:
    rows: tuple[ApiRow, ...]
    catalog: ScopeCatalog

    @cached_property
    def by_id(self) -> dict[str, ApiRow]:
        return {row.id: row for row in self.rows}


class _Checker:
    """Type and key checks that fail with a breadcrumb into one file."""

    def __init__(self, file: str) -> None:
        self.file = file

    def fail(self, where: str, problem: str) -> NoReturn:
        raise RuleFileError(self.file, where, problem)

    def mapping(
        self, value: Any, where: str, required: set[str], optional: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        if not isinstance(value, dict):
            self.fail(where, f"expected a mapping, got {type(value).__name__}")
        for key in value:
            if key not in required and key not in optional:
                self.fail(where, f"unknown key {key!r}")
        for key in sorted(required - set(value)):
            self.fail(where, f"missing key {key!r}")
        return value

    def items(self, value: Any, where: str) -> list[Any]:
        if not isinstance(value, list):
            self.fail(where, f"expected a list, got {type(value).__name__}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            self.fail(where, "expected a non-empty string")
        return value

    def optional_text(self, value: Any, where: str) -> str | None:
        return None if value is None else self.text(value, where)

    def texts(self, value: Any, where: str, *, allow_empty: bool = True) -> tuple[str, ...]:
        if not self.items(value, where) and not allow_empty:
            self.fail(where, "expected at least one entry")
        return tuple(self.text(item, f"{where}[{i}]") for i, item in enumerate(value))

    def choice(self, value: Any, where: str, choices: tuple[str, ...]) -> str:
        if value not in choices:
            self.fail(where, f"{value!r} is not one of {', '.join(choices)}")
        return str(value)

    def version(self, data: dict[str, Any]) -> None:
        if type(data["version"]) is not int or data["version"] != 1:
            self.fail("version", f"unsupported version {data['version']!r}; expected 1")


def _read_yaml(path: Path) -> Any:
    import yaml  # here, not at the top: a scan whose files all pass no prefilter never reads the tables

    try:
        return safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise RuleFileError(path.name, "file", f"cannot read: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}" if mark is not None else "file"
        raise RuleFileError(
            path.name, where, f"invalid YAML: {getattr(exc, 'problem', None) or exc}"
        ) from None


def safe_load(text: str) -> Any:
    """`yaml.safe_load`, with libyaml's C loader when PyYAML has it (about 10x faster on apis.yaml)."""
    import yaml

    return yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506 - safe loaders only


def _compile_segment(segment: str, check: _Checker, where: str) -> tuple[str, int]:
    """Regex for one pattern segment and whether it counts as literal (1) or not (0)."""
    if segment == "**":
        check.fail(where, "'**' is only allowed as the last segment")
    pieces = _PARAM.split(segment)
    literals, names = pieces[0::2], pieces[1::2]
    if any(lit and not _LITERAL_SEGMENT.match(lit) for lit in literals):
        check.fail(
            where, f"segment {segment!r} holds characters other than letters, digits, '.-_~$' and {{param}}"
        )
    regex = "".join(
        re.escape(lit) + (f"(?P<{names[i]}>[^/]+?)" if i < len(names) else "")
        for i, lit in enumerate(literals)
    )
    return regex, int(any(literals))


@lru_cache(maxsize=None)
def _compiled(source: str) -> re.Pattern[str]:
    return re.compile(source)


def _compile_pattern(
    text: str, check: _Checker, where: str
) -> tuple[str, tuple[str, ...], bool, tuple[int, int, int]]:
    if not text.startswith("/") or text.endswith("/") or "//" in text:
        check.fail(where, f"path {text!r} must start with '/', have no empty segment and no trailing '/'")
    glob = text.endswith("/**")
    segments = (text[: -len("/**")] if glob else text).split("/")[1:]
    compiled = [_compile_segment(segment, check, where) for segment in segments]
    params = tuple(_PARAM.findall(text))
    if len(set(params)) != len(params) or "tail" in params:
        check.fail(where, f"path {text!r} repeats a parameter name or uses the reserved name 'tail'")
    regex = "".join("/" + part for part, _ in compiled) + ("(?P<tail>/.*)?" if glob else "")
    literal_count = sum(literal for _, literal in compiled)
    return regex, params, glob, (literal_count, len(segments), int(not glob))


def _resource(value: Any, check: _Checker, where: str) -> ResourceSpec:
    data = check.mapping(value, where, {"type"}, frozenset({"param", "note"}))
    note = check.optional_text(data.get("note"), f"{where}.note")
    if note and ";" in note:
        check.fail(f"{where}.note", "';' separates merged resource notes; use ',' instead")
    return ResourceSpec(
        type=check.choice(data["type"], f"{where}.type", RESOURCE_TYPES),
        param=check.optional_text(data.get("param"), f"{where}.param"),
        note=note,
    )


def _path(value: Any, check: _Checker, where: str) -> PathPattern:
    data = check.mapping(value, where, {"path", "methods"}, frozenset({"resource"}))
    text = check.text(data["path"], f"{where}.path")
    methods = data["methods"]
    if methods == "*":
        methods = ()
    else:
        methods = tuple(
            check.choice(m, f"{where}.methods[{i}]", HTTP_METHODS)
            for i, m in enumerate(check.texts(methods, f"{where}.methods", allow_empty=False))
        )
    regex, params, glob, specificity = _compile_pattern(text, check, f"{where}.path")
    resource = _resource(data["resource"], check, f"{where}.resource") if "resource" in data else None
    if resource is not None and resource.param is not None and resource.param not in params:
        check.fail(f"{where}.resource.param", f"{resource.param!r} is not a parameter of {text!r}")
    return PathPattern(text, methods, resource, regex, params, glob, specificity)


_Pairs = tuple[tuple[str, str], ...]


def _examples(value: Any, check: _Checker, where: str) -> tuple[_Pairs, _Pairs]:
    """(match, no_match) as (method, path) pairs; no_match may never be empty."""
    data = check.mapping(value, where, {"match", "no_match"})
    parsed: list[_Pairs] = []
    for key in ("match", "no_match"):
        pairs = []
        for i, example in enumerate(check.texts(data[key], f"{where}.{key}")):
            found = _EXAMPLE.match(example)
            if found is None or found.group(1) not in HTTP_METHODS + ("*",):
                check.fail(f"{where}.{key}[{i}]", f"{example!r} is not 'METHOD /path'")
            pairs.append((found.group(1), found.group(2)))
        parsed.append(tuple(pairs))
    if not parsed[1]:
        check.fail(f"{where}.no_match", "expected at least one example")
    return parsed[0], parsed[1]


_ROW_REQUIRED = {
    "id",
    "name",
    "paths",
    "scope",
    "permissions",
    "resource",
    "status",
    "source",
    "note",
    "examples",
}
_ROW_OPTIONAL = frozenset({"alternatives", "narrow_read_scope", "read_permissions", "permission_status"})


def _scope_name(value: Any, check: _Checker, where: str, canonical: dict[str, ScopeInfo]) -> str:
    scope = check.text(value, where)
    if scope not in canonical:
        check.fail(where, f"{scope!r} is not a canonical scope of scopes.yaml")
    return scope


def _row(value: Any, check: _Checker, where: str, canonical: dict[str, ScopeInfo]) -> ApiRow:
    data = check.mapping(value, where, _ROW_REQUIRED, _ROW_OPTIONAL)
    row_id = check.text(data["id"], f"{where}.id")
    if not _ID.match(row_id):
        check.fail(f"{where}.id", f"{row_id!r} is not kebab-case")
    status = check.choice(data["status"], f"{where}.status", STATUSES)
    scope = None if data["scope"] is None else _scope_name(data["scope"], check, f"{where}.scope", canonical)
    if (scope is None) != (status == "B"):
        check.fail(f"{where}.scope", "a blocker (status B) has scope null, every other row a scope")
    paths = tuple(
        _path(p, check, f"{where}.paths[{i}]")
        for i, p in enumerate(check.items(data["paths"], f"{where}.paths"))
    )
    permissions = check.texts(data["permissions"], f"{where}.permissions", allow_empty=status == "B")
    match, no_match = _examples(data["examples"], check, f"{where}.examples")
    if bool(paths) != bool(match):
        check.fail(
            f"{where}.examples.match", "a row with paths needs match examples; a row without paths has none"
        )
    resource = _resource(data["resource"], check, f"{where}.resource")
    if resource.param is not None and not any(resource.param in p.params for p in paths):
        check.fail(f"{where}.resource.param", f"{resource.param!r} is not a parameter of any path")
    return ApiRow(
        id=row_id,
        name=check.text(data["name"], f"{where}.name"),
        paths=paths,
        scope=scope,
        alternatives=tuple(
            _scope_name(a, check, f"{where}.alternatives[{i}]", canonical)
            for i, a in enumerate(check.items(data.get("alternatives", []), f"{where}.alternatives"))
        ),
        narrow_read_scope=(
            None
            if data.get("narrow_read_scope") is None
            else _scope_name(data["narrow_read_scope"], check, f"{where}.narrow_read_scope", canonical)
        ),
        permissions=permissions,
        read_permissions=check.texts(data.get("read_permissions", []), f"{where}.read_permissions"),
        resource=resource,
        status=status,
        permission_status=check.choice(
            data.get("permission_status", status), f"{where}.permission_status", STATUSES
        ),
        source=check.text(data["source"], f"{where}.source"),
        note=check.text(data["note"], f"{where}.note"),
        match_examples=match,
        no_match_examples=no_match,
    )


def _scope_info(value: Any, check: _Checker, where: str) -> ScopeInfo:
    data = check.mapping(value, where, {"scope", "meaning"}, frozenset({"alternatives", "note"}))
    return ScopeInfo(
        scope=check.text(data["scope"], f"{where}.scope"),
        meaning=check.text(data["meaning"], f"{where}.meaning"),
        alternatives=check.texts(data.get("alternatives", []), f"{where}.alternatives"),
        note=check.optional_text(data.get("note"), f"{where}.note"),
    )


def _variant(value: Any, check: _Checker, where: str, canonical: dict[str, ScopeInfo]) -> ScopeVariant:
    data = check.mapping(
        value, where, {"seen", "canonical", "kind", "where", "examples"}, frozenset({"apis"})
    )
    kind = check.choice(data["kind"], f"{where}.kind", VARIANT_KINDS)
    seen = check.text(data["seen"], f"{where}.seen")
    target = (
        None
        if data["canonical"] is None
        else _scope_name(data["canonical"], check, f"{where}.canonical", canonical)
    )
    if target is None and kind not in ("historical", "no-api"):
        check.fail(f"{where}.canonical", f"kind {kind!r} needs a canonical scope")
    if target is not None and kind in ("historical", "no-api"):
        check.fail(f"{where}.canonical", f"kind {kind!r} has no canonical scope: use null")
    if (seen in canonical) != (kind == "context"):
        check.fail(f"{where}.seen", "only a 'context' variant may be spelled like a canonical scope")
    if ("apis" in data) != (kind == "context"):
        check.fail(f"{where}.apis", "'apis' is required for kind 'context' and allowed nowhere else")
    return ScopeVariant(
        seen=seen,
        canonical=target,
        kind=kind,
        where=check.text(data["where"], f"{where}.where"),
        examples=check.texts(data["examples"], f"{where}.examples", allow_empty=False),
        apis=check.texts(data.get("apis", []), f"{where}.apis"),
    )


def load_scopes(path: Path | None = None) -> ScopeCatalog:
    """Load rules/scopes.yaml (or `path`): the canonical scopes and the spellings seen in the wild."""
    path = path or rules_dir() / "scopes.yaml"
    check = _Checker(path.name)
    data = check.mapping(_read_yaml(path), "top level", {"version", "scopes", "variants"})
    check.version(data)
    scopes = tuple(
        _scope_info(s, check, f"scopes[{i}]") for i, s in enumerate(check.items(data["scopes"], "scopes"))
    )
    canonical: dict[str, ScopeInfo] = {}
    for i, info in enumerate(scopes):
        if info.scope in canonical:
            check.fail(f"scopes[{i}].scope", f"duplicate scope {info.scope!r}")
        canonical[info.scope] = info
    for i, info in enumerate(scopes):
        for j, alternative in enumerate(info.alternatives):
            _scope_name(alternative, check, f"scopes[{i}].alternatives[{j}]", canonical)
    variants = tuple(
        _variant(v, check, f"variants[{i}]", canonical)
        for i, v in enumerate(check.items(data["variants"], "variants"))
    )
    return ScopeCatalog(scopes, variants)


def load_table(apis: Path | None = None, scopes: Path | None = None) -> ApiTable:
    """Load and validate rules/apis.yaml against rules/scopes.yaml (or the given files)."""
    scopes = scopes or rules_dir() / "scopes.yaml"
    catalog = load_scopes(scopes)
    apis = apis or rules_dir() / "apis.yaml"
    check = _Checker(apis.name)
    data = check.mapping(_read_yaml(apis), "top level", {"version", "apis"})
    check.version(data)
    rows = tuple(
        _row(r, check, f"apis[{i}]", catalog.canonical)
        for i, r in enumerate(check.items(data["apis"], "apis"))
    )
    seen: set[str] = set()
    for i, row in enumerate(rows):
        if row.id in seen:
            check.fail(f"apis[{i}].id", f"duplicate id {row.id!r}")
        seen.add(row.id)
    for i, variant in enumerate(catalog.variants):
        for j, api in enumerate(variant.apis):
            if api not in seen:
                raise RuleFileError(scopes.name, f"variants[{i}].apis[{j}]", f"no API row {api!r}")
    return ApiTable(rows, catalog)


@lru_cache(maxsize=1)
def default_table() -> ApiTable:
    """The bundled table, loaded once per process."""
    return load_table()
