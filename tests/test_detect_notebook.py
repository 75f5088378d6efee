"""The notebook detector on usage-patterns.md §4: cells as one module, magics as shell, outputs, locations."""

from __future__ import annotations

import json
import textwrap

import pytest

from migrator.detect.notebook import scan
from migrator.errors import MigratorError
from migrator.types import SourceFile
from tests.conftest import FAKE_APP_KEY, FAKE_USER_KEY, scan_json, write

# Written as Jupyter writes it (nbformat 4, indent 1), so that the asserted file lines are visible.
PIPELINE = textwrap.dedent(f'''\
    {{
     "cells": [
      {{
       "cell_type": "code",
       "execution_count": 1,
       "id": "env",
       "metadata": {{}},
       "outputs": [],
       "source": [
        "%env CELONIS_API_TOKEN={FAKE_USER_KEY}\\n",
        "%env CELONIS_KEY_TYPE=USER_KEY"
       ]
      }},
      {{
       "cell_type": "markdown",
       "id": "doc",
       "metadata": {{}},
       "source": [
        "## Load the data model\\n",
        "Uses the team `acme`."
       ]
      }},
      {{
       "cell_type": "code",
       "execution_count": 2,
       "id": "login",
       "metadata": {{}},
       "outputs": [],
       "source": [
        "import requests\\n",
        "from pycelonis import get_celonis\\n",
        "BASE = \\"https://acme.eu-1.celonis.cloud\\"\\n",
        "c = get_celonis(base_url=BASE)"
       ]
      }},
      {{
       "cell_type": "code",
       "execution_count": 3,
       "id": "calls",
       "metadata": {{}},
       "outputs": [
        {{
         "name": "stderr",
         "output_type": "stream",
         "text": [
          "Request headers {{'authorization': '[secure]'}}\\n"
         ]
        }},
        {{
         "data": {{
          "image/png": "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg==",
          "text/plain": [
           "<Figure size 640x480 with 1 Axes>"
          ]
         }},
         "metadata": {{}},
         "output_type": "display_data"
        }}
       ],
       "source": [
        "pools = c.data_integration.get_data_pools()\\n",
        "for pool in pools:\\n",
        "    !curl -s -H \\"Authorization: AppKey $ACME_APP_KEY\\" {{BASE}}/integration/api/pools/{{pool.id}}/jobs\\n",
        "HEADERS = {{\\"Authorization\\": f\\"Bearer {{KEY}}\\"}}\\n",
        "requests.get(f\\"{{BASE}}/log/api/external/audit\\", headers=HEADERS)"
       ]
      }},
      {{
       "cell_type": "code",
       "execution_count": 4,
       "id": "leak",
       "metadata": {{}},
       "outputs": [
        {{
         "name": "stdout",
         "output_type": "stream",
         "text": [
          "sending Authorization: AppKey {FAKE_APP_KEY}\\n"
         ]
        }}
       ],
       "source": [
        "print(session.headers)"
       ]
      }}
     ],
     "metadata": {{
      "kernelspec": {{
       "display_name": "Python 3",
       "language": "python",
       "name": "python3"
      }}
     }},
     "nbformat": 4,
     "nbformat_minor": 5
    }}
''')


def scan_text(text: str, path: str = "pipeline.ipynb"):
    return scan(SourceFile(path, path, "notebook", text))


def notebook(*cells: dict, language: str = "python") -> str:
    """A notebook as Jupyter writes it; code cells get the keys Jupyter adds."""
    full = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], **c} for c in cells]
    meta = {"kernelspec": {"display_name": language, "language": language, "name": language}}
    return json.dumps({"cells": full, "metadata": meta, "nbformat": 4, "nbformat_minor": 5}, indent=1) + "\n"


def by_rule(findings):
    return {f.rule_id: f for f in findings}


