"""`celonis-migrator report`: structure of the rendered HTML (parsed, never string snapshots), CSV
tables, granted.yaml, client grouping, and the security properties (escaping, no keys, no network).
"""

from __future__ import annotations

import json
import re
from datetime import date
from pathlib import Path

import pytest

from migrator.granted import GrantedFileError, load_granted, parse_granted
from migrator.report import ScanInput, build_report, repo_roots
from tests.conftest import run_cli, write
from tests.html_dom import Node, parse
from tests.test_redaction import canary_key

TODAY = "2026-11-24"  # 238 days after 31 March 2026


def make_repo(root: Path, key: str) -> Path:
    """A small repository: a leaked literal, env keys, a KM, a pool, pycelonis blockers, an unknown path."""
    write(root, ".celonis-migrator.toml", "")  # no configuration from outside the test directory
    repo = root / "acme-scripts"
    write(
        repo,
        "exports/audit.py",
        f'''
        import requests

        BASE = "https://acme.eu-1.celonis.cloud"
        KEY = "{key}"
        HEADERS = {{"Authorization": "AppKey " + KEY}}


        def audit():
            return requests.get(BASE + "/log/api/external/audit", headers=HEADERS, timeout=30).json()


        def logins():
            return requests.get(BASE + "/api/external/authentication-events", headers=HEADERS).json()
    ''',
    )
    write(
        repo,
        "exports/km.py",
        """
        import os

        import requests


        def filters():
            url = "https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models/acme-p2p.p2p-km/filters"
            key = os.environ['CELONIS_API_TOKEN']
            return requests.get(url, headers={"Authorization": f"Bearer {key}"}).json()
    """,
    )
    write(
        repo,
        "loaders/push.py",
        """
        import os

        import requests

        POOL = "aaaaaaaa-0000-4000-8000-000000000001"


        def create_job():
            url = f"https://acme.eu-1.celonis.cloud/data-ingestion/api/v1/data-push/{POOL}/jobs/"
            return requests.post(url, headers={"Authorization": "AppKey " + os.environ["PUSH_KEY"]}, json={})
    """,
    )
    write(
        repo,
        "loaders/reload.py",
        """
        import os

        from pycelonis import get_celonis

        celonis = get_celonis(base_url="https://acme.eu-1.celonis.cloud",
                              api_token=os.environ["CELONIS_APP_KEY"],
                              key_type="APP_KEY")
    """,
    )
    write(
        repo,
        "tools/odd.py",
        """
        import os

        import requests

        requests.get("https://acme.eu-1.celonis.cloud/some/private/api",
                     headers={"Authorization": "AppKey " + os.environ["ODD_KEY"]})
    """,
    )
    write(
        repo,
        "main.py",
        """
        import os

        import requests

        requests.get("https://acme.eu-1.celonis.cloud/api/external/members",
                     headers={"Authorization": "Bearer " + os.environ["USER_KEY"]})
    """,
    )
    return repo


GRANTED = """
clients:
  acme-scripts:
    scopes: "audit.log team.user-group-info:read"   # a variant spelling, normalised
    permissions:
      - permission: Audit Log API
        resource: {type: team}
      - permission: use package
        resource: {type: package, id: acme-p2p}
      - permission: Data Push API
        resource: {type: data_pool, id: bbbbbbbb-0000-4000-8000-000000000002}   # another pool: not done
"""


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> dict:
    root = tmp_path_factory.mktemp("report")
    key = canary_key()
    make_repo(root, key)
    granted = write(root, "granted.yaml", GRANTED)
    out = {}
    proc = run_cli("report", "acme-scripts", "-o", "plain.html", "--today", TODAY, cwd=root)
    assert proc.returncode == 0, proc.stderr
    out["plain"] = (root / "plain.html").read_text(encoding="utf-8")
    out["stderr"] = proc.stderr
    proc = run_cli(
        "report", "acme-scripts", "-o", "granted.html", "--granted", str(granted), "--today", TODAY, cwd=root
    )
    assert proc.returncode == 0, proc.stderr
    out["granted"] = (root / "granted.html").read_text(encoding="utf-8")
    proc = run_cli("scan", "--format", "json", "-o", "scan.json", "acme-scripts", cwd=root)
    assert proc.returncode == 1, proc.stderr
    out["json"] = json.loads((root / "scan.json").read_text(encoding="utf-8"))
    out["root"], out["key"] = root, key
    return out


