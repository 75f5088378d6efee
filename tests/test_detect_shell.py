"""The shell/Dockerfile/PowerShell/raw-HTTP detector on usage-patterns.md §5 and §3.3, and the look-alikes of §7."""

from __future__ import annotations

import textwrap

from migrator.detect.shell import scan_shell_text
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY, scan_json, write


def scan(code: str, language: str = "shell", path: str = "run.sh"):
    return scan_shell_text(path, textwrap.dedent(code), language=language)


def only(code: str, language: str = "shell"):
    findings = scan(code, language)
    assert len(findings) == 1, [(f.rule_id, f.line, f.message) for f in findings]
    return findings[0]


def source(f):
    return (f.key_source.kind, f.key_source.name)


def paths(f):
    return [(e.method, e.path, e.scopes) for e in f.endpoints]


def test_curl_header_with_continuations_and_oauth2_bearer():
    findings = scan('''\
        #!/usr/bin/env bash
        : "${CELONIS_APP_KEY:?set it}"
        curl -s "https://acme.eu-1.celonis.cloud/integration/api/pools/$POOL/jobs/$JOB" \\
             -H "Authorization: AppKey ${CELONIS_APP_KEY}"
        curl -s --oauth2-bearer "$USER_KEY" \\
             "https://acme.eu-1.celonis.cloud/platform-adoption/api/external/adoption-tracking-events/$ASSET"
    ''')
    app, user = findings
    assert (app.rule_id, app.line, app.column) == ("celonis-appkey-header", 4, 10)
    assert app.auth_schemes == ("AppKey",) and source(app) == ("env", "CELONIS_APP_KEY")
    assert not app.leaked and app.severity == "medium" and app.language == "shell"
    assert paths(app) == [("GET", "/integration/api/pools/{poolId}/jobs/{jobId}", ("integration.data-pools",))]
    assert app.related == ("3:1",)
    assert (user.rule_id, user.line) == ("celonis-bearer-static-key", 5)
    assert user.auth_schemes == ("Bearer",) and source(user) == ("env", "USER_KEY")
    assert paths(user) == [("GET", "/platform-adoption/api/external/adoption-tracking-events/{asset}",
                            ("platform-adoption.tracking-events:read",))]


def test_literal_key_in_header_is_a_redacted_leak_and_post_is_implied_by_data():
    f = only(f'''\
        curl -sf 'https://acme.eu-1.celonis.cloud/data-ingestion/api/v1/data-push/aaaaaaaa-0000-4000-8000-000000000001/jobs/' \\
          --header 'authorization: AppKey {FAKE_APP_KEY}' -d '{{"targetName": "ORDERS"}}'
    ''')
    assert (f.line, f.column) == (2, 13)
    assert source(f) == ("literal", None) and f.leaked and f.severity == "high"
    assert f.redacted == "MDAw…[108 chars]" and FAKE_APP_KEY not in repr(f)
    (e,) = f.endpoints
    assert (e.method, e.scopes) == ("POST", ("integration.data-pools:data_push",))
    assert e.resource is not None and e.resource.id == "aaaaaaaa-0000-4000-8000-000000000001"


def test_variable_assigned_a_literal_and_header_kept_in_a_variable():
    f = only(f'''\
        BASE=https://acme.eu-1.celonis.cloud
        KEY="{FAKE_USER_KEY}"
        AUTH="Authorization: Bearer $KEY"
        curl -H "$AUTH" "$BASE/api/external/members?pageSize=200"
    ''')
    assert (f.rule_id, f.line) == ("celonis-bearer-static-key", 3)
    assert source(f) == ("literal", None) and f.leaked
    assert "the key is assigned to KEY at line 2" in f.notes
    (e,) = f.endpoints
    assert (e.method, e.path, e.host, e.line) == ("GET", "/api/external/members", "acme.eu-1.celonis.cloud", 4)
    assert e.scopes == ("team.user-group-info:read",)


def test_env_default_literal_is_a_fallback_leak():
    f = only(f'''\
        curl -H "Authorization: AppKey ${{CELONIS_APP_KEY:-{FAKE_APP_KEY}}}" https://acme.eu-1.celonis.cloud/log/api/external/audit
    ''')
    assert source(f) == ("env", "CELONIS_APP_KEY") and f.leaked
    assert "env var CELONIS_APP_KEY has a literal fallback in the file" in f.notes


