"""A synthetic monorepo with every configuration format of usage-patterns.md §3, look-alikes (§7),
placeholders (§8) and malformed files, scanned once through the real CLI.

Asserts exact paths, lines, schemes, key sources, leaks and scopes, that broken files are skipped
with a reason while the rest is still reported, and that a key split across files counts once.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY, scan_json, write

POOL = "aaaaaaaa-0000-4000-8000-000000000001"


def fake_key(digit: str) -> str:
    """Another key of the real shape (base64 of `<uuid>:<44-char secret>`), so that keys differ."""
    uuid = "-".join(digit * n for n in (8, 4, 4, 4, 12))
    return base64.b64encode(f"{uuid}:{'FAKE' * 11}".encode()).decode()


ENV_KEY = fake_key("2")
SECRET_KEY = fake_key("3")
SECRET_DATA = base64.b64encode(SECRET_KEY.encode()).decode()

FILES: dict[str, str] = {
    # --- the loader service: .env + code reading it, YAML settings + code reading them ----------
    "services/loader/.env": f"""\
        CELONIS_URL=https://acme.eu-1.celonis.cloud
        CELONIS_API_TOKEN={ENV_KEY}
        CELONIS_KEY_TYPE=APP_KEY
    """,
    "services/loader/.env.example": """\
        CELONIS_URL=https://<team>.<realm>.celonis.cloud
        CELONIS_API_TOKEN=<your-app-key>
    """,
    "services/loader/loader.py": """\
        import os
        import requests

        BASE = "https://acme.eu-1.celonis.cloud"


        def audit():
            headers = {"Authorization": "AppKey " + os.environ["CELONIS_API_TOKEN"]}
            return requests.get(f"{BASE}/log/api/external/audit?pageSize=200", headers=headers).json()
    """,
    "services/reporter/settings.yaml": """\
        celonis:
          base_url: https://acme.eu-1.celonis.cloud
          api_token: changeme
          key_type: USER_KEY
    """,
    "services/reporter/report.py": """\
        import requests
        import yaml

        cfg = yaml.safe_load(open("settings.yaml"))


        def models():
            token = cfg["celonis"]["api_token"]
            return requests.get("https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models",
                                headers={"Authorization": f"Bearer {token}"})
    """,
    # --- deployment -------------------------------------------------------------------------------
    "deploy/docker-compose.yml": """\
        services:
          loader:
            image: acme/loader:1.4
            environment:
              CELONIS_URL: https://acme.eu-1.celonis.cloud
              CELONIS_API_TOKEN: ${CELONIS_API_TOKEN}
              CELONIS_KEY_TYPE: APP_KEY
            env_file: ../services/loader/.env
    """,
    "deploy/k8s/loader.yaml": f"""\
        apiVersion: v1
        kind: Secret
        metadata: {{ name: celonis-push }}
        type: Opaque
        data:
          PUSH_TOKEN: {SECRET_DATA}
        ---
        apiVersion: apps/v1
        kind: Deployment
        metadata: {{ name: pusher }}
        spec:
          template:
            spec:
              containers:
                - name: pusher
                  image: acme/pusher:2.0
                  env:
                    - name: CELONIS_URL
                      value: https://acme.eu-1.celonis.cloud
                    - name: CELONIS_PUSH_KEY
                      valueFrom: {{ secretKeyRef: {{ name: celonis-push, key: PUSH_TOKEN }} }}
    """,
    "charts/loader/values.yaml": """\
        image: acme/loader
        celonis:
          url: https://acme.eu-1.celonis.cloud
          apiToken: ""
    """,
    ".github/workflows/reload.yml": """\
        name: reload
        on:
          schedule: [{cron: "0 3 * * *"}]
        jobs:
          reload:
            runs-on: ubuntu-latest
            env:
              CELONIS_KEY: ${{ secrets.CELONIS_KEY }}
            steps:
              - run: |
                  curl -sf -X POST -H "Authorization: AppKey $CELONIS_KEY" \\
                    "https://acme.eu-1.celonis.cloud/integration/api/v1/data-pools/$POOL/data-models/$DM/load"
    """,
    ".gitlab-ci.yml": """\
        variables:
          CELONIS_URL: https://acme.eu-1.celonis.cloud
        members:
          script:
            - 'curl -sf -H "Authorization: Bearer $CELONIS_USER_KEY" "$CELONIS_URL/api/external/members"'
    """,
    # --- other config formats ---------------------------------------------------------------------
    "config/app.ini": """\
        [celonis]
        url = https://acme.eu-1.celonis.cloud
        app_key = ${ACME_APP_KEY}
        key_type = APP_KEY
    """,
    "pyproject.toml": """\
        [project]
        name = "acme-etl"

        [tool.acme.celonis]
        url = "https://acme.eu-1.celonis.cloud"
        api_token = "xxx"
    """,
    "connect/ems-sink.properties": f"""\
        name=ems-sink
        connector.class=com.celonis.kafka.connect.ems.sink.EmsSinkConnector
        connect.ems.endpoint=https://acme.eu-1.celonis.cloud/continuous-batch-processing/api/v1/{POOL}/items
        connect.ems.authorization.key="AppKey {FAKE_APP_KEY}"
    """,
    "connect/ems-sink.json": f"""\
        {{"name": "ems-sink", "config": {{
          "connector.class": "com.celonis.kafka.connect.ems.sink.EmsSinkConnector",
          "connect.ems.authorization.key": "AppKey {FAKE_APP_KEY}"}}}}
    """,
    "java/src/main/resources/application.properties": """\
        celonis.base-url=https://acme.eu-1.celonis.cloud
        celonis.app-key=${CELONIS_APP_KEY}
    """,
    "postman/celonis.postman_collection.json": """\
        {
          "info": {"name": "Celonis", "schema": "https://schema.getpostman.com/json/collection/v2.1.0/collection.json"},
          "auth": {"type": "apikey", "apikey": [
            {"key": "key", "value": "Authorization"},
            {"key": "value", "value": "AppKey {{celonisAppKey}}"},
            {"key": "in", "value": "header"}]},
          "item": [{"name": "Audit log", "request": {"method": "GET",
            "url": {"raw": "https://{{team}}.eu-1.celonis.cloud/log/api/external/audit?pageSize=200"}}}]
        }
    """,
    "postman/acme.postman_environment.json": f"""\
        {{"id": "e1", "name": "acme", "_postman_variable_scope": "environment",
         "values": [{{"key": "team", "value": "acme", "enabled": true}},
                    {{"key": "celonisAppKey", "value": "{FAKE_USER_KEY}", "enabled": true}}]}}
    """,
    ".celonis-content-cli-profiles/acme-prod.json": """\
        {"name": "acme-prod", "team": "https://acme.eu-1.celonis.cloud", "type": "Key",
         "authenticationType": "Bearer", "apiToken": "<paste the key>"}
    """,
    # --- negatives ----------------------------------------------------------------------------------
    "config/powerbi.yaml": """\
        powerbi:
          url: https://api.powerbi.com/v1.0/collections/acme/workspaces
          headers:
            Authorization: "AppKey ${PBI_APP_KEY}"
    """,
    ".celonis-content-cli-profiles/ci.json": """\
        {"name": "ci", "team": "https://acme.eu-1.celonis.cloud", "type": "Client Credentials",
         "clientId": "acme-ci", "clientSecret": "committed-secret", "scopes": ["studio"], "apiToken": "",
         "expiresAt": 0}
    """,
    "postman/oauth.postman_collection.json": """\
        {"info": {"name": "OAuth", "_postman_id": "p2"},
         "auth": {"type": "oauth2", "oauth2": [{"key": "grant_type", "value": "client_credentials"},
                  {"key": "accessTokenUrl", "value": "https://acme.eu-1.celonis.cloud/oauth2/token"}]},
         "item": [{"name": "Audit", "request": {"url": "https://acme.eu-1.celonis.cloud/log/api/external/audit"}}]}
    """,
    "tools/github.env": """\
        API_TOKEN=ghp_exampleexample
        REPO=acme/etl
    """,
    "devices/lora.json": """\
        {"devices": [{"devEui": "0004A30B001C0530", "appEui": "70B3D57ED0000000",
                      "appKey": "00112233445566778899AABBCCDDEEFF"}]}
    """,
    # --- malformed ----------------------------------------------------------------------------------
    "config/broken.yaml": """\
        celonis:
          api_token: [unclosed
    """,
    "config/broken.json": """\
        {"celonis": {"apiToken": "x",}}
    """,
}

#: (path, line, rule, scheme, key source kind, key source name, leaked, severity) of every finding.
EXPECTED = {
    ("services/loader/.env", 2, "celonis-key-in-config", "AppKey", "literal", "CELONIS_API_TOKEN", True, "high"),
    ("services/loader/.env.example", 2, "celonis-key-in-config", "AppKey|Bearer", "literal", "CELONIS_API_TOKEN",
     False, "info"),
    ("services/loader/loader.py", 8, "celonis-appkey-header", "AppKey", "env", "CELONIS_API_TOKEN", False, "medium"),
    ("services/reporter/settings.yaml", 3, "celonis-key-in-config", "Bearer", "literal", "celonis.api_token", False,
     "info"),
    ("services/reporter/report.py", 10, "celonis-bearer-static-key", "Bearer", "config", "cfg['celonis']['api_token']",
     False, "medium"),
    ("deploy/docker-compose.yml", 6, "celonis-key-in-config", "AppKey", "env", "CELONIS_API_TOKEN", False, "medium"),
    ("deploy/k8s/loader.yaml", 6, "k8s-secret-celonis-key", "AppKey|Bearer", "literal", "celonis-push/PUSH_TOKEN",
     True, "high"),
    ("deploy/k8s/loader.yaml", 20, "celonis-key-in-config", "AppKey|Bearer", "secret-reference",
     "celonis-push/PUSH_TOKEN", False, "medium"),
    ("charts/loader/values.yaml", 4, "celonis-key-in-config", "AppKey|Bearer", "literal", "celonis.apiToken", False,
     "info"),
    (".github/workflows/reload.yml", 8, "celonis-key-in-config", "AppKey", "secret-reference", "CELONIS_KEY", False,
     "medium"),
    (".github/workflows/reload.yml", 11, "celonis-appkey-header", "AppKey", "env", "CELONIS_KEY", False, "medium"),
    (".gitlab-ci.yml", 5, "celonis-bearer-static-key", "Bearer", "env", "CELONIS_USER_KEY", False, "medium"),
    ("config/app.ini", 3, "celonis-key-in-config", "AppKey", "env", "ACME_APP_KEY", False, "medium"),
    ("pyproject.toml", 6, "celonis-key-in-config", "AppKey|Bearer", "literal", "tool.acme.celonis.api_token", False,
     "info"),
    ("connect/ems-sink.properties", 4, "kafka-ems-static-key", "AppKey", "literal", "connect.ems.authorization.key",
     True, "high"),
    ("connect/ems-sink.json", 3, "kafka-ems-static-key", "AppKey", "literal", "connect.ems.authorization.key", True,
     "high"),
    ("java/src/main/resources/application.properties", 2, "celonis-key-in-config", "AppKey|Bearer", "env",
     "CELONIS_APP_KEY", False, "medium"),
    ("postman/celonis.postman_collection.json", 5, "postman-static-key", "AppKey", "config", "postman:celonisAppKey",
     False, "medium"),
    ("postman/acme.postman_environment.json", 3, "postman-static-key", "AppKey|Bearer", "literal",
     "postman:celonisAppKey", True, "high"),
    (".celonis-content-cli-profiles/acme-prod.json", 2, "content-cli-key-profile", "Bearer", "literal",
     "content-cli profile acme-prod", False, "info"),
}


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    root: Path = tmp_path_factory.mktemp("monorepo")
    for rel, text in FILES.items():
        write(root, rel, text)
    code, data = scan_json("--no-git", ".", cwd=root)
    assert code == 1
    return data


def by_path(report: dict[str, Any], path: str, line: int) -> dict[str, Any]:
    (found,) = [f for f in report["findings"] if f["path"] == path and f["line"] == line]
    return found


def test_every_finding_is_expected_and_nothing_else(report):
    rows = {(f["path"], f["line"], f["rule_id"], f["auth_scheme"], f["key_source"]["kind"], f["key_source"]["name"],
             f["leaked"], f["severity"]) for f in report["findings"]}
    assert rows == EXPECTED


def test_no_raw_key_reaches_the_report(report):
    text = json.dumps(report)
    for key in (FAKE_APP_KEY, FAKE_USER_KEY, ENV_KEY, SECRET_KEY, SECRET_DATA):
        assert key not in text


def test_config_findings_carry_the_file_kind_and_manual_fixes(report):
    kinds = {f["path"]: f["language"] for f in report["findings"] if f["rule_id"] not in (
        "celonis-appkey-header", "celonis-bearer-static-key") or f["path"].endswith((".yml", ".yaml"))}
    assert kinds[".github/workflows/reload.yml"] == "yaml"
    assert kinds["services/loader/.env"] == "dotenv"
    assert kinds["config/app.ini"] == "ini" and kinds["pyproject.toml"] == "toml"
    assert kinds["connect/ems-sink.properties"] == "properties"
    assert kinds["postman/celonis.postman_collection.json"] == "json"
    assert all(f["fixable_by"] == "manual" for f in report["findings"] if f["language"] != "python")


def test_scopes_and_blockers_of_config_findings(report):
    def endpoints(path: str, line: int) -> list[tuple[str, str, list[str], str]]:
        return [(e["method"], e["path"], e["scopes"], e["status"]) for e in by_path(report, path, line)["endpoints"]]

    assert endpoints(".github/workflows/reload.yml", 11) == [
        ("POST", "/integration/api/v1/data-pools/{poolId}/data-models/{dataModelId}/load", ["integration.data-pools"],
         "documented")]
    assert endpoints("postman/celonis.postman_collection.json", 5) == [
        ("GET", "/log/api/external/audit", ["audit.log:read"], "documented")]
    assert endpoints("connect/ems-sink.properties", 4) == [
        ("POST", "/continuous-batch-processing/api/v1/{poolId}/items", ["integration.data-pools:continuous_data_push"],
         "blocker")]
    assert endpoints(".gitlab-ci.yml", 5) == [
        ("GET", "/api/external/members", ["team.user-group-info:read"], "documented")]
    blockers = {(b["method"], b["path"]) for b in report["plan"]["blockers"]}
    assert ("POST", "/continuous-batch-processing/api/v1/{poolId}/items") in blockers
    scopes = {s["scope"] for s in report["plan"]["scopes"]}
    assert {"audit.log:read", "integration.data-pools", "team.user-group-info:read",
            "intelligence.knowledge-models:read"} <= scopes


def test_malformed_files_are_skipped_with_a_reason_and_the_rest_still_reported(report):
    skipped = {s["path"]: (s["reason"], s["detail"]) for s in report["stats"]["skipped"]}
    assert skipped["config/broken.yaml"] == (
        "malformed", "malformed YAML: line 3: expected ',' or ']', but got '<stream end>'")
    assert skipped["config/broken.json"] == (
        "malformed", "malformed JSON: line 1 column 30: Expecting property name enclosed in double quotes")
    assert report["stats"]["skipped_by_reason"]["malformed"] == 2


def test_env_file_and_the_code_that_reads_it_are_one_credential(report):
    env = by_path(report, "services/loader/.env", 2)
    code = by_path(report, "services/loader/loader.py", 8)
    assert env["credential_id"] == code["credential_id"] == "env:CELONIS_API_TOKEN"
    assert "services/loader/loader.py:8" in env["linked"] and "services/loader/.env:2" in code["linked"]
    (credential,) = [c for c in report["plan"]["credentials"] if c["id"] == "env:CELONIS_API_TOKEN"]
    assert credential["findings"] == ["deploy/docker-compose.yml:6", "services/loader/.env:2",
                                      "services/loader/.env.example:2", "services/loader/loader.py:8"]
    assert credential["auth_schemes"] == ["AppKey"] and credential["leaked"] is True


def test_other_splits_are_linked(report):
    def ident(path: str, line: int) -> str:
        return by_path(report, path, line)["credential_id"]

    # YAML settings read by Python through cfg["celonis"]["api_token"]
    assert ident("services/reporter/settings.yaml", 3) == ident("services/reporter/report.py", 10) \
        == "config:services/reporter/settings.yaml#celonis.api_token"
    # Kubernetes Secret and the Deployment that maps it to another variable name
    assert ident("deploy/k8s/loader.yaml", 6) == ident("deploy/k8s/loader.yaml", 20) == "env:CELONIS_PUSH_KEY"
    # CI secret, the env entry and the script that sends it
    assert ident(".github/workflows/reload.yml", 8) == ident(".github/workflows/reload.yml", 11) == "env:CELONIS_KEY"
    # Postman collection variable and the environment file that holds its value
    assert ident("postman/celonis.postman_collection.json", 5) == ident("postman/acme.postman_environment.json", 3) \
        == "postman:celonisAppKey"


def test_the_plan_counts_each_credential_once(report):
    credentials = {c["id"]: (c["auth_schemes"], c["leaked"], c["findings"]) for c in report["plan"]["credentials"]}
    kafka = next(i for i in credentials if i.startswith("finding:"))
    assert credentials == {
        "config:charts/loader/values.yaml#celonis.apiToken": (["AppKey", "Bearer"], False,
                                                              ["charts/loader/values.yaml:4"]),
        "config:pyproject.toml#tool.acme.celonis.api_token": (["AppKey", "Bearer"], False, ["pyproject.toml:6"]),
        "config:services/reporter/settings.yaml#celonis.api_token": (
            ["Bearer"], False, ["services/reporter/report.py:10", "services/reporter/settings.yaml:3"]),
        "content-cli:acme-prod": (["Bearer"], False, [".celonis-content-cli-profiles/acme-prod.json:2"]),
        "env:ACME_APP_KEY": (["AppKey"], False, ["config/app.ini:3"]),
        "env:CELONIS_API_TOKEN": (["AppKey"], True, [
            "deploy/docker-compose.yml:6", "services/loader/.env:2", "services/loader/.env.example:2",
            "services/loader/loader.py:8"]),
        "env:CELONIS_APP_KEY": (["AppKey", "Bearer"], False, ["java/src/main/resources/application.properties:2"]),
        "env:CELONIS_KEY": (["AppKey"], False, [".github/workflows/reload.yml:8", ".github/workflows/reload.yml:11"]),
        "env:CELONIS_PUSH_KEY": (["AppKey", "Bearer"], True, ["deploy/k8s/loader.yaml:6", "deploy/k8s/loader.yaml:20"]),
        "env:CELONIS_USER_KEY": (["Bearer"], False, [".gitlab-ci.yml:5"]),
        # the same literal key in two connector configs: one key to revoke
        kafka: (["AppKey"], True, ["connect/ems-sink.json:3", "connect/ems-sink.properties:4"]),
        "postman:celonisAppKey": (["AppKey"], True, ["postman/acme.postman_environment.json:3",
                                                     "postman/celonis.postman_collection.json:5"]),
    }
    assert report["stats"]["credentials"] == len(credentials) == 12
