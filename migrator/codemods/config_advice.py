"""Config files (.env, YAML, JSON) are not rewritten: fix lists the exact edits to make by hand."""

from __future__ import annotations

import re
from collections.abc import Sequence

from migrator.types import Finding, FixOutcome

_STATIC = re.compile(r"""^\s*(?:export\s+|-\s*)?["']?(CELONIS_API_TOKEN|CELONIS_KEY_TYPE|API_TOKEN)["']?\s*[:=]""", re.MULTILINE)
CONFIG_KINDS = ("dotenv", "yaml", "json")


def config_outcome(path: str, kind: str, text: str, findings: Sequence[Finding], scopes: str) -> FixOutcome | None:
    """A "skipped" outcome whose manual entries say which variables to add and which to delete."""
    sites: list[tuple[int, str]] = []
    for m in _STATIC.finditer(text):
        line = text.count("\n", 0, m.start()) + 1
        if m.group(1) == "CELONIS_KEY_TYPE":
            sites.append((line, "set CELONIS_KEY_TYPE=BEARER (or delete it): OAuth tokens are sent as Bearer"))
        else:
            sites.append((line, f"delete {m.group(1)} (a static key; revoke it if it was ever committed)"))
    for f in findings:
        sites.append((f.line, "replace this static key with OAuth client credentials (see the first entry)"))
    if not sites:
        return None
    scope_text = scopes or "<the scopes `celonis-migrator scan` lists>"
    add = (f"add CELONIS_CLIENT_ID=<client id> and CELONIS_CLIENT_SECRET=<from your secret store> for migrated code; "
           f"for pycelonis or content-cli also OAUTH_CLIENT_ID, OAUTH_CLIENT_SECRET, OAUTH_SCOPES={scope_text} and "
           "CELONIS_KEY_TYPE=BEARER")
    return FixOutcome(path, "skipped", manual=((0, add), *sorted(set(sites))),
                      reason=f"{kind} files are not rewritten by fix: make these edits by hand")
