"""Credential identity: findings that name the same key are one credential (link.py)."""

from __future__ import annotations

from dataclasses import replace

from migrator.findings import make_finding
from migrator.link import MAX_LINKED, link_findings
from migrator.types import Finding, KeySource
from tests.conftest import FAKE_APP_KEY


def finding(path: str, line: int, source: KeySource, names: tuple[str, ...] = (),
            literal: str | None = None) -> Finding:
    made = make_finding(rule_id="celonis-key-in-config", path=path, start=(line, 1), end=(line, 2),
                        schemes=("AppKey",), key_source=source, content=f"{path}:{line}", literal=literal)
    return replace(made, credential_names=names)


def ids(findings: list[Finding]) -> list[str | None]:
    return [f.credential_id for f in link_findings(findings)]


def test_env_entry_and_the_code_reading_it_are_linked_both_ways():
    env = finding("svc/.env", 2, KeySource("literal", "CELONIS_API_TOKEN"), ("env:CELONIS_API_TOKEN",))
    code = finding("svc/app.py", 9, KeySource("env", "CELONIS_API_TOKEN"))
    other = finding("svc/other.py", 3, KeySource("env", "OTHER_KEY"))
    linked = link_findings([env, code, other])
    assert [f.credential_id for f in linked] == ["env:CELONIS_API_TOKEN", "env:CELONIS_API_TOKEN", "env:OTHER_KEY"]
    assert linked[0].linked == ("svc/app.py:9",) and linked[1].linked == ("svc/.env:2",) and linked[2].linked == ()


def test_secret_reference_chains_secret_deployment_and_code():
    secret = finding("k8s/s.yaml", 6, KeySource("literal", "creds/TOKEN"), ("secret:creds/TOKEN",))
    deployment = finding("k8s/d.yaml", 20, KeySource("secret-reference", "creds/TOKEN"), ("env:CELONIS_TOKEN",))
    code = finding("app/main.py", 4, KeySource("env", "CELONIS_TOKEN"))
    assert set(ids([secret, deployment, code])) == {"env:CELONIS_TOKEN"}


def test_config_read_joins_the_nearest_matching_definition_only():
    here = finding("svc/a/settings.yaml", 3, KeySource("literal", "celonis.api_token"), ("config:celonis.api_token",))
    far = finding("svc/b/settings.yaml", 3, KeySource("literal", "celonis.api_token"), ("config:celonis.api_token",))
    deeper = finding("charts/values.yaml", 5, KeySource("literal", "app.celonis.apiToken"),
                     ("config:app.celonis.apiToken",))
    code = finding("svc/a/report.py", 8, KeySource("config", "cfg['celonis']['api_token']"))
    assert ids([here, far, deeper, code]) == [
        "config:svc/a/settings.yaml#celonis.api_token", "config:svc/b/settings.yaml#celonis.api_token",
        "config:charts/values.yaml#app.celonis.apiToken", "config:svc/a/settings.yaml#celonis.api_token"]
    # with no closer candidate, a deeper path that ends with the same keys matches
    assert ids([deeper, code])[0] == ids([deeper, code])[1]


def test_config_reference_spellings():
    env_file = finding(".env", 1, KeySource("literal", "APP_KEY"), ("env:APP_KEY", "config:APP_KEY"))
    django = finding("settings_use.py", 4, KeySource("config", "settings.APP_KEY"))
    assert len(set(ids([env_file, django]))) == 1
    appsettings = finding("appsettings.json", 5, KeySource("literal", "Celonis.AppKey"), ("config:Celonis.AppKey",))
    csharp = finding("Client.cs", 12, KeySource("config", "config['Celonis:AppKey']"))
    spring = finding("application.yml", 3, KeySource("config", "celonis.app-key"))
    props = finding("application.properties", 2, KeySource("literal", "celonis.app-key"), ("config:celonis.app-key",))
    assert len(set(ids([appsettings, csharp]))) == 1
    assert len(set(ids([spring, props]))) == 1
    # one key alone matches only a definition that is that one key
    token = finding("x.py", 1, KeySource("config", "json['token']"))
    nested = finding("conf.json", 2, KeySource("literal", "celonis.token"), ("config:celonis.token",))
    assert len(set(ids([token, nested]))) == 2


