"""Team hosts, URL normalising and endpoint mapping (celonis-apis.md §3, §4, §5)."""

from __future__ import annotations

import pytest

from migrator.apitable import ApiTable, default_table
from migrator.endpoints import (
    TEAM_HOST,
    is_celonis_path,
    is_oauth_token_url,
    is_team_host,
    join_url,
    map_endpoint,
    normalise,
    normalise_placeholders,
    package_key,
)
from migrator.types import Resource

POOL = "aaaaaaaa-0000-4000-8000-000000000001"
JOB = "bbbbbbbb-0000-4000-8000-000000000002"
DM = "cccccccc-0000-4000-8000-000000000003"
BASE = "https://acme.eu-1.celonis.cloud"


@pytest.mark.parametrize(
    "host",
    [
        "acme.eu-1.celonis.cloud",
        "ACME.EU-1.Celonis.Cloud",
        "acme.celonis.cloud",
        "acme.try.celonis.cloud",
        "acme.some-dedicated-realm.celonis.cloud",
        "https://acme.eu-1.celonis.cloud",
        "http://acme.eu-1.celonis.cloud/integration/api/pools",
        "acme.eu-1.celonis.cloud:443",
        "acme.eu-1.celonis.cloud.",
        "{team}.eu-1.celonis.cloud",
        "${TEAM}.${REALM}.celonis.cloud",
        "{{team}}.eu-1.celonis.cloud",
        "{}.{}.celonis.cloud",
        "${process.env.CELONIS_TEAM}.eu-1.celonis.cloud",
        "%TEAM%.eu-1.celonis.cloud",
        "<team>.<realm>.celonis.cloud",
        "$TEAM.eu-1.celonis.cloud",
        "acme.{realm}.celonis.cloud",
        "{team}-dev.eu-1.celonis.cloud",
    ],
)
def test_team_host(host: str) -> None:
    assert is_team_host(host)


@pytest.mark.parametrize(
    "host",
    [
        pytest.param("id.celonis.cloud", id="browser-login"),
        pytest.param("pypi.celonis.cloud", id="package-index"),
        pytest.param("sftp.eu-1.celonis.cloud", id="sftp"),
        pytest.param("ssh.eu-1.celonis.cloud", id="ssh"),
        pytest.param("data-ingestion.eu-1.celonis.cloud", id="data-ingestion"),
        pytest.param("developer.celonis.com", id="developer-portal"),
        pytest.param("docs.celonis.com", id="docs"),
        pytest.param("acme.eu-1.celonis.com", id="dot-com"),
        pytest.param("celonis.aha.io", id="aha-ideas"),
        pytest.param("api.powerbi.com", id="powerbi-appkey"),
        pytest.param("twx.acme.example", id="thingworx"),
        pytest.param("api.partner.example", id="partner-oauth"),
        pytest.param("api.github.com", id="github"),
        pytest.param("celonis-etl.example.com", id="name-contains-celonis"),
        pytest.param("celonis.cloud", id="no-team"),
        pytest.param("acme.eu-1.celonis.cloud.evil.example", id="suffix-attack"),
        pytest.param("acme.eu-1.celonis.cloudy.com", id="cloudy"),
        pytest.param("acme-celonis.cloud", id="hyphen-not-dot"),
        pytest.param("acme.eu-1.celon\u0131s.cloud", id="dotless-i"),
        pytest.param("\u212aacme.eu-1.celonis.cloud", id="kelvin-sign"),
        pytest.param("a.b.eu-1.celonis.cloud", id="too-many-labels"),
        pytest.param("-acme.eu-1.celonis.cloud", id="leading-hyphen"),
        pytest.param("{host}", id="bare-placeholder"),
        pytest.param("", id="empty"),
        pytest.param("localhost", id="localhost"),
    ],
)
def test_not_team_host(host: str) -> None:
    assert not is_team_host(host)


def test_extra_hosts_are_exact_names() -> None:
    assert not is_team_host("celonis.acme-private.example")
    assert is_team_host(
        "https://Celonis.ACME-private.example:8443", extra_hosts=["celonis.acme-private.example"]
    )
    assert not is_team_host("x.celonis.acme-private.example", extra_hosts=["celonis.acme-private.example"])


