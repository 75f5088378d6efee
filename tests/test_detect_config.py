"""The config detectors on each shape of usage-patterns.md §3 (dotenv, YAML, JSON, INI, TOML,
.properties), the look-alikes of §7 and the placeholders of §8, one realistic file per case."""

from __future__ import annotations

import base64
import sys
import textwrap

import pytest

from migrator.detect import scan_source
from migrator.detect.keyvalue import _toml_keys, toml_fallback
from migrator.types import Finding, Skip, SourceFile
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY, REPO, scan_json, write

TEAM = "https://acme.eu-1.celonis.cloud"
POOL = "aaaaaaaa-0000-4000-8000-000000000001"


def scan(kind: str, path: str, text: str) -> list[Finding]:
    result = scan_source(SourceFile(path, path, kind, textwrap.dedent(text)))
    assert isinstance(result, list), result
    for f in result:
        assert FAKE_APP_KEY not in repr(f) and FAKE_USER_KEY not in repr(f)
        assert f.language == kind and f.fixable_by == "manual"
    return sorted(result, key=lambda f: (f.line, f.column))


def skip(kind: str, path: str, text: str) -> Skip:
    result = scan_source(SourceFile(path, path, kind, textwrap.dedent(text)))
    assert isinstance(result, Skip), result
    return result


def row(f: Finding) -> tuple:
    """(rule, line, scheme, key source kind, key source name, literal class, severity)."""
    return (f.rule_id, f.line, f.auth_scheme, f.key_source.kind, f.key_source.name, f.literal_class, f.severity)


def scopes(f: Finding) -> list[tuple[str, str, tuple[str, ...], str]]:
    return [(e.method, e.path, e.scopes, e.status) for e in f.endpoints]


# --- dotenv ------------------------------------------------------------------------------------


def test_dotenv_literal_key_with_key_type_is_a_leaked_app_key_with_pycelonis_advice():
    (f,) = scan("dotenv", ".env", f"""\
        CELONIS_URL=https://acme.eu-1.celonis.cloud
        CELONIS_API_TOKEN={FAKE_APP_KEY}
        CELONIS_KEY_TYPE=APP_KEY
    """)
    assert row(f) == ("celonis-key-in-config", 2, "AppKey", "literal", "CELONIS_API_TOKEN", "real-shape", "high")
    assert (f.column, f.end_line, f.end_column) == (1, 2, 127)
    assert f.leaked and f.credential_kind == "app_key" and f.confidence == "high"
    assert f.redacted == "MDAw…[108 chars]"
    assert f.credential_names == ("env:CELONIS_API_TOKEN", "config:CELONIS_API_TOKEN")
    advice = " ".join(f.notes)
    for text in ("revoke this key", "OAUTH_CLIENT_ID", "OAUTH_CLIENT_SECRET", "OAUTH_SCOPES", "CELONIS_KEY_TYPE=BEARER",
                 "delete CELONIS_API_TOKEN"):
        assert text in advice


def test_dotenv_export_quotes_comments_and_content_cli_env_form():
    found = scan("dotenv", "deploy/.env.local", f"""\
        # acme content deployment
        export TEAM_URL="acme.eu-1.celonis.cloud"
        API_TOKEN='{FAKE_USER_KEY}'   # content-cli key profile
        ACME_CELONIS_KEY="xxx" # set in CI
        DATABASE_URL=postgres://db/acme
    """)
    assert [row(f) for f in found] == [
        ("celonis-key-in-config", 3, "AppKey|Bearer", "literal", "API_TOKEN", "real-shape", "high"),
        ("celonis-key-in-config", 4, "AppKey|Bearer", "literal", "ACME_CELONIS_KEY", "placeholder", "info"),
    ]
    assert found[0].end_column == 121  # the closing quote, not the comment
    assert any("content-cli reads TEAM_URL + API_TOKEN" in n for n in found[0].notes)
    assert any("CELONIS_CLIENT_ID and CELONIS_CLIENT_SECRET" in n and "delete ACME_CELONIS_KEY" in n
               for n in found[1].notes)


def test_dotenv_example_placeholder_is_info_not_a_leak():
    (f,) = scan("dotenv", ".env.example", "CELONIS_API_TOKEN=<your-app-key>\nCELONIS_KEY_TYPE=\n")
    assert row(f) == (
        "celonis-key-in-config", 1, "AppKey|Bearer", "literal", "CELONIS_API_TOKEN", "placeholder", "info")
    assert not f.leaked and f.redacted == "<you…[14 chars]"