def test_example_notebook_reports_cells_lines_and_file_lines():
    findings = scan_text(PIPELINE)
    assert FAKE_USER_KEY not in repr(findings) and FAKE_APP_KEY not in repr(findings)
    located = sorted((f.rule_id, f.cell, f.cell_line, f.line) for f in findings)
    assert located == [
        ("celonis-api-token-env", 0, 1, 10),
        ("celonis-appkey-header", 3, 3, 63),
        ("celonis-appkey-header", 4, 1, 78),
        ("celonis-bearer-static-key", 3, 4, 64),
        ("pycelonis-static-key", 2, 4, 33),
    ]
    assert all(f.language == "notebook" for f in findings)


def test_env_magic_is_a_literal_key_whose_scheme_comes_from_celonis_key_type():
    f = by_rule(scan_text(PIPELINE))["celonis-api-token-env"]
    assert (f.line, f.column) == (10, 6)
    assert f.auth_schemes == ("Bearer",) and f.credential_kind == "user_api_key"
    assert f.key_source.kind == "literal" and f.leaked and f.redacted == "MTEx…[108 chars]"


def test_python_cells_are_one_module_and_magic_lines_keep_their_place():
    findings = scan_text(PIPELINE)
    login = by_rule(findings)["pycelonis-static-key"]
    assert (login.key_source.kind, login.key_source.name) == ("env", "CELONIS_API_TOKEN")
    assert "%env CELONIS_KEY_TYPE=USER_KEY in cell 0: the key is sent as Bearer" in login.notes
    assert [e.path for e in login.endpoints][:1] == ["/api/cloud"]
    assert any(e.scopes == ("integration.data-pools",) for e in login.endpoints)
    bearer = by_rule(findings)["celonis-bearer-static-key"]
    assert (bearer.line, bearer.column, bearer.cell_line) == (64, 17, 4)
    assert (bearer.key_source.kind, bearer.key_source.name) == ("unknown", "KEY")
    assert [(e.method, e.path, e.scopes, e.line) for e in bearer.endpoints] == [
        ("GET", "/log/api/external/audit", ("audit.log:read",), 65)]
    assert bearer.endpoints[0].host == "acme.eu-1.celonis.cloud"


def test_bang_line_inside_a_loop_is_scanned_as_shell():
    shell = next(f for f in scan_text(PIPELINE) if f.rule_id == "celonis-appkey-header" and f.cell == 3)
    assert (shell.line, shell.column) == (63, 24)
    assert (shell.key_source.kind, shell.key_source.name) == ("env", "ACME_APP_KEY")
    assert [(e.method, e.path) for e in shell.endpoints] == [("GET", "/integration/api/pools/{poolId}/jobs")]


def test_outputs_report_real_keys_only_never_secure_or_images():
    out = [f for f in scan_text(PIPELINE) if f.cell == 4]
    (f,) = out
    assert (f.line, f.column, f.cell_line) == (78, 38, 1)
    assert f.auth_schemes == ("AppKey",) and f.leaked and f.key_source.kind == "literal"
    assert "printed in the output of cell 4 (output line 1): clear the output as well" in f.notes


def test_cell_magics_help_lines_and_a_broken_cell():
    text = notebook(
        {"source": ["%%time\n", "import requests\n", "requests.get('https://acme.eu-1.celonis.cloud/api/external/members',\n",
                    "             headers={'Authorization': 'AppKey ' + KEY})\n"]},
        {"source": ["%%bash\n", "curl -H \"Authorization: Bearer $CELONIS_TOKEN\" \\\n",
                    "  https://acme.eu-1.celonis.cloud/machine-learning/api/notebooks\n"]},
        {"source": ["requests.get?\n", "x = (1,\n"]},
        {"source": ["%%html\n", "<p>Authorization: AppKey in the browser</p>\n"]},
    )
    found = sorted(scan_text(text), key=lambda f: f.cell or 0)
    assert [(f.rule_id, f.cell, f.cell_line) for f in found] == [
        ("celonis-appkey-header", 0, 4), ("celonis-bearer-static-key", 1, 2)]
    python, shell = found
    assert [e.scopes for e in python.endpoints] == [("team.user-group-info:read",)]
    assert shell.line == text.split("\n").index(
        '    "curl -H \\"Authorization: Bearer $CELONIS_TOKEN\\" \\\\\\n",') + 1
    assert [e.path for e in shell.endpoints] == ["/machine-learning/api/notebooks"]


