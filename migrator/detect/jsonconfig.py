"""JSON configuration: content-cli profiles, Postman collections and environments, other config.

The stdlib parser validates the file (and words the error); a small scanner then builds
the positioned tree, reading strings with the stdlib's own `scanstring` so both agree.
"""

from __future__ import annotations

import bisect
import json
import re
from json.decoder import scanstring  # type: ignore[attr-defined]

from migrator.detect import configrules as rules
from migrator.detect import postman
from migrator.detect.cfgtree import Entry, Mapping, Node, Scalar, Sequence, entries_of, get, text
from migrator.errors import MigratorError
from migrator.types import Finding, KeySource, SourceFile

RULE_PROFILE = "content-cli-key-profile"

_WS = re.compile(r"[ \t\n\r]*")
_ATOM = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false|null")
_OAUTH_PROFILE_TYPES = ("client credentials", "device code")
_PROFILE_SCOPES = "studio package-manager integration.data-pools action-engine.projects"


def prefilter(text_: str) -> bool:
    return rules.KEYWORDS.search(text_) is not None


def scan(source: SourceFile, extra_hosts: tuple[str, ...] = ()) -> list[Finding]:
    """Detector entry point (see migrator.detect). Raises MigratorError for malformed JSON."""
    root = load(source.text)
    ctx = rules.build_context(source.path, source.kind, [root], source.text, extra_hosts)
    if postman.is_collection(root):
        return postman.collection_findings(root, ctx)
    if postman.is_environment(root):
        return postman.environment_findings(root, ctx)
    if is_content_cli_profile(root):
        return profile_findings(root, ctx)
    return rules.scan_entries([root], ctx)


def load(text_: str) -> Node:
    """The document as a positioned tree."""
    try:
        json.loads(text_)
    except json.JSONDecodeError as exc:
        raise MigratorError(f"malformed JSON: line {exc.lineno} column {exc.colno}: {exc.msg}") from None
    return _Scanner(text_).document()


class _Scanner:
    """Recursive descent over text that json.loads already accepted."""

    def __init__(self, text_: str) -> None:
        self.text = text_
        self.starts = [0] + [m.end() for m in re.finditer("\n", text_)]

    def at(self, offset: int) -> tuple[int, int]:
        """1-based (line, column) of an offset."""
        line = bisect.bisect_right(self.starts, offset)
        return line, offset - self.starts[line - 1] + 1

    def skip(self, i: int) -> int:
        return _WS.match(self.text, i).end()  # type: ignore[union-attr]

    def document(self) -> Node:
        node, _ = self.value(self.skip(0))
        return node

    def value(self, i: int) -> tuple[Node, int]:
        char = self.text[i]
        line, col = self.at(i)
        if char == "{":
            return self.mapping(i, line, col)
        if char == "[":
            return self.sequence(i, line, col)
        if char == '"':
            return self.string(i)
        atom = _ATOM.match(self.text, i)
        assert atom is not None  # json.loads accepted the text
        end_line, end_col = self.at(atom.end())
        value = None if atom.group(0) == "null" else atom.group(0)
        return Scalar(value, line, col, end_line, end_col), atom.end()

    def string(self, i: int) -> tuple[Scalar, int]:
        value, end = scanstring(self.text, i + 1)
        line, col = self.at(i)
        end_line, end_col = self.at(end)
        return Scalar(value, line, col, end_line, end_col, '"'), end

    def mapping(self, i: int, line: int, col: int) -> tuple[Mapping, int]:
        node = Mapping([], line, col)
        i = self.skip(i + 1)
        while self.text[i] != "}":
            key, i = self.string(i)
            value, i = self.value(self.skip(self.skip(i) + 1))
            node.items.append((key, value))
            i = self.skip(i)
            if self.text[i] == ",":
                i = self.skip(i + 1)
        return node, i + 1

    def sequence(self, i: int, line: int, col: int) -> tuple[Sequence, int]:
        node = Sequence([], line, col)
        i = self.skip(i + 1)
        while self.text[i] != "]":
            value, i = self.value(i)
            node.items.append(value)
            i = self.skip(i)
            if self.text[i] == ",":
                i = self.skip(i + 1)
        return node, i + 1


# --- content-cli profiles (celonis-apis.md §7.3) --------------------------------------------------


def is_content_cli_profile(root: Node) -> bool:
    """A content-cli profile: `team` plus `apiToken` (and usually `name`, `type`, `authenticationType`)."""
    return isinstance(root, Mapping) and get(root, "team") is not None and get(root, "apiToken") is not None


def profile_findings(root: Node, ctx: rules.FileContext) -> list[Finding]:
    """`apiToken` is a static key only when `type` is "Key" or missing; OAuth profiles are not reported."""
    kind = (text(get(root, "type")) or "Key").strip().lower()
    if kind in _OAUTH_PROFILE_TYPES:
        return []
    token = next(e for e in entries_of(root, (), ()) if e.name == "apiToken")
    name = text(get(root, "name")) or ctx.path.rsplit("/", 1)[-1].removesuffix(".json")
    team = text(get(root, "team")) or ctx.team_url
    value = _profile_value(token, root, name)
    if value is None:
        return []
    schemes = rules.schemes_of_key_type(text(get(root, "authenticationType"))) or ("AppKey", "Bearer")
    snippet = json.dumps({
        "name": name, "team": team, "type": "Client Credentials", "clientId": "<from secret store>",
        "clientSecret": "<from secret store>", "clientAuthenticationMethod": "client_secret_basic",
        "scopes": _PROFILE_SCOPES.split(), "apiToken": "", "expiresAt": 0,
    })
    notes = [
        "replace this key profile with a Client Credentials profile (written at run time from secrets in "
        f"CI): {snippet}; keep only the scopes your content-cli commands need (client-level claim)",
        None if len(schemes) == 1 else "authenticationType is not set: content-cli probes Bearer, then AppKey",
    ]
    return [rules.build(RULE_PROFILE, ctx, token, value, schemes, (), "high", notes,
                        (f"content-cli:{name}",))]


def _profile_value(token: Entry, root: Node, name: str) -> rules.KeyValue | None:
    """The profile's key: in the file, or in the OS keychain when `secretsStoredSecurely` is true."""
    if (text(get(root, "secretsStoredSecurely")) or "").lower() == "true":
        return rules.KeyValue(KeySource("secret-reference", f"keychain celonis-content-cli:{name}"))
    if not isinstance(token.value, Scalar):
        return None
    return rules.read_value(token.value.value, f"content-cli profile {name}")