def test_dotenv_generic_api_token_needs_celonis_context():
    assert scan("dotenv", ".env", "API_TOKEN=abc123def456ghi789\nAPP_KEY=zzz\nDATABASE_URL=postgres://db/acme\n") == []
    (f,) = scan("dotenv", ".env", f"CELONIS_URL={TEAM}\nAPI_TOKEN=abc123def456ghi789\nAPP_KEY=v2\n")
    assert row(f) == ("celonis-key-in-config", 2, "AppKey|Bearer", "literal", "API_TOKEN", "unexpected-shape", "medium")


def test_dotenv_reference_default_and_multiline_value():
    found = scan("dotenv", ".env", f"""\
        CELONIS_API_TOKEN=${{ACME_TOKEN:-{FAKE_APP_KEY}}}
        ACME_CELONIS_TOKEN=${{VAULT_CELONIS}}
        CELONIS_APP_KEY="line one
        line two"
        AFTER=1
    """)
    assert [row(f) for f in found] == [
        ("celonis-key-in-config", 1, "AppKey|Bearer", "env", "ACME_TOKEN", "real-shape", "high"),
        ("celonis-key-in-config", 2, "AppKey|Bearer", "env", "VAULT_CELONIS", None, "medium"),
        ("celonis-key-in-config", 3, "AppKey|Bearer", "literal", "CELONIS_APP_KEY", "unexpected-shape", "medium"),
    ]
    assert found[0].leaked and any("literal default" in n for n in found[0].notes)
    assert (found[2].end_line, found[2].end_column) == (4, 10)


def test_dotenv_oauth_variables_and_jwt_are_not_static_keys():
    assert scan("dotenv", ".env", f"""\
        CELONIS_URL={TEAM}
        CELONIS_KEY_TYPE=BEARER
        OAUTH_CLIENT_ID=acme-loader
        OAUTH_CLIENT_SECRET=s3cr3t
        CELONIS_ACCESS_TOKEN=abc
        CELONIS_TOKEN=eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJzdHVkaW8iXX0.c2lnbmF0dXJl
    """) == []


# --- YAML --------------------------------------------------------------------------------------


def test_yaml_app_config_flow_style_takes_the_scheme_from_key_type():
    (f,) = scan("yaml", "settings.yaml", f"""\
        # settings.yaml
        celonis: {{ base_url: https://acme.eu-1.celonis.cloud, api_token: {FAKE_APP_KEY}, key_type: APP_KEY }}
    """)
    assert row(f) == ("celonis-key-in-config", 2, "AppKey", "literal", "celonis.api_token", "real-shape", "high")
    assert f.column == 55 and f.credential_names == ("config:celonis.api_token",)
    assert any("replace celonis.api_token with client_id / client_secret" in n for n in f.notes)


def test_yaml_header_map_maps_the_nearest_url_and_method():
    (f,) = scan("yaml", "monitoring/checks.yaml", """\
        checks:
          - name: audit-log
            url: https://acme.eu-1.celonis.cloud/log/api/external/audit?pageSize=200
            method: GET
            headers:
              Authorization: "AppKey ${CELONIS_APP_KEY}"
          - name: vendor
            url: https://api.powerbi.com/v1.0/collections/acme/workspaces
            headers:
              Authorization: "AppKey ${PBI_KEY}"
    """)
    assert row(f) == ("celonis-auth-header-in-config", 6, "AppKey", "env", "CELONIS_APP_KEY", None, "medium")
    assert scopes(f) == [("GET", "/log/api/external/audit", ("audit.log:read",), "documented")]
    assert f.related == ("3:1",) and f.confidence == "high"
    assert any("replace 'AppKey <key>' with 'Bearer <access token>'" in n and "audit.log:read" in n for n in f.notes)


def test_yaml_header_to_a_private_realm_given_as_extra_host():
    text = """\
        audit:
          url: https://celonis.acme-private.example/log/api/external/audit
          headers: {Authorization: "AppKey ${KEY}"}
    """
    source = SourceFile("c.yaml", "c.yaml", "yaml", textwrap.dedent(text))
    assert scan_source(source) == []
    (f,) = scan_source(source, extra_hosts=("celonis.acme-private.example",))
    assert (f.rule_id, f.line, f.key_source.name) == ("celonis-auth-header-in-config", 3, "KEY")
    assert scopes(f) == [("*", "/log/api/external/audit", ("audit.log:read",), "documented")]