def test_source_as_one_string_maps_every_cell_line_to_that_json_line():
    text = notebook({"source": f'import requests\nrequests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",\n'
                               f'    headers={{"Authorization": "AppKey {FAKE_APP_KEY}"}})\n'})
    (f,) = scan_text(text)
    source_line = next(i for i, line in enumerate(text.split("\n"), 1) if '"source":' in line)
    assert (f.line, f.cell, f.cell_line) == (source_line, 0, 3)
    assert f.leaked and f.column == text.split("\n")[source_line - 1].index('\\"Authorization') + 1


def test_oauth_token_and_jwt_in_a_notebook_are_not_findings():
    text = notebook({"source": [
        "import requests\n", "BASE = 'https://acme.eu-1.celonis.cloud'\n",
        "tok = requests.post(f'{BASE}/oauth2/token', data={'grant_type': 'client_credentials'}).json()['access_token']\n",
        "requests.get(f'{BASE}/log/api/external/audit', headers={'Authorization': f'Bearer {tok}'})\n",
        "!curl -H 'Authorization: Bearer eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJvcGVuaWQiXX0.c2lnbmF0dXJl' $BASE/api/team\n"]},
        {"source": [], "outputs": [{"output_type": "execute_result", "execution_count": 1, "metadata": {},
                                    "data": {"text/plain": ["'eyJhbGciOiJFUzM4NCJ9.eyJzY29wZSI6WyJvcGVuaWQiXX0.c2lnbmF0dXJl'"]}}]})
    assert scan_text(text) == []


def test_r_kernel_code_is_not_parsed_as_python():
    text = notebook({"source": ["h <- c(Authorization = paste('AppKey', key))\n",
                                "GET('https://acme.eu-1.celonis.cloud/api/team', add_headers(.headers = h))\n"]},
                    language="R")
    assert scan_text(text) == []


def test_malformed_json_raises_a_one_line_error():
    with pytest.raises(MigratorError, match=r"^malformed notebook JSON: line 3 column 1: "):
        scan_text('{\n "cells": [\n')
    with pytest.raises(MigratorError, match="no list of cells"):
        scan_text('{"cells": {}}')


def test_cli_upper_case_extension_and_malformed_notebook_skip(tmp_path):
    write(tmp_path, "notebooks/Audit.IPYNB", notebook({"source": [
        "import os, requests\n",
        "requests.get('https://acme.eu-1.celonis.cloud/log/api/external/audit',\n",
        "             headers={'Authorization': 'AppKey ' + os.environ['CELONIS_APP_KEY']})\n"]}), dedent=False)
    write(tmp_path, "notebooks/broken.ipynb", """\
        {
         "cells": [
        <<<<<<< HEAD
          {"cell_type": "code", "source": ["h = {\\"Authorization\\": \\"AppKey \\" + key}"]}
        =======
          {"cell_type": "code", "source": ["h = {\\"Authorization\\": \\"Bearer \\" + token()}"]}
        >>>>>>> oauth
         ]
        }
    """)
    code, out = scan_json(".", cwd=tmp_path)
    assert code == 1
    (f,) = out["findings"]
    assert (f["path"], f["line"], f["cell"], f["cell_line"]) == ("notebooks/Audit.IPYNB", 11, 0, 3)
    assert (f["auth_schemes"], f["key_source"], f["language"]) == (["AppKey"], {"kind": "env", "name": "CELONIS_APP_KEY"}, "notebook")
    assert [(e["method"], e["path"], e["scopes"]) for e in f["endpoints"]] == [
        ("GET", "/log/api/external/audit", ["audit.log:read"])]
    (skip,) = [s for s in out["stats"]["skipped"] if s["path"] == "notebooks/broken.ipynb"]
    assert skip == {"path": "notebooks/broken.ipynb", "reason": "malformed",
                    "detail": "malformed notebook JSON: line 3 column 1: Expecting value"}


