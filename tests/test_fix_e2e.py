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


# ---------------------------------------------------------------------- the generated helper, hardened
URLLIB_SCRIPT = '''\
import json
import os
import urllib.request

BASE = os.environ.get("CELONIS_URL", "https://acme.eu-1.celonis.cloud")


def members():
    req = urllib.request.Request(BASE + "/api/external/members")
    req.add_header("Authorization", "AppKey %s" % os.environ["ACME_APP_KEY"])
    with urllib.request.urlopen(req, timeout=30) as resp:
        return len(json.load(resp)["content"])
'''


def _generated_helper(tmp_path: Path, **env: str) -> Path:
    """Migrate a script through the CLI (with `oauth-env` when given) and return the helper it generated."""
    if env:
        (tmp_path / ".celonis-migrator.toml").write_text(
            "oauth-env = { " + ", ".join(f'{k} = "{v}"' for k, v in env.items()) + " }\n")
    (tmp_path / "members.py").write_text(URLLIB_SCRIPT + '\n\nif __name__ == "__main__":\n    print(members())\n')
    proc = run_cli("fix", "--write", "--no-git", ".", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    return tmp_path / "celonis_oauth.py"


def _load(path: Path):  # type: ignore[no-untyped-def]
    import importlib.util

    spec = importlib.util.spec_from_file_location(f"celonis_oauth_{abs(hash(str(path)))}", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Recorder:
    """A local HTTP server that answers every request with `status` (+ Location) and records what it got."""

    def __init__(self, status: int = 200, location: str = "") -> None:
        import http.server
        import threading

        self.requests: list[tuple[str, str, dict[str, str], bytes]] = []
        recorder = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                recorder.requests.append((self.command, self.path, dict(self.headers), body))
                self.send_response(status)
                if location:
                    self.send_header("Location", location)
                payload = b'{"access_token": "stolen", "expires_in": 900}'
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            do_GET = do_POST = _any

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
def test_helper_refuses_redirects_from_the_token_endpoint(tmp_path: Path, status: int) -> None:
    helper = _generated_helper(tmp_path)
    elsewhere = _Recorder()
    redirector = _Recorder(status, location=elsewhere.url + "/oauth2/token")
    secret = "s3cret-never-forwarded"
    code = (f"import sys\nsys.path.insert(0, {str(helper.parent)!r})\n"
            "from celonis_oauth import client_credentials_token, CelonisOAuthError\n"
            f"try:\n    client_credentials_token({redirector.url!r}, 'audit.log:read')\nexcept CelonisOAuthError as exc:\n"
            "    print('refused:', exc)\n")
    try:
        for method in ("basic", "post"):
            env = {**os.environ, "CELONIS_CLIENT_ID": "cid", "CELONIS_CLIENT_SECRET": secret,
                   "CELONIS_OAUTH_AUTH_METHOD": method, "NO_PROXY": "*"}
            proc = subprocess.run([sys.executable, "-c", code], env=env, check=False, capture_output=True, text=True, timeout=60)
            assert proc.returncode == 0, proc.stderr
            assert proc.stdout.startswith("refused: the token endpoint") and f"redirected (HTTP {status})" in proc.stdout
            assert secret not in proc.stdout + proc.stderr
    finally:
        redirector.close()
        elsewhere.close()
    assert len(redirector.requests) == 2
    assert elsewhere.requests == []  # the credentials went nowhere else


def test_helper_refuses_plain_http_except_loopback(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    helper = _load(_generated_helper(tmp_path))
    monkeypatch.setenv("CELONIS_CLIENT_ID", "cid")
    monkeypatch.setenv("CELONIS_CLIENT_SECRET", "sec")
    for url in ("http://203.0.113.7", "http://acme.eu-1.celonis.cloud/", "ftp://acme.eu-1.celonis.cloud"):
        with pytest.raises(helper.CelonisOAuthError, match="must start with https://") as err:
            helper.client_credentials_token(url, "audit.log:read")
        assert "sec" not in str(err.value)
    for url in ("http://127.0.0.1:8080", "http://localhost:8080/x", "http://[::1]:8080", "https://acme.eu-1.celonis.cloud"):
        assert helper._origin(url) == url.removesuffix("/x")
    with FakeCelonis({"cid": ClientSpec("sec", ("team.user-group-info:read",))}) as fake:
        port = fake.url.rsplit(":", 1)[1]
        assert helper.client_credentials_token(f"http://localhost:{port}", "team.user-group-info:read")
        assert fake.tokens_issued("cid") == 1


def test_configured_env_names_are_what_the_migrated_code_reads(tmp_path: Path) -> None:
    _generated_helper(tmp_path, **{"client-id": "ACME_OAUTH_ID", "client-secret": "ACME_OAUTH_SECRET"})
    with FakeCelonis({"cid": ClientSpec("sec", ("team.user-group-info:read",))}) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELONIS_", "ACME_"))}
        env.update(CELONIS_URL=fake.url, ACME_OAUTH_ID="cid", ACME_OAUTH_SECRET="sec", NO_PROXY="*")
        proc = subprocess.run([sys.executable, "members.py"], cwd=tmp_path, env=env, check=False, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode == 0, proc.stderr
        assert proc.stdout.strip() == "1" and fake.tokens_issued("cid") == 1
        env.update(CELONIS_CLIENT_ID="cid", CELONIS_CLIENT_SECRET="sec")
        del env["ACME_OAUTH_SECRET"]
        proc = subprocess.run([sys.executable, "members.py"], cwd=tmp_path, env=env, check=False, capture_output=True, text=True,
                              timeout=60)
        assert proc.returncode != 0 and "set ACME_OAUTH_ID and ACME_OAUTH_SECRET" in proc.stderr


def test_migrated_package_runs_as_script_and_as_package_module(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "lib.py").write_text(URLLIB_SCRIPT)
    (pkg / "tool.py").write_text(URLLIB_SCRIPT + '\n\nif __name__ == "__main__":\n    print(members())\n')
    proc = run_cli("fix", "--write", "--no-git", "pkg", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    for name in ("lib.py", "tool.py"):
        assert (pkg / name).read_text().count("from .celonis_oauth import client_credentials_token\n") == 1
    with FakeCelonis({"cid": ClientSpec("sec", ("team.user-group-info:read",))}) as fake:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CELONIS_", "ACME_"))}
        env.update(CELONIS_URL=fake.url, CELONIS_CLIENT_ID="cid", CELONIS_CLIENT_SECRET="sec", NO_PROXY="*")
        runs = [subprocess.run(args, cwd=tmp_path, env=env, check=False, capture_output=True, text=True, timeout=60) for args in (
            [sys.executable, "pkg/tool.py"],
            [sys.executable, "-m", "pkg.tool"],
            [sys.executable, "-c", "import pkg.lib, pkg.tool; print(pkg.lib.members() + pkg.tool.members() - 1)"],
            [sys.executable, "-c", "import sys; sys.path.insert(0, 'pkg'); import lib; print(lib.members())"],
        )]
    for proc in runs:
        assert proc.returncode == 0 and proc.stdout.strip() == "1", (proc.args, proc.stderr)
    assert fake.tokens_issued("cid") == 4 and all(r.status == 200 for r in fake.api_requests())
