"""The code-pattern detector (rules as data) on usage-patterns.md §6 for JS/TS, Java, C#, Go, Kotlin and Scala."""

from __future__ import annotations

import textwrap
from dataclasses import replace

import pytest

from migrator.detect.codepatterns import load_patterns, scan_code_text
from migrator.errors import RuleFileError
from migrator.ruleset import default_ruleset
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY, scan_json, write


def scan(code: str, language: str, path: str = "client"):
    return scan_code_text(path, textwrap.dedent(code), language)


def summary(findings):
    return [(f.rule_id, f.line, f.key_source.kind, f.key_source.name, [(e.method, e.path) for e in f.endpoints])
            for f in findings]


def test_axios_instance_and_fetch_each_get_their_nearest_endpoint():
    axios, fetch = scan('''\
        import axios from "axios";
        const celonis = axios.create({
          baseURL: `https://${process.env.CELONIS_TEAM}.eu-1.celonis.cloud`,
          headers: { Authorization: `AppKey ${process.env.CELONIS_APP_KEY}` },
        });
        await celonis.post(`/integration/api/v1/data-pools/${poolId}/data-models/${dmId}/load`);

        export async function callTool(assetId: string, apiKey: string, body: string) {
          return fetch(`${BASE}/studio-copilot/api/v1/mcp-servers/mcp/${assetId}`, {
            method: "POST", headers: { "Authorization": "Bearer " + apiKey, "Content-Type": "application/json" }, body });
        }
    ''', "javascript")
    assert (axios.rule_id, axios.line, axios.column) == ("celonis-appkey-header", 4, 14)
    assert (axios.key_source.kind, axios.key_source.name) == ("env", "CELONIS_APP_KEY")
    assert [(e.method, e.path, e.scopes) for e in axios.endpoints] == [
        ("POST", "/integration/api/v1/data-pools/{poolId}/data-models/{dataModelId}/load", ("integration.data-pools",))]
    assert axios.language == "javascript" and axios.fixable_by == "manual" and axios.related == ("6:1",)
    assert (fetch.rule_id, fetch.line) == ("celonis-bearer-static-key", 10)
    assert (fetch.key_source.kind, fetch.key_source.name, fetch.confidence) == ("unknown", "apiKey", "medium")
    assert [(e.method, e.path, e.scopes) for e in fetch.endpoints] == [
        ("POST", "/studio-copilot/api/v1/mcp-servers/mcp/{assetId}", ("mcp-asset.tools:execute",))]


def test_axios_defaults_with_a_key_declared_in_the_file():
    (f,) = scan(f'''\
        const CELONIS = "https://acme.eu-1.celonis.cloud";
        const key = "{FAKE_APP_KEY}";
        axios.defaults.headers.common["Authorization"] = `AppKey ${{key}}`;
        const members = await axios.get(CELONIS + "/api/external/members");
    ''', "javascript")
    assert f.line == 3 and f.key_source.kind == "literal" and f.leaked and f.severity == "high"
    assert "the key is assigned to key at line 2" in f.notes and FAKE_APP_KEY not in repr(f)
    assert [(e.method, e.path, e.host) for e in f.endpoints] == [
        ("GET", "/api/external/members", "acme.eu-1.celonis.cloud")]


def test_java_http_client_spring_bearer_and_value_annotation():
    header, spring, okhttp = scan('''\
        public class CelonisClient {
            @Value("${celonis.app-key}")
            private String appKey;

            HttpResponse<String> members(String base) throws Exception {
                HttpRequest req = HttpRequest.newBuilder(URI.create(base + "/api/external/members?pageSize=200"))
                    .header("Authorization", "AppKey " + System.getenv("CELONIS_APP_KEY")).GET().build();
                return http.send(req, BodyHandlers.ofString());
            }

            String pools(String base) {
                HttpHeaders h = new HttpHeaders();
                h.setBearerAuth(props.getApiKey());
                return rest.exchange(base + "/integration/api/pools", HttpMethod.GET, new HttpEntity<>(h), String.class).getBody();
            }

            Request audit() {
                return new Request.Builder().url("https://acme.eu-1.celonis.cloud/log/api/external/audit")
                    .addHeader("Authorization", "AppKey " + appKey).build();
            }
        }
    ''', "java")
    assert summary([header, spring, okhttp]) == [
        ("celonis-appkey-header", 7, "env", "CELONIS_APP_KEY", [("GET", "/api/external/members")]),
        ("celonis-bearer-static-key", 13, "config", "props.getApiKey()", [("GET", "/integration/api/pools")]),
        ("celonis-appkey-header", 19, "config", "celonis.app-key", [("?", "/log/api/external/audit")]),
    ]
    assert header.endpoints[0].scopes == ("team.user-group-info:read",)


