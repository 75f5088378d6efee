"""Real-shape Celonis key literals anywhere, in any file kind.

A value of 108 base64 characters that decodes to `<uuid>:<secret>` is a Celonis
static key whatever file it sits in (code, config, notebook output, README, test
data): decide by the value, not the file type. Such a literal that no other
detector already reported (a settings module holding the key, a pasted key in a
doc) is reported here as a leak. The regex pins the characters that the uuid's
hyphens and the colon fix (positions 12, 25, 32 and 49 are t, L, t, O), so it
is cheap enough to run on every file.
"""

from __future__ import annotations

import re
from typing import Iterable

from migrator import redact
from migrator.findings import make_finding
from migrator.types import Finding, KeySource

_B64 = "A-Za-z0-9+/"
KEY_CANDIDATE = re.compile(
    rf"(?<![{_B64}])[{_B64}]{{11}}t[{_B64}]{{12}}L[{_B64}]{{6}}t[{_B64}]{{16}}O[{_B64}]{{59}}(?![{_B64}=])"
)
# The same matches, found from the pinned `L` (offset 24): a pattern that starts with a literal is
# searched with re's fast prefix scan instead of being tried at every offset, ~40x faster on code.
_FROM_L = re.compile(
    rf"L(?<=(?<![{_B64}])[{_B64}]{{11}}t[{_B64}]{{12}}L)[{_B64}]{{6}}t[{_B64}]{{16}}O[{_B64}]{{59}}(?![{_B64}=])"
)
_L_OFFSET = 24
_FROM_L_BYTES = re.compile(_FROM_L.pattern.encode("ascii"))


def may_hold_key_literal(data: bytes) -> bool:
    """True when raw bytes hold a real-shape key candidate (`find_key_literals` may report it)."""
    return _FROM_L_BYTES.search(data) is not None


def find_key_literals(path: str, text: str, *, language: str, taken_lines: Iterable[int] = ()) -> list[Finding]:
    """Leaked real-shape keys on lines that no other finding covers."""
    taken = set(taken_lines)
    findings: list[Finding] = []
    line_starts: list[int] | None = None
    for m in _FROM_L.finditer(text):
        start = m.start() - _L_OFFSET
        value = text[start:m.end()]
        if redact.classify_literal(value) != "real-shape":
            continue
        if line_starts is None:
            line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
        line = _line_of(line_starts, start)
        if line in taken:
            continue
        taken.add(line)
        col = start - line_starts[line - 1] + 1
        findings.append(make_finding(
            rule_id="celonis-key-literal",
            path=path,
            start=(line, col),
            end=(line, col + len(value)),
            schemes=("AppKey", "Bearer"),
            key_source=KeySource("literal"),
            content=redact.content_hash(value),
            literal=value,
            confidence="high",
            language=language,
            notes=("a Celonis static key literal; the scheme it is sent with is not visible here",),
        ))
    return findings


def _line_of(starts: list[int], offset: int) -> int:
    lo, hi = 0, len(starts)
    while lo + 1 < hi:
        mid = (lo + hi) // 2
        if starts[mid] <= offset:
            lo = mid
        else:
            hi = mid
    return lo + 1