@pytest.mark.parametrize("text", [
    # another vendor's AppKey (Power BI Embedded): not a team host
    """\
    powerbi:
      url: https://api.powerbi.com/v1.0/collections/acme/workspaces
      headers: {Authorization: "AppKey ${PBI_KEY}"}
    """,
    # an OAuth access token (JWT) to Celonis
    """\
    audit:
      url: https://acme.eu-1.celonis.cloud/log/api/external/audit
      headers: {Authorization: "Bearer eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJhdWRpdCJdfQ.c2lnbmF0dXJl"}
    """,
    # a token obtained by a previous OAuth step
    """\
    audit:
      url: https://acme.eu-1.celonis.cloud/log/api/external/audit
      headers: {Authorization: "Bearer ${{ steps.token.outputs.access_token }}"}
    """,
    # Bearer to a non-Celonis host in Celonis-themed config
    """\
    celonis_ideas:
      url: https://celonis.aha.io/api/v1/ideas
      headers: {Authorization: "Bearer ${AHA_TOKEN}"}
    """,
    # a header named appKey (ThingWorx) is not an Authorization header
    """\
    thingworx:
      url: https://twx.acme.example/Thingworx/Things/Pump1/Properties
      headers: {appKey: "${TWX_KEY}"}
    """,
    # non-API Celonis hosts and a generic token with no Celonis context
    """\
    docs: https://docs.celonis.com/en/oauth-scopes.html
    index: https://pypi.celonis.cloud/simple
    github: {api_token: "${GITHUB_TOKEN}"}
    """,
])
def test_yaml_look_alikes_are_not_reported(text):
    assert scan("yaml", "config.yaml", text) == []


def test_github_actions_secret_env_and_run_block_are_linked_by_name():
    found = scan("yaml", ".github/workflows/reload.yml", """\
        name: reload
        on: push
        jobs:
          reload:
            runs-on: ubuntu-latest
            env:
              CELONIS_KEY: ${{ secrets.CELONIS_KEY }}
              POOL: aaaaaaaa-0000-4000-8000-000000000001
            steps:
              - run: |
                  curl -sf -X POST -H "Authorization: AppKey $CELONIS_KEY" \\
                    "https://acme.eu-1.celonis.cloud/integration/api/v1/data-pools/$POOL/data-models/$DM/load"
    """)
    entry, script = found
    assert row(entry) == ("celonis-key-in-config", 7, "AppKey", "secret-reference", "CELONIS_KEY", None, "medium")
    assert entry.credential_names == ("env:CELONIS_KEY", "config:CELONIS_KEY", "secret:CELONIS_KEY")
    assert any("in place of CELONIS_KEY" in n for n in entry.notes)
    assert (script.rule_id, script.line, script.auth_scheme, script.key_source.name) == (
        "celonis-appkey-header", 11, "AppKey", "CELONIS_KEY")
    assert script.language == "yaml" and "secret:CELONIS_KEY" in script.credential_names
    assert "7:7" in script.related and any("set at line 7 from secret-reference CELONIS_KEY" in n for n in script.notes)
    assert scopes(script) == [("POST", "/integration/api/v1/data-pools/{poolId}/data-models/{dataModelId}/load",
                               ("integration.data-pools",), "documented")]


def test_gitlab_ci_variables_and_script_list():
    found = scan("yaml", ".gitlab-ci.yml", """\
        variables:
          CELONIS_URL: https://acme.eu-1.celonis.cloud
          CELONIS_API_TOKEN:
            value: "<set in the CI settings>"
            description: user API key of the reporting user
        report:
          script:
            - echo start
            - 'curl -sf -H "Authorization: Bearer $CELONIS_API_TOKEN" "$CELONIS_URL/intelligence/api/knowledge-models"'
    """)
    entry, script = found
    assert row(entry) == ("celonis-key-in-config", 3, "Bearer", "literal", "CELONIS_API_TOKEN", "placeholder", "info")
    assert (script.rule_id, script.line, script.key_source.name) == (
        "celonis-bearer-static-key", 9, "CELONIS_API_TOKEN")
    assert scopes(script)[0][2] == ("intelligence.knowledge-models:read",)


