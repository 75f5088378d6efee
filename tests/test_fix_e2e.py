"""End to end: legacy scripts work with static keys, `fix --write` migrates them, and the migrated
scripts work against a fake team host that refuses static keys, past several token expiries.

Everything is asserted from the fake host's request log (tests/fake_celonis.py).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import FAKE_APP_KEY, FAKE_USER_KEY, REPO, run_cli
from fake_celonis import ClientSpec, FakeCelonis

FIXTURES = REPO / "tests" / "fixtures" / "fix_e2e"
LIFETIME = 2  # seconds; the helper renews after 1.6 s
ROUNDS, PAUSE = 18, 0.3  # about 5.4 s of calls: more than two token lifetimes

#: script -> (client id, auth method, scopes the script needs)
SCRIPTS = {
    "audit_export.py": ("cid-audit", "client_secret_basic", "audit.log:read team.login-history:read"),
    "push_orders.py": ("cid-push", "client_secret_post", "integration.data-pools:data_push"),
    "members_report.py": ("cid-members", "client_secret_basic", "team.user-group-info:read"),
    "km_filters.py": ("cid-km", "client_secret_post", "intelligence.knowledge-models:read"),
    "ml_run.py": ("cid-ml", "client_secret_basic", "machine-learning"),
}
#: Every client is registered with more than its script needs, to prove least privilege.
EXTRA = ("studio", "machine-learning", "audit.log:read")


def _clients() -> dict[str, ClientSpec]:
    return {cid: ClientSpec(f"secret-{cid}", tuple(dict.fromkeys((*scopes.split(), *EXTRA))), method)
            for cid, method, scopes in SCRIPTS.values()}


def _env(fake: FakeCelonis, script: str, **extra: str) -> dict[str, str]:
    cid, method, _scopes = SCRIPTS[script]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CELONIS_", "OAUTH_", "ACME_"))}
    env.update(CELONIS_URL=fake.url, ACME_APP_KEY=FAKE_APP_KEY, ACME_USER_KEY=FAKE_USER_KEY,
               CELONIS_CLIENT_ID=cid, CELONIS_CLIENT_SECRET=f"secret-{cid}",
               CELONIS_OAUTH_AUTH_METHOD="post" if method == "client_secret_post" else "basic",
               NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
    env.update(extra)
    return env


def _run_all(fake: FakeCelonis, tree: Path, **extra: str) -> dict[str, subprocess.CompletedProcess[str]]:
    procs = {name: subprocess.Popen([sys.executable, str(tree / name)], cwd=tree, env=_env(fake, name, **extra),
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for name in SCRIPTS}
    results = {}
    for name, proc in procs.items():
        out, err = proc.communicate(timeout=120)
        results[name] = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    return results


@pytest.fixture(scope="module")
def migrated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tree = tmp_path_factory.mktemp("legacy")
    for src in FIXTURES.glob("*.py.txt"):
        shutil.copy(src, tree / src.name[: -len(".txt")])
    # Before: the legacy scripts work while the team still accepts static keys.
    with FakeCelonis(_clients(), token_lifetime=LIFETIME, accept_static_keys=True) as fake:
        before = _run_all(fake, tree)
        for name, proc in before.items():
            assert proc.returncode == 0, f"{name}: {proc.stderr[-500:]}"
        log = fake.log
        assert log and all(r.static_key and r.status == 200 for r in log)
        assert not fake.token_requests()
    proc = run_cli("fix", "--write", "--no-git", str(tree), cwd=tree)
    assert proc.returncode == 0, proc.stderr
    assert (tree / "celonis_oauth.py").exists()
    return tree


@pytest.fixture(scope="module")
def after(migrated: Path) -> tuple[FakeCelonis, dict[str, subprocess.CompletedProcess[str]], float]:
    with FakeCelonis(_clients(), token_lifetime=LIFETIME, accept_static_keys=False) as fake:
        started = time.monotonic()
        results = _run_all(fake, migrated, ROUNDS=str(ROUNDS), PAUSE=str(PAUSE))
        return fake, results, time.monotonic() - started


def test_migrated_scripts_succeed_past_two_token_expiries(after) -> None:  # type: ignore[no-untyped-def]
    fake, results, elapsed = after
    for name, proc in results.items():
        assert proc.returncode == 0, f"{name}: {proc.stderr[-800:]}"
    assert elapsed > 2 * LIFETIME
    api = fake.api_requests()
    assert api and all(r.status == 200 for r in api), [(r.path, r.status, r.error) for r in api if r.status != 200]
    for name, (cid, _method, _scopes) in SCRIPTS.items():
        assert fake.tokens_issued(cid) >= 3, name  # at least two expiries, each followed by a new token
        calls = fake.api_requests(cid)
        assert len({r.auth for r in calls}) >= 3, name  # the calls really used several tokens
        assert len(calls) / fake.tokens_issued(cid) >= 2, name  # a token is reused, not fetched per call


def test_each_script_requests_exactly_the_scopes_it_needs(after) -> None:  # type: ignore[no-untyped-def]
    fake, _results, _elapsed = after
    for name, (cid, _method, scopes) in SCRIPTS.items():
        requested = {r.requested_scope for r in fake.token_requests(cid)}
        assert requested == {scopes}, name


def test_both_client_auth_methods_are_used(after) -> None:  # type: ignore[no-untyped-def]
    fake, _results, _elapsed = after
    for name, (cid, method, _scopes) in SCRIPTS.items():
        assert {r.auth_method for r in fake.token_requests(cid)} == {method}, name
        assert all(r.grant_type == "client_credentials" and r.status == 200 for r in fake.token_requests(cid))
    assert {r.auth_method for r in fake.token_requests()} == {"client_secret_basic", "client_secret_post"}


def test_no_static_key_is_sent_after_migration(after, migrated: Path) -> None:  # type: ignore[no-untyped-def]
    fake, results, _elapsed = after
    assert not [r for r in fake.log if r.static_key or r.auth.startswith("AppKey")]
    for path in migrated.glob("*.py"):
        text = path.read_text()
        assert "AppKey" not in text, path.name
        assert "celonis_oauth" in text or path.name == "celonis_oauth.py"
    for proc in results.values():
        assert FAKE_APP_KEY not in proc.stdout + proc.stderr and FAKE_USER_KEY not in proc.stdout + proc.stderr


def test_oauth_errors_reach_the_user_without_the_secret(migrated: Path) -> None:
    clients = _clients()
    clients["cid-ml"] = ClientSpec("secret-cid-ml", ("studio",))  # lacks machine-learning
    with FakeCelonis(clients, token_lifetime=LIFETIME) as fake:
        bad_secret = subprocess.run([sys.executable, str(migrated / "audit_export.py")], cwd=migrated, text=True,
                                    capture_output=True, timeout=60,
                                    env=_env(fake, "audit_export.py", CELONIS_CLIENT_SECRET="wrong-secret-value"))
        no_scope = subprocess.run([sys.executable, str(migrated / "ml_run.py")], cwd=migrated, text=True,
                                  capture_output=True, timeout=60, env=_env(fake, "ml_run.py"))
        wrong_method = subprocess.run([sys.executable, str(migrated / "members_report.py")], cwd=migrated, text=True,
                                      capture_output=True, timeout=60,
                                      env=_env(fake, "members_report.py", CELONIS_OAUTH_AUTH_METHOD="post"))
    assert bad_secret.returncode != 0 and "invalid_client" in bad_secret.stderr
    assert "wrong-secret-value" not in bad_secret.stderr
    assert no_scope.returncode != 0 and "invalid_scope" in no_scope.stderr
    assert wrong_method.returncode != 0 and "invalid_client" in wrong_method.stderr
    assert {r.error for r in fake.token_requests()} == {"invalid_client", "invalid_scope"}
    assert not fake.api_requests()


def test_fake_host_refuses_unsupported_grants_and_insufficient_scope() -> None:
    import base64
    import json
    import urllib.error
    import urllib.request

    with FakeCelonis({"c": ClientSpec("s", ("audit.log:read",))}, token_lifetime=LIFETIME) as fake:
        def post(body: str) -> tuple[int, dict]:  # type: ignore[type-arg]
            req = urllib.request.Request(fake.url + "/oauth2/token", data=body.encode(), headers={
                "Authorization": "Basic " + base64.b64encode(b"c:s").decode(),
                "Content-Type": "application/x-www-form-urlencoded"})
            try:
                with urllib.request.urlopen(req) as resp:
                    return resp.status, json.load(resp)
            except urllib.error.HTTPError as exc:
                return exc.code, json.load(exc)

        assert post("grant_type=password")[1]["error"] == "unsupported_grant_type"
        status, token = post("grant_type=client_credentials&scope=audit.log:read")
        assert status == 200 and token["expires_in"] == LIFETIME and token["scope"] == "audit.log:read"
        req = urllib.request.Request(fake.url + "/api/external/members",
                                     headers={"Authorization": "Bearer " + token["access_token"]})
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(req)
        assert err.value.code == 403 and json.load(err.value)["error"] == "insufficient_scope"
    assert "s" not in {r.auth for r in fake.log}
