"""`verify-client` against a fake team host on 127.0.0.1: granted and missing scopes, auth methods,
errors, and never a secret or a token in any output."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from migrator.errors import MigratorError
from migrator.verify_client import token_url, verify_client
from tests.conftest import run_cli, write
from tests.fake_celonis import ClientSpec, FakeCelonis
from tests.html_dom import parse
from tests.test_redaction import canary_key

CLIENT_ID = "7f1c2a9e-0000-4000-8000-00000000c11e"
AUDIT, LOGINS, MEMBERS = "audit.log:read", "team.login-history:read", "team.user-group-info:read"


@pytest.fixture()
def secret() -> str:
    """A secret shaped like a key, so that a leak would also be obvious to scrub."""
    return canary_key()


def fake(secret: str, scopes: tuple[str, ...], method: str = "client_secret_basic") -> FakeCelonis:
    return FakeCelonis(clients={CLIENT_ID: ClientSpec(secret, scopes, method)})


def issued_tokens(host: FakeCelonis) -> list[str]:
    return list(host._tokens)


def token_log(host: FakeCelonis, expected: int) -> list:
    """The token requests, once `expected` are logged: the fake logs a request just after answering it."""
    deadline = time.monotonic() + 5
    while len(host.token_requests()) < expected and time.monotonic() < deadline:
        time.sleep(0.01)
    return host.token_requests()


def test_all_scopes_granted_in_one_request(secret):
    with fake(secret, (AUDIT, LOGINS)) as host:
        result = verify_client(host.url, [f"{AUDIT} {LOGINS}"], client_id=CLIENT_ID, client_secret=secret)
        assert result.granted == (AUDIT, LOGINS) and result.missing == () and result.whole_set
        assert result.requests == 1 and result.auth_method == "client_secret_basic"
        [req] = token_log(host, 1)
        assert req.requested_scope == f"{AUDIT} {LOGINS}" and req.grant_type == "client_credentials"


def test_invalid_scope_is_narrowed_scope_by_scope(secret):
    with fake(secret, (AUDIT, MEMBERS)) as host:
        result = verify_client(host.url, [AUDIT, LOGINS, MEMBERS], client_id=CLIENT_ID, client_secret=secret)
        assert result.granted == (AUDIT, MEMBERS)
        assert result.missing == (LOGINS,)
        assert not result.whole_set and result.requests == 4
        asked = [(r.requested_scope, r.status, r.error) for r in token_log(host, 4)]
        assert asked == [
            (f"{AUDIT} {LOGINS} {MEMBERS}", 400, "invalid_scope"),
            (AUDIT, 200, None),
            (LOGINS, 400, "invalid_scope"),
            (MEMBERS, 200, None),
        ]


def test_scopes_are_normalised_before_asking(secret):
    with fake(secret, (AUDIT,)) as host:
        result = verify_client(
            host.url, ["audit.log, 'audit.log:read'"], client_id=CLIENT_ID, client_secret=secret
        )
        assert result.requested == (AUDIT,) and result.granted == (AUDIT,)


def test_auto_falls_back_to_client_secret_post(secret):
    with fake(secret, (AUDIT,), "client_secret_post") as host:
        result = verify_client(host.url, [AUDIT], client_id=CLIENT_ID, client_secret=secret)
        assert result.auth_method == "client_secret_post" and result.granted == (AUDIT,)
        assert [(r.auth_method, r.error) for r in token_log(host, 2)] == [
            ("client_secret_basic", "invalid_client"),
            ("client_secret_post", None),
        ]
        host.clear_log()
        with pytest.raises(MigratorError, match="invalid_client"):
            verify_client(
                host.url,
                [AUDIT],
                client_id=CLIENT_ID,
                client_secret=secret,
                auth_method="client_secret_basic",
            )
        assert len(token_log(host, 1)) == 1


def test_wrong_secret_is_one_line_without_the_secret(secret):
    wrong = canary_key()
    with fake(secret, (AUDIT,)) as host, pytest.raises(MigratorError) as err:
        verify_client(host.url, [AUDIT], client_id=CLIENT_ID, client_secret=wrong)
    message = str(err.value)
    assert "invalid_client" in message and "CELONIS_CLIENT_SECRET" in message
    assert wrong not in message and secret not in message and "\n" not in message


@pytest.mark.parametrize(
    "url, expected",
    [
        ("https://acme.eu-1.celonis.cloud", "https://acme.eu-1.celonis.cloud/oauth2/token"),
        ("https://acme.eu-1.celonis.cloud/", "https://acme.eu-1.celonis.cloud/oauth2/token"),
        ("acme.eu-1.celonis.cloud", "https://acme.eu-1.celonis.cloud/oauth2/token"),
        (
            "https://acme.eu-1.celonis.cloud/package-manager/ui/studio",
            "https://acme.eu-1.celonis.cloud/oauth2/token",
        ),
        ("http://127.0.0.1:8080", "http://127.0.0.1:8080/oauth2/token"),
    ],
)
def test_token_url(url, expected):
    assert token_url(url) == expected


@pytest.mark.parametrize(
    "url, message",
    [
        ("http://acme.eu-1.celonis.cloud", "plain HTTP"),
        ("ftp://acme.eu-1.celonis.cloud", "expected https://"),
        ("https://user:pw@acme.eu-1.celonis.cloud", "must not hold credentials"),
    ],
)
def test_unsafe_team_urls_are_refused(url, message):
    with pytest.raises(MigratorError, match=message):
        token_url(url)


def test_a_redirect_is_refused_and_the_secret_not_forwarded(secret):
    seen: list[str] = []

    class Target(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_GET(self) -> None:
            seen.append(self.headers.get("Authorization") or "")
            self.send_response(200)
            self.end_headers()

        do_POST = do_GET

    target = ThreadingHTTPServer(("127.0.0.1", 0), Target)

    class Redirect(BaseHTTPRequestHandler):
        def log_message(self, *a: object) -> None:
            pass

        def do_POST(self) -> None:
            self.send_response(307)
            self.send_header("Location", f"http://127.0.0.1:{target.server_address[1]}/steal")
            self.send_header("Content-Length", "0")
            self.end_headers()

    redirect = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
    for server in (target, redirect):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with pytest.raises(MigratorError, match="redirected"):
            verify_client(
                f"http://127.0.0.1:{redirect.server_address[1]}",
                [AUDIT],
                client_id=CLIENT_ID,
                client_secret=secret,
                auth_method="client_secret_basic",
            )
    finally:
        for server in (target, redirect):
            server.shutdown()
            server.server_close()
    assert seen == []


def test_unreachable_host_is_a_one_line_error(secret):
    with FakeCelonis() as host:
        url = host.url
    with pytest.raises(MigratorError, match="cannot reach"):
        verify_client(url, [AUDIT], client_id=CLIENT_ID, client_secret=secret, timeout=2)


# ---- CLI -------------------------------------------------------------------------------------------------


def _env(secret: str) -> dict[str, str]:
    return {"CELONIS_CLIENT_ID": CLIENT_ID, "CELONIS_CLIENT_SECRET": secret, "NO_PROXY": "*", "no_proxy": "*"}


def test_cli_reports_granted_and_missing_and_exits_1(secret, tmp_path):
    with fake(secret, (AUDIT,)) as host:
        proc = run_cli(
            "verify-client",
            "--team-url",
            host.url,
            "--scopes",
            f"{AUDIT} {LOGINS}",
            env=_env(secret),
            cwd=tmp_path,
        )
        tokens = issued_tokens(host)
    assert proc.returncode == 1, proc.stderr
    assert f"granted  {AUDIT}" in proc.stdout and f"missing  {LOGINS}" in proc.stdout
    assert "1 of 2 planned scopes granted" in proc.stdout
    everything = proc.stdout + proc.stderr
    assert secret not in everything and tokens and not any(t in everything for t in tokens)


def test_cli_json_and_all_granted_exits_0(secret, tmp_path):
    with fake(secret, (AUDIT, LOGINS)) as host:
        proc = run_cli(
            "verify-client",
            "--team-url",
            host.url,
            "--scopes",
            AUDIT,
            "--format",
            "json",
            env=_env(secret),
            cwd=tmp_path,
        )
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert (
        data["granted"] == [AUDIT] and data["missing"] == [] and data["auth_method"] == "client_secret_basic"
    )
    assert secret not in proc.stdout


def test_cli_plans_the_scopes_from_paths(secret, tmp_path):
    write(tmp_path, ".celonis-migrator.toml", "")
    write(
        tmp_path,
        "repo/audit.py",
        """
        import os, requests
        H = {"Authorization": "AppKey " + os.environ["K"]}
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit", headers=H)
        requests.get("https://acme.eu-1.celonis.cloud/api/external/authentication-events", headers=H)
    """,
    )
    with fake(secret, (LOGINS,)) as host:
        proc = run_cli("verify-client", "--team-url", host.url, "repo", env=_env(secret), cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert f"missing  {AUDIT}" in proc.stdout and f"granted  {LOGINS}" in proc.stdout


@pytest.mark.parametrize(
    "env, args, message",
    [
        ({}, ("--scopes", AUDIT), "set CELONIS_CLIENT_ID and CELONIS_CLIENT_SECRET"),
        (
            {"CELONIS_CLIENT_ID": CLIENT_ID, "CELONIS_CLIENT_SECRET": "x"},
            (),
            "give --scopes, PATHs to plan from",
        ),
    ],
)
def test_cli_usage_errors_exit_2(tmp_path, env, args, message):
    base = {"CELONIS_CLIENT_ID": "", "CELONIS_CLIENT_SECRET": ""}
    proc = run_cli(
        "verify-client",
        "--team-url",
        "https://acme.eu-1.celonis.cloud",
        *args,
        env={**base, **env},
        cwd=tmp_path,
    )
    assert proc.returncode == 2
    assert message in proc.stderr and "Traceback" not in proc.stderr


def test_report_granted_from_live(secret, tmp_path):
    write(tmp_path, ".celonis-migrator.toml", "")
    write(
        tmp_path,
        "acme/audit.py",
        """
        import os, requests
        H = {"Authorization": "AppKey " + os.environ["K"]}
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit", headers=H)
        requests.get("https://acme.eu-1.celonis.cloud/api/external/authentication-events", headers=H)
    """,
    )
    write(
        tmp_path,
        "granted.yaml",
        """
        clients:
          acme:
            permissions:
              - {permission: Audit Log API, resource: {type: team}}
    """,
    )
    with fake(secret, (AUDIT,)) as host:
        proc = run_cli(
            "report",
            "acme",
            "-o",
            "r.html",
            "--granted",
            "granted.yaml",
            "--granted-from-live",
            host.url,
            "--no-diffs",
            env=_env(secret),
            cwd=tmp_path,
        )
        tokens = issued_tokens(host)
    assert proc.returncode == 0, proc.stderr
    assert "live check: client acme holds 1 of 2 planned scopes" in proc.stderr
    html = (tmp_path / "r.html").read_text(encoding="utf-8")
    doc = parse(html)
    scopes = {
        r.attrs["data-scope"]: r.attrs["data-status"] for r in doc.by_id("clients").find("table").rows()
    }
    assert scopes == {AUDIT: "done", LOGINS: "to-assign"}
    perms = {
        r.attrs["data-permission"]: r.attrs["data-status"] for r in doc.by_id("permissions-table").rows()
    }
    assert perms == {"Audit Log API": "done", "Login History API": "to-assign"}  # from granted.yaml, kept
    assert "live check of" in doc.by_id("scan-inputs").text
    everything = html + proc.stdout + proc.stderr
    assert secret not in everything and not any(t in everything for t in tokens)


def test_report_live_check_without_granted_yaml_leaves_permissions_to_assign(secret, tmp_path: Path):
    write(tmp_path, ".celonis-migrator.toml", "")
    write(
        tmp_path,
        "acme/audit.py",
        """
        import os, requests
        requests.get("https://acme.eu-1.celonis.cloud/log/api/external/audit",
                     headers={"Authorization": "AppKey " + os.environ["K"]})
    """,
    )
    with fake(secret, (AUDIT,)) as host:
        proc = run_cli(
            "report",
            "acme",
            "-o",
            "r.html",
            "--granted-from-live",
            host.url,
            "--no-diffs",
            env=_env(secret),
            cwd=tmp_path,
        )
    assert proc.returncode == 0, proc.stderr
    doc = parse((tmp_path / "r.html").read_text(encoding="utf-8"))
    [row] = doc.by_id("permissions-table").rows()
    assert row.attrs["data-status"] == "to-assign"
    assert "live token check cannot see permissions" in row.text


# ---- hostile token endpoints: the secret in any encoding, tokens, long text ---------------------------

ODD_SECRET = "p@ss+w/rd=Secret!! 2024 xyz"


def _secret_spellings(secret: str) -> list[str]:
    import base64
    import urllib.parse

    basic = f"{urllib.parse.quote_plus(CLIENT_ID)}:{urllib.parse.quote_plus(secret)}"
    pairs = [basic, f"{CLIENT_ID}:{secret}"]
    return [
        secret,
        urllib.parse.quote_plus(secret),
        urllib.parse.quote(secret, safe=""),
        urllib.parse.quote(secret),
        *(base64.b64encode(p.encode()).decode() for p in pairs),
        "Secret%21%21",  # a fragment is a leak too
        "w/rd=Secret",
    ]


class _Echo:
    """A token endpoint on 127.0.0.1 that echoes the request body and Authorization header in
    `error_description`; with `grant` it issues a token for that scope alone, then echoes it too."""

    def __init__(self, grant: str | None = None, pad: int = 0) -> None:
        self.tokens: list[str] = []
        echo = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *a: object) -> None:
                pass

            def do_POST(self) -> None:
                import urllib.parse

                body = self.rfile.read(int(self.headers.get("Content-Length") or 0)).decode()
                scope = urllib.parse.parse_qs(body).get("scope", [""])[0]
                if grant and scope == grant:
                    # Opaque, not key-shaped: only verify-client's own memory of it can hide it.
                    token = f"opaque-token-{len(echo.tokens)}-{'a1b2c3d4' * 4}"
                    echo.tokens.append(token)
                    self._send(200, {"access_token": token, "token_type": "Bearer", "scope": scope})
                    return
                error = "invalid_scope" if grant and " " in scope else "server_error"
                seen = " ".join(echo.tokens)
                text = f"{'x' * pad} seen={seen} bad request {body} auth={self.headers.get('Authorization')}"
                self._send(400, {"error": error, "error_description": text})

            def _send(self, status: int, payload: dict) -> None:
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    def __enter__(self) -> "_Echo":
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.mark.parametrize("method", ["client_secret_post", "client_secret_basic", "auto"])
def test_an_endpoint_echoing_the_request_never_makes_the_secret_show(tmp_path, method):
    with _Echo() as host:
        proc = run_cli("verify-client", "--team-url", host.url, "--scopes", AUDIT, "--auth-method", method,
                       env=_env(ODD_SECRET), cwd=tmp_path)
    assert proc.returncode == 2, proc.stdout + proc.stderr
    everything = proc.stdout + proc.stderr
    assert "server_error" in everything and "bad request" in everything  # the error is still explained
    for spelling in _secret_spellings(ODD_SECRET):
        assert spelling not in everything and spelling.lower() not in everything.lower(), spelling
    assert "[secret]" in everything and len(proc.stderr.splitlines()) == 1


def test_a_token_received_earlier_is_never_echoed_back(tmp_path):
    with _Echo(grant=AUDIT) as host:
        proc = run_cli("verify-client", "--team-url", host.url, "--scopes", f"{AUDIT} {LOGINS}",
                       "--auth-method", "client_secret_post", env=_env(ODD_SECRET), cwd=tmp_path)
        tokens = host.tokens
    assert proc.returncode == 2 and tokens, proc.stdout + proc.stderr
    everything = proc.stdout + proc.stderr
    assert not any(t in everything or t[:12] in everything for t in tokens)
    assert ODD_SECRET not in everything and "server_error" in everything and "seen=[secret]" in everything


def test_server_text_is_cut_short(tmp_path):
    with _Echo(pad=5000) as host:
        proc = run_cli("verify-client", "--team-url", host.url, "--scopes", AUDIT, env=_env(ODD_SECRET),
                       cwd=tmp_path)
    assert proc.returncode == 2
    assert len(proc.stderr) < 400 and "x" * 200 not in proc.stderr


@pytest.mark.parametrize(
    "url, message",
    [
        ("https://[::1", "not a valid URL"),
        ("https://acme.eu-1.celonis.cloud:99999", "not a valid URL"),
        ("https://acme .eu-1.celonis.cloud", "no spaces"),
    ],
)
def test_cli_malformed_team_urls_are_one_line_errors(tmp_path, url, message):
    proc = run_cli("verify-client", "--team-url", url, "--scopes", AUDIT, env=_env(ODD_SECRET), cwd=tmp_path)
    assert proc.returncode == 2
    assert message in proc.stderr and "internal error" not in proc.stderr
    assert len(proc.stderr.splitlines()) == 1


def test_cli_checks_only_the_scopes_of_the_team_it_asks(secret, tmp_path):
    """Code that reaches two teams plans two clients; the team URL's own client is the one checked."""
    write(tmp_path, ".celonis-migrator.toml", "")

    def finding(path: str, host: str, api_path: str, api: str, scope: str) -> dict:
        endpoint = {"method": "GET", "path": api_path, "host": host, "api": api, "scopes": [scope],
                    "permissions": [], "status": "documented", "basis": "D"}
        return {"path": path, "line": 3, "key_source": {"kind": "env", "name": "K"}, "endpoints": [endpoint]}

    scan = {"schema_version": 1, "findings": [
        finding("repo/a/a.py", "127.0.0.1", "/log/api/external/audit", "audit-log", AUDIT),
        finding("repo/b/b.py", "globex.us-2.celonis.cloud", "/api/external/members", "team-members", MEMBERS),
    ]}
    (tmp_path / "scan.json").write_text(json.dumps(scan), encoding="utf-8")
    with fake(secret, (AUDIT,)) as host:
        proc = run_cli("verify-client", "--team-url", host.url, "--from", "scan.json", "--format", "json",
                       env=_env(secret), cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["requested"] == [AUDIT]
