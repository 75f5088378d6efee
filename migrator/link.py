"""Give every finding a credential identity, so that one key used in several places counts once.

A pair split across files is the common case: `.env` holds `CELONIS_API_TOKEN`, the code reads
`os.environ["CELONIS_API_TOKEN"]`; a Kubernetes Secret holds the key and a Deployment maps it
into the environment; `settings.yaml` holds `celonis.api_token` and Python reads
`cfg["celonis"]["api_token"]`. Findings that share a name are one credential (union-find):

- names a detector gives (`Finding.credential_names`: `env:X`, `secret:S/K`, `postman:v`);
- the key source (env `X`, secret reference `Y`, file `F`) and the hash of a real-shape literal;
- a config read (key source "config", `cfg['celonis']['api_token']`) joins the config entries
  (`config:a.b` names) whose key path ends with the same keys, compared without case or
  separators, and only the closest ones by directory: `celonis.api_token` is a common path, and
  two services of a monorepo rarely share their settings file.

Identity is by name: two `.env` files that set `CELONIS_API_TOKEN` to different keys count as one.

Identity is also by team: a key (and the OAuth client replacing it) belongs to one Celonis team, so
findings whose calls reach different team hosts are never one credential, whatever their names. A
finding with no visible host (a `.env` entry, a call to a URL read at run time) joins by name the
findings of one team only: when the hosted findings it names reach several teams it stays apart.
Ids only carry the team (`env:CELONIS_API_TOKEN@acme.eu-1.celonis.cloud`) when two credentials
would otherwise share one.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import replace
from typing import Iterable

from migrator.types import Finding

#: Preferred kinds of name for the credential id, best first; `key:` (a hash) is never shown.
_RANK = ("env", "secret", "config", "postman", "content-cli", "configmap", "file")
#: At most this many "path:line" entries in `Finding.linked` (the plan lists every member).
MAX_LINKED = 20

_BRACKET_KEY = re.compile(r"""\[\s*['"]([^'"]+)['"]\s*\]""")


def link_findings(findings: Iterable[Finding]) -> list[Finding]:
    """The findings with `credential_id` and `linked` set; order is kept."""
    items = list(findings)
    hosts = [hosts_of(f) for f in items]
    parent = list(range(len(items)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(a: int, b: int) -> None:
        parent[root(a)] = root(b)

    # Edges between a finding without a host and one with hosts wait until every same-team edge
    # is known: only then can they tell whether the name reaches one team or several.
    deferred: list[tuple[int, int]] = []

    def link(i: int, j: int) -> None:
        if hosts[i] == hosts[j]:
            union(i, j)
        elif not hosts[i] or not hosts[j]:
            deferred.append((i, j) if not hosts[i] else (j, i))
        # else: two teams, never one credential

    owners: dict[str, list[int]] = {}
    for i, finding in enumerate(items):
        for name in names_of(finding):
            owners.setdefault(name, []).append(i)
    for members in owners.values():
        first: dict[frozenset[str], int] = {}
        for i in members:
            j = first.setdefault(hosts[i], i)
            if j != i:
                union(i, j)
        hostless = first.get(frozenset())
        if hostless is not None:
            for team, j in first.items():
                if team:
                    link(hostless, j)
    definitions = [(i, path) for i, f in enumerate(items) for path in config_definitions(f)]
    for i, finding in enumerate(items):
        matches = [j for ref in config_references(finding) for j, path in definitions
                   if j != i and path[-len(ref):] == ref and (len(ref) >= 2 or path == ref)
                   and (hosts[i] == hosts[j] or not hosts[i] or not hosts[j])]
        nearest = max((_shared_dirs(finding.path, items[j].path) for j in matches), default=0)
        for j in matches:
            if _shared_dirs(finding.path, items[j].path) == nearest:
                link(i, j)
    # A host-less group joins the hosted groups it names when they are all one team.
    teams_of: dict[int, set[frozenset[str]]] = {}
    for i, j in deferred:
        teams_of.setdefault(root(i), set()).add(hosts[j])
    joins = [(i, j) for i, j in deferred if len(teams_of[root(i)]) == 1]
    for i, j in joins:
        union(j, i)
    groups: dict[int, list[int]] = {}
    for i in range(len(items)):
        groups.setdefault(root(i), []).append(i)
    idents = {key: credential_id(items[i] for i in members) for key, members in groups.items()}
    shared = {ident for ident, n in Counter(idents.values()).items() if n > 1}
    for key, members in groups.items():
        if idents[key] in shared:
            reached = sorted({h for i in members for h in hosts[i]})
            if reached:
                idents[key] = f"{idents[key]}@{','.join(reached)}"
    out = list(items)
    for key, members in groups.items():
        ident = idents[key]
        where = sorted({f"{items[i].path}:{items[i].line}" for i in members})
        for i in members:
            own = f"{items[i].path}:{items[i].line}"
            others = tuple(w for w in where if w != own)[:MAX_LINKED]
            out[i] = replace(items[i], credential_id=ident, linked=others)
    return out


def hosts_of(f: Finding) -> frozenset[str]:
    """The team hosts a finding's calls reach (lower-case); empty when no host is visible."""
    return frozenset(e.host.strip().lower() for e in f.endpoints if e.host and e.host.strip())