@pytest.mark.parametrize(
    ("text", "team", "realm"),
    [
        ("url = 'https://acme.eu-1.celonis.cloud/api'", "acme", "eu-1"),
        ("base_url=acme.celonis.cloud", "acme", None),
        ("see evil.acme.eu-1.celonis.cloud.example", None, None),
        ("x.acme.eu-1.celonis.cloud-fake", None, None),
    ],
)
def test_team_host_regex_in_text(text: str, team: str | None, realm: str | None) -> None:
    found = TEAM_HOST.search(text)
    if team is None:
        assert found is None
    else:
        assert found is not None and (found.group("team"), found.group("realm")) == (team, realm)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/pools/${POOL}/jobs/$JOB", "/pools/{POOL}/jobs/{JOB}"),
        ("/pools/{{ pool }}/x", "/pools/{pool}/x"),
        ("/pools/%POOL%/x", "/pools/{POOL}/x"),
        ("/pools/${{ secrets.POOL }}/x", "/pools/{secrets.POOL}/x"),
        ("/pools/$env:POOL/x", "/pools/{POOL}/x"),
        ("/pools/{ pool }/x", "/pools/{pool}/x"),
        ("/pools/{}/x", "/pools/{}/x"),
        ("https://<team>.<realm>.celonis.cloud/x", "https://{team}.{realm}.celonis.cloud/x"),
        ("/odata/km.svc/$metadata", "/odata/km.svc/$metadata"),
        ("/name/caf%C3%A9%20bar", "/name/caf%C3%A9%20bar"),
    ],
)
def test_normalise_placeholders(text: str, expected: str) -> None:
    assert normalise_placeholders(text) == expected


@pytest.mark.parametrize(
    ("url", "host", "path"),
    [
        (f"{BASE}/integration/api/pools/", "acme.eu-1.celonis.cloud", "/integration/api/pools"),
        (f"{BASE}//integration//api/pools?x=1#frag", "acme.eu-1.celonis.cloud", "/integration/api/pools"),
        ("HTTPS://ACME.EU-1.celonis.cloud:443/Api/Cloud", "acme.eu-1.celonis.cloud", "/Api/Cloud"),
        ("https://user:secret@acme.eu-1.celonis.cloud/api/cloud", "acme.eu-1.celonis.cloud", "/api/cloud"),
        ("acme.eu-1.celonis.cloud", "acme.eu-1.celonis.cloud", "/"),
        ("acme.eu-1.celonis.cloud/api/team", "acme.eu-1.celonis.cloud", "/api/team"),
        ("//acme.eu-1.celonis.cloud/api/team", "acme.eu-1.celonis.cloud", "/api/team"),
        ("https://${TEAM}.eu-1.celonis.cloud/x/$POOL", "{TEAM}.eu-1.celonis.cloud", "/x/{POOL}"),
        (
            "https://{{team}}.eu-1.celonis.cloud/log/api/external/audit?pageSize=200",
            "{team}.eu-1.celonis.cloud",
            "/log/api/external/audit",
        ),
        ("{BASE}/integration/api/pools/{pool}", None, "/integration/api/pools/{pool}"),
        ("${BASE_URL}/integration/api/pools", None, "/integration/api/pools"),
        ("https://{host}/api/cloud", None, "/api/cloud"),
        ("/integration/api/pools/", None, "/integration/api/pools"),
        ("log/api/external/audit?pageSize=200", None, "/log/api/external/audit"),
        ("/", None, "/"),
        ("", None, "/"),
    ],
)
def test_normalise(url: str, host: str | None, path: str) -> None:
    assert normalise(url) == (host, path)