def test_docker_compose_interpolated_env_and_list_form():
    found = scan("yaml", "docker-compose.yml", f"""\
        services:
          loader:
            image: acme/loader:1.4
            environment:
              CELONIS_URL: https://acme.eu-1.celonis.cloud
              CELONIS_API_TOKEN: ${{CELONIS_API_TOKEN}}
              CELONIS_KEY_TYPE: USER_KEY
            env_file: .env.celonis
          reporter:
            image: acme/reporter:2.0
            environment:
              - "CELONIS_URL=https://globex.us-2.celonis.cloud"
              - ACME_CELONIS_TOKEN={FAKE_USER_KEY}
          db:
            environment:
              POSTGRES_PASSWORD: changeme
    """)
    assert [row(f) for f in found] == [
        ("celonis-key-in-config", 6, "Bearer", "env", "CELONIS_API_TOKEN", None, "medium"),
        ("celonis-key-in-config", 13, "Bearer", "literal", "ACME_CELONIS_TOKEN", "real-shape", "high"),
    ]
    assert found[1].column == 9 and found[1].credential_names[0] == "env:ACME_CELONIS_TOKEN"


def test_kubernetes_secret_is_decoded_once_and_the_deployment_names_the_secret():
    encoded = base64.b64encode(FAKE_APP_KEY.encode()).decode()
    found = scan("yaml", "deploy/k8s/loader.yaml", f"""\
        apiVersion: v1
        kind: Secret
        metadata: {{ name: celonis-credentials }}
        type: Opaque
        data:
          CELONIS_API_TOKEN: {encoded}
          API_TOKEN: {base64.b64encode(b"changeme").decode()}
        stringData:
          ACME_CELONIS_KEY: "{FAKE_USER_KEY}"
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{ name: loader }}
        spec:
          template:
            spec:
              containers:
                - name: loader
                  image: acme/loader:1.4
                  env:
                    - name: CELONIS_URL
                      value: https://acme.eu-1.celonis.cloud
                    - name: CELONIS_API_TOKEN
                      valueFrom:
                        secretKeyRef: {{ name: celonis-credentials, key: CELONIS_API_TOKEN }}
                    - name: CELONIS_KEY_TYPE
                      value: APP_KEY
    """)
    assert [row(f) for f in found] == [
        ("k8s-secret-celonis-key", 6, "AppKey", "literal", "celonis-credentials/CELONIS_API_TOKEN", "real-shape",
         "high"),
        ("k8s-secret-celonis-key", 7, "AppKey", "literal", "celonis-credentials/API_TOKEN", "placeholder", "info"),
        ("k8s-secret-celonis-key", 9, "AppKey", "literal", "celonis-credentials/ACME_CELONIS_KEY", "real-shape",
         "high"),
        ("celonis-key-in-config", 23, "AppKey", "secret-reference", "celonis-credentials/CELONIS_API_TOKEN", None,
         "medium"),
    ]
    secret, _, _, deployment = found
    assert secret.redacted == "MDAw…[108 chars]"
    assert secret.credential_names == ("secret:celonis-credentials/CELONIS_API_TOKEN", "env:CELONIS_API_TOKEN")
    assert "secret:celonis-credentials/CELONIS_API_TOKEN" in deployment.credential_names
    assert "env:CELONIS_API_TOKEN" in deployment.credential_names
    assert any("replace key CELONIS_API_TOKEN of Secret celonis-credentials" in n for n in secret.notes)


def test_kubernetes_secret_without_celonis_names_or_shapes_is_quiet():
    assert scan("yaml", "pg.yaml", f"""\
        apiVersion: v1
        kind: Secret
        metadata: {{name: postgres}}
        data:
          POSTGRES_PASSWORD: {base64.b64encode(b"hunter2").decode()}
          API_TOKEN: not-base64!
    """) == []


def test_kubernetes_secret_value_of_key_shape_is_reported_whatever_its_name():
    (f,) = scan("yaml", "s.yaml", f"""\
        kind: Secret
        metadata: {{name: loader}}
        data:
          password: {base64.b64encode(FAKE_USER_KEY.encode()).decode()}
    """)
    assert row(f)[:2] == ("k8s-secret-celonis-key", 4) and f.leaked and f.confidence == "medium"


def test_helm_values_anchor_and_merge_report_the_written_place_once():
    found = scan("yaml", "charts/loader/values.yaml", """\
        defaults: &celonis
          celonis:
            url: https://acme.eu-1.celonis.cloud
            apiToken: changeme
        prod:
          <<: *celonis
          replicas: 3
        staging: *celonis
    """)
    assert [row(f) for f in found] == [
        ("celonis-key-in-config", 4, "AppKey|Bearer", "literal", "defaults.celonis.apiToken", "placeholder", "info"),
    ]


