"""Files fix does not rewrite: the exact edits to make by hand, one per finding of the scan.

Configuration files (.env, YAML, JSON, INI, TOML, .properties) get the OAuth client variables to
add and each static-key entry to delete; shell scripts, Markdown, other languages and text files get
each finding with the rule's replacement. A real-shape key in the file also says "revoke".
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from migrator.codemods.helper import DEFAULT_ENV
from migrator.types import Finding, FixOutcome

_KEY_TYPE = re.compile(r"""^\s*(?:export\s+|-\s*)?["']?(CELONIS_KEY_TYPE)["']?\s*[:=]""", re.MULTILINE)
CONFIG_KINDS = ("dotenv", "yaml", "json", "ini", "toml", "properties")
#: Kinds fix rewrites itself; every other kind gets advice.
REWRITTEN_KINDS = ("python", "notebook")


def config_outcome(path: str, kind: str, text: str, findings: Sequence[Finding], scopes: str,
                   env: tuple[str, str] = DEFAULT_ENV) -> FixOutcome | None:
    """A "skipped" outcome whose manual entries say, per finding, what to edit by hand; None without findings."""
    if not findings:
        return None
    from migrator.ruleset import default_ruleset

    rules = default_ruleset()
    sites: set[tuple[int, str]] = {(f.line, _advice(f, rules.get(f.rule_id), kind)) for f in findings}
    if kind in CONFIG_KINDS:
        for m in _KEY_TYPE.finditer(text):
            sites.add((text.count("\n", 0, m.start()) + 1,
                       "set CELONIS_KEY_TYPE=BEARER (or delete it): OAuth tokens are sent as Bearer"))
        scope_text = scopes or "<the scopes `celonis-migrator scan` lists>"
        sites.add((0, f"add {env[0]}=<client id> and {env[1]}=<from your secret store> for migrated code; for "
                      f"pycelonis or content-cli also OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_SCOPES={scope_text} "
                      "and CELONIS_KEY_TYPE=BEARER"))
        reason = f"{kind} files are not rewritten by fix: make these edits by hand"
    else:
        reason = f"{kind} files are not rewritten by fix: migrate these by hand"
    return FixOutcome(path, "skipped", manual=tuple(sorted(sites)), reason=reason)


def _advice(f: Finding, rule: object, kind: str) -> str:
    from migrator.findings import describe_source

    src = f.key_source
    if f.rule_id == "celonis-key-in-config":
        what = f"delete {src.name} (a static key)" if src.kind == "literal" and src.name else \
            f"delete this entry (a static key from {describe_source(src)})"
        text = f"{what} and put the OAuth client variables of the first entry in its place"
    elif f.rule_id == "celonis-key-literal":
        text = "a static key literal: delete it"
    else:
        name = getattr(rule, "name", f.rule_id)
        use = " ".join(str(getattr(rule, "use_instead", "")).split())
        first = re.split(r"(?<=[.;])\s", use, maxsplit=1)[0].rstrip(".;") if use else "migrate to OAuth by hand"
        text = f"{name} (key from {describe_source(src)}): {first}"
    scopes = sorted({s for e in f.endpoints for s in e.scopes})
    if scopes:
        text += f" (scopes: {' '.join(scopes)})"
    if f.leaked or f.literal_class == "real-shape" or f.rule_id == "celonis-key-literal":
        text += "; the key is in this file: revoke it (it stays usable from the git history until revoked)"
    return text
