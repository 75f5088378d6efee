"""[tool.celonis-migrator] / .celonis-migrator.toml: discovery, every key, CLI override, errors, the 3.10 parser."""

from __future__ import annotations

import sys

import pytest

from migrator import config as cfg
from migrator.config import Config, ConfigError, find_config, load_config, loads_subset
from tests.conftest import FAKE_APP_KEY, run_cli, scan_json, write

KNOWN = {"celonis-appkey-header", "celonis-bearer-static-key", "pycelonis-static-key"}

APPKEY = '''\
import os, requests
requests.get("https://acme.eu-1.celonis.cloud/integration/api/pools",
             headers={"Authorization": "AppKey " + os.environ["K"]})
'''
PRIVATE = '''\
import requests
requests.get("https://celonis.acme.internal/integration/api/pools",
             headers={"Authorization": "AppKey " + KEY})
'''


def pyproject(root, body: str) -> None:
    write(root, "pyproject.toml", '[project]\nname = "x"\n\n[tool.celonis-migrator]\n' + body, dedent=False)


# --- discovery ---------------------------------------------------------------------------------


def test_found_in_cwd_or_nearest_parent_and_not_above_the_git_root(tmp_path):
    pyproject(tmp_path, 'exclude = ["a"]\n')
    (tmp_path / "pkg" / "sub").mkdir(parents=True)
    assert find_config(str(tmp_path / "pkg" / "sub")) == str(tmp_path / "pyproject.toml")
    write(tmp_path, "pkg/pyproject.toml", '[project]\nname = "no table here"\n', dedent=False)
    assert find_config(str(tmp_path / "pkg" / "sub")) == str(tmp_path / "pyproject.toml")
    write(tmp_path, "pkg/.celonis-migrator.toml", 'exclude = ["b"]\n', dedent=False)
    assert find_config(str(tmp_path / "pkg" / "sub")) == str(tmp_path / "pkg" / ".celonis-migrator.toml")
    (tmp_path / "repo" / ".git").mkdir(parents=True)
    assert find_config(str(tmp_path / "repo")) is None


def test_dedicated_file_wins_over_pyproject_in_the_same_directory(tmp_path):
    pyproject(tmp_path, 'exclude = ["from-pyproject"]\n')
    write(tmp_path, ".celonis-migrator.toml", 'exclude = ["from-dedicated"]\n', dedent=False)
    assert load_config(start=str(tmp_path)).exclude == ("from-dedicated",)


def test_no_file_gives_defaults(tmp_path):
    (tmp_path / ".git").mkdir()
    assert load_config(start=str(tmp_path)) == Config()


# --- every key ---------------------------------------------------------------------------------


def test_every_key_is_read(tmp_path):
    pyproject(tmp_path, '''\
include = ["src/**"]
exclude = ["src/vendor/**"]
extra-hosts = ["Celonis.ACME.internal"]
disable-rules = ["pycelonis-static-key"]
baseline = "ci/baseline.json"
max-file-size = 1000
jobs = 2
severity = { celonis-appkey-header = "low" }

[tool.celonis-migrator.oauth-env]
client-id = "ACME_CELONIS_CLIENT_ID"
client-secret = "ACME_CELONIS_CLIENT_SECRET"

[tool.celonis-migrator.clients]
etl = ["etl/**", "jobs/*.py"]
reporting = ["reports/**"]
''')
    c = load_config(start=str(tmp_path), known_rules=KNOWN)
    assert c.path == str(tmp_path / "pyproject.toml")
    assert c.include == ("src/**",) and c.exclude == ("src/vendor/**",)
    assert c.extra_hosts == ("celonis.acme.internal",) and c.disable_rules == ("pycelonis-static-key",)
    assert c.baseline == str(tmp_path / "ci" / "baseline.json")
    assert (c.max_file_size, c.jobs) == (1000, 2)
    assert c.severity == (("celonis-appkey-header", "low"),)
    assert (c.oauth_client_id_env, c.oauth_client_secret_env) == ("ACME_CELONIS_CLIENT_ID", "ACME_CELONIS_CLIENT_SECRET")
    assert c.clients == (("etl", ("etl/**", "jobs/*.py")), ("reporting", ("reports/**",)))
    assert set(cfg.KEYS) == {"include", "exclude", "extra-hosts", "disable-rules", "severity", "baseline",
                             "max-file-size", "jobs", "oauth-env", "clients"}


def test_oauth_env_defaults():
    c = Config()
    assert (c.oauth_client_id_env, c.oauth_client_secret_env) == ("CELONIS_CLIENT_ID", "CELONIS_CLIENT_SECRET")