def test_strimzi_kafka_connector_yaml_uses_the_kafka_rule():
    (f,) = scan("yaml", "kafka/ems-sink.yaml", f"""\
        apiVersion: kafka.strimzi.io/v1beta2
        kind: KafkaConnector
        metadata: {{name: ems-sink}}
        spec:
          class: com.celonis.kafka.connect.ems.sink.EmsSinkConnector
          config:
            connect.ems.endpoint: {TEAM}/continuous-batch-processing/api/v1/{POOL}/items
            connect.ems.authorization.key: "Bearer {FAKE_USER_KEY}"
    """)
    assert row(f) == (
        "kafka-ems-static-key", 8, "Bearer", "literal", "connect.ems.authorization.key", "real-shape", "high")
    assert scopes(f) == [("POST", "/continuous-batch-processing/api/v1/{poolId}/items",
                          ("integration.data-pools:continuous_data_push",), "blocker")]


def test_malformed_yaml_is_a_skip_with_the_line():
    found = skip("yaml", "broken.yaml", "celonis:\n  api_token: [unclosed\n  key_type: APP_KEY\n")
    assert (found.reason, found.detail) == ("malformed", "malformed YAML: line 3: expected ',' or ']', but got ':'")


def test_yaml_alias_bomb_and_huge_files_are_skipped_not_expanded():
    bomb = 'a: &a ["celonis", "x", "x", "x", "x", "x", "x", "x", "x"]\n' + "".join(
        f"{c}: &{c} [{', '.join(['*' + p] * 9)}]\n" for p, c in zip("abcdefgh", "bcdefghi", strict=True))
    found = skip("yaml", "bomb.yaml", bomb)
    assert (found.reason, found.detail) == (
        "too-large", "YAML aliases expand to more than 1000000 nodes (alias bomb); not analysed")
    huge = "celonis: x\nitems:\n" + "".join(f"  - {i}\n" for i in range(100_001))
    assert skip("yaml", "huge.yaml", huge).detail == "YAML holds more than 100000 nodes; not analysed"


def test_yaml_recursive_alias_terminates():
    assert scan("yaml", "rec.yaml", "a: &a\n  - *a\n  - celonis\n") == []


# --- JSON --------------------------------------------------------------------------------------


def test_content_cli_key_profile_takes_the_scheme_from_authentication_type():
    (f,) = scan("json", ".celonis-content-cli-profiles/acme-prod.json", f"""\
        {{
          "name": "acme-prod",
          "team": "https://acme.eu-1.celonis.cloud",
          "type": "Key",
          "authenticationType": "AppKey",
          "apiToken": "{FAKE_APP_KEY}",
          "secretsStoredSecurely": false
        }}
    """)
    assert row(f) == ("content-cli-key-profile", 6, "AppKey", "literal", "content-cli profile acme-prod",
                      "real-shape", "high")
    assert (f.column, f.end_column) == (3, 125) and f.credential_names == ("content-cli:acme-prod",)
    assert any('"type": "Client Credentials"' in n and '"expiresAt": 0' in n for n in f.notes)


def test_content_cli_profiles_legacy_keychain_and_oauth():
    (legacy,) = scan("json", "p/legacy.json",
                     '{"name": "legacy", "team": "acme.eu-1.celonis.cloud", "apiToken": "<key>"}')
    assert row(legacy) == ("content-cli-key-profile", 1, "AppKey|Bearer", "literal", "content-cli profile legacy",
                           "placeholder", "info")
    (stored,) = scan("json", "p/vault.json", '{"name": "v", "team": "https://acme.eu-1.celonis.cloud", '
                     '"type": "Key", "authenticationType": "Bearer", "apiToken": "", "secretsStoredSecurely": true}')
    assert row(stored) == ("content-cli-key-profile", 1, "Bearer", "secret-reference",
                           "keychain celonis-content-cli:v", None, "medium")
    for kind in ("Client Credentials", "Device Code"):
        assert scan("json", "p/oauth.json", f'{{"name": "ci", "team": "{TEAM}", "type": "{kind}", '
                    '"clientId": "ci", "clientSecret": "committed-secret", "apiToken": "abc"}') == []


POSTMAN = """\
{
  "info": {"name": "Celonis", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
  "auth": {"type": "apikey", "apikey": [
    {"key": "key", "value": "Authorization"},
    {"key": "value", "value": "AppKey {{celonisAppKey}}"},
    {"key": "in", "value": "header"}]},
  "item": [
    {"name": "Audit log", "request": {"method": "GET",
      "header": [{"key": "Authorization", "value": "Bearer {{celonisApiKey}}"},
                 {"key": "Authorization", "value": "AppKey {{old}}", "disabled": true}],
      "url": {"raw": "https://{{team}}.eu-1.celonis.cloud/log/api/external/audit?pageSize=200"}}},
    {"name": "Pools", "item": [
      {"name": "List", "request": {"method": "GET", "url": "{{baseUrl}}/integration/api/pools"}}]},
    {"name": "Public", "request": {"auth": {"type": "noauth"}, "method": "GET", "url": "https://example.org/"}}
  ],
  "variable": [{"key": "baseUrl", "value": "https://acme.eu-1.celonis.cloud"},
               {"key": "celonisApiKey", "value": "%s"}]
}
""" % FAKE_USER_KEY


