"""Merging saved scans: `report --from a.json --from b.json` plans what one scan of both trees plans."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pytest

from migrator.outputs.context import plan_dict
from migrator.report import build_report, load_scan_json, plan_from_dict
from tests.conftest import run_cli, write
from tests.test_redaction import canary_key

PLAN_KEYS = ("scopes", "scope_string", "permissions", "blockers", "unknown_endpoints")


def make_trees(root: Path) -> None:
    write(root, ".celonis-migrator.toml", "")
    write(
        root,
        "billing/export/audit.py",
        f"""
        import requests
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                     headers={{"Authorization": "AppKey {canary_key()}"}})
    """,
    )
    write(
        root,
        "billing/push.py",
        """
        import os, requests
        POOL = "aaaaaaaa-0000-4000-8000-000000000001"
        requests.post(f"https://acme.eu-1.celonis.cloud/data-ingestion/api/v1/data-push/{POOL}/jobs/",
                      headers={"Authorization": "AppKey " + os.environ["PUSH_KEY"]}, json={})
    """,
    )
    write(
        root,
        "p2p/km.py",
        """
        import os, requests
        url = "https://acme.eu-1.celonis.cloud/intelligence/api/knowledge-models/acme-p2p.p2p-km/filters"
        requests.get(url, headers={"Authorization": "Bearer " + os.environ["CELONIS_API_TOKEN"]})
    """,
    )
    write(
        root,
        "p2p/loaders/reload.py",
        """
        import os
        from pycelonis import get_celonis
        celonis = get_celonis(base_url="https://acme.eu-1.celonis.cloud", api_token=os.environ["K"],
                              key_type="APP_KEY")
        celonis.data_integration.get_data_pools()
    """,
    )
    write(
        root,
        "p2p/loaders/push_more.py",
        """
        import os, requests
        requests.post("https://acme.eu-1.celonis.cloud/data-ingestion/api/v1/data-push/"
                      "aaaaaaaa-0000-4000-8000-000000000001/jobs/",
                      headers={"Authorization": "AppKey " + os.environ["PUSH_KEY"]}, json={})
        requests.get("https://acme.eu-1.celonis.cloud/api/external/members",
                     headers={"Authorization": "AppKey " + os.environ["PUSH_KEY"]})
    """,
    )


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("merge")
    make_trees(root)
    for name, paths in (("a", ["billing"]), ("b", ["p2p"]), ("ab", ["billing", "p2p"])):
        proc = run_cli("scan", "--format", "json", "-o", f"{name}.json", *paths, cwd=root)
        assert proc.returncode == 1, proc.stderr
    return root


def _plan(d: dict) -> dict:
    return {k: d[k] for k in PLAN_KEYS}


def test_two_scans_merge_to_the_plan_of_one_scan(scans):
    both = json.loads((scans / "ab.json").read_text(encoding="utf-8"))
    merged = build_report([load_scan_json(str(scans / "a.json")), load_scan_json(str(scans / "b.json"))])
    assert _plan(plan_dict(merged.plan)) == _plan(both["plan"])
    # The sub-scope was absorbed: `integration.data-pools` (pycelonis in p2p) covers billing's Data Push.
    assert "integration.data-pools" in both["plan"]["scope_string"].split()
    assert "integration.data-pools:data_push" not in both["plan"]["scope_string"].split()
    # The same holds for a single JSON of both trees read back.
    single = build_report([load_scan_json(str(scans / "ab.json"))])
    assert single.plan == merged.plan == plan_from_dict(both["plan"])


def test_order_of_the_scans_does_not_matter(scans):
    a, b = load_scan_json(str(scans / "a.json")), load_scan_json(str(scans / "b.json"))
    assert build_report([a, b]).plan == build_report([b, a]).plan
    assert [c.name for c in build_report([b, a]).clients] == ["billing", "p2p"]


def _csv(root: Path, *args: str) -> list[dict[str, str]]:
    proc = run_cli("report", *args, "--format", "csv", "--no-diffs", cwd=root)
    assert proc.returncode == 0, proc.stderr
    return list(csv.DictReader(io.StringIO(proc.stdout)))


@pytest.mark.parametrize("table", ["plan", "permissions", "blockers", "findings"])
def test_portfolio_from_json_equals_the_report_of_both_paths(scans, table):
    from_paths = _csv(scans, "billing", "p2p", "--table", table)
    from_json = _csv(scans, "--from", "a.json", "--from", "b.json", "--table", table)
    assert from_paths == from_json
    assert from_paths


def test_per_repo_clients_keep_their_own_least_privilege(scans):
    report = build_report([load_scan_json(str(scans / "a.json")), load_scan_json(str(scans / "b.json"))])
    scopes = {c.name: [s.scope for s in c.scopes] for c in report.clients}
    assert scopes == {
        "billing": ["audit.log:read", "integration.data-pools:data_push"],
        "p2p": ["integration.data-pools", "intelligence.knowledge-models:read", "team.user-group-info:read"],
    }
    single = build_report(
        [load_scan_json(str(scans / "a.json")), load_scan_json(str(scans / "b.json"))], clients="single"
    )
    assert [s.scope for s in single.clients[0].scopes] == [s.scope for s in report.plan.scopes]


def test_single_json_of_both_trees_groups_by_its_inferred_root(scans):
    legacy = json.loads((scans / "ab.json").read_text())
    legacy.pop("roots")  # a scan JSON written before roots were recorded
    (scans / "legacy").mkdir(exist_ok=True)
    (scans / "legacy" / "ab.json").write_text(json.dumps(legacy))
    report = build_report([load_scan_json(str(scans / "legacy" / "ab.json"))], clients="per-app")
    # No roots in the JSON: the common directory of its paths is the cwd, named after the file.
    assert [c.name for c in report.clients] == ["ab/billing", "ab/p2p"]