def test_include_exclude_from_config_and_cli_override(tmp_path):
    write(tmp_path, "src/a.py", APPKEY, dedent=False)
    write(tmp_path, "tools/b.py", APPKEY, dedent=False)
    pyproject(tmp_path, 'exclude = ["tools"]\n')
    _, data = scan_json(".", cwd=tmp_path)
    assert [f["path"] for f in data["findings"]] == ["src/a.py"]
    _, data = scan_json("--exclude", "src", ".", cwd=tmp_path)
    assert [f["path"] for f in data["findings"]] == ["tools/b.py"]
    pyproject(tmp_path, 'include = ["tools/**"]\n')
    _, data = scan_json(".", cwd=tmp_path)
    assert [f["path"] for f in data["findings"]] == ["tools/b.py"]
    _, data = scan_json("--include", "src/*", ".", cwd=tmp_path)
    assert [f["path"] for f in data["findings"]] == ["src/a.py"]


def test_extra_hosts_from_config_and_cli_override(tmp_path):
    write(tmp_path, "a.py", PRIVATE, dedent=False)
    code, data = scan_json(".", cwd=tmp_path)
    assert code == 0 and data["findings"] == []
    pyproject(tmp_path, 'extra-hosts = ["celonis.acme.internal"]\n')
    code, data = scan_json(".", cwd=tmp_path)
    assert code == 1 and len(data["findings"]) == 1
    code, data = scan_json("--extra-host", "other.acme.internal", ".", cwd=tmp_path)
    assert code == 0


def test_disabled_rules_and_severity_from_config_and_cli_override(tmp_path):
    write(tmp_path, "a.py", APPKEY, dedent=False)
    pyproject(tmp_path, 'disable-rules = ["celonis-appkey-header"]\n')
    code, data = scan_json(".", cwd=tmp_path)
    assert code == 0 and data["findings"] == []
    code, data = scan_json("--disable-rule", "pycelonis-static-key", ".", cwd=tmp_path)
    assert code == 1
    pyproject(tmp_path, '[tool.celonis-migrator.severity]\ncelonis-appkey-header = "low"\n')
    _, data = scan_json(".", cwd=tmp_path)
    assert data["findings"][0]["severity"] == "low"
    _, data = scan_json("--severity", "celonis-appkey-header=high", ".", cwd=tmp_path)
    assert data["findings"][0]["severity"] == "high"


def test_max_file_size_and_jobs_from_config_and_cli_override(tmp_path):
    write(tmp_path, "a.py", APPKEY + "#" * 200 + "\n", dedent=False)
    pyproject(tmp_path, "max-file-size = 100\njobs = 2\n")
    code, data = scan_json("a.py", cwd=tmp_path)
    assert code == 0 and [(s["path"], s["reason"]) for s in data["stats"]["skipped"]] == [("a.py", "too-large")]
    code, data = scan_json("--max-file-size", "100000", "--jobs", "1", "a.py", cwd=tmp_path)
    assert code == 1 and data["stats"]["skipped"] == []


def test_explicit_config_file(tmp_path):
    write(tmp_path, "a.py", APPKEY, dedent=False)
    write(tmp_path, "ci/celonis.toml", 'disable-rules = ["celonis-appkey-header"]\n', dedent=False)
    code, _ = scan_json("--config", "ci/celonis.toml", ".", cwd=tmp_path)
    assert code == 0
    proc = run_cli("scan", "--config", "nope.toml", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "nope.toml" in proc.stderr


# --- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("body", "message"), [
    pytest.param('exclud = ["x"]\n', "at [tool.celonis-migrator].exclud: unknown key; valid keys: include, exclude,",
                 id="unknown-key"),
    pytest.param('exclude = "x"\n', "at [tool.celonis-migrator].exclude: must be a list of strings", id="not-a-list"),
    pytest.param('include = ["a", 1]\n', "at [tool.celonis-migrator].include[1]: must be a non-empty string",
                 id="not-a-string"),
    pytest.param('disable-rules = ["nope"]\n', "unknown rule id 'nope'; known rules:", id="unknown-rule"),
    pytest.param('severity = { celonis-appkey-header = "critical" }\n',
                 "at [tool.celonis-migrator].severity.celonis-appkey-header: 'critical' is not one of high, medium,",
                 id="bad-severity"),
    pytest.param('severity = { nope = "low" }\n', "at [tool.celonis-migrator].severity.nope: unknown rule id",
                 id="severity-unknown-rule"),
    pytest.param("jobs = 0\n", "at [tool.celonis-migrator].jobs: must be an integer >= 1", id="jobs-zero"),
    pytest.param("max-file-size = true\n", "at [tool.celonis-migrator].max-file-size: must be an integer",
                 id="size-bool"),
    pytest.param('extra-hosts = ["https://x.example/path"]\n', "is not a host name", id="host-with-scheme"),
    pytest.param('oauth-env = { client_id = "X" }\n',
                 "at [tool.celonis-migrator].oauth-env.client_id: unknown key; valid keys: client-id, client-secret",
                 id="oauth-env-key"),
    pytest.param('oauth-env = { client-id = "NOT A NAME" }\n', "is not an environment variable name",
                 id="oauth-env-value"),
    pytest.param('clients = { etl = "etl/**" }\n', "at [tool.celonis-migrator].clients.etl: must be a list",
                 id="clients-not-list"),
    pytest.param("baseline = 3\n", "at [tool.celonis-migrator].baseline: must be a non-empty string",
                 id="baseline-not-string"),
])
def test_invalid_config_is_an_error_with_a_breadcrumb(tmp_path, body, message):
    pyproject(tmp_path, body)
    with pytest.raises(ConfigError, match=None) as info:
        load_config(start=str(tmp_path), known_rules=KNOWN)
    assert message in str(info.value) and str(info.value).startswith(str(tmp_path / "pyproject.toml"))