def test_celonis_api_token_export_takes_its_scheme_from_celonis_key_type():
    f = only(f'''\
        export CELONIS_URL=https://acme.eu-1.celonis.cloud
        export CELONIS_API_TOKEN={FAKE_APP_KEY}
        export CELONIS_KEY_TYPE=APP_KEY
        content-cli pull package -p acme-prod --key acme-p2p
    ''')
    assert (f.rule_id, f.line, f.column) == ("celonis-api-token-env", 2, 1)
    assert f.auth_schemes == ("AppKey",) and source(f) == ("literal", None) and f.leaked


def test_oauth_tokens_jwts_and_other_vendors_are_not_findings():
    assert scan('''\
        BASE=https://acme.eu-1.celonis.cloud
        TOKEN=$(curl -sf -u "$CELONIS_CLIENT_ID:$CELONIS_CLIENT_SECRET" -d grant_type=client_credentials \\
          -d scope=integration.data-pools "$BASE/oauth2/token" | jq -r .access_token)
        curl -sf -X POST -H "Authorization: Bearer $TOKEN" "$BASE/integration/api/v1/data-pools/$POOL/data-models/$DM/load"
        curl -H "Authorization: Bearer eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJvcGVuaWQiXX0.c2lnbmF0dXJl" "$BASE/api/external/members"
        curl -H "Authorization: AppKey $PBI_KEY" https://api.powerbi.com/v1.0/collections/acme/workspaces
        curl -H "Authorization: Bearer $GITHUB_TOKEN" https://api.github.com/repos/acme/celonis-etl
        curl -H "Authorization: Bearer $AHA_TOKEN" https://celonis.aha.io/api/v1/ideas
        # Docs: https://developer.celonis.com/celonis-apis/auth/
        pip install --extra-index-url https://pypi.celonis.cloud/ pycelonis
    ''') == []


def test_header_without_a_url_needs_celonis_evidence_in_the_file():
    assert scan('curl -H "Authorization: AppKey $KEY" "$URL"\n') == []
    f = only('''\
        export CELONIS_URL=https://acme.eu-1.celonis.cloud
        curl -H "Authorization: AppKey $KEY" "$TARGET"
    ''')
    assert f.endpoints == () and f.confidence == "medium"
    assert any("no Celonis call found" in n for n in f.notes)


def test_placeholders_and_ci_secrets_are_usage_not_leaks():
    placeholder, secret = scan('''\
        curl -H "Authorization: AppKey <your-app-key>" https://<team>.<realm>.celonis.cloud/log/api/external/audit
        curl -H "Authorization: AppKey ${{ secrets.CELONIS_KEY }}" https://acme.eu-1.celonis.cloud/log/api/external/audit
    ''')
    assert placeholder.literal_class == "placeholder" and placeholder.severity == "info" and not placeholder.leaked
    assert [e.path for e in placeholder.endpoints] == ["/log/api/external/audit"]
    assert source(secret) == ("secret-reference", "CELONIS_KEY") and not secret.leaked


def test_wget_httpie_and_key_read_from_a_file():
    wget, httpie = scan('''\
        KEY=$(cat ~/.celonis/app.key)
        wget --method=PATCH --header="Authorization: AppKey $KEY" https://acme.eu-1.celonis.cloud/intelligence/api/subscriptions/$SUB/pause
        http GET https://acme.eu-1.celonis.cloud/machine-learning/api/notebooks Authorization:"Bearer $CELONIS_USER_KEY"
    ''')
    assert source(wget) == ("file", "~/.celonis/app.key")
    assert paths(wget) == [("PATCH", "/intelligence/api/subscriptions/{subscriptionId}/pause",
                            ("intelligence.subscriptions:manage",))]
    assert httpie.auth_schemes == ("Bearer",) and source(httpie) == ("env", "CELONIS_USER_KEY")
    assert paths(httpie)[0][0:2] == ("GET", "/machine-learning/api/notebooks")