@pytest.mark.parametrize(
    ("base", "path", "expected"),
    [
        (BASE, "/api/cloud", f"{BASE}/api/cloud"),
        (f"{BASE}/", "api/cloud", f"{BASE}/api/cloud"),
        (f"{BASE}/intelligence/api", "/knowledge-models", f"{BASE}/intelligence/api/knowledge-models"),
        (f"{BASE}/intelligence/api/", "knowledge-models", f"{BASE}/intelligence/api/knowledge-models"),
        (
            f"{BASE}/intelligence/api",
            "/intelligence/api/knowledge-models",
            f"{BASE}/intelligence/api/knowledge-models",
        ),
        (f"{BASE}?x=1", "/api/team", f"{BASE}/api/team"),
        (BASE, "https://other.example/x", "https://other.example/x"),
        (BASE, "", BASE),
        ("{BASE}", "/api/team", "/api/team"),
        ("acme.eu-1.celonis.cloud", "/api/team", f"{BASE}/api/team"),
    ],
)
def test_join_url(base: str, path: str, expected: str) -> None:
    assert join_url(base, path) == expected


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/oauth2/token", True),
        ("/log/api/external/audit", True),
        ("/api/external/members", True),
        ("/user-provisioning/scim/v2/Users", True),
        ("/api/user-provisioning/scim/v2/Users", True),
        ("/intelligence/api/knowledge-models", True),
        ("/studio-copilot/api/v1/mcp-servers/mcp/a", True),
        ("/continuous-batch-processing/api/v1/p/items", True),
        ("/data-ingestion/api/v1/data-push/p/jobs", True),
        ("/realtime-integration/api/pools/p", True),
        ("/pacman/api/core/packages/k", True),
        ("/ems-automation/api/root/p/export/assets", True),
        ("/api/cloud", True),
        ("/api/team/", True),
        ("/process-automation-v2/api/connections", True),
        ("/cpm-ems-migrator/migration/api/ctp", True),
        ("/api/cloudy", False),
        ("/integration/ui/pools/p", False),
        ("/package-manager/ui/studio", False),
        ("/api/v1/ideas", False),
        ("/", False),
        ("/oauth2/tokens", False),
        ("/Thingworx/Things/Pump1/Properties", False),
    ],
)
def test_is_celonis_path(path: str, expected: bool) -> None:
    assert is_celonis_path(path) is expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (f"{BASE}/oauth2/token", True),
        ("https://{team}.eu-1.celonis.cloud/oauth2/token?grant_type=client_credentials&scope=studio", True),
        (f"{BASE}/oauth2/token/", True),
        (f"{BASE}/oauth2/authorize", False),
        ("https://api.partner.example/oauth2/token", False),
        ("/oauth2/token", False),
        ("https://id.celonis.cloud/oauth2/token", False),
    ],
)
def test_is_oauth_token_url(url: str, expected: bool) -> None:
    assert is_oauth_token_url(url) is expected


@pytest.mark.parametrize(
    ("km_id", "key"),
    [
        ("acme-p2p.p2p-km", "acme-p2p"),
        ("open-purchase-requisition.purchase-requisition-km", "open-purchase-requisition"),
        ("a.b.c", "a"),
        ("p2p-km", None),
        (".km", None),
        ("pkg.", None),
    ],
)
def test_package_key(km_id: str, key: str | None) -> None:
    assert package_key(km_id) == key


# ---- map_endpoint ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "url"),
    [
        pytest.param("GET", "https://celonis.aha.io/api/v1/ideas", id="aha"),
        pytest.param("GET", "https://api.powerbi.com/v1.0/collections/acme/workspaces", id="powerbi"),
        pytest.param("GET", "https://api.partner.example/api/external/members", id="celonis-path-other-host"),
        pytest.param("GET", "https://pypi.celonis.cloud/simple/pycelonis", id="pypi"),
        pytest.param("GET", "https://developer.celonis.com/celonis-apis/auth/", id="developer"),
        pytest.param("GET", "/v1/ideas", id="path-not-celonis"),
        pytest.param("GET", "{BASE}/knowledge-models", id="unresolved-base"),
        pytest.param("POST", f"{BASE}/oauth2/token", id="token-endpoint"),
    ],
)
def test_not_a_celonis_call(method: str, url: str) -> None:
    assert map_endpoint(method, url) is None


def test_pool_id_is_kept_in_url_and_resource() -> None:
    endpoint = map_endpoint("GET", f"{BASE}/integration/api/pools/{POOL}/data-models", line=7)
    assert endpoint is not None
    assert endpoint.path == "/integration/api/pools/{poolId}/data-models"
    assert endpoint.url == f"{BASE}/integration/api/pools/{POOL}/data-models"
    assert endpoint.resource == Resource("data_pool", id=POOL)
    assert (endpoint.api, endpoint.status, endpoint.basis, endpoint.line) == (
        "data-models",
        "inferred",
        "C",
        7,
    )
    assert endpoint.host == "acme.eu-1.celonis.cloud"
    assert endpoint.scopes == ("integration.data-pools",)


def test_placeholder_id_takes_the_pattern_name_and_says_where_it_comes_from() -> None:
    endpoint = map_endpoint("POST", "${BASE}/data-ingestion/api/v1/data-push/${POOL}/jobs/")
    assert endpoint is not None
    assert endpoint.url is None and endpoint.host is None
    assert endpoint.path == "/data-ingestion/api/v1/data-push/{poolId}/jobs"
    assert endpoint.resource == Resource(
        "data_pool", placeholder="{poolId}", note="ID from {POOL} in the code"
    )
    assert endpoint.permissions == ("Data Push API",)
    assert (endpoint.status, endpoint.basis) == ("documented", "D")


