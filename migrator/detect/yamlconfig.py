"""YAML configuration: app config, CI workflows, docker-compose, Kubernetes manifests, Helm values.

Parsed with PyYAML's safe composer, which keeps every node's position and does not expand
aliases; the tree is walked node by node with a cap, so an alias bomb costs nothing and a
huge file is skipped with a reason. Per document: a Kubernetes `Secret` has its `data`
decoded once before the key-shape check; CI `run:`/`script:` blocks go to the shell
scanner; everything else goes through the shared config rules.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import replace
from typing import Optional, Union

import yaml

from migrator import redact
from migrator.detect import configrules as rules
from migrator.detect.cfgtree import Entry, Mapping, Node, Scalar, Sequence, entries_of, get, iter_entries, text
from migrator.detect.shell import scan_shell_text
from migrator.errors import MigratorError
from migrator.types import Finding, Skip, SourceFile

RULE_SECRET = "k8s-secret-celonis-key"

#: Distinct YAML nodes one file may hold; more is a generated file, not config.
MAX_NODES = 100_000
#: Nodes a file may expand to through aliases (what `yaml.safe_load` would build); more is an alias bomb.
MAX_EXPANDED = 1_000_000

#: Keys whose value is a script, and the shell dialect to scan it with (GitHub Actions `run`,
#: GitLab `script`, Azure Pipelines `bash` / `pwsh`).
SHELL_KEYS = {
    "run": "shell", "script": "shell", "before_script": "shell", "after_script": "shell",
    "bash": "shell", "pwsh": "powershell", "powershell": "powershell",
}

_TAG_NULL = "tag:yaml.org,2002:null"
_TAG_MERGE = "tag:yaml.org,2002:merge"


class _TooManyNodes(Exception):
    """More than MAX_NODES nodes, or more than MAX_EXPANDED once aliases expand; the message says which."""


def prefilter(text: str) -> bool:
    return rules.KEYWORDS.search(text) is not None


def scan(source: SourceFile, extra_hosts: tuple[str, ...] = ()) -> Union[list[Finding], Skip]:
    """Detector entry point (see migrator.detect). Raises MigratorError for malformed YAML."""
    try:
        docs = load(source.text)
    except _TooManyNodes as exc:
        return Skip(source.path, "too-large", f"{exc}; not analysed")
    return scan_documents(source.path, source.kind, docs, source.text, extra_hosts)


def load(text: str) -> list[Node]:
    """Every document of the file as a positioned tree; aliases stay shared nodes."""
    try:
        nodes = list(yaml.compose_all(text, Loader=yaml.SafeLoader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = f"line {mark.line + 1}: " if mark else ""
        raise MigratorError(f"malformed YAML: {where}{exc.problem or exc.context}") from None
    except yaml.YAMLError as exc:
        raise MigratorError(f"malformed YAML: {str(exc).splitlines()[0]}") from None
    converter = _Converter()
    docs = [converter.node(n) for n in nodes if n is not None]
    sizes: dict[int, int] = {}
    if any(expanded_size(doc, sizes) > MAX_EXPANDED for doc in docs):
        raise _TooManyNodes(f"YAML aliases expand to more than {MAX_EXPANDED} nodes (alias bomb)")
    return docs


def expanded_size(node: Node, sizes: dict[int, int]) -> int:
    """Nodes under `node` with every alias expanded, capped just above MAX_EXPANDED; memoised in `sizes`."""
    known = sizes.get(id(node))
    if known is not None:
        return known
    sizes[id(node)] = 1  # a recursive alias counts once
    children = [c for pair in node.items for c in pair] if isinstance(node, Mapping) else \
        node.items if isinstance(node, Sequence) else []
    total = 1
    for child in children:
        total = min(total + expanded_size(child, sizes), MAX_EXPANDED + 1)
    sizes[id(node)] = total
    return total


class _Converter:
    """PyYAML nodes -> cfgtree, each node converted once (aliases share the result)."""

    def __init__(self) -> None:
        self.done: dict[int, Node] = {}

    def node(self, node: yaml.Node) -> Node:
        known = self.done.get(id(node))
        if known is not None:
            return known
        if len(self.done) >= MAX_NODES:
            raise _TooManyNodes(f"YAML holds more than {MAX_NODES} nodes")
        line, col = node.start_mark.line + 1, node.start_mark.column + 1
        out: Node
        if isinstance(node, yaml.MappingNode):
            out = Mapping([], line, col)
            self.done[id(node)] = out
            out.items.extend(self.pairs(node))
        elif isinstance(node, yaml.SequenceNode):
            out = Sequence([], line, col)
            self.done[id(node)] = out
            out.items.extend(self.node(item) for item in node.value)
        else:
            value = None if node.tag == _TAG_NULL else str(node.value)
            out = Scalar(value, line, col, node.end_mark.line + 1, node.end_mark.column + 1, node.style or "")
            self.done[id(node)] = out
        return out

    def pairs(self, node: yaml.MappingNode) -> list[tuple[Scalar, Node]]:
        """Items with scalar keys; `<<: *anchor` merges the anchored mapping's items in."""
        items: list[tuple[Scalar, Node]] = []
        for key, value in node.value:
            if key.tag == _TAG_MERGE:
                merged = [value] if isinstance(value, yaml.MappingNode) else list(getattr(value, "value", []))
                for source in merged:
                    converted = self.node(source)
                    if isinstance(converted, Mapping):
                        items.extend(converted.items)
            elif isinstance(key, yaml.ScalarNode):
                converted_key = self.node(key)
                assert isinstance(converted_key, Scalar)
                items.append((converted_key, self.node(value)))
        return items