def test_csharp_authentication_header_value_and_try_add_without_validation():
    config, literal = scan(f'''\
        var http = new HttpClient {{ BaseAddress = new Uri("https://acme.eu-1.celonis.cloud/") }};
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("AppKey", config["Celonis:AppKey"]);
        var audit = await http.GetStringAsync("log/api/external/audit?pageSize=200");

        var other = new HttpClient();
        other.DefaultRequestHeaders.TryAddWithoutValidation("Authorization", $"Bearer {FAKE_USER_KEY}");
        await other.PostAsync("https://acme.eu-1.celonis.cloud/machine-learning/api/executions", content);
    ''', "csharp")
    assert summary([config]) == [
        ("celonis-appkey-header", 2, "config", "Celonis:AppKey", [("GET", "/log/api/external/audit")])]
    assert config.endpoints[0].host == "acme.eu-1.celonis.cloud"
    assert (literal.rule_id, literal.line, literal.leaked) == ("celonis-bearer-static-key", 6, True)
    assert [(e.method, e.scopes) for e in literal.endpoints] == [("POST", ("machine-learning",))]


def test_go_header_set_sprintf_and_header_map():
    found = scan('''\
        func kmData(base, kmID string) (*http.Response, error) {
            req, _ := http.NewRequest("GET", base+"/intelligence/api/knowledge-models/"+kmID+"/data", nil)
            req.Header.Set("Authorization", "Bearer "+os.Getenv("CELONIS_API_KEY"))
            return http.DefaultClient.Do(req)
        }

        func audit(key string) {
            req, _ := http.NewRequest(http.MethodGet, "https://acme.eu-1.celonis.cloud/log/api/external/audit", nil)
            req.Header["Authorization"] = []string{fmt.Sprintf("AppKey %s", key)}
        }
    ''', "go")
    assert summary(found) == [
        ("celonis-bearer-static-key", 3, "env", "CELONIS_API_KEY", [("GET", "/intelligence/api/knowledge-models/{kmId}/data")]),
        ("celonis-appkey-header", 9, "unknown", "key", [("GET", "/log/api/external/audit")]),
    ]
    assert found[0].endpoints[0].scopes == ("intelligence.knowledge-models:read",)


def test_kotlin_and_scala_templates_and_hidden_bearer():
    (kt_app, kt_bearer) = scan('''\
        val request = Request.Builder()
            .url("https://acme.eu-1.celonis.cloud/machine-learning/api/executions")
            .addHeader("Authorization", "AppKey ${System.getenv("CELONIS_APP_KEY")}")
            .post(body).build()

        suspend fun spaces() = client.get("https://acme.eu-1.celonis.cloud/package-manager/api/spaces") {
            bearerAuth(settings.celonisToken)
        }
    ''', "kotlin")
    assert summary([kt_app, kt_bearer]) == [
        ("celonis-appkey-header", 3, "env", "CELONIS_APP_KEY", [("POST", "/machine-learning/api/executions")]),
        ("celonis-bearer-static-key", 7, "config", "settings.celonisToken", [("GET", "/package-manager/api/spaces")]),
    ]
    (scala,) = scan('''\
        val appKey = sys.env("ACME_CELONIS_KEY")
        val res = basicRequest
          .get(uri"https://acme.eu-1.celonis.cloud/api/external/authentication-events")
          .header("Authorization", s"AppKey $appKey")
          .send(backend)
    ''', "scala")
    assert summary([scala]) == [("celonis-appkey-header", 4, "env", "ACME_CELONIS_KEY",
                                 [("GET", "/api/external/authentication-events")])]