def test_nameless_and_same_name_placeholders_need_no_note() -> None:
    for url in ("/integration/api/pools/{}/data-models", "/integration/api/pools/{poolId}/data-models"):
        endpoint = map_endpoint("GET", url)
        assert endpoint is not None and endpoint.resource == Resource("data_pool", placeholder="{poolId}")


def test_literal_ids_below_a_glob_stay_in_the_url_only() -> None:
    endpoint = map_endpoint("GET", f"{BASE}/integration/api/pools/{POOL}/jobs/{JOB}/tasks/42")
    assert endpoint is not None and endpoint.api == "data-integration"
    assert endpoint.path == "/integration/api/pools/{poolId}/jobs/{id}/tasks/{id}"
    assert endpoint.url == f"{BASE}/integration/api/pools/{POOL}/jobs/{JOB}/tasks/42"


@pytest.mark.parametrize(
    ("km", "resource"),
    [
        pytest.param(
            "acme-p2p.p2p-km",
            Resource(
                "knowledge_model",
                id="acme-p2p.p2p-km",
                note="package key acme-p2p (from KM ID acme-p2p.p2p-km, inferred)",
            ),
            id="literal",
        ),
        pytest.param(
            "p2p-km",
            Resource(
                "knowledge_model",
                id="p2p-km",
                note="package not visible in code (the KM ID has no package prefix)",
            ),
            id="no-prefix",
        ),
        pytest.param(
            "{km_id}",
            Resource(
                "knowledge_model",
                placeholder="{kmId}",
                note="ID from {km_id} in the code; package key: the part of {kmId} before the first '.' "
                "(inferred)",
            ),
            id="placeholder",
        ),
    ],
)
def test_knowledge_model_package_key(km: str, resource: Resource) -> None:
    endpoint = map_endpoint("GET", f"{BASE}/intelligence/api/knowledge-models/{km}/filters")
    assert endpoint is not None and endpoint.resource == resource
    assert endpoint.permissions == ("USE PACKAGE",)


def test_odata_km_id_inside_a_segment() -> None:
    endpoint = map_endpoint("GET", f"{BASE}/intelligence/api/odata/acme-p2p.p2p-km.svc/Orders?$top=5")
    assert endpoint is not None and endpoint.api == "knowledge-model"
    assert endpoint.path == "/intelligence/api/odata/{kmId}.svc/Orders"
    assert endpoint.resource is not None and endpoint.resource.id == "acme-p2p.p2p-km"


def test_subscription_path_says_package_not_visible() -> None:
    endpoint = map_endpoint("PATCH", f"{BASE}/intelligence/api/subscriptions/{{subscription_id}}/pause")
    assert endpoint is not None and endpoint.api == "event-subscription"
    assert endpoint.resource is not None and endpoint.resource.type == "subscription"
    assert "package not visible in code" in (endpoint.resource.note or "")
    assert endpoint.permissions == ("USE PACKAGE", "EDIT PACKAGE")


def test_subscription_create_names_the_km() -> None:
    endpoint = map_endpoint(
        "POST", f"{BASE}/intelligence/api/knowledge-models/acme-p2p.p2p-km/triggers/t1/subscriptions"
    )
    assert endpoint is not None and endpoint.scopes == ("intelligence.subscriptions:manage",)
    assert endpoint.resource is not None and endpoint.resource.id == "acme-p2p.p2p-km"


@pytest.mark.parametrize(
    ("method", "path", "api"),
    [
        pytest.param(
            "GET", f"/integration/api/pools/{POOL}/jobs/{JOB}", "data-job-execution", id="job-status"
        ),
        pytest.param(
            "DELETE", f"/integration/api/pools/{POOL}/jobs/{JOB}", "data-integration", id="method-decides"
        ),
        pytest.param("GET", "/integration/api/pools/paged", "data-integration", id="literal-beats-param"),
        pytest.param(
            "GET", "/integration/api/pools/data-consumption/x", "data-consumption", id="blocker-beats-param"
        ),
        pytest.param("GET", "/api/cloud/permissions", "cloud-permissions", id="exact-beats-glob"),
        pytest.param("POST", "/api/cloud/permissions", "cloud-api", id="glob-when-method-does-not-fit"),
        pytest.param(
            "GET", "/package-manager/api/nodes/by-package-key/acme-p2p", "package-manager", id="nodes"
        ),
        pytest.param("*", "/log/api/external/audit", "audit-log", id="any-method"),
        pytest.param("?", "/api/external/members", "team-members", id="unknown-method"),
        pytest.param("get", "/api/external/members", "team-members", id="lower-case-method"),
    ],
)
def test_most_specific_fitting_pattern_wins(method: str, path: str, api: str) -> None:
    endpoint = map_endpoint(method, path)
    assert endpoint is not None and endpoint.api == api