def test_the_same_literal_key_in_two_files_is_one_credential_without_showing_its_hash():
    a = finding("a.properties", 4, KeySource("literal", "connect.ems.authorization.key"), literal=FAKE_APP_KEY)
    b = finding("b.json", 3, KeySource("literal", "connect.ems.authorization.key"), literal=FAKE_APP_KEY)
    first, second = ids([a, b])
    assert first == second and first is not None and first.startswith("finding:")
    assert a.key_hash is not None and a.key_hash not in first


def test_unnamed_findings_are_each_their_own_credential():
    a = finding("a.py", 1, KeySource("parameter", "token"))
    b = finding("b.py", 1, KeySource("unknown"))
    first, second = ids([a, b])
    assert first == f"finding:{a.fingerprint[:16]}" and second == f"finding:{b.fingerprint[:16]}"


def test_env_names_prefer_env_over_other_names_and_linked_is_capped():
    many = [finding(f"svc{i}/run.py", 1, KeySource("env", "CELONIS_API_TOKEN")) for i in range(MAX_LINKED + 5)]
    named = finding("p.json", 2, KeySource("config", "postman:k"), ("postman:k", "env:CELONIS_API_TOKEN"))
    linked = link_findings([named, *many])
    assert {f.credential_id for f in linked} == {"env:CELONIS_API_TOKEN"}
    assert len(linked[0].linked) == MAX_LINKED and "p.json:2" not in linked[0].linked


def _hosted(f: Finding, *hosts: str) -> Finding:
    from migrator.types import Endpoint

    return replace(f, endpoints=tuple(Endpoint("GET", f"https://{h}/x", "/x", host=h) for h in hosts))


def test_the_same_name_sent_to_two_teams_is_two_credentials():
    a = _hosted(finding("svc_a/a.py", 3, KeySource("env", "CELONIS_API_TOKEN")), "acme.eu-1.celonis.cloud")
    b = _hosted(finding("svc_b/b.py", 3, KeySource("env", "CELONIS_API_TOKEN")), "Globex.us-2.celonis.cloud")
    a2 = _hosted(finding("svc_a/a2.py", 3, KeySource("env", "CELONIS_API_TOKEN")), "ACME.eu-1.celonis.cloud")
    linked = link_findings([a, b, a2])
    assert [f.credential_id for f in linked] == [
        "env:CELONIS_API_TOKEN@acme.eu-1.celonis.cloud",
        "env:CELONIS_API_TOKEN@globex.us-2.celonis.cloud",
        "env:CELONIS_API_TOKEN@acme.eu-1.celonis.cloud",
    ]
    assert linked[0].linked == ("svc_a/a2.py:3",) and linked[1].linked == ()
    # A host-less finding of that name could be either team's: it stays apart.
    env = finding("svc_b/.env", 1, KeySource("literal", "CELONIS_API_TOKEN"), ("env:CELONIS_API_TOKEN",))
    assert ids([a, b, env]) == [
        "env:CELONIS_API_TOKEN@acme.eu-1.celonis.cloud",
        "env:CELONIS_API_TOKEN@globex.us-2.celonis.cloud",
        "env:CELONIS_API_TOKEN",
    ]
    # With one team only, it joins, and the id keeps its plain name.
    assert ids([a, env, a2]) == ["env:CELONIS_API_TOKEN"] * 3


def test_a_literal_key_sent_to_two_teams_is_two_credentials():
    a = _hosted(finding("a.py", 1, KeySource("literal"), literal=FAKE_APP_KEY), "acme.eu-1.celonis.cloud")
    b = _hosted(finding("b.py", 1, KeySource("literal"), literal=FAKE_APP_KEY), "globex.us-2.celonis.cloud")
    first, second = ids([a, b])
    assert first != second
