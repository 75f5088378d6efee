"""Inline ignores: the comment syntax of each file kind, line and line-before, rule lists, unused ignores."""

from __future__ import annotations

import json

import pytest

from migrator.ignores import COMMENT_OPENERS, Ignore, apply_ignores, find_ignores
from migrator.types import Finding, KeySource
from tests.conftest import FAKE_APP_KEY, run_cli, scan_json, write


def finding(line: int, rule: str = "celonis-appkey-header", end_line: int | None = None) -> Finding:
    return Finding(rule_id=rule, path="f", line=line, column=1, end_line=end_line or line, end_column=5,
                   auth_schemes=("AppKey",), credential_kind="app_key", key_source=KeySource("env", "K"),
                   redacted=None, endpoints=(), fingerprint=f"fp{line}{rule}", message="m")


# --- which comments count -------------------------------------------------------------

NO_IGNORE = [
    pytest.param("python", 'x = 1  # celonis-migrator: ignored\n', id="ignored-is-another-word"),
    pytest.param("python", 'x = "celonis-migrator: ignore"\n', id="python-marker-in-string-without-comment"),
    pytest.param("python", "x = 1  // celonis-migrator: ignore\n", id="python-wrong-comment-syntax"),
    pytest.param("javascript", "x = 1  # celonis-migrator: ignore\n", id="js-hash-is-not-a-comment"),
    pytest.param("json", '{"a": "b"}  // celonis-migrator: ignore\n', id="json-has-no-comments"),
    pytest.param("text", "# celonis-migrator: ignore\n", id="text-has-no-comments"),
    pytest.param("python", "x = 1  # celonis-migrator: ignore[unclosed\n", id="unclosed-rule-list"),
    pytest.param("python", "x = 1  # celonis-migrator ignore\n", id="no-colon"),
]


@pytest.mark.parametrize(("kind", "text"), NO_IGNORE)
def test_not_an_ignore(kind, text):
    assert find_ignores(kind, text) == []


IGNORES = [
    pytest.param("python", "h = k  # celonis-migrator: ignore\n", (), False, id="python-trailing"),
    pytest.param("python", "# celonis-migrator: ignore\n", (), True, id="python-standalone"),
    pytest.param("python", "h = k  # noqa: E501  celonis-migrator: ignore[celonis-appkey-header]\n",
                 ("celonis-appkey-header",), False, id="python-after-another-pragma"),
    pytest.param("shell", 'curl -H "Authorization: AppKey $K" # celonis-migrator: ignore\n', (), False, id="shell"),
    pytest.param("yaml", "  Authorization: AppKey ${K}  # celonis-migrator: ignore\n", (), False, id="yaml"),
    pytest.param("toml", "# celonis-migrator:ignore\n", (), True, id="toml-no-space"),
    pytest.param("dotenv", "CELONIS_API_TOKEN=x # celonis-migrator: ignore\n", (), False, id="dotenv"),
    pytest.param("ini", "; celonis-migrator: ignore\n", (), True, id="ini-semicolon"),
    pytest.param("ini", "# celonis-migrator: ignore\n", (), True, id="ini-hash"),
    pytest.param("properties", "! celonis-migrator: ignore\n", (), True, id="properties-bang"),
    pytest.param("powershell", "$h = @{} # celonis-migrator: ignore\n", (), False, id="powershell"),
    pytest.param("javascript", "const h = k; // celonis-migrator: ignore\n", (), False, id="javascript"),
    pytest.param("javascript", "/* celonis-migrator: ignore */\n", (), True, id="javascript-block"),
    pytest.param("java", "// celonis-migrator: ignore[a, b]\n", ("a", "b"), True, id="java-two-rules"),
    pytest.param("csharp", "var h = k; // celonis-migrator: ignore\n", (), False, id="csharp"),
    pytest.param("go", "h := k // celonis-migrator: ignore\n", (), False, id="go"),
    pytest.param("kotlin", "val h = k // celonis-migrator: ignore\n", (), False, id="kotlin"),
    pytest.param("scala", "val h = k // celonis-migrator: ignore\n", (), False, id="scala"),
    pytest.param("markdown", "<!-- celonis-migrator: ignore -->\n", (), True, id="markdown-html-comment"),
    pytest.param("notebook", '    "# celonis-migrator: ignore\\n",\n', (), True, id="notebook-cell-comment"),
    pytest.param("javascript", 'fetch("https://x.celonis.cloud/a") // celonis-migrator: ignore\n', (), False,
                 id="url-before-the-comment"),
]


@pytest.mark.parametrize(("kind", "text", "rules", "standalone"), IGNORES)
def test_ignore_comment(kind, text, rules, standalone):
    assert find_ignores(kind, text) == [Ignore(1, rules, standalone)]


def test_every_commented_kind_has_a_case():
    tested = {p.values[0] for p in IGNORES}
    assert set(COMMENT_OPENERS) - tested <= {"dockerfile", "http", "groovy"}


# --- what an ignore covers --------------------------------------------------------------


def test_noop_without_ignores():
    fs = [finding(1), finding(3)]
    assert apply_ignores("python", "a\nb\nc\n", "f", fs) == (fs, [], [])


def test_same_line_and_standalone_line_before():
    text = "x = k  # celonis-migrator: ignore\n# celonis-migrator: ignore\ny = k\nz = k\n"
    kept, silenced, unused = apply_ignores("python", text, "f", [finding(1), finding(3), finding(4)])
    assert [f.line for f in kept] == [4]
    assert [(f.line, f.ignore_line) for f in silenced] == [(1, 1), (3, 2)]
    assert all(f.suppressed for f in silenced) and unused == []


