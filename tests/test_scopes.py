"""Scope strings and plans: least privilege, dedup, blockers, stable order (celonis-apis.md §4.3, §6)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from migrator.endpoints import map_endpoint
from migrator.scopes import build_plan, merge_plans, normalise_scope, parse_scopes, weakest
from migrator.types import Blocker, Endpoint, PermissionRequirement, Resource, ScopePlan, ScopeRequirement

BASE = "https://acme.eu-1.celonis.cloud"
POOL = "aaaaaaaa-0000-4000-8000-000000000001"
POOL2 = "aaaaaaaa-0000-4000-8000-000000000009"
JOB = "bbbbbbbb-0000-4000-8000-000000000002"


def _ep(method: str, path: str) -> Endpoint:
    endpoint = map_endpoint(method, BASE + path)
    assert endpoint is not None, path
    return endpoint


DATA_PUSH = _ep("POST", f"/data-ingestion/api/v1/data-push/{POOL}/jobs")
CONTINUOUS = _ep("POST", f"/continuous-batch-processing/api/v1/{POOL}/items")
POOLS = _ep("GET", "/integration/api/pools")
JOB_RUN = _ep("POST", f"/integration/api/v2/data-pools/{POOL}/data-jobs/{JOB}/execute")
AUDIT = _ep("GET", "/log/api/external/audit")
KM = _ep("GET", "/intelligence/api/knowledge-models/acme-p2p.p2p-km/filters")
SPACES = _ep("GET", "/package-manager/api/spaces")
CLOUD = _ep("GET", "/api/cloud")
UNKNOWN = _ep("GET", "/foo/bar")


@pytest.mark.parametrize(
    ("text", "scopes"),
    [
        ("studio integration.data-pools", ("studio", "integration.data-pools")),
        ("studio,integration.data-pools", ("studio", "integration.data-pools")),
        ("  studio ,\n\tpackage-manager  ", ("studio", "package-manager")),
        ("\"studio\" 'audit.log:read'", ("studio", "audit.log:read")),
        ('["studio", "package-manager"]', ("studio", "package-manager")),
        ("studio studio", ("studio",)),
        ("", ()),
        (" , ", ()),
    ],
)
def test_parse_scopes(text: str, scopes: tuple[str, ...]) -> None:
    assert parse_scopes(text) == scopes


@pytest.mark.parametrize(
    ("text", "canonical", "warning"),
    [
        pytest.param("audit.log:read", "audit.log:read", None, id="canonical"),
        pytest.param(" 'studio' ", "studio", None, id="quoted"),
        pytest.param(
            "integration.data-pools:data-push", "integration.data-pools:data_push", None, id="hyphen"
        ),
        pytest.param(
            "integration.data-pools:datapush", "integration.data-pools:data_push", None, id="squashed"
        ),
        pytest.param(
            "integration.data-pools:continuousdata_push",
            "integration.data-pools:continuous_data_push",
            None,
            id="continuous-squashed",
        ),
        pytest.param("audit.log", "audit.log:read", None, id="no-suffix"),
        pytest.param("team.user-group-info", "team.user-group-info:read", None, id="team-no-suffix"),
        pytest.param("packages:read", "studio.packages:read", "unverified", id="unverified"),
        pytest.param("studio.spaces", None, "historical", id="historical"),
        pytest.param("transformation-center.data-jobs", None, "historical", id="historical-wildcard"),
        pytest.param("openid", None, "no Celonis API access", id="openid"),
        pytest.param("Audit.Log:Read", "audit.log:read", "only in case", id="case-only"),
        pytest.param("AUDIT.LOG", "audit.log:read", "only in case", id="case-of-variant"),
        pytest.param("Studio.Spaces", None, "historical", id="case-of-historical"),
        pytest.param("studio.everything", None, "unknown scope", id="unknown"),
        pytest.param("intelligence.tools:execute", "intelligence.tools:execute", None, id="developer-only"),
    ],
)
def test_normalise_scope(text: str, canonical: str | None, warning: str | None) -> None:
    got, said = normalise_scope(text)
    assert got == canonical
    if warning is None:
        assert said is None
    else:
        assert said is not None and warning in said


def test_weakest_basis() -> None:
    assert weakest("D", "C") == "C" and weakest("D", "I", "C") == "I" and weakest("D") == "D"


def test_data_push_alone_keeps_its_narrow_scope() -> None:
    plan = build_plan([DATA_PUSH])
    assert plan.scopes == (
        ScopeRequirement(
            "integration.data-pools:data_push", "D", ("data-push",), ("integration.data-pools",)
        ),
    )
    assert plan.permissions == (
        PermissionRequirement("Data Push API", Resource("data_pool", id=POOL), "D", ("data-push",)),
    )


def test_push_sub_scopes_stay_side_by_side_without_the_broad_scope() -> None:
    plan = build_plan([DATA_PUSH, CONTINUOUS])
    assert plan.scope_string == "integration.data-pools:continuous_data_push integration.data-pools:data_push"


@pytest.mark.parametrize("other", [POOLS, JOB_RUN], ids=["client-level", "documented"])
def test_broad_pool_scope_replaces_sub_scopes(other: Endpoint) -> None:
    plan = build_plan([DATA_PUSH, CONTINUOUS, other])
    assert [s.scope for s in plan.scopes] == ["integration.data-pools"]
    (scope,) = plan.scopes
    assert scope.apis == tuple(sorted(("data-push", "continuous-data-push", other.api or "")))
    assert scope.basis == "I"  # continuous push's mapping is inferred
    assert scope.alternatives == ()


def test_basis_is_the_weakest_evidence() -> None:
    assert build_plan([JOB_RUN]).scopes[0].basis == "D"
    assert build_plan([JOB_RUN, POOLS]).scopes[0].basis == "C"


def test_permission_basis_can_be_weaker_than_the_scope() -> None:
    plan = build_plan([_ep("GET", "/api/authorization/external/permissions")])
    assert plan.scopes[0].basis == "D"
    assert [(p.permission, p.basis) for p in plan.permissions] == [("Use API", "I")]


def test_alternatives_are_carried() -> None:
    (scope,) = build_plan([SPACES]).scopes
    assert (scope.scope, scope.alternatives, scope.basis) == ("studio", ("package-manager",), "C")


def test_permissions_are_deduplicated_per_resource() -> None:
    same = [_ep("POST", f"/integration/api/v1/data-push/{POOL}/jobs/{JOB}/chunks/upserted"), DATA_PUSH]
    other_pool = _ep("POST", f"/integration/api/v1/data-push/{POOL2}/jobs")
    plan = build_plan(same + [other_pool])
    assert [(p.permission, p.resource.id) for p in plan.permissions] == [
        ("Data Push API", POOL),
        ("Data Push API", POOL2),
    ]


def test_placeholder_notes_are_combined() -> None:
    a = map_endpoint("GET", "/integration/api/pools/{pool}/data-models")
    b = map_endpoint("GET", "/integration/api/pools/{POOL_ID}/data-models")
    assert a is not None and b is not None
    (perm,) = build_plan([a, b]).permissions
    assert perm.resource == Resource(
        "data_pool", placeholder="{poolId}", note="ID from {POOL_ID} in the code; ID from {pool} in the code"
    )


def test_team_level_permissions() -> None:
    plan = build_plan([AUDIT, AUDIT, KM])
    assert [(p.permission, p.resource.type) for p in plan.permissions] == [
        ("Audit Log API", "team"),
        ("USE PACKAGE", "knowledge_model"),
    ]
    assert plan.scope_string == "audit.log:read intelligence.knowledge-models:read"


def test_blockers_one_per_method_and_path() -> None:
    any_method = map_endpoint("*", "/api/cloud")
    assert any_method is not None
    plan = build_plan([CLOUD, CLOUD, any_method, _ep("GET", "/api/team")])
    assert [(b.method, b.path, b.api) for b in plan.blockers] == [
        ("*", "/api/cloud", "cloud-api"),
        ("GET", "/api/cloud", "cloud-api"),
        ("GET", "/api/team", "team-api-legacy"),
    ]
    assert all(b.reason.startswith("no known OAuth scope: verify with Celonis") for b in plan.blockers)
    assert plan.scopes == () and plan.permissions == ()


def test_unknown_paths_are_listed() -> None:
    plan = build_plan([UNKNOWN, UNKNOWN, AUDIT])
    assert plan.unknown == ("GET /foo/bar",)
    assert plan.scope_string == "audit.log:read"


def test_empty_plan() -> None:
    assert build_plan([]) == ScopePlan()


ALL = [
    DATA_PUSH,
    CONTINUOUS,
    POOLS,
    JOB_RUN,
    AUDIT,
    KM,
    SPACES,
    CLOUD,
    UNKNOWN,
    _ep("PATCH", "/intelligence/api/subscriptions/s-1/pause"),
    _ep("GET", "/api/team"),
]


@given(st.permutations(ALL))
def test_plan_does_not_depend_on_order(endpoints: list[Endpoint]) -> None:
    assert build_plan(endpoints) == build_plan(ALL)


@given(st.lists(st.sampled_from(ALL), max_size=8), st.lists(st.sampled_from(ALL), max_size=8))
def test_merging_plans_equals_planning_everything(a: list[Endpoint], b: list[Endpoint]) -> None:
    merged = merge_plans([build_plan(a), build_plan(b)])
    assert merged == build_plan(a + b)
    assert merge_plans([merged, merged]) == merged


def test_plan_output_is_sorted() -> None:
    plan = build_plan(ALL)
    assert [s.scope for s in plan.scopes] == sorted(s.scope for s in plan.scopes)
    keys = [
        (p.permission, p.resource.type, p.resource.id or "", p.resource.placeholder or "")
        for p in plan.permissions
    ]
    assert keys == sorted(keys)
    assert list(plan.unknown) == sorted(plan.unknown)
    assert [(b.path, b.method) for b in plan.blockers] == sorted((b.path, b.method) for b in plan.blockers)


def test_merge_plans_of_hand_built_plans() -> None:
    first = ScopePlan(
        scopes=(ScopeRequirement("studio", "D", ("a",)),),
        blockers=(Blocker("GET", "/api/cloud", "why", api="cloud-api"),),
        unknown=("GET /x",),
    )
    second = ScopePlan(
        scopes=(ScopeRequirement("studio", "I", ("b",), ("package-manager",)),), unknown=("GET /x",)
    )
    merged = merge_plans([first, second])
    assert merged.scopes == (ScopeRequirement("studio", "I", ("a", "b"), ("package-manager",)),)
    assert merged.blockers == first.blockers and merged.unknown == ("GET /x",)