def names_of(f: Finding) -> set[str]:
    """Exact names of the finding's key (env names upper-case); config paths are matched apart."""
    names = {n for n in f.credential_names if not n.startswith("config:")}
    source = f.key_source
    if source.name and source.kind == "env":
        names.add(f"env:{source.name}")
    elif source.name and source.kind == "secret-reference":
        names.add(f"secret:{source.name}")
    elif source.name and source.kind == "file":
        names.add(f"file:{source.name}")
    if f.key_hash:
        names.add(f"key:{f.key_hash}")
    return {_normalise(n) for n in names}


def config_definitions(f: Finding) -> list[tuple[str, ...]]:
    """Key paths of the config entries a finding reports (`config:celonis.api_token`)."""
    return [_fold(re.split(r"[.:]", n[len("config:"):])) for n in f.credential_names
            if n.startswith("config:")]


def config_references(f: Finding) -> list[tuple[str, ...]]:
    """Key paths a config read may name: `cfg['celonis']['api_token']` -> (celonis, apitoken).

    A dotted read (`settings.APP_KEY`, `celonis.app-key`) may or may not start with the object
    that holds the settings, so both the whole path and the path without its head are tried.
    """
    name = f.key_source.name
    if f.key_source.kind != "config" or not name or name.startswith("postman:") or "/" in name:
        return []
    keys = _BRACKET_KEY.findall(name)
    if keys:
        return [_fold([part for key in keys for part in re.split(r"[.:]", key)])]
    parts = re.split(r"[.:]", name)
    return [_fold(parts), _fold(parts[1:])] if len(parts) > 1 else [_fold(parts)]


def credential_id(members: Iterable[Finding]) -> str:
    """The most telling name of a group (`env:CELONIS_API_TOKEN` before `config:<file>#<path>`),
    else the first member's fingerprint; never a key hash. Distinct groups get distinct ids."""
    members = sorted(members, key=lambda f: (f.path, f.line, f.column, f.rule_id))
    names = {n for f in members for n in names_of(f) if n.split(":", 1)[0] in _RANK}
    # A config path is only unique within its file (many services have `celonis.api_token`).
    names |= {f"config:{f.path}#{n[len('config:'):]}" for f in members for n in f.credential_names
              if n.startswith("config:")}
    if names:
        return min(names, key=lambda n: (_RANK.index(n.split(":", 1)[0]), n))
    return f"finding:{members[0].fingerprint[:16]}"


def _shared_dirs(a: str, b: str) -> int:
    """How many leading directories two paths share."""
    count = 0
    for x, y in zip(a.split("/")[:-1], b.split("/")[:-1], strict=False):
        if x != y:
            break
        count += 1
    return count


def _fold(parts: Iterable[str]) -> tuple[str, ...]:
    return tuple(re.sub(r"[^a-z0-9]", "", p.lower()) for p in parts if p)


def _normalise(name: str) -> str:
    kind, _, rest = name.partition(":")
    return f"env:{rest.upper()}" if kind == "env" else name