def test_postman_collection_auth_and_header_resolve_collection_variables():
    auth, header = sorted(scan("json", "postman/celonis.postman_collection.json", POSTMAN), key=lambda f: f.line)
    assert row(auth) == ("postman-static-key", 5, "AppKey", "config", "postman:celonisAppKey", None, "medium")
    assert scopes(auth) == [("GET", "/log/api/external/audit", ("audit.log:read",), "documented"),
                            ("GET", "/integration/api/pools", ("integration.data-pools",), "inferred")]
    assert auth.credential_names == ("postman:celonisAppKey",)
    assert row(header) == ("postman-static-key", 9, "Bearer", "literal", "postman:celonisApiKey", "real-shape", "high")
    assert "17:50" in header.related and header.leaked
    assert scopes(header) == [("GET", "/log/api/external/audit", ("audit.log:read",), "documented")]
    assert any("switch the auth to type oauth2" in n and "{{clientSecret}}" in n for n in header.notes)


@pytest.mark.parametrize("collection", [
    # oauth2 auth: already migrated
    {"auth": {"type": "oauth2", "oauth2": [{"key": "grant_type", "value": "client_credentials"}]},
     "item": [{"name": "a", "request": {"url": f"{TEAM}/log/api/external/audit"}}]},
    # bearer {{token}} filled by a token request in the same collection
    {"auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{token}}"}]},
     "item": [{"name": "t", "request": {"method": "POST", "url": f"{TEAM}/oauth2/token"}},
              {"name": "a", "request": {"url": f"{TEAM}/log/api/external/audit"}}]},
    # another vendor's AppKey header
    {"item": [{"name": "w", "request": {"header": [{"key": "Authorization", "value": "AppKey {{pbi}}"}],
                                         "url": "https://api.powerbi.com/v1.0/collections/acme/workspaces"}}]},
    # an access token pasted into a collection variable
    {"auth": {"type": "bearer", "bearer": [{"key": "token", "value": "{{jwt}}"}]},
     "variable": [{"key": "jwt", "value": "eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJhdWRpdCJdfQ.c2lnbmF0dXJl"}],
     "item": [{"name": "a", "request": {"url": f"{TEAM}/log/api/external/audit"}}]},
])
def test_postman_look_alikes_are_not_reported(collection):
    import json

    body = {"info": {"name": "c", "_postman_id": "1"}, **collection}
    assert scan("json", "c.postman_collection.json", json.dumps(body, indent=1)) == []


def test_postman_bearer_variable_of_unknown_origin_is_low_confidence():
    import json

    body = {"info": {"name": "c", "_postman_id": "1"},
            "auth": {"type": "bearer", "bearer": {"token": "{{token}}"}},
            "item": [{"name": "a", "request": {"url": f"{TEAM}/api/external/members"}}]}
    (f,) = scan("json", "c.json", json.dumps(body))
    assert row(f) == ("postman-static-key", 1, "Bearer", "config", "postman:token", None, "low")
    assert scopes(f) == [("GET", "/api/external/members", ("team.user-group-info:read",), "documented")]


def test_postman_environment_value_is_named_for_linking():
    found = scan("json", "postman/acme.postman_environment.json", f"""\
        {{"id": "e1", "name": "acme", "_postman_variable_scope": "environment",
         "values": [{{"key": "baseUrl", "value": "https://acme.eu-1.celonis.cloud", "enabled": true}},
                    {{"key": "celonisAppKey", "value": "{FAKE_APP_KEY}", "enabled": true}},
                    {{"key": "githubToken", "value": "ghp_x", "enabled": true}}]}}
    """)
    (f,) = found
    assert row(f) == (
        "postman-static-key", 3, "AppKey|Bearer", "literal", "postman:celonisAppKey", "real-shape", "high")
    assert f.credential_names == ("postman:celonisAppKey",)


