"""The Markdown detector: fenced blocks by language, command lines in prose, placeholders versus leaks (§5, §8)."""

from __future__ import annotations

import textwrap

from migrator.detect.markdown import scan_markdown_text
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY, scan_json, write

FENCE = "```"


def scan(text: str, path: str = "README.md"):
    return scan_markdown_text(path, textwrap.dedent(text))


def rows(findings):
    return sorted((f.rule_id, f.line, f.auth_schemes, f.key_source.kind, f.key_source.name, f.leaked)
                  for f in findings)


def test_readme_teaching_a_placeholder_key_is_an_info_finding():
    (f,) = scan(f'''\
        # Acme loader

        Reload the data model with:

        {FENCE}bash
        curl -X POST -H "Authorization: AppKey <your-app-key>" \\
          "https://<team>.<realm>.celonis.cloud/integration/api/v1/data-pools/<pool-id>/data-models/<dm-id>/load"
        {FENCE}
    ''')
    assert (f.rule_id, f.line, f.column) == ("celonis-appkey-header", 6, 18)
    assert f.literal_class == "placeholder" and f.severity == "info" and not f.leaked
    assert (f.language, f.fixable_by) == ("markdown", "manual")
    assert "documentation still teaches static keys: show the OAuth client-credentials flow instead" in f.notes
    (e,) = f.endpoints
    assert (e.method, e.path, e.scopes) == ("POST", "/integration/api/v1/data-pools/{poolId}/data-models/{dataModelId}/load",
                                            ("integration.data-pools",))


def test_real_shape_key_in_a_readme_is_a_leak():
    (f,) = scan(f'''\
        ~~~console
        $ curl -H 'Authorization: Bearer {FAKE_USER_KEY}' https://acme.eu-1.celonis.cloud/api/external/members
        ~~~
    ''')
    assert (f.line, f.column) == (2, 12)
    assert f.leaked and f.severity == "high" and f.redacted == "MTEx…[108 chars]"
    assert FAKE_USER_KEY not in repr(f)
    assert [e.scopes for e in f.endpoints] == [("team.user-group-info:read",)]


def test_each_fence_language_goes_to_its_detector_with_document_lines():
    found = scan(f'''\
        Setup, in a list:

        1. Export the base URL:

           {FENCE}sh
           export CELONIS_URL=https://acme.eu-1.celonis.cloud
           {FENCE}
        2. Call it:

           {FENCE}sh
           curl -H "Authorization: AppKey $CELONIS_APP_KEY" "$CELONIS_URL/log/api/external/audit"
           {FENCE}

        {FENCE}powershell
        $h = @{{ Authorization = "Bearer $env:CELONIS_USER_KEY" }}
        Invoke-RestMethod https://acme.eu-1.celonis.cloud/api/external/authentication-events -Headers $h
        {FENCE}

        {FENCE}http
        GET /intelligence/api/knowledge-models HTTP/1.1
        Host: acme.eu-1.celonis.cloud
        Authorization: AppKey {{{{appKey}}}}
        {FENCE}

        {FENCE}ts
        const celonis = axios.create({{ baseURL: "https://acme.eu-1.celonis.cloud",
          headers: {{ Authorization: `AppKey ${{process.env.CELONIS_APP_KEY}}` }} }});
        await celonis.get("/package-manager/api/spaces");
        {FENCE}

        {FENCE}yaml-but-unknown
        Authorization: AppKey {FAKE_APP_KEY}
        {FENCE}
    ''')
    assert rows(found) == [
        ("celonis-appkey-header", 11, ("AppKey",), "env", "CELONIS_APP_KEY", False),
        ("celonis-appkey-header", 22, ("AppKey",), "config", "appKey", False),
        ("celonis-appkey-header", 27, ("AppKey",), "env", "CELONIS_APP_KEY", False),
        ("celonis-bearer-static-key", 15, ("Bearer",), "env", "CELONIS_USER_KEY", False),
    ]
    by_line = {f.line: f for f in found}
    assert [(e.path, e.host) for e in by_line[11].endpoints] == [("/log/api/external/audit", "acme.eu-1.celonis.cloud")]
    assert [e.scopes for e in by_line[15].endpoints] == [("team.login-history:read",)]
    assert [e.scopes for e in by_line[22].endpoints] == [("intelligence.knowledge-models:read",)]
    assert [e.path for e in by_line[27].endpoints] == ["/package-manager/api/spaces"]
    assert {f.language for f in found} == {"markdown"}