def test_keys_from_secret_stores_prompts_and_arguments():
    found = scan('''\
        BASE=https://acme.eu-1.celonis.cloud
        A=$(vault kv get -field=app_key secret/celonis/prod)
        B=$(aws secretsmanager get-secret-value --secret-id celonis/app-key --query SecretString --output text)
        read -rsp "Celonis key: " C
        D=$1
        for k in "$A" "$B" "$C" "$D"; do :; done
        curl -H "Authorization: AppKey $A" "$BASE/api/team"
        curl -H "Authorization: AppKey $B" "$BASE/api/team"
        curl -H "Authorization: AppKey $C" "$BASE/api/team"
        curl -H "Authorization: AppKey $D" "$BASE/api/team"
    ''')
    assert [source(f) for f in found] == [
        ("secret-reference", "secret/celonis/prod"), ("secret-reference", "celonis/app-key"),
        ("user-input", "C"), ("cli-argument", "$1")]


def test_formatted_header_values_take_the_format_argument():
    (printf,) = scan('''\
        printf -v AUTH 'Authorization: AppKey %s' "$CELONIS_APP_KEY"
        curl -H "$AUTH" https://acme.eu-1.celonis.cloud/api/team
    ''')
    assert (printf.line, source(printf)) == (1, ("env", "CELONIS_APP_KEY"))
    assert [e.path for e in printf.endpoints] == ["/api/team"]
    (ps,) = scan('''\
        Invoke-RestMethod https://acme.eu-1.celonis.cloud/api/team -Headers @{ Authorization = "Bearer {0}" -f $env:KEY }
    ''', language="powershell")
    assert source(ps) == ("env", "KEY") and ps.auth_schemes == ("Bearer",)


def test_dockerfile_env_and_run_lines():
    header, token = scan_shell_text("Dockerfile", textwrap.dedent(f'''\
        FROM python:3.12-slim
        ENV CELONIS_API_TOKEN={FAKE_USER_KEY} \\
            CELONIS_KEY_TYPE=USER_KEY
        RUN curl -sf -H "Authorization: Bearer $CELONIS_API_TOKEN" \\
              https://acme.eu-1.celonis.cloud/package-manager/api/spaces > /spaces.json
    '''), language="dockerfile")
    assert (header.line, header.language) == (4, "dockerfile")
    assert source(header) == ("literal", None) and header.leaked
    assert [e.path for e in header.endpoints] == ["/package-manager/api/spaces"]
    assert (token.rule_id, token.line) == ("celonis-api-token-env", 2)
    assert token.leaked and token.auth_schemes == ("Bearer",)


def test_powershell_hashtable_headers_variable_and_authentication_parameter():
    hashtable, ps7, added = scan('''\
        param([Parameter(Mandatory)][string]$ApiKey)
        $h = @{
            Authorization = "AppKey $env:CELONIS_APP_KEY"
            Accept        = "application/json"
        }
        Invoke-RestMethod -Uri "https://acme.eu-1.celonis.cloud/api/external/authentication-events?pageSize=200" -Headers $h
        $secure = ConvertTo-SecureString $ApiKey -AsPlainText -Force
        Invoke-RestMethod -Method Get "https://acme.eu-1.celonis.cloud/log/api/external/audit" `
            -Authentication Bearer -Token $secure
        $headers = @{}
        $headers.Add("Authorization", "AppKey " + $cfg.celonis.appKey)
        $cfg = Get-Content celonis.json | ConvertFrom-Json
        curl.exe -X POST -H "Content-Type: application/json" https://acme.eu-1.celonis.cloud/machine-learning/api/executions -Headers $headers
    ''', language="powershell")
    assert (hashtable.line, hashtable.column) == (3, 5) and source(hashtable) == ("env", "CELONIS_APP_KEY")
    assert paths(hashtable) == [("GET", "/api/external/authentication-events", ("team.login-history:read",))]
    assert hashtable.related == ("6:1",) and hashtable.language == "powershell"
    assert (ps7.rule_id, ps7.line) == ("celonis-bearer-static-key", 9) and source(ps7) == ("cli-argument", "ApiKey")
    assert paths(ps7) == [("GET", "/log/api/external/audit", ("audit.log:read",))]
    assert source(added) == ("config", "celonis.appKey") and "read from celonis.json" in added.notes
    assert paths(added) == [("POST", "/machine-learning/api/executions", ("machine-learning",))]


