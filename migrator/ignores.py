"""Inline ignores: `celonis-migrator: ignore` or `ignore[rule-id,...]` in a comment.

A comment silences the findings that start or end on its line, and, when the comment
stands alone on its line, those on the next line (as `# noqa` and `# nosemgrep` do); in
Markdown, a standalone comment just above a code fence covers the block's first line.
The marker counts only after a comment opener of the file's kind, so a string that
happens to hold the words does not silence anything. Formats without comments (JSON)
use the baseline instead. Every function here is pure: text and findings in, values out.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Iterable

from migrator.types import Finding, UnusedIgnore

_HASH = ("#",)
_SLASHES = ("//", "/*")

#: Comment openers per file kind. Kinds not listed (json, text) have no comments.
COMMENT_OPENERS: dict[str, tuple[str, ...]] = {
    "python": _HASH,
    # Notebook cells are Python; the comment sits inside a JSON string of the cell source.
    "notebook": _HASH,
    "shell": _HASH,
    "yaml": _HASH,
    "toml": _HASH,
    "dotenv": _HASH,
    "ini": ("#", ";"),
    "properties": ("#", "!"),
    "powershell": ("#", "<#"),
    "dockerfile": _HASH,
    "http": ("#", "//"),
    "javascript": _SLASHES,
    "java": _SLASHES,
    "csharp": _SLASHES,
    "go": _SLASHES,
    "kotlin": _SLASHES,
    "scala": _SLASHES,
    "groovy": _SLASHES,
    # An HTML comment, or the comment of a fenced code block's language.
    "markdown": ("<!--", "#", "//"),
}

MARKER = "celonis-migrator:"
_MARKER = re.compile(r"celonis-migrator:\s*ignore(?:\[([^\]]*)\])?(?![\w\[-])")


@dataclass(frozen=True)
class Ignore:
    """One ignore comment found in a file."""

    #: 1-based line of the comment.
    line: int
    #: Rule ids in `ignore[...]`; empty means every rule.
    rules: tuple[str, ...]
    #: True when the comment is alone on its line, so it also covers the next line.
    standalone: bool

    def covers(self, rule_id: str) -> bool:
        return not self.rules or rule_id in self.rules


def comment_openers(kind: str) -> tuple[str, ...]:
    return COMMENT_OPENERS.get(kind, ())


def find_ignores(kind: str, text: str) -> list[Ignore]:
    """Every ignore comment of a file, in line order."""
    openers = comment_openers(kind)
    if not openers or MARKER not in text:
        return []
    found = []
    for number, line in enumerate(text.splitlines(), start=1):
        if MARKER not in line:
            continue
        ignore = _parse_line(line, number, openers, kind)
        if ignore is not None:
            found.append(ignore)
    return found


def _parse_line(line: str, number: int, openers: tuple[str, ...], kind: str) -> Ignore | None:
    for opener in openers:
        start = line.find(opener)
        if start < 0:
            continue
        match = _MARKER.search(line, start + len(opener))
        if match is None:
            continue
        rules = tuple(r.strip() for r in (match.group(1) or "").split(",") if r.strip())
        head = line.lstrip()
        if kind == "notebook":
            head = head.lstrip('"').lstrip()
        standalone = head.startswith(openers)
        return Ignore(number, rules, standalone)
    return None


def _line_before(line: int, markdown_lines: list[str]) -> int:
    """The line whose standalone comment covers `line`: the one above, or above the fence that opens a
    Markdown code block (an HTML comment inside the block would show as code)."""
    before = line - 1
    if 1 <= before <= len(markdown_lines) and markdown_lines[before - 1].lstrip().startswith(("```", "~~~")):
        return before - 1
    return before


def _covered_lines(finding: Finding) -> range:
    return range(finding.line, max(finding.end_line, finding.line) + 1)


def apply_ignores(kind: str, text: str, path: str, findings: Iterable[Finding]
                  ) -> tuple[list[Finding], list[Finding], list[UnusedIgnore]]:
    """Split a file's findings into (kept, suppressed) and list the ignore comments that silenced nothing.

    A suppressed finding gets `ignore_line` set to the line of the comment that silenced it.
    """
    findings = list(findings)
    ignores = find_ignores(kind, text)
    if not ignores:
        return findings, [], []
    by_line = {i.line: i for i in ignores}
    lines = text.splitlines() if kind == "markdown" else []
    used: set[int] = set()
    kept, suppressed = [], []
    for f in findings:
        hit = next((by_line[n] for n in _covered_lines(f) if n in by_line and by_line[n].covers(f.rule_id)), None)
        if hit is None:
            before = by_line.get(_line_before(f.line, lines))
            if before is not None and before.standalone and before.covers(f.rule_id):
                hit = before
        if hit is None:
            kept.append(f)
        else:
            used.add(hit.line)
            suppressed.append(dataclasses.replace(f, ignore_line=hit.line))
    unused = [UnusedIgnore(path, i.line, i.rules) for i in ignores if i.line not in used]
    return kept, suppressed, unused