def test_placeholders_are_info_findings():
    found = scan('''\
        const BASE = "https://acme.eu-1.celonis.cloud";
        fetch(`${BASE}/log/api/external/audit`, { headers: { Authorization: "AppKey <YOUR_KEY>" } });
        fetch(`${BASE}/api/team`, { headers: { Authorization: 'AppKey changeme' } });
    ''', "javascript")
    assert [(f.line, f.literal_class, f.severity, f.leaked) for f in found] == [
        (2, "placeholder", "info", False), (3, "placeholder", "info", False)]


def test_look_alikes_are_not_findings():
    mixed = scan('''\
        const CELONIS = "https://acme.eu-1.celonis.cloud";
        await fetch(CELONIS + "/log/api/external/audit", { headers: { Authorization: "AppKey " + celonisKey } });

        // Power BI embedded, not Celonis
        await fetch("https://api.powerbi.com/v1.0/collections/acme/workspaces",
                    { headers: { Authorization: "AppKey " + pbiKey } });
    ''', "javascript")
    assert [(f.line, f.key_source.name) for f in mixed] == [(2, "celonisKey")]
    assert scan('''\
        // headers: { Authorization: "AppKey " + key }  (removed)
        const res = await fetch("https://acme.eu-1.celonis.cloud/oauth2/token", { method: "POST", body: form });
        const { access_token } = await res.json();
        await fetch("https://acme.eu-1.celonis.cloud/api/external/members",
                    { headers: { Authorization: `Bearer ${access_token}` } });
        await fetch("https://acme.eu-1.celonis.cloud/api/team", { headers: { Authorization: "Bearer " + token } });
        await fetch("https://acme.eu-1.celonis.cloud/api/team",
                    { headers: { Authorization: "Bearer eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJvcGVuaWQiXX0.c2lnbmF0dXJl" } });
    ''', "javascript") == []
    assert scan('''\
        String token = tokenClient.getAccessToken("https://acme.eu-1.celonis.cloud/oauth2/token");
        req.header("Authorization", "Bearer " + token);
    ''', "java") == []
    assert scan('''\
        // Docs: https://developer.celonis.com/celonis-apis/auth/
        req.Header.Set("Authorization", "Bearer "+os.Getenv("GITHUB_TOKEN"))
        http.Get("https://api.github.com/repos/acme/celonis-etl")
    ''', "go") == []


def test_rule_patterns_are_validated_with_a_breadcrumb():
    rule = default_ruleset().get("celonis-appkey-header")
    assert rule is not None and load_patterns(rule)
    with pytest.raises(RuleFileError, match=r"at patterns\[0\]\.lang: must name languages"):
        load_patterns(replace(rule, patterns=({"lang": ["javscript"], "regex": "x"},)))
    with pytest.raises(RuleFileError, match=r"at patterns\[1\]\.regex: not a valid regex"):
        load_patterns(replace(rule, patterns=({"lang": "go", "regex": "x"}, {"lang": ["go"], "regex": "(unclosed"})))
    with pytest.raises(RuleFileError, match=r"at patterns\[0\]: must have exactly 'lang' and 'regex'"):
        load_patterns(replace(rule, patterns=({"lang": ["go"], "regex": "x", "scheme": "AppKey"},)))