def test_powershell_oauth_token_is_not_a_finding():
    assert scan('''\
        $base = "https://acme.eu-1.celonis.cloud"
        $t = (Invoke-RestMethod -Method Post "$base/oauth2/token" -Body @{
            grant_type = 'client_credentials'; scope = 'team.login-history:read'
            client_id = $env:CELONIS_CLIENT_ID; client_secret = $env:CELONIS_CLIENT_SECRET }).access_token
        Invoke-RestMethod "$base/api/external/authentication-events" -Headers @{ Authorization = "Bearer $t" }
    ''', language="powershell") == []


def test_raw_http_blocks_with_host_header_and_variables():
    literal, env = scan(f'''\
        @appKey = {FAKE_APP_KEY}

        ### Audit log
        GET /log/api/external/audit?pageSize=200 HTTP/1.1
        Host: acme.eu-1.celonis.cloud
        Authorization: AppKey {{{{appKey}}}}

        ### Members
        GET https://acme.eu-1.celonis.cloud/api/external/members
        Authorization: Bearer {{{{$dotenv CELONIS_USER_KEY}}}}
    ''', language="http")
    assert (literal.line, literal.column, literal.language) == (6, 1, "http")
    assert literal.leaked and source(literal) == ("literal", None)
    assert paths(literal) == [("GET", "/log/api/external/audit", ("audit.log:read",))]
    assert literal.endpoints[0].host == "acme.eu-1.celonis.cloud"
    assert (env.line, env.auth_schemes, source(env)) == (10, ("Bearer",), ("env", "CELONIS_USER_KEY"))


def test_cli_scans_shell_dockerfile_powershell_and_http_files(tmp_path):
    write(tmp_path, "scripts/reload.sh", '''\
        #!/usr/bin/env bash
        set -euo pipefail
        curl -sf -X POST -H "Authorization: AppKey $CELONIS_KEY" \\
          "https://acme.eu-1.celonis.cloud/integration/api/v1/data-pools/$POOL/data-models/$DM/load"
    ''')
    write(tmp_path, "docker/Dockerfile.dev", f'''\
        FROM alpine:3.20
        ENV CELONIS_API_TOKEN={FAKE_APP_KEY}
    ''')
    write(tmp_path, "ops/Audit.PS1", '''\
        $h = @{ Authorization = "AppKey $env:CELONIS_APP_KEY" }
        Invoke-RestMethod -Uri "https://acme.eu-1.celonis.cloud/log/api/external/audit" -Headers $h
    ''')
    write(tmp_path, "api/members.http", '''\
        GET https://acme.eu-1.celonis.cloud/api/external/members
        Authorization: Bearer {{celonisApiKey}}
    ''')
    code, out = scan_json(".", cwd=tmp_path)
    assert code == 1
    got = {f["path"]: f for f in out["findings"]}
    assert set(got) == {"scripts/reload.sh", "docker/Dockerfile.dev", "ops/Audit.PS1", "api/members.http"}
    reload = got["scripts/reload.sh"]
    assert (reload["line"], reload["auth_schemes"], reload["key_source"]) == (
        3, ["AppKey"], {"kind": "env", "name": "CELONIS_KEY"})
    assert [(e["method"], e["path"], e["scopes"]) for e in reload["endpoints"]] == [
        ("POST", "/integration/api/v1/data-pools/{poolId}/data-models/{dataModelId}/load", ["integration.data-pools"])]
    docker = got["docker/Dockerfile.dev"]
    assert (docker["rule_id"], docker["line"], docker["leaked"], docker["language"]) == (
        "celonis-api-token-env", 2, True, "dockerfile")
    assert FAKE_APP_KEY not in str(out)
    audit = got["ops/Audit.PS1"]
    assert (audit["line"], audit["language"], audit["key_source"]["name"]) == (1, "powershell", "CELONIS_APP_KEY")
    assert [e["scopes"] for e in audit["endpoints"]] == [["audit.log:read"]]
    members = got["api/members.http"]
    assert (members["line"], members["auth_schemes"], members["key_source"]) == (
        2, ["Bearer"], {"kind": "config", "name": "celonisApiKey"})
    assert [e["path"] for e in members["endpoints"]] == ["/api/external/members"]


