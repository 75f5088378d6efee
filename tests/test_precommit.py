"""The pre-commit hooks, for real: `pre-commit try-repo` installs this project into a hook environment.

The hook repository is a snapshot of this working tree (tracked and untracked, not ignored,
files) committed to a temporary git repository, so the test runs the hooks as they are on
disk, not as last committed. pre-commit builds a virtualenv and pip-installs the project from
that local path (its dependencies come from the package index); the first run takes a while.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import FAKE_APP_KEY, REPO, write

pytestmark = pytest.mark.skipif(importlib.util.find_spec("pre_commit") is None,
                                reason="pre-commit is not installed (pip install -e '.[test]' installs it)")

GIT_ENV = {"GIT_AUTHOR_NAME": "t", "GIT_AUTHOR_EMAIL": "t@example.invalid", "GIT_COMMITTER_NAME": "t",
           "GIT_COMMITTER_EMAIL": "t@example.invalid", "GIT_CONFIG_NOSYSTEM": "1"}

LEAKY = f'''\
import requests
KEY = "{FAKE_APP_KEY}"
requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
             headers={{"Authorization": "AppKey " + KEY}})
'''
OAUTH = '''\
import os, requests
token = requests.post("https://acme.eu-1.celonis.cloud/oauth2/token", data={
    "grant_type": "client_credentials", "client_id": os.environ["CELONIS_CLIENT_ID"],
    "client_secret": os.environ["CELONIS_CLIENT_SECRET"], "scope": "audit.log:read"}).json()["access_token"]
requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
             headers={"Authorization": f"Bearer {token}"})
'''


def git(*args: str, cwd: Path) -> str:
    return subprocess.run(["git", *args], cwd=cwd, env={**os.environ, **GIT_ENV}, check=True, text=True,
                          capture_output=True).stdout


@pytest.fixture(scope="session")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """This working tree, committed to a throwaway repository that pre-commit can clone."""
    dest = tmp_path_factory.mktemp("hook-repo")
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=REPO,
                            check=True, capture_output=True).stdout.decode().split("\0")
    for rel in filter(None, listed):
        src = REPO / rel
        if src.is_file():
            (dest / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dest / rel)
    git("init", "-q", cwd=dest)
    git("add", "-A", cwd=dest)
    git("commit", "-q", "-m", "snapshot", cwd=dest)
    return dest


@pytest.fixture(scope="session")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def try_repo(hook_repo: Path, home: Path, project: Path, hook: str, *files: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home), "NO_COLOR": "1", "PRE_COMMIT_COLOR": "never",
           # No network: the hook virtualenv sees this interpreter's site-packages (libcst, click, pyyaml,
           # jinja2 and the hatchling build backend are installed with the test extra), and pip may not
           # reach an index or build in isolation.
           "VIRTUALENV_SYSTEM_SITE_PACKAGES": "1", "PIP_NO_INDEX": "1", "PIP_NO_BUILD_ISOLATION": "0"}
    env.pop("PYTHONPATH", None)
    return subprocess.run([sys.executable, "-m", "pre_commit", "try-repo", str(hook_repo), hook, "--files", *files],
                          cwd=project, env=env, text=True, capture_output=True, timeout=900, check=False)


def test_hook_manifest_declares_both_hooks():
    hooks = {h["id"]: h for h in yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())}
    assert set(hooks) == {"celonis-static-keys", "celonis-oauth-fix"}
    assert hooks["celonis-static-keys"]["entry"] == "celonis-migrator scan"
    assert hooks["celonis-oauth-fix"]["entry"] == "celonis-migrator fix --write"
    assert all(h["language"] == "python" for h in hooks.values())


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    git("init", "-q", cwd=tmp_path)
    write(tmp_path, "jobs/audit.py", LEAKY, dedent=False)
    write(tmp_path, "jobs/other.py", LEAKY.replace("audit", "other"), dedent=False)
    git("add", "-A", cwd=tmp_path)
    git("commit", "-q", "-m", "legacy", cwd=tmp_path)
    return tmp_path


def test_static_keys_hook_fails_then_passes_after_the_fix_or_an_ignore(hook_repo, pre_commit_home, project):
    proc = try_repo(hook_repo, pre_commit_home, project, "celonis-static-keys", "jobs/audit.py")
    out = proc.stdout + proc.stderr
    assert proc.returncode == 1, out
    assert "jobs/audit.py:4:" in out and "celonis-appkey-header" in out
    assert "jobs/other.py" not in out, "only the files pre-commit passes are scanned"
    assert FAKE_APP_KEY not in out

    write(project, "jobs/audit.py", LEAKY.rstrip("\n") + "  # celonis-migrator: ignore\n", dedent=False)
    proc = try_repo(hook_repo, pre_commit_home, project, "celonis-static-keys", "jobs/audit.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr

    write(project, "jobs/audit.py", OAUTH, dedent=False)
    proc = try_repo(hook_repo, pre_commit_home, project, "celonis-static-keys", "jobs/audit.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert (project / "jobs/audit.py").read_text() == OAUTH, "the scan hook never writes"


def test_static_keys_hook_honours_the_configured_baseline(hook_repo, pre_commit_home, project):
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    subprocess.run([sys.executable, "-m", "migrator", "baseline", "create", "--baseline", "ci/accepted.json", "jobs"],
                   cwd=project, env=env, check=True, capture_output=True)
    write(project, ".celonis-migrator.toml", 'baseline = "ci/accepted.json"\n', dedent=False)
    proc = try_repo(hook_repo, pre_commit_home, project, "celonis-static-keys", "jobs/audit.py", "jobs/other.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    write(project, "jobs/new.py", LEAKY.replace("audit", "new"), dedent=False)
    proc = try_repo(hook_repo, pre_commit_home, project, "celonis-static-keys", "jobs/audit.py", "jobs/new.py")
    assert proc.returncode == 1 and "New findings (not in the baseline):\n  jobs/new.py:4:" in proc.stdout


def _fix_available() -> bool:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "migrator", "fix", "--help"], env=env,
                          capture_output=True, check=False).returncode == 0


@pytest.mark.skipif(not _fix_available(), reason="the `fix` command does not exist yet")
def test_oauth_fix_hook_fails_when_it_rewrites(hook_repo, pre_commit_home, project):
    env_key = '''\
import os, requests
requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
             headers={"Authorization": "AppKey " + os.environ["ACME_KEY"]})
'''
    write(project, "jobs/env.py", env_key, dedent=False)
    git("add", "jobs/env.py", cwd=project)  # staged, as at commit time: pre-commit sees changes to tracked files
    proc = try_repo(hook_repo, pre_commit_home, project, "celonis-oauth-fix", "jobs/env.py")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert "client_credentials_token" in (project / "jobs/env.py").read_text()
    assert FAKE_APP_KEY not in proc.stdout + proc.stderr
    proc = try_repo(hook_repo, pre_commit_home, project, "celonis-oauth-fix", "jobs/env.py")
    assert proc.returncode == 0, proc.stdout + proc.stderr