def dom(html: str) -> Node:
    return parse(html)


def table(doc: Node, ident: str) -> Node:
    node = doc.by_id(ident)
    assert node.tag == "table"
    return node


# ---- structure --------------------------------------------------------------------------------------


def test_sections_and_accessibility(built):
    doc = dom(built["plain"])
    html = doc.find("html")
    assert html is not None and html.attrs["lang"] == "en"
    for ident in ("scanned", "summary", "clients", "permissions", "blockers", "findings", "files"):
        assert doc.by_id(ident).tag == "section"
        assert doc.by_id(ident + "-h").tag == "h2"
    for t in doc.find_all("table"):
        assert t.find("caption") is not None, "every table has a caption"
        assert all(th.attrs.get("scope") == "col" for th in t.find("thead").find_all("th"))
    # The bar charts are inline SVG with a text alternative, beside the counts written out: never colour only.
    charts = doc.by_id("summary").find_all("svg")
    assert charts
    for chart in charts:
        assert chart.attrs.get("role") == "img" and re.fullmatch(
            r"\d+ of 6", chart.attrs.get("aria-label", "")
        )
    assert doc.find("meta", name="viewport") is not None


def test_header_says_what_was_scanned_and_the_sunset(built):
    doc = dom(built["plain"])
    assert doc.by_id("days-since").text == "238"
    assert "failing today" in doc.by_id("sunset").text
    repos = table(doc, "repositories-table").rows()
    assert [r.cells()[:2] for r in repos] == [["acme-scripts", "acme-scripts"]]
    assert "not a git repository" in repos[0].cells()[2]
    assert "celonis-oauth-migrator" in doc.by_id("scan-inputs").text