def _rows(out):
    return sorted((f["path"], f["line"], f["rule_id"], f["key_source"]["kind"], f["key_source"]["name"])
                  for f in out["findings"])


def _scopes(f):
    return sorted({s for e in f["endpoints"] for s in e["scopes"]})


def test_cli_content_cli_run_with_team_url_and_api_token_is_a_key_profile(tmp_path):
    """usage-patterns.md §3.7: TEAM_URL + API_TOKEN (or CELONIS_URL + CELONIS_API_TOKEN) before content-cli."""
    write(tmp_path, "scripts/deploy-content.sh", '''\
        #!/usr/bin/env bash
        set -euo pipefail
        export TEAM_URL=https://acme.eu-1.celonis.cloud
        export API_TOKEN="$(vault kv get -field=token secret/celonis/content)"

        content-cli pull package --key acme-p2p
        content-cli push package --spaceKey finance -f package_acme-p2p.zip
        content-cli export data-pool --id aaaaaaaa-0000-4000-8000-000000000001
        content-cli pull skill --projectId p-1 --skillId s-1
        # an OAuth profile, named: content-cli reads it, not the environment
        content-cli pull package -p acme-oauth --key acme-other
    ''')
    write(tmp_path, "scripts/config-export.sh", '''\
        #!/bin/sh
        CELONIS_URL=globex.us-2.celonis.cloud CELONIS_API_TOKEN="$GLOBEX_KEY" \\
          npx @celonis/content-cli config export --packageKeys globex-o2c
    ''')
    write(tmp_path, ".github/workflows/content.yml", '''\
        name: content
        on: push
        jobs:
          deploy:
            runs-on: ubuntu-latest
            env:
              TEAM_URL: https://acme.eu-1.celonis.cloud
              API_TOKEN: ${{ secrets.CELONIS_CONTENT_KEY }}
            steps:
              - uses: actions/checkout@v4
              - run: npx @celonis/content-cli@latest list data-pools --json
    ''')
    code, out = scan_json(".", cwd=tmp_path)
    assert code == 1
    profiles = {f["path"]: f for f in out["findings"] if f["rule_id"] == "content-cli-key-profile"}
    assert set(profiles) == {"scripts/deploy-content.sh", "scripts/config-export.sh", ".github/workflows/content.yml"}

    deploy = profiles["scripts/deploy-content.sh"]
    assert (deploy["line"], deploy["auth_schemes"], deploy["key_source"], deploy["language"]) == (
        6, ["AppKey", "Bearer"], {"kind": "env", "name": "API_TOKEN"}, "shell")
    assert _scopes(deploy) == ["action-engine.projects", "integration.data-pools", "studio"]
    assert {e["host"] for e in deploy["endpoints"]} == {"acme.eu-1.celonis.cloud"}
    assert sorted(deploy["related"]) == ["4:1", "7:1", "8:1", "9:1"]  # not the -p command on line 11
    assert any("set at line 4 from secret-reference secret/celonis/content" in n for n in deploy["notes"])

    export = profiles["scripts/config-export.sh"]
    assert (export["line"], export["key_source"]) == (3, {"kind": "env", "name": "CELONIS_API_TOKEN"})
    assert [(e["method"], e["path"], e["host"]) for e in export["endpoints"]] == [
        ("GET", "/package-manager/api/core/packages/export/batch", "globex.us-2.celonis.cloud")]
    assert any("CELONIS_URL + CELONIS_API_TOKEN" in n and "Client Credentials" in n for n in export["notes"])

    ci = profiles[".github/workflows/content.yml"]
    assert (ci["line"], ci["language"], ci["key_source"]) == (11, "yaml", {"kind": "env", "name": "API_TOKEN"})
    assert _scopes(ci) == ["integration.data-pools"]
    assert "secret:CELONIS_CONTENT_KEY" in ci["credential_names"]