def test_cli_config_errors_exit_two_and_list_valid_keys(tmp_path):
    write(tmp_path, "a.py", APPKEY, dedent=False)
    write(tmp_path, ".celonis-migrator.toml", f'exclude = ["x"]\ntoken = "{FAKE_APP_KEY}"\n', dedent=False)
    proc = run_cli("scan", ".", cwd=tmp_path)
    assert proc.returncode == 2
    assert ".celonis-migrator.toml: at token: unknown key; valid keys: include, exclude, extra-hosts" in proc.stderr
    assert FAKE_APP_KEY not in proc.stderr
    write(tmp_path, ".celonis-migrator.toml", 'exclude = ["x"\n', dedent=False)
    proc = run_cli("scan", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr and "Traceback" not in proc.stderr
    proc = run_cli("baseline", "create", ".", cwd=tmp_path)
    assert proc.returncode == 2 and "not valid TOML" in proc.stderr


# --- the TOML subset for Python 3.10 ----------------------------------------------------------

PYPROJECT_LIKE = '''\
# a comment
[build-system]
requires = ["hatchling>=1.18"]

[project]
name = "acme"
description = """
[not a header]
still "the" string
"""
version = '1.0'
classifiers = [
  "A",  # comment
  [1, 2],
]
inline = { a = 1.5, b = 1979-05-27T07:32:00Z, c = [ "]" ] }

[[tool.other.array]]
x = 'y'

[tool.celonis-migrator]  # ours
include = ["src/**", 'C:\\literal']
exclude = [
  "tests/**",  # why
  "*.md",
]
extra-hosts = ["celonis.acme.internal"]
jobs = 4
max-file-size = 5_000_000
severity = { celonis-appkey-header = "low", "pycelonis-static-key" = "info" }
oauth-env.client-id = "ACME_ID"
flag = true

[tool.celonis-migrator.clients]
etl = ["etl/**"]
"reporting team" = ["reports/**"]

[tool.zzz]
after = "\\u00e9"
'''


@pytest.mark.skipif(sys.version_info < (3, 11), reason="compares with tomllib, new in Python 3.11")
@pytest.mark.parametrize(("text", "only"), [
    pytest.param(PYPROJECT_LIKE, cfg.TABLE, id="pyproject"),
    pytest.param('include = ["a"]\nexclude = []\n[severity]\nx = "low"\n[clients]\na = ["b"]\n', (),
                 id="dedicated-file"),
    pytest.param('a = "tab\\there \\"q\\" \\\\"\nb = -3\nc = false\nd = {}\ne = [ ]\n', (), id="escapes-and-empties"),
])
def test_subset_parser_agrees_with_tomllib(text, only):
    import tomllib

    expected = tomllib.loads(text)
    got = loads_subset(text, only=only)
    if only:
        assert got["tool"]["celonis-migrator"] == expected["tool"]["celonis-migrator"]
    else:
        assert got == expected


@pytest.mark.parametrize(("text", "message"), [
    pytest.param('x = 1.5\n', "unsupported value", id="float"),
    pytest.param('x = """a"""\n', "multi-line strings are not supported", id="multi-line"),
    pytest.param('x = "a\n', "unterminated string", id="unterminated"),
    pytest.param('x = 1 y = 2\n', "expected the end of the line", id="two-on-a-line"),
    pytest.param('x = 1\nx = 2\n', "duplicate key 'x'", id="duplicate"),
    pytest.param('x = [1 2]\n', "expected ',' or ']'", id="array-comma"),
])
def test_subset_parser_errors_name_the_line(text, message):
    with pytest.raises(ValueError, match=message):
        loads_subset(text)


def test_python_310_path_uses_the_subset_parser(tmp_path, monkeypatch):
    pyproject(tmp_path, 'exclude = ["a"]\nseverity = { celonis-appkey-header = "low" }\n')
    monkeypatch.setattr(sys, "version_info", (3, 10, 14, "final", 0))
    calls = []
    real = cfg.loads_subset
    monkeypatch.setattr(cfg, "loads_subset", lambda text, only=(): calls.append(only) or real(text, only=only))
    c = load_config(start=str(tmp_path), known_rules=KNOWN)
    assert calls == [cfg.TABLE] and c.exclude == ("a",) and c.severity == (("celonis-appkey-header", "low"),)


@pytest.mark.skipif(sys.version_info < (3, 11), reason="reads pyproject.toml with tomllib")
def test_no_toml_dependency_at_runtime():
    import tomllib

    from tests.conftest import REPO

    deps = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["dependencies"]
    assert not [d for d in deps if d.lower().startswith(("tomli", "toml"))]
