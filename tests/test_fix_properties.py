"""Properties of `fix --write` on generated Python modules (hypothesis), as ruff's fixpoint tests check fixes.

A module is a header (imports, base URL) followed by blocks: ordinary code (functions, classes,
comments, strings that mention Bearer or Authorization, a GitHub call) and static-key sites of several
shapes. For every module: the output parses, a second run changes nothing, every ordinary block is
still there byte for byte and in order, the newline style and BOM are kept, and a module without a
site is not touched at all.
"""

from __future__ import annotations

import ast
import tempfile
from pathlib import Path

import libcst
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from migrator.api import ScanOptions, fix
from tests.conftest import run_cli

HEADER = '''\
"""Generated module."""
import os

import requests
from pycelonis import get_celonis

BASE = "https://acme.eu-1.celonis.cloud"
'''

#: Static-key sites; {i} keeps names apart when a shape occurs twice.
SITES = [
    'HEADERS_{i} = {{"Authorization": "AppKey " + os.environ["ACME_KEY_{i}"]}}\n'
    'audit_{i} = requests.get(BASE + "/log/api/external/audit", headers=HEADERS_{i})\n',
    'members_{i} = requests.get(f"{{BASE}}/api/external/members",\n'
    '                           headers={{"Authorization": "AppKey " + os.environ["K_{i}"]}})\n',
    'def pools_{i}(token):\n'
    '    return requests.get(BASE + "/integration/api/pools", headers={{"Authorization": f"Bearer {{token}}"}})\n',
    'session_{i} = requests.Session()\n'
    'session_{i}.headers.update({{"Authorization": f"Bearer {{os.environ[\'T_{i}\']}}"}})\n'
    'spaces_{i} = session_{i}.get(f"{{BASE}}/package-manager/api/spaces").json()\n',
    'celonis_{i} = get_celonis(base_url=BASE, api_token=os.environ["TOKEN_{i}"], key_type="APP_KEY")\n',
]

_names = st.sampled_from(["total", "rows", "order_id", "cache", "value", "items", "pool_name"])
_ints = st.integers(min_value=-5, max_value=10_000)
_strings = st.sampled_from(['"plain"', "'single'", '"use a Bearer token"', '"""doc\nstring"""', "b'bytes'",
                            '"Authorization header docs"', 'f"{BASE}/x"', '"naïve ünïcode"', '"AppKey is gone"'])

FILLER = st.one_of(
    st.builds(lambda n, v: f"{n} = {v}\n", _names, _ints),
    st.builds(lambda n, s: f"{n}_label = {s}  # a comment\n", _names, _strings),
    st.builds(lambda n, v: f"def {n}_fn(a, b={v}):\n    \"\"\"Docstring.\"\"\"\n    return [x for x in a if x != b]\n",
              _names, _ints),
    st.builds(lambda n: f"class {n.title().replace('_', '')}Thing:\n    size = 3\n\n    def grow(self):\n"
                        f"        self.size += 1\n        return self.size\n", _names),
    st.just("# just a comment, with \\ backslash and 'quotes'\n"),
    st.just("if os.environ.get(\"DEBUG\"):\n    print(\"debug\")\nelse:\n    pass\n"),
    st.just('GH = {"Authorization": f"Bearer {os.environ[\'GH_TOKEN\']}"}\n'
            'me = requests.get("https://api.github.com/user", headers=GH)\n'),
)
UNCALLED_PARAMETER = 2
BLOCKS = st.lists(st.one_of(FILLER.map(lambda t: ("filler", t)),
                            st.integers(0, len(SITES) - 1).map(lambda k: ("site", k))), max_size=7)


def render(blocks: list[tuple[str, object]]) -> tuple[str, list[str], int]:
    """(module text, filler blocks in order, number of sites)."""
    parts, fillers, sites = [HEADER], [], 0
    for kind, value in blocks:
        parts.append("\n\n")
        if kind == "site":
            parts.append(SITES[value].format(i=sites))  # type: ignore[index]
            sites += 1
        else:
            parts.append(value)  # type: ignore[arg-type]
            fillers.append(value)  # type: ignore[arg-type]
    return "".join(parts), fillers, sites


