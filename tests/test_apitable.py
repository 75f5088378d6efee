"""rules/apis.yaml and rules/scopes.yaml: every example runs, and bad files fail with a breadcrumb."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from migrator.apitable import ApiTable, default_table, load_scopes, load_table
from migrator.endpoints import is_celonis_path, map_endpoint
from migrator.errors import RuleFileError
from migrator.resources import rules_dir
from migrator.scopes import normalise_scope, parse_scopes

TABLE = default_table()
BLOCKER_NOTE = "no known OAuth scope: verify with Celonis or redesign before removing the key"


def _examples(kind: str) -> list[Any]:
    return [
        pytest.param(row.id, method, path, id=f"{row.id}:{method} {path}")
        for row in TABLE.rows
        for method, path in (row.match_examples if kind == "match" else row.no_match_examples)
    ]


@pytest.mark.parametrize(("row_id", "method", "path"), _examples("match"))
def test_match_example_maps_to_its_row(row_id: str, method: str, path: str) -> None:
    endpoint = map_endpoint(method, path)
    assert endpoint is not None and endpoint.api == row_id


@pytest.mark.parametrize(("row_id", "method", "path"), _examples("no_match"))
def test_no_match_example_does_not_map_to_its_row(row_id: str, method: str, path: str) -> None:
    endpoint = map_endpoint(method, path)
    assert endpoint is None or endpoint.api != row_id


def _variant_cases() -> list[Any]:
    return [
        pytest.param(v, example, id=f"{v.kind}:{v.seen}->{v.canonical}:{example}")
        for v in TABLE.catalog.variants
        for example in v.examples
    ]


@pytest.mark.parametrize(("variant", "example"), _variant_cases())
def test_scope_variant_example(variant: Any, example: str) -> None:
    tokens = [t for t in parse_scopes(example) if variant.matches(t)]
    assert tokens, f"{example!r} does not contain {variant.seen!r}"
    for token in tokens:
        canonical, warning = normalise_scope(token)
        if variant.kind == "context":
            assert (canonical, warning) == (token, None)
            assert {TABLE.by_id[api].scope for api in variant.apis} == {variant.canonical}
        else:
            assert canonical == variant.canonical
            assert (warning is None) == (variant.kind == "spelling")


@pytest.mark.parametrize("scope", [s.scope for s in TABLE.catalog.scopes])
def test_canonical_scope_normalises_to_itself(scope: str) -> None:
    assert normalise_scope(scope) == (scope, None)


def test_catalog_has_the_37_scopes_of_the_reference() -> None:
    assert len(TABLE.catalog.canonical) == 37
    assert TABLE.catalog.canonical["intelligence.tools:execute"].alternatives == ("studio",)
    assert "openid" not in TABLE.catalog.canonical


def test_table_covers_every_api_of_the_reference() -> None:
    expected = {
        # 4.1
        "audit-log",
        "platform-adoption",
        "team-login-history",
        "team-members",
        "permissions-export",
        "scim",
        "knowledge-model",
        "event-subscription",
        "chat",
        "tools-api",
        "mcp-server-asset",
        "ml-workbench",
        "data-push",
        "continuous-data-push",
        "standard-data-ingestion",
        "data-job-execution",
        "process-data-model",
        # 4.2
        "data-integration",
        "data-models",
        "pql-export",
        "replication",
        "package-manager",
        "pacman-config",
        "semantic-layer",
        "action-engine-skills",
        "storage-manager",
        "action-flows",
        # 5.1
        "cloud-api",
        "cloud-permissions",
        "cloud-team",
        "team-api-legacy",
        "team-audit-csv",
        "data-consumption",
        "process-analytics",
        "pql-language",
        "cpm-ems-migrator",
        "process-automation",
        "process-mining",
        "transformation-center",
        "process-repository",
    }
    assert {row.id for row in TABLE.rows} == expected


@pytest.mark.parametrize("row", TABLE.rows, ids=lambda r: r.id)
def test_row_is_consistent(row: Any) -> None:
    assert all(is_celonis_path(p.base) for p in row.paths), "every path is under a Celonis service prefix"
    if row.status == "B":
        assert row.note.startswith(BLOCKER_NOTE) and not row.permissions
    else:
        assert row.scope not in row.alternatives
        assert row.source.startswith("https://")


def test_rows_without_published_paths_are_the_two_the_reference_names() -> None:
    assert {row.id for row in TABLE.rows if not row.paths} == {"tools-api", "standard-data-ingestion"}


def test_default_table_is_loaded_once() -> None:
    assert default_table() is default_table()


def test_explicit_paths_load_the_same_table() -> None:
    table = load_table(rules_dir() / "apis.yaml", rules_dir() / "scopes.yaml")
    assert isinstance(table, ApiTable) and table.rows == TABLE.rows


# ---- validation -------------------------------------------------------------------------------

GOOD_ROW: dict[str, Any] = {
    "id": "audit-log",
    "name": "Audit Log API",
    "paths": [{"path": "/log/api/external/audit", "methods": ["GET"]}],
    "scope": "audit.log:read",
    "permissions": ["Audit Log API"],
    "resource": {"type": "team"},
    "status": "D",
    "source": "https://developer.celonis.com/celonis-apis/audit-log-api/",
    "note": "Team permission.",
    "examples": {"match": ["GET /log/api/external/audit"], "no_match": ["POST /log/api/external/audit"]},
}


def _bad_row(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    row = copy.deepcopy(GOOD_ROW)
    row["id"] = "second-row"
    change(row)
    return row


_DELETE = object()


def _set(key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """A change to a copy of GOOD_ROW: set (or delete) the value at a dotted key."""

    def change(row: dict[str, Any]) -> None:
        target: Any = row
        *parents, last = key.split(".")
        for part in parents:
            target = target[int(part)] if part.isdigit() else target[part]
        if value is _DELETE:
            del target[last]
        else:
            target[last] = value

    return change


ROW_CASES = [
    pytest.param(_set("colour", "red"), "apis[1]", "unknown key 'colour'", id="unknown-key"),
    pytest.param(_set("scope", _DELETE), "apis[1]", "missing key 'scope'", id="missing-key"),
    pytest.param(_set("status", "X"), "apis[1].status", "'X' is not one of D, C, I, B", id="bad-status"),
    pytest.param(_set("scope", "audit.log"), "apis[1].scope", "not a canonical scope", id="variant-scope"),
    pytest.param(_set("scope", "Audit.Log:read"), "apis[1].scope", "not a canonical scope", id="case-scope"),
    pytest.param(_set("status", "B"), "apis[1].scope", "blocker", id="blocker-with-scope"),
    pytest.param(_set("scope", None), "apis[1].scope", "blocker", id="null-scope-not-blocker"),
    pytest.param(
        _set("alternatives", ["studio", "stuido"]), "apis[1].alternatives[1]", "not a canonical", id="alt"
    ),
    pytest.param(
        _set("narrow_read_scope", "read"), "apis[1].narrow_read_scope", "not a canonical", id="narrow"
    ),
    pytest.param(_set("id", "AuditLog"), "apis[1].id", "kebab-case", id="id-case"),
    pytest.param(_set("id", "audit-log"), "apis[1].id", "duplicate id 'audit-log'", id="duplicate-id"),
    pytest.param(_set("permissions", []), "apis[1].permissions", "at least one", id="no-permissions"),
    pytest.param(
        _set("permissions", "Audit Log API"), "apis[1].permissions", "expected a list", id="perm-str"
    ),
    pytest.param(_set("paths", {"path": "/x"}), "apis[1].paths", "expected a list", id="paths-mapping"),
    pytest.param(_set("paths.0.methods", ["FETCH"]), "apis[1].paths[0].methods[0]", "'FETCH'", id="method"),
    pytest.param(
        _set("paths.0.methods", "GET"), "apis[1].paths[0].methods", "expected a list", id="methods-str"
    ),
    pytest.param(
        _set("paths.0.path", "log/api"), "apis[1].paths[0].path", "must start with '/'", id="no-slash"
    ),
    pytest.param(_set("paths.0.path", "/log/"), "apis[1].paths[0].path", "trailing", id="trailing-slash"),
    pytest.param(_set("paths.0.path", "/a/**/b"), "apis[1].paths[0].path", "'**'", id="inner-glob"),
    pytest.param(_set("paths.0.path", "/a/{x}/{x}"), "apis[1].paths[0].path", "repeats", id="repeated-param"),
    pytest.param(_set("paths.0.path", "/a/b c"), "apis[1].paths[0].path", "characters", id="space"),
    pytest.param(
        _set("paths.0.verb", "GET"), "apis[1].paths[0]", "unknown key 'verb'", id="path-unknown-key"
    ),
    pytest.param(
        _set("paths.0.resource", {"type": "data_pool", "param": "poolId"}),
        "apis[1].paths[0].resource.param",
        "not a parameter",
        id="path-resource-param",
    ),
    pytest.param(_set("resource", {"type": "pool"}), "apis[1].resource.type", "'pool'", id="resource-type"),
    pytest.param(
        _set("resource", {"type": "data_pool", "param": "poolId"}),
        "apis[1].resource.param",
        "not a parameter",
        id="resource-param",
    ),
    pytest.param(
        _set("resource", {"type": "team", "note": "a; b"}), "apis[1].resource.note", "';'", id="resource-note"
    ),
    pytest.param(
        _set("examples.match", ["/log/api/external/audit"]),
        "apis[1].examples.match[0]",
        "METHOD",
        id="example-no-method",
    ),
    pytest.param(
        _set("examples.match", []), "apis[1].examples.match", "needs match examples", id="no-match-ex"
    ),
    pytest.param(
        _set("examples.no_match", []), "apis[1].examples.no_match", "at least one", id="no-no-match"
    ),
    pytest.param(_set("examples.maybe", []), "apis[1].examples", "unknown key 'maybe'", id="examples-key"),
    pytest.param(_set("name", ""), "apis[1].name", "non-empty string", id="empty-name"),
    pytest.param(_set("permission_status", "U"), "apis[1].permission_status", "'U'", id="permission-status"),
]


def _write(tmp_path: Path, name: str, data: Any) -> Path:
    path = tmp_path / name
    path.write_text(
        data if isinstance(data, str) else yaml.safe_dump(data, sort_keys=False), encoding="utf-8"
    )
    return path


#: A small scopes.yaml for row tests; the bundled one names rows these tests do not have.
SCOPES = {
    "version": 1,
    "scopes": [{"scope": "studio", "meaning": "Studio."}, {"scope": "audit.log:read", "meaning": "Audit."}],
    "variants": [],
}


def _load_error(apis: Path, scopes: Path | None = None) -> RuleFileError:
    with pytest.raises(RuleFileError) as info:
        load_table(apis, scopes or _write(apis.parent, "scopes.yaml", SCOPES))
    return info.value


@pytest.mark.parametrize(("change", "where", "problem"), ROW_CASES)
def test_bad_row_fails_with_breadcrumb(tmp_path: Path, change: Any, where: str, problem: str) -> None:
    apis = _write(tmp_path, "apis.yaml", {"version": 1, "apis": [GOOD_ROW, _bad_row(change)]})
    error = _load_error(apis)
    assert (error.file, error.where) == ("apis.yaml", where)
    assert problem in error.problem
    assert str(error) == f"apis.yaml: at {where}: {error.problem}"


def test_good_rows_load(tmp_path: Path) -> None:
    apis = _write(tmp_path, "apis.yaml", {"version": 1, "apis": [GOOD_ROW, _bad_row(lambda row: None)]})
    scopes = _write(tmp_path, "scopes.yaml", SCOPES)
    assert [r.id for r in load_table(apis, scopes).rows] == ["audit-log", "second-row"]


@pytest.mark.parametrize(
    ("text", "where", "problem"),
    [
        pytest.param("version: 2\napis: []\n", "version", "unsupported version 2", id="version"),
        pytest.param("version: true\napis: []\n", "version", "unsupported version", id="version-bool"),
        pytest.param("version: 1\napis: []\nextra: 1\n", "top level", "unknown key 'extra'", id="top-key"),
        pytest.param("version: 1\n", "top level", "missing key 'apis'", id="top-missing"),
        pytest.param("- 1\n", "top level", "expected a mapping", id="top-list"),
        pytest.param("version: 1\napis: [\n", "line 3", "invalid YAML", id="yaml-syntax"),
        pytest.param("version: 1\napis:\n  - 3\n", "apis[0]", "expected a mapping", id="row-int"),
    ],
)
def test_bad_file_fails_with_breadcrumb(tmp_path: Path, text: str, where: str, problem: str) -> None:
    error = _load_error(_write(tmp_path, "apis.yaml", text))
    assert error.where == where and problem in error.problem


def test_missing_file_is_a_rule_file_error(tmp_path: Path) -> None:
    error = _load_error(tmp_path / "apis.yaml")
    assert (error.file, error.where) == ("apis.yaml", "file")


def test_python_tags_are_refused(tmp_path: Path) -> None:
    error = _load_error(
        _write(tmp_path, "apis.yaml", "version: !!python/object/apply:os.getcwd []\napis: []\n")
    )
    assert "invalid YAML" in error.problem


def _variant(**changes: Any) -> dict[str, Any]:
    variant = {
        "seen": "audit.log",
        "canonical": "audit.log:read",
        "kind": "spelling",
        "where": "docs",
        "examples": ["audit.log"],
    }
    variant.update(changes)
    return {k: v for k, v in variant.items() if v is not _DELETE}


@pytest.mark.parametrize(
    ("data", "where", "problem"),
    [
        pytest.param(
            {**SCOPES, "scopes": SCOPES["scopes"] * 2}, "scopes[2].scope", "duplicate", id="duplicate"
        ),
        pytest.param(
            {**SCOPES, "scopes": [{"scope": "studio"}]}, "scopes[0]", "missing key 'meaning'", id="meaning"
        ),
        pytest.param(
            {**SCOPES, "scopes": [{"scope": "studio", "meaning": "m", "alternatives": ["x"]}]},
            "scopes[0].alternatives[0]",
            "not a canonical",
            id="scope-alt",
        ),
        pytest.param(
            {**SCOPES, "variants": [_variant(canonical="audit.log:write")]},
            "variants[0].canonical",
            "not a canonical",
            id="variant-target",
        ),
        pytest.param(
            {**SCOPES, "variants": [_variant(kind="historical")]},
            "variants[0].canonical",
            "use null",
            id="historical-with-target",
        ),
        pytest.param(
            {**SCOPES, "variants": [_variant(canonical=None)]},
            "variants[0].canonical",
            "needs a canonical",
            id="spelling-without-target",
        ),
        pytest.param(
            {**SCOPES, "variants": [_variant(kind="typo")]}, "variants[0].kind", "'typo'", id="kind"
        ),
        pytest.param(
            {**SCOPES, "variants": [_variant(seen="studio")]},
            "variants[0].seen",
            "context",
            id="canonical-seen",
        ),
        pytest.param(
            {**SCOPES, "variants": [_variant(seen="studio", kind="context")]},
            "variants[0].apis",
            "required",
            id="context-without-apis",
        ),
        pytest.param(
            {**SCOPES, "variants": [_variant(apis=["audit-log"])]},
            "variants[0].apis",
            "allowed nowhere else",
            id="apis-on-spelling",
        ),
        pytest.param(
            {**SCOPES, "variants": [_variant(examples=[])]},
            "variants[0].examples",
            "at least one",
            id="no-examples",
        ),
    ],
)
def test_bad_scopes_file_fails_with_breadcrumb(tmp_path: Path, data: Any, where: str, problem: str) -> None:
    with pytest.raises(RuleFileError) as info:
        load_scopes(_write(tmp_path, "scopes.yaml", data))
    assert (info.value.file, info.value.where) == ("scopes.yaml", where)
    assert problem in info.value.problem


def test_context_variant_must_name_existing_rows(tmp_path: Path) -> None:
    scopes = _write(
        tmp_path,
        "scopes.yaml",
        {**SCOPES, "variants": [_variant(seen="studio", kind="context", apis=["no-such-row"])]},
    )
    apis = _write(tmp_path, "apis.yaml", {"version": 1, "apis": [GOOD_ROW]})
    error = _load_error(apis, scopes)
    assert (error.file, error.where) == ("scopes.yaml", "variants[0].apis[0]")