def test_kafka_connect_rest_json_with_a_config_provider():
    (f,) = scan("json", "connect/ems-sink.json", f"""\
        {{"name": "ems-sink", "config": {{
          "connector.class": "com.celonis.kafka.connect.ems.sink.EmsSinkConnector",
          "connect.ems.endpoint": "{TEAM}/continuous-batch-processing/api/v1/{POOL}/items",
          "connect.ems.authorization.key": "${{file:/opt/secrets/celonis.properties:key}}"}}}}
    """)
    assert row(f) == ("kafka-ems-static-key", 4, "AppKey|Bearer", "secret-reference",
                      "file:/opt/secrets/celonis.properties:key", None, "medium")
    (e,) = f.endpoints
    assert e.resource is not None and e.resource.id == POOL and e.note and "fixed header value" in e.note
    assert any("keep the key until an OAuth-capable connector exists" in n for n in f.notes)


def test_appsettings_json_nested_key_has_its_config_path():
    (f,) = scan("json", "appsettings.json", f"""\
        {{
          "Logging": {{"LogLevel": {{"Default": "Information"}}}},
          "Celonis": {{
            "BaseUrl": "https://acme.eu-1.celonis.cloud",
            "AppKey": "{FAKE_APP_KEY}"
          }}
        }}
    """)
    assert row(f) == ("celonis-key-in-config", 5, "AppKey|Bearer", "literal", "Celonis.AppKey", "real-shape", "high")
    assert (f.column, f.end_line, f.end_column) == (5, 5, 125)


def test_lorawan_app_key_is_a_device_field_not_a_credential():
    device = '{"devEui": "0004A30B001C0530", "appEui": "70B3D57ED0000000", "appKey": "00112233445566778899AABB"}'
    assert scan("json", "devices.json", device) == []
    # a bridge that pushes to Celonis: the file has Celonis context, the device record still is no credential
    bridge = f'{{"sink": "{TEAM}/continuous-batch-processing/api/v1/{POOL}/items", "devices": [{device}]}}'
    assert scan("json", "bridge.json", bridge) == []


def test_malformed_json_is_a_skip_with_line_and_column():
    found = skip("json", "broken.json", '{\n  "celonis": {"apiToken": "x",}\n}\n')
    assert (found.reason, found.detail) == (
        "malformed", "malformed JSON: line 2 column 31: Expecting property name enclosed in double quotes")


# --- INI, TOML, .properties ----------------------------------------------------------------------


def test_ini_section_key_with_sibling_key_type():
    found = scan("ini", "setup.cfg", """\
        [metadata]
        name = acme-loader

        [celonis]
        url = https://acme.eu-1.celonis.cloud
        api_token = changeme
        key_type = BEARER

        [tool:pytest]
        addopts = -q
    """)
    assert [row(f) for f in found] == [
        ("celonis-key-in-config", 6, "Bearer", "literal", "celonis.api_token", "placeholder", "info")]


def test_ini_without_a_section_header_and_malformed_ini():
    (f,) = scan("ini", "loader.conf", "# loader\ncelonis_api_key = xyz0123456789abcd\ncelonis_app_key = low\nother = 1\n")
    assert row(f) == ("celonis-key-in-config", 2, "AppKey|Bearer", "literal", "celonis_api_key", "unexpected-shape",
                      "medium")
    assert f.confidence == "medium"  # no Celonis URL in the file
    found = skip("ini", "bad.ini", "[celonis]\nthis is not ini\napi_token = x\n")
    assert (found.reason, found.detail) == ("malformed", "malformed INI: line 2: not a 'key = value' line")


def test_toml_tables_arrays_of_tables_and_inline_tables():
    found = scan("toml", "pyproject.toml", f"""\
        [tool.acme]
        name = "loader"

        [tool.acme.celonis]
        url = "https://acme.eu-1.celonis.cloud"
        api_token = "{FAKE_APP_KEY}"
        key_type = "APP_KEY"

        [[jobs]]
        name = "nightly"

        [[jobs]]
        celonis = {{ app_key = "${{JOB_KEY}}", url = "https://acme.eu-1.celonis.cloud" }}
    """)
    assert [row(f) for f in found] == [
        ("celonis-key-in-config", 6, "AppKey", "literal", "tool.acme.celonis.api_token", "real-shape", "high"),
        ("celonis-key-in-config", 13, "AppKey", "env", "JOB_KEY", None, "medium"),
    ]


def test_malformed_toml_and_the_python_310_fallback():
    assert skip("toml", "bad.toml", '[celonis\napi_token = "x"\n').detail == (
        "malformed TOML: Expected ']' at the end of a table declaration (at line 1, column 9)")
    text = '[celonis]\nurl = "https://acme.eu-1.celonis.cloud"  # team\napi_token = \'xxx\'\n' \
           'escaped = "a\\"b"\n"quoted.key" = 1\n'
    assert toml_fallback(list(_toml_keys(text))) == {
        "celonis": {"url": "https://acme.eu-1.celonis.cloud", "api_token": "xxx", "escaped": 'a"b',
                    "quoted.key": "1"}}