def test_cli_content_cli_without_the_environment_pair_is_not_a_key_profile(tmp_path):
    write(tmp_path, "scripts/pull.sh", '''\
        #!/usr/bin/env bash
        export API_TOKEN="$ACME_KEY"          # TEAM_URL is missing: content-cli would not use it
        content-cli pull package --key acme-p2p
        TEAM_URL=https://acme.eu-1.celonis.cloud content-cli pull package -p acme-oauth --key acme-p2p
    ''')
    _, out = scan_json(".", cwd=tmp_path)
    assert [f for f in out["findings"] if f["rule_id"] == "content-cli-key-profile"] == []


def test_cli_jenkinsfile_and_groovy_steps_are_scanned_as_shell(tmp_path):
    write(tmp_path, "Jenkinsfile", '''\
        pipeline {
          agent any
          environment {
            TEAM_URL = 'https://acme.eu-1.celonis.cloud'
            API_TOKEN = credentials('celonis-content-key')
          }
          stages {
            stage('Deploy content') {
              steps {
                sh 'npx @celonis/content-cli push package --spaceKey finance -f package_acme-p2p.zip'
              }
            }
            stage('Reload') {
              steps {
                withCredentials([string(credentialsId: 'celonis-app-key', variable: 'CELONIS_KEY')]) {
                  sh \'\'\'
                    curl -sf -X POST -H "Authorization: AppKey $CELONIS_KEY" \\\\
                      "https://acme.eu-1.celonis.cloud/integration/api/v1/data-pools/$POOL/data-models/$DM/load"
                  \'\'\'
                }
                // sh 'curl -H "Authorization: AppKey $OLD_KEY" https://acme.eu-1.celonis.cloud/api/team'
                bat 'curl -H "Authorization: Bearer %CELONIS_USER_KEY%" https://acme.eu-1.celonis.cloud/api/external/members'
                sh(script: "curl -s -H \\"Authorization: AppKey ${env.AUDIT_KEY}\\" https://acme.eu-1.celonis.cloud/log/api/external/audit", returnStdout: true)
              }
            }
          }
        }
    ''')
    write(tmp_path, "vars/celonisJobs.groovy", '''\
        def call(String pool) {
          withCredentials([usernamePassword(credentialsId: 'celonis-user', usernameVariable: 'CEL_USER',
                                            passwordVariable: 'CEL_KEY')]) {
            sh """
              curl -sf -H "Authorization: Bearer \\$CEL_KEY" \\\\
                https://acme.eu-1.celonis.cloud/integration/api/pools/${pool}/jobs
            """
          }
        }
    ''')
    code, out = scan_json(".", cwd=tmp_path)
    assert code == 1
    assert _rows(out) == [
        ("Jenkinsfile", 10, "content-cli-key-profile", "secret-reference", "celonis-content-key"),
        ("Jenkinsfile", 17, "celonis-appkey-header", "secret-reference", "celonis-app-key"),
        ("Jenkinsfile", 22, "celonis-bearer-static-key", "env", "CELONIS_USER_KEY"),
        ("Jenkinsfile", 23, "celonis-appkey-header", "env", "AUDIT_KEY"),
        ("vars/celonisJobs.groovy", 5, "celonis-bearer-static-key", "secret-reference", "celonis-user"),
    ]
    by_line = {(f["path"], f["line"]): f for f in out["findings"]}
    reload = by_line[("Jenkinsfile", 17)]
    assert (reload["column"], reload["language"]) == (34, "groovy")
    assert [(e["method"], e["path"]) for e in reload["endpoints"]] == [
        ("POST", "/integration/api/v1/data-pools/{poolId}/data-models/{dataModelId}/load")]
    assert "15:1" in reload["related"] and {"env:CELONIS_KEY", "secret:celonis-app-key"} <= set(reload["credential_names"])
    assert any("bound to Jenkins credential 'celonis-app-key' (withCredentials, line 15)" in n for n in reload["notes"])
    assert _scopes(by_line[("Jenkinsfile", 10)]) == ["studio"]
    assert [e["path"] for e in by_line[("Jenkinsfile", 23)]["endpoints"]] == ["/log/api/external/audit"]
    assert [e["path"] for e in by_line[("vars/celonisJobs.groovy", 5)]["endpoints"]] == [
        "/integration/api/pools/{poolId}/jobs"]