def encode(text: str, newline: str, bom: bool) -> bytes:
    return (b"\xef\xbb\xbf" if bom else b"") + text.replace("\n", newline).encode("utf-8")


# No shrinking: a failure prints its example at once, and CI time stays bounded (a shrink can take minutes).
@settings(max_examples=35, deadline=None, suppress_health_check=[HealthCheck.too_slow],
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(BLOCKS, st.sampled_from(["\n", "\r\n"]), st.booleans())
def test_fix_write_is_safe_and_idempotent(blocks, newline, bom):
    text, fillers, sites = render(blocks)
    ast.parse(text)  # the generator itself makes valid Python
    original = encode(text, newline, bom)
    with tempfile.TemporaryDirectory() as tmp:
        module = Path(tmp) / "job.py"
        module.write_bytes(original)
        options = ScanOptions(cwd=tmp, use_git=False)
        outcomes = {o.path: o for o in fix(["job.py"], write=True, options=options)}
        after = module.read_bytes()
        if not sites:
            assert after == original and "job.py" not in {p for p, o in outcomes.items() if o.kind == "changed"}
            return
        assert outcomes["job.py"].kind == "changed", outcomes["job.py"]
        assert after.startswith(b"\xef\xbb\xbf") == bom
        body = after.removeprefix(b"\xef\xbb\xbf")
        assert (b"\r\n" in body) == (newline == "\r\n") and (newline == "\n" or b"\n" not in body.replace(b"\r\n", b""))
        new_text = body.decode("utf-8").replace("\r\n", "\n")
        libcst.parse_module(new_text)
        compile(new_text, "job.py", "exec")
        position = new_text.index('BASE = "https://acme.eu-1.celonis.cloud"\n')
        for block in fillers:  # every ordinary block kept byte for byte, in order
            found = new_text.find(block, position)
            assert found >= 0, f"ordinary code changed:\n{block}\n--- in ---\n{new_text}"
            position = found + len(block)
        assert "AppKey " not in new_text.replace('"AppKey is gone"', "")
        again = [o for o in fix(["job.py"], write=True, options=options) if o.kind == "changed"]
        assert again == [] and module.read_bytes() == after, "a second fix changed the file again"


def test_todo_is_stable_when_the_plan_shrinks(tmp_path):
    """The TODO of a site left to a human quotes that site's scopes, not the file's plan (which shrinks once
    the other sites are migrated), so a second run finds it as it wrote it."""
    text, _fillers, _sites = render([("site", UNCALLED_PARAMETER), ("site", 3)])
    (tmp_path / "job.py").write_text(text, encoding="utf-8")
    options = ScanOptions(cwd=str(tmp_path), use_git=False)
    fix(["job.py"], write=True, options=options)
    once = (tmp_path / "job.py").read_text(encoding="utf-8")
    assert once.count("TODO(celonis-oauth)") == 1 and "'integration.data-pools') at its callers" in once
    again = [o for o in fix(["job.py"], write=True, options=options) if o.kind == "changed"]
    assert again == [] and (tmp_path / "job.py").read_text(encoding="utf-8") == once


def test_cli_fix_write_then_fix_finds_nothing(tmp_path):
    text, fillers, _sites = render([("filler", "x = 1\n"), ("site", 0), ("site", 3), ("filler", "# end\n"), ("site", 4)])
    (tmp_path / "job.py").write_text(text, encoding="utf-8")
    first = run_cli("fix", "--no-git", "--write", "job.py", cwd=tmp_path)
    assert first.returncode in (0, 1), first.stderr
    assert "3 finding(s) fixed" in first.stderr
    new_text = (tmp_path / "job.py").read_text(encoding="utf-8")
    libcst.parse_module(new_text)
    assert all(block in new_text for block in fillers)
    second = run_cli("fix", "--no-git", "job.py", cwd=tmp_path)
    assert second.returncode == 0 and second.stdout == "", second.stdout + second.stderr
    scan = run_cli("scan", "--no-git", "job.py", cwd=tmp_path)
    assert scan.returncode == 0, scan.stdout