def test_toml_on_python_310_without_tomllib(monkeypatch):
    monkeypatch.setitem(sys.modules, "tomllib", None)  # `import tomllib` now fails as on 3.10
    (f,) = scan("toml", "pyproject.toml", """\
        [tool.acme.celonis]
        url = "https://acme.eu-1.celonis.cloud"
        api_token = "${CELONIS_TOKEN}"  # from the CI
    """)
    assert row(f) == ("celonis-key-in-config", 3, "AppKey|Bearer", "env", "CELONIS_TOKEN", None, "medium")


def test_properties_spring_keys_and_key_type():
    found = scan("properties", "src/main/resources/application.properties", """\
        # read with @Value("${celonis.app-key}")
        celonis.base-url=https://acme.eu-1.celonis.cloud
        celonis.app-key = ${CELONIS_APP_KEY}
        celonis.key-type : APP_KEY
        spring.datasource.password=changeme
    """)
    assert [row(f) for f in found] == [
        ("celonis-key-in-config", 3, "AppKey", "env", "CELONIS_APP_KEY", None, "medium")]
    assert found[0].credential_names == ("config:celonis.app-key", "env:CELONIS_APP_KEY")


def test_properties_kafka_connector_literal_is_a_leaked_blocker():
    (f,) = scan("properties", "connect/ems-sink.properties", f"""\
        name=ems-sink
        connector.class=com.celonis.kafka.connect.ems.sink.EmsSinkConnector
        connect.ems.endpoint=https://acme.eu-1.celonis.cloud/continuous-batch-processing/api/v1/{POOL}/items
        connect.ems.authorization.key="AppKey {FAKE_APP_KEY}"
        connect.ems.target.table=orders
    """)
    assert row(f) == ("kafka-ems-static-key", 4, "AppKey", "literal", "connect.ems.authorization.key", "real-shape",
                      "high")
    assert f.leaked and f.related == ("3:1",)
    assert scopes(f) == [("POST", "/continuous-batch-processing/api/v1/{poolId}/items",
                          ("integration.data-pools:continuous_data_push",), "blocker")]
    assert any("config provider" in n for n in f.notes)


def test_properties_continuations_escapes_and_space_separator():
    found = scan("properties", "app.properties", """\
        celonis.url https://acme.eu-1.celonis.cloud
        celonis.api\\u005Ftoken = first\\
            -second
        ! a comment: celonis.app-key=nothing
    """)
    assert [row(f) for f in found] == [
        ("celonis-key-in-config", 2, "AppKey|Bearer", "literal", "celonis.api_token", "unexpected-shape", "medium")]


def test_cli_own_settings_and_short_words_under_key_names_are_not_keys(tmp_path):
    """`[tool.celonis-migrator.severity]` names rule ids (`celonis-api-token-env = "low"`): not a key,
    in pyproject.toml nor in the README's ```toml example; a real key-like entry next to it still is."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert 'celonis-api-token-env = "low"' in readme
    write(tmp_path, "README.md", readme, dedent=False)
    write(tmp_path, "pyproject.toml", f"""\
        [project]
        name = "acme-loader"

        [tool.celonis-migrator]
        extra-hosts = ["celonis.acme.internal"]
        disable-rules = ["celonis-api-token-env"]

        [tool.celonis-migrator.severity]
        celonis-api-token-env = "low"
        celonis-key-in-config = "info"

        [tool.acme.celonis]
        url = "{TEAM}"
        api_token = "changeme"
        app_key = "disabled"
    """)
    _, out = scan_json("README.md", "pyproject.toml", cwd=tmp_path)
    rows = sorted((f["path"], f["line"], f["key_source"]["name"], f["literal_class"]) for f in out["findings"])
    assert rows == [("pyproject.toml", 14, "tool.acme.celonis.api_token", "placeholder")]

    _, out = scan_json("README.md", "pyproject.toml", cwd=REPO)
    severity_line = next(i for i, line in enumerate(readme.split("\n"), 1) if "celonis-api-token-env = " in line)
    assert [f for f in out["findings"] if (f["path"], f["line"]) == ("README.md", severity_line)] == []
    assert [f for f in out["findings"] if f["path"] == "pyproject.toml"] == []
