"""An OAuth client belongs to one Celonis team: keys and clients are never joined across team hosts.

`svc_a` sends env `CELONIS_API_TOKEN` to acme, `svc_b` sends env `CELONIS_API_TOKEN` to globex: two
credentials, two clients (one token URL each, each with its own scopes), through the real CLI.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from tests.conftest import run_cli, write
from tests.html_dom import parse

ACME = "acme.eu-1.celonis.cloud"
GLOBEX = "globex.us-2.celonis.cloud"


def two_teams(root: Path) -> Path:
    repo = root / "platform"
    write(root, ".celonis-migrator.toml", "")
    write(
        repo,
        "svc_a/a.py",
        f"""
        import os, requests
        requests.get("https://{ACME}/log/api/external/audit",
                     headers={{"Authorization": "AppKey " + os.environ["CELONIS_API_TOKEN"]}})
        """,
    )
    write(
        repo,
        "svc_b/b.py",
        f"""
        import os, requests
        requests.get("https://{GLOBEX}/integration/api/pools",
                     headers={{"Authorization": "AppKey " + os.environ["CELONIS_API_TOKEN"]}})
        """,
    )
    return repo


def add_hostless(repo: Path) -> None:
    """a2.py: the host comes from the environment, the key is acme's (a3.py); c.py: no team visible;
    d.py: one key sent to both teams (a blocker on acme, the Audit Log API on globex)."""
    write(
        repo,
        "svc_d/d.py",
        f"""
        import os, requests
        H = {{"Authorization": "AppKey " + os.environ["D_KEY"]}}
        requests.get("https://{ACME}/api/cloud", headers=H)
        requests.get("https://{GLOBEX}/log/api/external/audit", headers=H)
        """,
    )
    write(
        repo,
        "svc_a/a2.py",
        """
        import os, requests
        requests.get(os.environ["CELONIS_URL"] + "/api/external/members",
                     headers={"Authorization": "AppKey " + os.environ["ACME_KEY"]})
        """,
    )
    write(
        repo,
        "svc_a/a3.py",
        f"""
        import os, requests
        requests.get("https://{ACME}/log/api/external/audit",
                     headers={{"Authorization": "AppKey " + os.environ["ACME_KEY"]}})
        """,
    )
    write(
        repo,
        "svc_c/c.py",
        """
        import os, requests
        requests.get(os.environ["CELONIS_URL"] + "/intelligence/api/knowledge-models/acme-p2p.p2p-km/filters",
                     headers={"Authorization": "AppKey " + os.environ["C_KEY"]})
        """,
    )


def _scan(root: Path, *paths: str) -> dict:
    proc = run_cli("scan", "--format", "json", *paths, cwd=root)
    assert proc.returncode == 1, proc.stderr
    return json.loads(proc.stdout)


def _clients(html: str) -> dict[str, dict]:
    doc = parse(html)
    out = {}
    for article in doc.by_id("clients").find_all("article"):
        table = article.find("table")
        out[article.attrs["data-client"]] = {
            "token_urls": [li.text for li in article.find("ul", class_="token-urls").find_all("li")],
            "scopes": [r.attrs["data-scope"] for r in table.rows()] if table else [],
        }
    return out


def _lede(html: str) -> str:
    return parse(html).by_id("clients").find("p", class_="lede").text


def test_the_same_env_name_sent_to_two_teams_is_two_credentials(tmp_path):
    two_teams(tmp_path)
    result = _scan(tmp_path, "platform")
    ids = {f["path"]: f["credential_id"] for f in result["findings"]}
    assert ids["platform/svc_a/a.py"] != ids["platform/svc_b/b.py"]
    assert ids["platform/svc_a/a.py"] == f"env:CELONIS_API_TOKEN@{ACME}"
    assert result["stats"]["credentials"] == 2
    assert len(result["plan"]["credentials"]) == 2
    assert all(f["linked"] == [] for f in result["findings"])


def test_one_client_per_team_host_each_with_its_own_token_url_and_scopes(tmp_path):
    two_teams(tmp_path)
    proc = run_cli("report", "platform", "-o", "r.html", "--no-diffs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert _lede(html).startswith("Register 2 OAuth clients")
    assert parse(html).by_id("count-clients").text == "2"
    assert _clients(html) == {
        "platform@acme.eu-1": {"token_urls": [f"https://{ACME}/oauth2/token"], "scopes": ["audit.log:read"]},
        "platform@globex.us-2": {
            "token_urls": [f"https://{GLOBEX}/oauth2/token"],
            "scopes": ["integration.data-pools"],
        },
    }
    # Permissions and findings name the client of their own team.
    doc = parse(html)
    perms = sorted(
        (r.attrs["data-client"], r.attrs["data-permission"]) for r in doc.by_id("permissions-table").rows()
    )
    assert [c for c, _ in perms] == ["platform@acme.eu-1", "platform@globex.us-2"]
    assert perms[0][1] == "Audit Log API"
    rows = sorted(r.attrs["data-client"] for r in doc.find_all("tr") if "data-fix" in r.attrs)
    assert rows == ["platform@acme.eu-1", "platform@globex.us-2"]


def test_single_client_grouping_is_still_split_per_team(tmp_path):
    two_teams(tmp_path)
    proc = run_cli("report", "platform", "--clients", "single", "--client-name", "all", "--format", "csv",
                   "--table", "plan", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    rows = list(csv.DictReader(io.StringIO(proc.stdout)))
    assert [(r["client"], r["scope"], r["token_urls"]) for r in rows] == [
        ("all@acme.eu-1", "audit.log:read", f"https://{ACME}/oauth2/token"),
        ("all@globex.us-2", "integration.data-pools", f"https://{GLOBEX}/oauth2/token"),
    ]


def test_findings_without_a_visible_host_follow_their_key_or_get_a_client_of_their_own(tmp_path):
    repo = two_teams(tmp_path)
    add_hostless(repo)
    result = _scan(tmp_path, "platform")
    ids = {f["path"]: f["credential_id"] for f in result["findings"]}
    # a2.py (no host) and a3.py (acme) name the same key: one credential, acme's.
    assert ids["platform/svc_a/a2.py"] == ids["platform/svc_a/a3.py"] == "env:ACME_KEY"
    proc = run_cli("report", "platform", "--format", "csv", "--table", "plan", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    plan: dict[str, list[str]] = {}
    urls: dict[str, set[str]] = {}
    for r in csv.DictReader(io.StringIO(proc.stdout)):
        plan.setdefault(r["client"], []).append(r["scope"])
        urls.setdefault(r["client"], set()).add(r["token_urls"])
    assert plan == {
        "platform@acme.eu-1": ["audit.log:read", "team.user-group-info:read"],
        "platform@globex.us-2": ["audit.log:read", "integration.data-pools"],
        "platform@team-not-visible": ["intelligence.knowledge-models:read"],
    }
    assert urls["platform@team-not-visible"] == {"https://<team>.<realm>.celonis.cloud/oauth2/token"}
    proc = run_cli("report", "platform", "-o", "r.html", "--no-diffs", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    hidden = _clients(html)["platform@team-not-visible"]["token_urls"]
    assert hidden == ["https://<team>.<realm>.celonis.cloud/oauth2/token (team host not visible in code)"]
    assert "one client per team" in _lede(html)
    # d.py's blocker is acme's only; its file lists both clients.
    blockers = parse(html).by_id("blockers").text
    assert "/api/cloud" in blockers and "platform@acme.eu-1" in blockers
    assert "platform@globex.us-2" not in blockers
    articles = parse(html).by_id("files").find_all("article")
    detail = next(a for a in articles if a.attrs["data-path"].endswith("d.py"))
    assert "Clients platform@acme.eu-1, platform@globex.us-2" in detail.text


def test_a_config_entry_without_calls_stays_with_the_only_team_of_its_repository(tmp_path):
    write(tmp_path, ".celonis-migrator.toml", "")
    write(tmp_path, "repo/.env", "CELONIS_API_TOKEN=changeme\n")
    write(
        tmp_path,
        "repo/a.py",
        f"""
        import os, requests
        requests.get("https://{ACME}/log/api/external/audit",
                     headers={{"Authorization": "AppKey " + os.environ["CELONIS_API_TOKEN"]}})
        """,
    )
    proc = run_cli("report", "repo", "--format", "csv", "--table", "plan", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert {r["client"] for r in csv.DictReader(io.StringIO(proc.stdout))} == {"repo"}


@pytest.mark.parametrize("table", ["plan", "permissions", "blockers", "findings"])
def test_a_saved_scan_of_two_teams_gives_the_report_of_the_tree(tmp_path, table):
    repo = two_teams(tmp_path)
    add_hostless(repo)
    proc = run_cli("scan", "--format", "json", "-o", "all.json", "platform", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    a = run_cli("report", "platform", "--format", "csv", "--table", table, "--no-diffs", cwd=tmp_path)
    b = run_cli("report", "--from", "all.json", "--format", "csv", "--table", table, cwd=tmp_path)
    assert a.returncode == b.returncode == 0, a.stderr + b.stderr
    assert a.stdout == b.stdout and a.stdout.count("\n") > 1