def scan_documents(path: str, kind: str, docs: list[Node], text_: str,
                   extra_hosts: tuple[str, ...]) -> list[Finding]:
    """All findings of a YAML file's documents."""
    ctx = rules.build_context(path, kind, docs, text_, extra_hosts)
    env = _env_values(docs)
    shell = [_ci_context(f, env) for f in _shell_findings(docs, ctx, env)]
    hints: dict[str, tuple[str, ...]] = {
        f.key_source.name: f.auth_schemes for f in shell
        if f.key_source.kind == "env" and f.key_source.name and len(f.auth_schemes) == 1}
    secrets = [doc for doc in docs if text(get(doc, "kind")) == "Secret"]
    findings = [f for doc in secrets for f in secret_findings(doc, ctx, hints)]
    findings += rules.scan_entries(docs, ctx, hints, skip=secrets)
    return shell + findings


def _env_values(docs: list[Node]) -> dict[str, tuple[Entry, rules.KeyValue]]:
    """Environment variables the file defines (CI `env:`, GitLab `variables:`), by name."""
    out: dict[str, tuple[Entry, rules.KeyValue]] = {}
    for doc in docs:
        for entry in iter_entries(doc):
            if entry.env_like and isinstance(entry.value, Scalar):
                value = rules.read_value(entry.value.value, entry.name)
                if value is not None:
                    out.setdefault(entry.name, (entry, value))
    return out


def _shell_findings(docs: list[Node], ctx: rules.FileContext,
                    env: dict[str, tuple[Entry, rules.KeyValue]]) -> list[Finding]:
    """Findings of the shell scanner on every script block, at their lines in this file.

    The variables the file sets (`env:`, `variables:`) are the scripts' environment: content-cli
    reads its key profile from TEAM_URL + API_TOKEN there.
    """
    environment = {name: text(entry.value) or "" for name, (entry, _) in env.items()}
    findings: list[Finding] = []
    for doc in docs:
        for entry in iter_entries(doc):
            dialect = SHELL_KEYS.get(entry.name)
            if dialect is None:
                continue
            scripts = entry.value.items if isinstance(entry.value, Sequence) else [entry.value]
            for script in scripts:
                if isinstance(script, Scalar) and script.value:
                    offset = script.line if script.style in ("|", ">") else script.line - 1
                    found = scan_shell_text(ctx.path, script.value, line_offset=offset,
                                            extra_hosts=ctx.extra_hosts, language=dialect,
                                            environment=environment)
                    findings.extend(replace(f, language=ctx.kind) for f in found)
    return findings


def _ci_context(finding: Finding, env: dict[str, tuple[Entry, rules.KeyValue]]) -> Finding:
    """Tie a script's `$VAR` to the CI `env:` entry that sets it (a secret, usually)."""
    name = finding.key_source.name
    if finding.key_source.kind != "env" or not name or name not in env:
        return finding
    entry, value = env[name]
    origin = f"{value.source.kind} {value.source.name or '(literal)'}"
    note = f"{name} is set at line {entry.key.line} from {origin}"
    return replace(
        finding,
        notes=(*finding.notes, note),
        related=(*finding.related, f"{entry.key.line}:{entry.key.col}"),
        credential_names=tuple(dict.fromkeys((*finding.credential_names, f"env:{name}", *value.names))),
    )


def secret_findings(doc: Node, ctx: rules.FileContext, hints: dict[str, tuple[str, ...]]) -> list[Finding]:
    """Kubernetes `Secret`: `data` values are base64 of the real value (decoded once), `stringData` plain."""
    secret = text(get(get(doc, "metadata"), "name")) or "?"
    findings: list[Finding] = []
    for field, encoded in (("data", True), ("stringData", False)):
        node = get(doc, field)
        if not isinstance(node, Mapping):
            continue
        for entry in entries_of(node, (secret,), (doc,)):
            if not isinstance(entry.value, Scalar) or entry.value.value is None:
                continue
            raw, note = _decode(entry.value.value) if encoded else (entry.value.value, None)
            value = rules.read_value(raw, f"{secret}/{entry.name}")
            if value is None:
                continue
            real = value.literal is not None and redact.is_real_shape(value.literal)
            replacement = (f"replace key {entry.name} of Secret {secret} with OAUTH_CLIENT_ID and "
                           "OAUTH_CLIENT_SECRET (pycelonis) or CELONIS_CLIENT_ID and CELONIS_CLIENT_SECRET; "
                           f"delete {entry.name}")
            names: tuple[str, ...] = (f"secret:{secret}/{entry.name}",)
            if rules.env_name_ok(entry.name) and entry.name.isupper():  # `envFrom` exposes keys as variables
                names += (f"env:{entry.name}",)
            found = rules.key_finding(entry, ctx, hints, rule_id=RULE_SECRET, value=value, force=real,
                                      names=names, replacement=replacement, extra_notes=(note,))
            if found is not None:
                findings.append(found)
    return findings


def _decode(value: str) -> tuple[str, Optional[str]]:
    """The value behind a Secret's base64 `data` entry, and a note when it is not base64."""
    try:
        return base64.b64decode("".join(value.split()), validate=True).decode("utf-8").strip(), None
    except (binascii.Error, UnicodeDecodeError):
        return value, "the Secret data value is not valid base64; checked as written"