def test_python_blocks_share_constants_and_fragments_do_not_hide_the_rest():
    found = scan(f'''\
        {FENCE}python
        BASE = "https://acme.eu-1.celonis.cloud"
        {FENCE}

        {FENCE}python
        import requests
        requests.get(f"{{BASE}}/log/api/external/audit", headers={{"Authorization": "AppKey " + KEY}})
        {FENCE}

        {FENCE}pycon
        >>> import requests
        >>> requests.get("https://acme.eu-1.celonis.cloud/api/external/members",
        ...              headers={{"Authorization": f"Bearer {{USER_KEY}}"}})
        <Response [200]>
        {FENCE}

        {FENCE}python
        def broken(:
        {FENCE}
    ''')
    assert [(f.rule_id, f.line, f.fixable_by) for f in sorted(found, key=lambda f: f.line)] == [
        ("celonis-appkey-header", 7, "manual"), ("celonis-bearer-static-key", 13, "manual")]
    first, second = sorted(found, key=lambda f: f.line)
    assert [e.scopes for e in first.endpoints] == [("audit.log:read",)]
    assert [e.scopes for e in second.endpoints] == [("team.user-group-info:read",)]


def test_command_lines_in_prose_are_scanned_and_mere_mentions_are_not():
    found = scan('''\
        Quick check: `curl -H "Authorization: AppKey $CELONIS_APP_KEY" https://acme.eu-1.celonis.cloud/api/team`

            wget --header="Authorization: Bearer $CELONIS_TOKEN" \\
              https://acme.eu-1.celonis.cloud/log/api/external/audit

        Static keys (`Authorization: AppKey <key>`) are retired; OAuth sends `Authorization: Bearer <token>`.
    ''')
    assert rows(found) == [
        ("celonis-appkey-header", 1, ("AppKey",), "env", "CELONIS_APP_KEY", False),
        ("celonis-bearer-static-key", 3, ("Bearer",), "env", "CELONIS_TOKEN", False),
    ]
    assert [e.path for e in sorted(found, key=lambda f: f.line)[1].endpoints] == ["/log/api/external/audit"]


def test_oauth_documentation_and_non_api_celonis_hosts_are_not_findings():
    assert scan(f'''\
        See the [auth guide](https://developer.celonis.com/celonis-apis/auth/) and
        install with `pip install --extra-index-url https://pypi.celonis.cloud/ pycelonis`.

        {FENCE}bash
        TOKEN=$(curl -s -u "$CLIENT_ID:$CLIENT_SECRET" -d grant_type=client_credentials -d scope=audit.log:read \\
          https://acme.eu-1.celonis.cloud/oauth2/token | jq -r .access_token)
        curl -H "Authorization: Bearer $TOKEN" https://acme.eu-1.celonis.cloud/log/api/external/audit
        curl -H "Authorization: Bearer <ACCESS_TOKEN>" https://acme.eu-1.celonis.cloud/api/external/members
        {FENCE}

        {FENCE}javascript
        fetch("https://api.powerbi.com/v1.0/collections/acme/workspaces", {{ headers: {{ Authorization: "AppKey " + k }} }});
        {FENCE}
    ''') == []


def test_cli_scans_markdown_files(tmp_path):
    write(tmp_path, "README.md", f'''\
        # Loader

        {FENCE}sh
        curl -H "Authorization: AppKey <your-app-key>" https://<team>.<realm>.celonis.cloud/log/api/external/audit
        {FENCE}
    ''')
    write(tmp_path, "docs/runbook.markdown", f'''\
        Emergency reload (do not copy this key):

        {FENCE}powershell
        Invoke-RestMethod -Method Post `
          -Uri "https://acme.eu-1.celonis.cloud/integration/api/v2/data-pools/$pool/data-jobs/$job/execute?mode=DELTA" `
          -Headers @{{ Authorization = "AppKey {FAKE_APP_KEY}" }}
        {FENCE}
    ''')
    code, out = scan_json(".", cwd=tmp_path)
    assert code == 1
    assert FAKE_APP_KEY not in str(out)
    got = {f["path"]: f for f in out["findings"]}
    readme = got["README.md"]
    assert (readme["line"], readme["severity"], readme["leaked"], readme["literal_class"]) == (4, "info", False, "placeholder")
    assert [e["path"] for e in readme["endpoints"]] == ["/log/api/external/audit"]
    runbook = got["docs/runbook.markdown"]
    assert (runbook["line"], runbook["leaked"], runbook["key_source"], runbook["language"]) == (
        6, True, {"kind": "literal", "name": None}, "markdown")
    assert [(e["method"], e["path"], e["scopes"]) for e in runbook["endpoints"]] == [
        ("POST", "/integration/api/v2/data-pools/{poolId}/data-jobs/{jobId}/execute", ["integration.data-pools"])]