def test_read_permissions_for_get_write_permissions_otherwise() -> None:
    read = map_endpoint("GET", "/package-manager/api/packages/acme-p2p")
    write = map_endpoint("PUT", "/package-manager/api/packages/acme-p2p")
    unknown = map_endpoint("*", "/package-manager/api/packages/acme-p2p")
    assert read is not None and read.permissions == ("USE PACKAGE",)
    assert write is not None and write.permissions == ("EDIT PACKAGE",)
    assert unknown is not None and unknown.permissions == ("EDIT PACKAGE",)
    assert read.resource == Resource("package", id="acme-p2p")


def test_missing_id_is_said_to_be_not_visible() -> None:
    endpoint = map_endpoint("GET", "/package-manager/api/packages")
    assert endpoint is not None and endpoint.resource == Resource(
        "package", note="package not visible in code"
    )
    team = map_endpoint("GET", "/log/api/external/audit")
    assert team is not None and team.resource == Resource("team")


def test_space_paths_name_the_space() -> None:
    endpoint = map_endpoint("GET", "/package-manager/api/spaces/space-1/packages")
    assert endpoint is not None and endpoint.resource == Resource("space", id="space-1")


def test_base_url_that_ends_in_a_service_prefix() -> None:
    endpoint = map_endpoint("GET", join_url(f"{BASE}/intelligence/api", "/knowledge-models"))
    assert endpoint is not None and endpoint.api == "knowledge-model"
    assert endpoint.url == f"{BASE}/intelligence/api/knowledge-models"


def test_templated_team_host_is_kept() -> None:
    endpoint = map_endpoint(
        "GET", "https://${TEAM}.${REALM}.celonis.cloud/log/api/external/audit?pageSize=200"
    )
    assert endpoint is not None
    assert endpoint.host == "{TEAM}.{REALM}.celonis.cloud"
    assert endpoint.url == "https://{TEAM}.{REALM}.celonis.cloud/log/api/external/audit"


def test_extra_host_is_a_team_host() -> None:
    url = "https://celonis.acme-private.example/log/api/external/audit"
    assert map_endpoint("GET", url) is None
    endpoint = map_endpoint("GET", url, extra_hosts=("celonis.acme-private.example",))
    assert endpoint is not None and endpoint.api == "audit-log"


@pytest.mark.parametrize(
    ("method", "url", "path"),
    [
        pytest.param("GET", f"{BASE}/foo/bar/{POOL}", "/foo/bar/{id}", id="team-host"),
        pytest.param(
            "GET", "/integration/api/pools-v9/x", "/integration/api/pools-v9/x", id="celonis-prefix"
        ),
        pytest.param("PUT", "/log/api/external/audit", "/log/api/external/audit", id="method-fits-no-row"),
        pytest.param("GET", f"{BASE}/", "/", id="root"),
    ],
)
def test_unknown_celonis_path_is_kept(method: str, url: str, path: str) -> None:
    endpoint = map_endpoint(method, url)
    assert endpoint is not None
    assert (endpoint.api, endpoint.status, endpoint.basis, endpoint.note) == (
        None,
        "unknown",
        "U",
        "no known OAuth scope",
    )
    assert endpoint.path == path and endpoint.scopes == ()


def test_blocker_has_no_scope_and_says_why() -> None:
    endpoint = map_endpoint("GET", f"{BASE}/api/cloud")
    assert endpoint is not None
    assert (endpoint.api, endpoint.status, endpoint.basis, endpoint.scopes) == (
        "cloud-api",
        "blocker",
        "B",
        (),
    )
    assert (endpoint.note or "").startswith("no known OAuth scope: verify with Celonis")


def test_explicit_table_is_used() -> None:
    empty = ApiTable((), default_table().catalog)
    endpoint = map_endpoint("GET", "/log/api/external/audit", table=empty)
    assert endpoint is not None and endpoint.status == "unknown"