def test_cli_scans_every_code_language(tmp_path):
    write(tmp_path, "web/src/celonis.ts", '''\
        export const celonis = axios.create({
          baseURL: "https://acme.eu-1.celonis.cloud",
          headers: { Authorization: `AppKey ${process.env.CELONIS_APP_KEY}` },
        });
        export const audit = () => celonis.get("/log/api/external/audit");
    ''')
    write(tmp_path, "jvm/src/main/java/acme/Members.java", '''\
        class Members {
            HttpRequest req = HttpRequest.newBuilder(URI.create("https://acme.eu-1.celonis.cloud/api/external/members"))
                .header("Authorization", "Bearer " + System.getenv("CELONIS_USER_KEY")).GET().build();
        }
    ''')
    write(tmp_path, "dotnet/Audit.cs", '''\
        var http = new HttpClient { BaseAddress = new Uri("https://acme.eu-1.celonis.cloud/") };
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("AppKey", config["Celonis:AppKey"]);
        var audit = await http.GetStringAsync("log/api/external/audit?pageSize=200");
    ''')
    write(tmp_path, "go/km.go", '''\
        req, _ := http.NewRequest("GET", "https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models", nil)
        req.Header.Set("Authorization", "Bearer "+os.Getenv("CELONIS_API_KEY"))
    ''')
    write(tmp_path, "kt/Ml.kt", f'''\
        val req = Request.Builder().url("https://acme.eu-1.celonis.cloud/machine-learning/api/notebooks")
            .addHeader("Authorization", "AppKey {FAKE_APP_KEY}").build()
    ''')
    write(tmp_path, "scala/Spaces.scala", '''\
        basicRequest.auth.bearer(sys.env("CELONIS_API_TOKEN"))
          .get(uri"https://acme.eu-1.celonis.cloud/package-manager/api/spaces").send(backend)
    ''')
    code, out = scan_json(".", cwd=tmp_path)
    assert code == 1 and FAKE_APP_KEY not in str(out)
    got = {f["path"]: (f["line"], f["auth_schemes"], f["key_source"], f["leaked"], f["language"],
                       [(e["method"], e["path"], e["scopes"]) for e in f["endpoints"]]) for f in out["findings"]}
    assert got == {
        "web/src/celonis.ts": (3, ["AppKey"], {"kind": "env", "name": "CELONIS_APP_KEY"}, False, "javascript",
                               [("GET", "/log/api/external/audit", ["audit.log:read"])]),
        "jvm/src/main/java/acme/Members.java": (3, ["Bearer"], {"kind": "env", "name": "CELONIS_USER_KEY"}, False, "java",
                                                [("GET", "/api/external/members", ["team.user-group-info:read"])]),
        "dotnet/Audit.cs": (2, ["AppKey"], {"kind": "config", "name": "Celonis:AppKey"}, False, "csharp",
                            [("GET", "/log/api/external/audit", ["audit.log:read"])]),
        "go/km.go": (2, ["Bearer"], {"kind": "env", "name": "CELONIS_API_KEY"}, False, "go",
                     [("GET", "/intelligence/api/knowledge-models", ["intelligence.knowledge-models:read"])]),
        "kt/Ml.kt": (2, ["AppKey"], {"kind": "literal", "name": None}, True, "kotlin",
                     [("?", "/machine-learning/api/notebooks", ["machine-learning"])]),
        "scala/Spaces.scala": (1, ["Bearer"], {"kind": "env", "name": "CELONIS_API_TOKEN"}, False, "scala",
                               [("GET", "/package-manager/api/spaces", ["studio"])]),
    }