def test_cli_reports_the_example_notebook_with_its_leaks_redacted(tmp_path):
    write(tmp_path, "pipeline.ipynb", PIPELINE, dedent=False)
    code, out = scan_json(".", cwd=tmp_path)
    assert code == 1
    assert FAKE_APP_KEY not in json.dumps(out) and FAKE_USER_KEY not in json.dumps(out)
    rows = sorted((f["rule_id"], f["line"], f["cell"], f["cell_line"], f["leaked"]) for f in out["findings"])
    assert rows == [
        ("celonis-api-token-env", 10, 0, 1, True),
        ("celonis-appkey-header", 63, 3, 3, False),
        ("celonis-appkey-header", 78, 4, 1, True),
        ("celonis-bearer-static-key", 64, 3, 4, False),
        ("pycelonis-static-key", 33, 2, 4, False),
    ]


def test_cli_key_literals_in_cells_keep_their_cell_and_celonis_key_type_sets_the_scheme(tmp_path):
    """A key pasted in a cell (used nowhere) is reported with its cell, not by the generic pass without one;
    `%env CELONIS_KEY_TYPE=USER_KEY` makes the env-only login and the `%env` token a user key (Bearer)."""
    text = notebook(
        {"source": ["%env CELONIS_URL=acme.eu-1.celonis.cloud\n", f"%env CELONIS_API_TOKEN={FAKE_USER_KEY}\n",
                    "%env CELONIS_KEY_TYPE=USER_KEY"]},
        {"source": ["from pycelonis import get_celonis\n", "c = get_celonis()\n", "c.studio.get_spaces()"]},
        {"source": ["!content-cli pull package --key acme-p2p\n",
                    "!content-cli pull package -p acme-prod --key acme-p2p"]},
        {"source": ["# backup of the old key, do not use\n", f"OLD_KEY = \"{FAKE_APP_KEY}\"\n"]},
        {"source": ["print(f'using {OLD_KEY}')"],
         "outputs": [{"name": "stdout", "output_type": "stream", "text": ["connecting\n", f"using {FAKE_APP_KEY}\n"]}]},
    )
    write(tmp_path, "notebooks/load.ipynb", text, dedent=False)
    code, out = scan_json(".", cwd=tmp_path)
    assert code == 1 and FAKE_APP_KEY not in json.dumps(out) and FAKE_USER_KEY not in json.dumps(out)
    assert all(f["cell"] is not None and f["cell_line"] is not None for f in out["findings"])
    rows = {f["rule_id"]: f for f in out["findings"]}
    assert sorted(rows) == ["celonis-api-token-env", "celonis-key-literal", "content-cli-key-profile",
                            "pycelonis-static-key"]

    lines = text.split("\n")
    old = rows["celonis-key-literal"]
    assert (old["cell"], old["cell_line"], old["leaked"]) == (3, 2, True)
    assert old["line"] == next(i for i, line in enumerate(lines, 1) if line.strip().startswith('"OLD_KEY'))
    printed = next(i for i, line in enumerate(lines, 1) if line.strip().startswith('"using MDAw'))
    assert f"{printed}:{lines[printed - 1].index('MDAw') + 1}" in old["related"]
    assert "printed in the output of cell 4 (output line 2): clear the output as well" in old["notes"]

    token = rows["celonis-api-token-env"]
    assert (token["cell"], token["cell_line"], token["auth_schemes"], token["leaked"]) == (0, 2, ["Bearer"], True)
    login = rows["pycelonis-static-key"]
    assert (login["cell"], login["auth_schemes"], login["credential_kind"]) == (1, ["Bearer"], "user_api_key")
    assert login["message"].startswith("Static Celonis user API key sent as 'Authorization: Bearer'")
    assert "%env CELONIS_KEY_TYPE=USER_KEY in cell 0: the key is sent as Bearer" in login["notes"]

    profile = rows["content-cli-key-profile"]
    assert (profile["cell"], profile["cell_line"], profile["key_source"]) == (
        2, 1, {"kind": "env", "name": "CELONIS_API_TOKEN"})
    assert [(e["path"], e["scopes"], e["host"]) for e in profile["endpoints"]] == [
        ("/package-manager/api/packages/{packageKey}/export", ["studio"], "acme.eu-1.celonis.cloud")]
    assert token["line"] == int(profile["related"][0].split(":")[0])