def test_trailing_comment_does_not_cover_the_next_line():
    text = "x = k  # celonis-migrator: ignore\ny = k\n"
    kept, silenced, _ = apply_ignores("python", text, "f", [finding(1), finding(2)])
    assert [f.line for f in kept] == [2] and [f.line for f in silenced] == [1]


def test_multi_line_finding_covered_by_a_comment_on_its_last_line():
    text = "h = {\n  'Authorization':\n     'AppKey ' + k,  # celonis-migrator: ignore\n}\n"
    kept, silenced, _ = apply_ignores("python", text, "f", [finding(2, end_line=3)])
    assert kept == [] and silenced[0].ignore_line == 3


def test_markdown_comment_above_a_code_fence_covers_its_first_line():
    text = "Use:\n\n<!-- celonis-migrator: ignore -->\n```sh\ncurl -H 'Authorization: AppKey $K' x\nsecond\n```\n"
    kept, silenced, unused = apply_ignores("markdown", text, "f", [finding(5), finding(6)])
    assert [f.line for f in silenced] == [5] and [f.line for f in kept] == [6] and unused == []
    kept, silenced, _ = apply_ignores("python", "# celonis-migrator: ignore\n```\nx\n", "f", [finding(3)])
    assert silenced == [], "only Markdown looks past a fence"


def test_rule_list_only_silences_those_rules_and_reports_unused():
    text = "x = k  # celonis-migrator: ignore[celonis-bearer-static-key]\n\n# celonis-migrator: ignore\n"
    kept, silenced, unused = apply_ignores("python", text, "f", [finding(1)])
    assert [f.rule_id for f in kept] == ["celonis-appkey-header"] and silenced == []
    assert [(u.line, u.rules) for u in unused] == [(1, ("celonis-bearer-static-key",)), (3, ())]


# --- end to end ---------------------------------------------------------------------------

LEAKY = f'''\
import requests
KEY = "{FAKE_APP_KEY}"
requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
             headers={{"Authorization": "AppKey " + KEY}}){{trail}}
'''


def test_cli_inline_ignore_passes_the_run_and_reports_it(tmp_path):
    write(tmp_path, "app.py", LEAKY.replace("{trail}", "  # celonis-migrator: ignore"), dedent=False)
    write(tmp_path, "other.py", "# celonis-migrator: ignore[celonis-appkey-header]\nx = 1\n", dedent=False)
    code, data = scan_json(".", cwd=tmp_path)
    assert code == 0 and data["findings"] == []
    (silenced,) = data["suppressed"]
    assert silenced["path"] == "app.py" and silenced["ignore_line"] == 4 and silenced["leaked"] is True
    assert data["unused_ignores"] == [{"path": "other.py", "line": 1, "rules": ["celonis-appkey-header"]}]
    assert data["stats"]["findings_suppressed"] == 1
    proc = run_cli("scan", ".", cwd=tmp_path)
    assert proc.returncode == 0
    assert "1 finding(s) silenced" in proc.stdout and "other.py:1: celonis-migrator: ignore[celonis-appkey-header]" \
        in proc.stdout
    assert FAKE_APP_KEY not in proc.stdout + proc.stderr + json.dumps(data)


def test_cli_ignore_for_another_rule_still_fails(tmp_path):
    write(tmp_path, "app.py", LEAKY.replace("{trail}", "  # celonis-migrator: ignore[pycelonis-static-key]"),
          dedent=False)
    code, data = scan_json(".", cwd=tmp_path)
    assert code == 1 and len(data["findings"]) == 1
    assert data["unused_ignores"] == [{"path": "app.py", "line": 4, "rules": ["pycelonis-static-key"]}]


def test_ignore_left_after_the_fix_is_reported_unused(tmp_path):
    write(tmp_path, "app.py", "import os\nTOKEN = os.environ['T']  # celonis-migrator: ignore\n", dedent=False)
    code, data = scan_json(".", cwd=tmp_path)
    assert code == 0 and data["unused_ignores"] == [{"path": "app.py", "line": 2, "rules": []}]


def test_cli_ignores_in_each_comment_syntax(tmp_path):
    key = FAKE_APP_KEY
    host = "https://acme.eu-1.celonis.cloud/integration/api/pools"
    write(tmp_path, "a.sh", f'curl -H "Authorization: AppKey $CELONIS_KEY" {host}  # celonis-migrator: ignore\n'
                            f'curl -H "Authorization: AppKey $CELONIS_KEY" {host}\n', dedent=False)
    write(tmp_path, ".env", f"CELONIS_API_TOKEN={key}  # celonis-migrator: ignore\n", dedent=False)
    write(tmp_path, "c.yaml", f"celonis:\n  # celonis-migrator: ignore\n  api_token: {key}\n", dedent=False)
    write(tmp_path, "a.js", f'fetch("{host}", {{headers: {{Authorization: "AppKey " + process.env.CELONIS_KEY}}}});'
                            " // celonis-migrator: ignore\n", dedent=False)
    write(tmp_path, "README.md", f"Use:\n\n<!-- celonis-migrator: ignore -->\n```sh\n"
                                 f'curl -H "Authorization: AppKey {key}" {host}\n```\n', dedent=False)
    proc = run_cli("scan", "--format", "json", "--no-git", ".", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    data = json.loads(proc.stdout)
    assert [(f["path"], f["line"]) for f in data["findings"]] == [("a.sh", 2)]
    assert {f["path"] for f in data["suppressed"]} == {"a.sh", ".env", "c.yaml", "a.js", "README.md"}
    assert data["unused_ignores"] == [] and key not in proc.stdout + proc.stderr


def test_the_scan_fast_lane_looks_for_the_same_marker():
    from migrator import api, ignores

    assert api._IGNORE_MARKER == ignores.MARKER.encode("ascii")