def test_cli_requests_one_after_another_each_get_their_own_endpoint(tmp_path):
    """Headers are linked to their request by variable, statement or block, not by the nearest line."""
    write(tmp_path, "go/audit/collect.go", '''\
        package audit

        import (
        	"net/http"
        	"os"
        )

        const base = "https://acme.eu-1.celonis.cloud"

        func Collect() []*http.Request {
        	req1, _ := http.NewRequest("GET", base+"/log/api/external/audit", nil)
        	req1.Header.Set("Authorization", "AppKey "+os.Getenv("CELONIS_AUDIT_KEY"))
        	req2, _ := http.NewRequest("GET", base+"/api/external/members", nil)
        	req2.Header.Set("Authorization", "Bearer "+os.Getenv("CELONIS_MEMBERS_KEY"))
        	req3, _ := http.NewRequest("GET", base+"/api/external/authentication-events", nil)
        	req3.Header.Set("Authorization", "AppKey "+os.Getenv("CELONIS_LOGIN_KEY"))
        	return []*http.Request{req1, req2, req3}
        }

        func Pools(key string) (*http.Response, error) {
        	url := base + "/integration/api/pools"
        	req, _ := http.NewRequest("GET", url, nil)
        	req.Header.Set("Authorization", "AppKey "+key)
        	return http.DefaultClient.Do(req)
        }
    ''')
    write(tmp_path, "jvm/src/main/java/acme/Reports.java", '''\
        class Reports {
            void run(HttpClient http, String base) throws Exception {
                HttpRequest audit = HttpRequest.newBuilder(URI.create(base + "/log/api/external/audit"))
                    .header("Authorization", "AppKey " + System.getenv("CELONIS_AUDIT_KEY")).GET().build();
                HttpRequest members = HttpRequest.newBuilder(URI.create(base + "/api/external/members"))
                    .header("Authorization", "Bearer " + System.getenv("CELONIS_MEMBERS_KEY")).GET().build();
                http.send(audit, BodyHandlers.ofString());
                http.send(members, BodyHandlers.ofString());
            }
        }
    ''')
    write(tmp_path, "web/src/report.js", '''\
        const BASE = "https://acme.eu-1.celonis.cloud";

        export async function report() {
          const auditUrl = `${BASE}/log/api/external/audit`;
          const members = await fetch(`${BASE}/api/external/members`,
            { headers: { Authorization: `Bearer ${process.env.CELONIS_MEMBERS_KEY}` } });
          const audit = await fetch(auditUrl, { headers: { Authorization: `AppKey ${process.env.CELONIS_AUDIT_KEY}` } });
          return [await members.json(), await audit.json()];
        }
    ''')
    write(tmp_path, "dotnet/Clients.cs", '''\
        var audit = new HttpClient { BaseAddress = new Uri("https://acme.eu-1.celonis.cloud/") };
        audit.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("AppKey", config["Celonis:AuditKey"]);
        var members = new HttpClient { BaseAddress = new Uri("https://acme.eu-1.celonis.cloud/") };
        members.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", config["Celonis:MembersKey"]);
        var log = await audit.GetStringAsync("log/api/external/audit");
        var team = await members.GetStringAsync("api/external/members");
    ''')
    code, out = scan_json(".", cwd=tmp_path)
    assert code == 1
    got = sorted((f["path"], f["line"], f["key_source"]["name"], [e["path"] for e in f["endpoints"]])
                 for f in out["findings"])
    assert got == [
        ("dotnet/Clients.cs", 2, "Celonis:AuditKey", ["/log/api/external/audit"]),
        ("dotnet/Clients.cs", 4, "Celonis:MembersKey", ["/api/external/members"]),
        ("go/audit/collect.go", 12, "CELONIS_AUDIT_KEY", ["/log/api/external/audit"]),
        ("go/audit/collect.go", 14, "CELONIS_MEMBERS_KEY", ["/api/external/members"]),
        ("go/audit/collect.go", 16, "CELONIS_LOGIN_KEY", ["/api/external/authentication-events"]),
        ("go/audit/collect.go", 23, "key", ["/integration/api/pools"]),
        ("jvm/src/main/java/acme/Reports.java", 4, "CELONIS_AUDIT_KEY", ["/log/api/external/audit"]),
        ("jvm/src/main/java/acme/Reports.java", 6, "CELONIS_MEMBERS_KEY", ["/api/external/members"]),
        ("web/src/report.js", 6, "CELONIS_MEMBERS_KEY", ["/api/external/members"]),
        ("web/src/report.js", 7, "CELONIS_AUDIT_KEY", ["/log/api/external/audit"]),
    ]
    scopes = {(f["path"], f["line"]): [s for e in f["endpoints"] for s in e["scopes"]] for f in out["findings"]}
    assert scopes[("go/audit/collect.go", 16)] == ["team.login-history:read"]
    assert scopes[("go/audit/collect.go", 14)] == ["team.user-group-info:read"]


def test_cli_a_celonis_call_next_to_another_vendors_url_is_still_reported(tmp_path):
    write(tmp_path, "sync/main.go", '''\
        func sync(key, ghToken string) {
        	gh, _ := http.NewRequest("GET", "https://api.github.com/repos/acme/celonis-etl/releases", nil)
        	gh.Header.Set("Authorization", "Bearer "+ghToken)
        	cel, _ := http.NewRequest("GET", "https://acme.eu-1.celonis.cloud/api/external/members", nil)
        	cel.Header.Set("Authorization", "AppKey "+os.Getenv("CELONIS_APP_KEY"))
        }
    ''')
    _, out = scan_json(".", cwd=tmp_path)
    assert [(f["line"], f["key_source"]["name"], [e["path"] for e in f["endpoints"]]) for f in out["findings"]] == [
        (5, "CELONIS_APP_KEY", ["/api/external/members"])]