def test_sunset_before_the_date_counts_down(tmp_path):
    make_repo(tmp_path, canary_key())
    proc = run_cli(
        "report", "acme-scripts", "-o", "r.html", "--today", "2026-03-01", "--no-diffs", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    doc = dom((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert doc.by_id("days-to-go").text == "30"


def test_git_commit_is_shown(tmp_path):
    import subprocess

    repo = make_repo(tmp_path, canary_key())
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", "-c", "commit.gpgsign=false"]
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    subprocess.run([*git, "-C", str(repo), "add", "."], check=True)
    subprocess.run([*git, "-C", str(repo), "commit", "-q", "-m", "init"], check=True)
    head = subprocess.run(
        ["git", "-C", str(repo), "rev-parse", "HEAD"], capture_output=True, text=True, check=True
    ).stdout.strip()
    proc = run_cli("report", "acme-scripts", "-o", "r.html", "--no-diffs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    cell = dom((tmp_path / "r.html").read_text(encoding="utf-8")).by_id("repositories-table").rows()[0]
    code = cell.find("code", title=head)
    assert code is not None and code.text == head[:12]


def test_summary_counts_match_the_scan(built):
    doc, scan = dom(built["plain"]), built["json"]
    findings = scan["findings"]
    assert doc.by_id("count-findings").text == str(len(findings)) == "6"
    assert doc.by_id("count-files").text == str(len({f["path"] for f in findings}))
    assert doc.by_id("count-leaked").text == "1"
    assert doc.by_id("count-clients").text == "1"
    severities = {r.attrs["data-severity"]: int(r.cells()[1]) for r in table(doc, "severity-table").rows()}
    expected: dict[str, int] = {}
    for f in findings:
        expected[f["severity"]] = expected.get(f["severity"], 0) + 1
    assert severities == expected
    sources = {r.cells()[0]: int(r.cells()[1]) for r in table(doc, "source-table").rows()}
    assert sources == {"leaked literal": 1, "environment variable": 5}
    kinds = {r.cells()[0]: int(r.cells()[1]) for r in table(doc, "kind-table").rows()}
    assert kinds == {"application key (AppKey)": 4, "user API key (Bearer)": 2}


def test_client_plan_has_least_privilege_scopes_grant_and_token_url(built):
    doc, scan = dom(built["plain"]), built["json"]
    clients = doc.by_id("clients").find_all("article")
    assert [c.attrs["data-client"] for c in clients] == ["acme-scripts"]
    client = clients[0]
    scopes = [r.attrs["data-scope"] for r in client.find("table").rows()]
    assert scopes == [s["scope"] for s in scan["plan"]["scopes"]]
    assert client.find("pre", class_="scopes").text == scan["plan"]["scope_string"]
    text = client.text
    assert "client_credentials" in text and "client_secret_basic" in text
    assert [li.text for li in client.find("ul", class_="token-urls").find_all("li")] == [
        "https://acme.eu-1.celonis.cloud/oauth2/token"
    ]
    # The data-push scope is documented (D) and offers the broader scope as an alternative.
    push = next(
        r for r in client.find("table").rows() if r.attrs["data-scope"] == "integration.data-pools:data_push"
    )
    assert "documented" in push.text and "integration.data-pools" in push.text


def _permissions(doc: Node) -> dict[tuple[str, str, str], Node]:
    return {
        (r.attrs["data-permission"], r.attrs["data-resource-type"], r.attrs["data-resource-id"]): r
        for r in table(doc, "permissions-table").rows()
    }


def test_permissions_name_the_resource_and_evidence(built):
    doc = dom(built["plain"])
    rows = _permissions(doc)
    assert set(rows) == {
        ("Audit Log API", "team", ""),
        ("Login History API", "team", ""),
        ("User Group Info API", "team", ""),
        ("Data Push API", "data_pool", "aaaaaaaa-0000-4000-8000-000000000001"),
        ("USE PACKAGE", "package", "acme-p2p"),
    }
    assert all(r.attrs["data-status"] == "to-assign" for r in rows.values())
    use = rows[("USE PACKAGE", "package", "acme-p2p")]
    assert use.attrs["data-basis"] == "D"
    assert (
        use.cells()[-1]
        == "Grant client acme-scripts USE PACKAGE on package acme-p2p (from KM ID acme-p2p.p2p-km)"
    )
    assert "documented" in use.cells()[3]
    assert doc.by_id("permissions-progress").text == "5 of 5 permissions still to assign."


def test_granted_yaml_splits_done_from_still_to_assign(built):
    doc = dom(built["granted"])
    rows = _permissions(doc)
    status = {k: r.attrs["data-status"] for k, r in rows.items()}
    assert status == {
        ("Audit Log API", "team", ""): "done",
        ("Login History API", "team", ""): "to-assign",
        ("User Group Info API", "team", ""): "to-assign",
        (
            "Data Push API",
            "data_pool",
            "aaaaaaaa-0000-4000-8000-000000000001",
        ): "to-assign",  # granted on another pool
        ("USE PACKAGE", "package", "acme-p2p"): "done",  # case-insensitive permission name
    }
    assert doc.by_id("permissions-progress").text == "3 of 5 permissions still to assign."
    scopes = {
        r.attrs["data-scope"]: r.attrs["data-status"] for r in doc.by_id("clients").find("table").rows()
    }
    assert scopes["audit.log:read"] == "done"  # "audit.log" normalised
    assert scopes["team.user-group-info:read"] == "done"
    assert scopes["team.login-history:read"] == "to-assign"
    assert "granted.yaml" in doc.by_id("scan-inputs").text


def test_blockers_say_what_to_do(built):
    doc = dom(built["plain"])
    rows = {r.attrs["data-path"]: r for r in table(doc, "blockers-table").rows()}
    assert set(rows) == {"/api/cloud", "/api/cloud/permissions", "/api/team", "/some/private/api"}
    assert "permissions=False" in rows["/api/cloud/permissions"].cells()[2]
    assert rows["/some/private/api"].attrs["data-kind"] == "unknown"
    assert "Unknown Celonis path" in rows["/some/private/api"].cells()[2]
    assert doc.by_id("count-blockers").text == "4"


def test_findings_table_rows_and_anchors(built):
    doc = dom(built["plain"])
    t = table(doc, "findings-table")
    assert t.headers() == ["Severity", "File", "Line", "API", "Scope", "Key kind", "Key", "Fix"]
    rows = t.rows()
    assert len(rows) == 6
    leaked = next(r for r in rows if r.attrs["data-severity"] == "high")
    assert leaked.cells()[1] == "acme-scripts/exports/audit.py"
    assert leaked.cells()[6] == built["key"][:4] + "…[108 chars] leaked"
    ids = {n.attrs["id"] for n in doc.iter() if "id" in n.attrs}
    for row in rows:
        link = row.find("a")
        assert link.attrs["href"].startswith("#") and link.attrs["href"][1:] in ids
        assert row.attrs["data-fix"] in ("fix", "manual")
    # The filter controls are hidden until the script shows them (the table works without JS).
    assert "hidden" in doc.by_id("findings-controls").attrs
    files = doc.by_id("files").find_all("article")
    assert [f.attrs["data-path"] for f in files] == sorted(r.cells()[1] for r in rows)


def test_per_file_detail_shows_the_fix_diff(built):
    doc = dom(built["plain"])
    files = {a.attrs["data-path"]: a for a in doc.by_id("files").find_all("article")}
    audit = files["acme-scripts/exports/audit.py"].find("pre", class_="diff")
    assert audit is not None, "fix rewrites the header constant of exports/audit.py"
    assert "+++ b/acme-scripts/exports/audit.py" in audit.text
    assert "client_credentials_token" in audit.text
    assert built["key"][:4] + "…[108 chars]" in audit.text  # the removed key line, masked
    for pre in doc.by_id("files").find_all("pre", class_="diff"):
        kinds = {span.attrs["class"] for span in pre.find_all("span")}
        assert kinds <= {"add", "del", "hunk", "meta", "ctx"} and "add" in kinds
        # +/- stay in the text: the diff does not rely on colour.
        assert all(s.text.startswith("+") for s in pre.find_all("span", class_="add"))
        assert all(s.text.startswith("-") for s in pre.find_all("span", class_="del"))
    # The generated helper has no finding of its own: it is named, not shown.
    assert "celonis_oauth.py" in doc.by_id("fix-other-files").text


def test_fix_preview_is_optional(monkeypatch, tmp_path):
    from migrator import api
    from migrator.report import proposed_diffs

    write(tmp_path, "a.py", "x = 1\n")
    monkeypatch.delattr(api, "fix", raising=False)
    assert proposed_diffs([str(tmp_path)]) == {}

    def broken(*args, **kwargs):
        raise RuntimeError("codemod crashed")

    monkeypatch.setattr(api, "fix", broken, raising=False)
    assert proposed_diffs([str(tmp_path)]) == {}


def test_no_diffs_option(tmp_path):
    make_repo(tmp_path, canary_key())
    proc = run_cli("report", "acme-scripts", "-o", "r.html", "--no-diffs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert not dom((tmp_path / "r.html").read_text(encoding="utf-8")).find_all("pre", class_="diff")


def test_from_json_renders_the_same_tables_without_diffs(built):
    root = built["root"]
    proc = run_cli("report", "--from", "scan.json", "-o", "from.html", "--today", TODAY, cwd=root)
    assert proc.returncode == 0, proc.stderr
    a, b = dom(built["plain"]), dom((root / "from.html").read_text(encoding="utf-8"))
    for ident in (
        "repositories-table",
        "severity-table",
        "kind-table",
        "source-table",
        "permissions-table",
        "blockers-table",
        "findings-table",
    ):
        assert [r.cells() for r in table(a, ident).rows()] == [r.cells() for r in table(b, ident).rows()], (
            ident
        )
    assert [c.text for c in a.by_id("clients").find_all("article")] == [
        c.text for c in b.by_id("clients").find_all("article")
    ]
    assert not b.find_all("pre", class_="diff")


# ---- grouping ------------------------------------------------------------------------------------------


def _report_of(tmp_path: Path, **kw) -> object:
    from migrator.api import ScanOptions, scan
    from migrator.outputs.context import result_dict

    options = ScanOptions(cwd=str(tmp_path))
    result = result_dict(scan([str(tmp_path / "acme-scripts")], options))
    roots = repo_roots([str(tmp_path / "acme-scripts")], str(tmp_path))
    return build_report([ScanInput(result, "test", roots)], today=date(2026, 11, 24), **kw)


def test_clients_per_app_and_single(tmp_path):
    make_repo(tmp_path, canary_key())
    per_app = _report_of(tmp_path, clients="per-app")
    names = [c.name for c in per_app.clients]
    assert names == ["acme-scripts", "acme-scripts/exports", "acme-scripts/loaders", "acme-scripts/tools"]
    by_name = {c.name: c for c in per_app.clients}
    assert [s.scope for s in by_name["acme-scripts/exports"].scopes] == [
        "audit.log:read",
        "intelligence.knowledge-models:read",
        "team.login-history:read",
    ]
    assert [s.scope for s in by_name["acme-scripts"].scopes] == [
        "team.user-group-info:read"
    ]  # main.py at the root
    assert by_name["acme-scripts/loaders"].blockers == 3
    single = _report_of(tmp_path, clients="single", client_name="acme-all")
    assert [c.name for c in single.clients] == ["acme-all"]
    assert single.clients[0].plan == per_app.plan == single.plan


def test_clients_named_in_the_configuration_take_their_files(tmp_path):
    make_repo(tmp_path, canary_key())
    write(
        tmp_path, ".celonis-migrator.toml", '[clients]\netl = ["loaders/**"]\nreporting = ["exports/km.py"]\n'
    )
    proc = run_cli("report", "acme-scripts", "--format", "csv", "--table", "plan", "--no-diffs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    by_client: dict[str, list[str]] = {}
    for row in rows:
        by_client.setdefault(row["client"], []).append(row["scope"])
    assert by_client == {
        "acme-scripts": ["audit.log:read", "team.login-history:read", "team.user-group-info:read"],
        "etl": ["integration.data-pools:data_push"],
        "reporting": ["intelligence.knowledge-models:read"],
    }


# ---- granted.yaml --------------------------------------------------------------------------------------


def test_granted_yaml_is_validated_with_breadcrumbs(tmp_path):
    bad = write(
        tmp_path,
        "granted.yaml",
        """
        clients:
          acme:
            permissions:
              - permission: Edit
                resource: {type: pool, id: x}
    """,
    )
    with pytest.raises(GrantedFileError) as err:
        load_granted(str(bad))
    assert "at clients.acme.permissions[0].resource.type: unknown resource type 'pool'" in str(err.value)
    for data, where in (
        ({"clients": {"a": {"scopes": 3}}}, "clients.a.scopes"),
        ({"clients": {"a": {"permissions": [{"resource": {"type": "team"}}]}}}, "clients.a.permissions[0]"),
        ({"clients": {"a": {"colour": 1}}}, "clients.a.colour"),
        ({"clients": []}, "clients"),
        ({"clients": {}, "version": 2}, "version"),
    ):
        with pytest.raises(GrantedFileError) as err:
            parse_granted(data, "g.yaml")
        assert f"g.yaml: at {where}: " in str(err.value)
    ok = parse_granted(
        {
            "clients": {
                "a": {
                    "scopes": ["audit.log", "Audit.Log:read", "nonsense:scope"],
                    "permissions": [{"permission": "X", "resource": {"type": "Data Pool", "id": "p1"}}],
                }
            }
        }
    )
    assert ok.clients[0].scopes == ("audit.log:read", "nonsense:scope")
    assert ok.clients[0].permissions[0].resource_type == "data_pool"
    assert any("unknown scope 'nonsense:scope'" in w for w in ok.warnings)


def test_bad_granted_file_exits_2_with_the_breadcrumb(tmp_path):
    make_repo(tmp_path, canary_key())
    write(tmp_path, "granted.yaml", "clients:\n  acme-scripts:\n    scopes: [1.5, {a: b}]\n")
    proc = run_cli("report", "acme-scripts", "--granted", "granted.yaml", "-o", "r.html", cwd=tmp_path)
    assert proc.returncode == 2
    assert "granted.yaml: at clients.acme-scripts.scopes[1]: expected a non-empty string" in proc.stderr
    assert not (tmp_path / "r.html").exists()


def test_granted_for_an_unknown_client_is_warned_about(tmp_path):
    make_repo(tmp_path, canary_key())
    write(tmp_path, "granted.yaml", "clients:\n  acme-script:\n    scopes: [audit.log:read]\n")
    proc = run_cli(
        "report", "acme-scripts", "--granted", "granted.yaml", "-o", "r.html", "--no-diffs", cwd=tmp_path
    )
    assert proc.returncode == 0, proc.stderr
    assert "client 'acme-script' is not in this report's plan (clients: acme-scripts)" in proc.stderr
    doc = dom((tmp_path / "r.html").read_text(encoding="utf-8"))
    assert "acme-script'" in doc.by_id("granted-warnings").text


@pytest.mark.parametrize(
    "args, message",
    [
        ((), "give PATHs to scan or --from SCAN.json"),
        (("--from", "missing.json"), "--from missing.json: no such file"),
        (("--from", "bad.json"), "not a JSON file"),
        (("--from", "other.json"), "no findings list"),
        (("acme-scripts", "--granted", "nope.yaml"), "--granted nope.yaml: no such file"),
        (
            ("acme-scripts", "--granted-from-live", "https://acme.eu-1.celonis.cloud", "--live-client", "x"),
            "--live-client: name the report client",
        ),
    ],
)
def test_usage_errors_exit_2(tmp_path, args, message):
    make_repo(tmp_path, canary_key())
    write(tmp_path, "bad.json", "{not json")
    write(tmp_path, "other.json", '{"schema_version": 1}')
    proc = run_cli("report", *args, "-o", "r.html", "--no-diffs", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert message in proc.stderr
    assert "Traceback" not in proc.stderr


# ---- CSV -------------------------------------------------------------------------------------------------


def _csv(root: Path, *args: str) -> list[dict[str, str]]:
    import csv
    import io

    proc = run_cli("report", "acme-scripts", "--format", "csv", *args, "--no-diffs", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return list(csv.DictReader(io.StringIO(proc.stdout)))


def test_csv_tables_match_the_html(built):
    root = built["root"]
    doc = dom(built["granted"])
    plan = _csv(root, "--table", "plan", "--granted", "granted.yaml")
    assert [(r["client"], r["scope"], r["status"]) for r in plan] == [
        ("acme-scripts", r.attrs["data-scope"], r.attrs["data-status"])
        for r in doc.by_id("clients").find("table").rows()
    ]
    assert {r["token_urls"] for r in plan} == {"https://acme.eu-1.celonis.cloud/oauth2/token"}
    perms = _csv(root, "--table", "permissions", "--granted", "granted.yaml")
    assert [(r["permission"], r["resource_type"], r["resource_id"], r["status"]) for r in perms] == [
        (
            r.attrs["data-permission"],
            r.attrs["data-resource-type"],
            r.attrs["data-resource-id"],
            r.attrs["data-status"],
        )
        for r in table(doc, "permissions-table").rows()
    ]
    push = next(r for r in perms if r["permission"] == "Data Push API")
    assert push["instruction"] == (
        "Grant client `acme-scripts` Data Push API on data pool `aaaaaaaa-0000-4000-8000-000000000001`"
    )
    blockers = _csv(root, "--table", "blockers")
    assert [r["path"] for r in blockers] == [
        r.attrs["data-path"] for r in table(doc, "blockers-table").rows()
    ]
    findings = _csv(root, "--table", "findings")
    assert len(findings) == 6 and {r["path"] for r in findings} == {
        r.cells()[1] for r in table(doc, "findings-table").rows()
    }


# ---- security -------------------------------------------------------------------------------------------


HOSTILE_NAME = '"><img src=x onerror=alert(1)>.py'


def test_hostile_paths_code_and_urls_render_as_text(tmp_path):
    root = tmp_path
    write(root, ".celonis-migrator.toml", "")
    repo = root / "evil<script>repo"
    write(
        repo,
        HOSTILE_NAME,
        """
        import os
        import requests

        requests.get("https://acme.eu-1.celonis.cloud/x/<script>alert(1)</script>"
                     "?q=\\"><img src=y onerror=alert(2)>",
                     headers={"Authorization": "AppKey " + os.environ["K"]})
    """,
    )
    write(root, "granted.yaml", 'clients:\n  "</td><script>alert(3)</script>":\n    scopes: ["<b>x</b>"]\n')
    proc = run_cli(
        "report",
        str(repo.name),
        "-o",
        "r.html",
        "--granted",
        "granted.yaml",
        "--title",
        "<script>alert(4)</script>",
        cwd=root,
    )
    assert proc.returncode == 0, proc.stderr
    html = (root / "r.html").read_text(encoding="utf-8")
    doc = dom(html)
    scripts = doc.find_all("script")
    assert len(scripts) == 1 and "alert(" not in scripts[0].text  # only our own script
    assert not doc.find_all("img")
    for node in doc.iter():
        assert not any(name.startswith("on") for name in node.attrs), node.tag
    # The hostile text is there, as text.
    assert doc.find("title").text == "<script>alert(4)</script>"
    assert HOSTILE_NAME in doc.by_id("findings-table").text
    assert "evil<script>repo" in doc.by_id("repositories-table").text
    assert "</td><script>alert(3)</script>" in doc.by_id("granted-warnings").text
    assert "&lt;script&gt;" in html


def test_no_network_assets_anywhere(built):
    html = built["plain"]
    doc = dom(html)
    for node in doc.iter():
        assert node.tag not in ("link", "img", "iframe", "object", "embed", "base", "form", "audio", "video")
        for name in ("src", "href", "action", "xlink:href", "srcset", "poster", "data"):
            value = node.attrs.get(name)
            assert value is None or value.startswith("#"), (node.tag, name, value)
    style = doc.find("style").text
    assert "url(" not in style and "@import" not in style
    csp = doc.find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    assert "default-src 'none'" in csp and "unsafe-inline" not in csp
    assert "fetch(" not in doc.find("script").text and "XMLHttpRequest" not in doc.find("script").text


def test_csp_hashes_match_the_inline_style_and_script(built):
    import base64
    import hashlib

    html = built["plain"]
    csp = dom(html).find("meta", http_equiv="Content-Security-Policy").attrs["content"]
    for tag in ("style", "script"):
        body = re.search(rf"<{tag}>(.*?)</{tag}>", html, re.DOTALL).group(1)
        digest = base64.b64encode(hashlib.sha256(body.encode("utf-8")).digest()).decode()
        assert f"'sha256-{digest}'" in csp, tag


def test_no_key_in_html_csv_or_json(tmp_path):
    keys = [canary_key() for _ in range(3)]
    make_repo(tmp_path, keys[0])
    write(
        tmp_path / "acme-scripts",
        "exports/more.py",
        f"""
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                     headers={{"Authorization": "AppKey {keys[1]}"}})
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members",
                     headers={{"Authorization": "Bearer {keys[2]}"}})
    """,
    )
    outputs = []
    proc = run_cli("report", "acme-scripts", "-o", "r.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    outputs += [proc.stdout, proc.stderr, (tmp_path / "r.html").read_text(encoding="utf-8")]
    for t in ("findings", "plan", "permissions", "blockers"):
        proc = run_cli("report", "acme-scripts", "--format", "csv", "--table", t, cwd=tmp_path)
        assert proc.returncode == 0, proc.stderr
        outputs += [proc.stdout, proc.stderr]
    proc = run_cli("scan", "--format", "json", "-o", "s.json", "acme-scripts", cwd=tmp_path)
    outputs += [proc.stdout, proc.stderr, (tmp_path / "s.json").read_text(encoding="utf-8")]
    proc = run_cli("report", "--from", "s.json", "-o", "r2.html", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    outputs.append((tmp_path / "r2.html").read_text(encoding="utf-8"))
    everything = "\n".join(outputs)
    for key in keys:
        assert key not in everything
        assert key[8:40] not in everything
    assert everything.count("…[108 chars]") >= 3


def test_csv_format_renders_the_report_tables_of_a_scan(tmp_path):
    import csv
    import io

    from migrator.api import ScanOptions, scan
    from migrator.outputs import csv_format

    make_repo(tmp_path, canary_key())
    result = scan([str(tmp_path / "acme-scripts")], ScanOptions(cwd=str(tmp_path)))
    for table_name, columns in (
        ("plan", csv_format.PLAN_COLUMNS),
        ("permissions", csv_format.PERMISSION_COLUMNS),
        ("blockers", csv_format.BLOCKER_COLUMNS),
    ):
        rows = list(csv.DictReader(io.StringIO(csv_format.render(result, table=table_name))))
        assert rows and tuple(rows[0]) == columns
    perms = list(csv.DictReader(io.StringIO(csv_format.render(result, table="permissions"))))
    assert {(r["permission"], r["resource_type"], r["resource_id"]) for r in perms} >= {
        ("USE PACKAGE", "package", "acme-p2p"),
        ("Audit Log API", "team", ""),
    }


def test_kafka_connector_is_an_integration_blocker(tmp_path):
    write(tmp_path, ".celonis-migrator.toml", "")
    write(
        tmp_path,
        "conn/ems-sink.properties",
        """
        connector.class=com.celonis.kafka.connect.ems.sink.EmsSinkConnector
        connect.ems.endpoint=https://acme.eu-1.celonis.cloud/continuous-batch-processing/api/v1/\
          aaaaaaaa-0000-4000-8000-000000000001/items
        connect.ems.authorization.key="AppKey ${file:/etc/secrets/celonis.properties:key}"
    """,
    )
    proc = run_cli("report", "conn", "-o", "r.html", "--no-diffs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = dom((tmp_path / "r.html").read_text(encoding="utf-8")).by_id("blockers-table").rows()
    assert [(r.attrs["data-kind"], r.attrs["data-path"]) for r in rows] == [
        ("integration", "/continuous-batch-processing/api/v1/{poolId}/items")
    ]
    assert "fixed header value" in rows[0].cells()[2]
