"""Keyword prefilters: decide most files with plain substring finds, before any parse.

Like gitleaks' rule `Keywords`: a check that decides most files before any parse. `python` is kept
here, apart from its detector, so that importing it costs nothing (LibCST is not loaded).

`keyword_check(pattern)` answers `pattern.search(text) is not None` faster for the detectors' keyword
regexes, which are alternations of words under `(?i)`: Python's `re` tries such a pattern at every
offset (~20 MB/s), while `str.lower()` and one `in` per word run at memory speed. The answer is
exactly the regex's: words are found in the lower-cased text only when the text is ASCII (where
lower-casing and IGNORECASE agree), alternatives that are not plain words stay a regex, and
anything this module cannot take apart falls back to the pattern itself.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Callable, Optional

try:  # Python 3.11+
    import re._parser as _sre_parse  # type: ignore[import-not-found]
    from re import _constants as _sre
except ImportError:  # Python 3.10
    import sre_constants as _sre  # type: ignore[no-redef]
    import sre_parse as _sre_parse  # type: ignore[no-redef]

PYTHON = re.compile(r"(?i)appkey|bearer|get_celonis|celonis_api_token|authorization|api_token")

_MAX_WORDS = 256
_LEADING_FLAGS = re.compile(r"^\(\?[aiLmsux]+\)")


def python(text: str) -> bool:
    return keyword_check(PYTHON)(text)


@lru_cache(maxsize=None)
def keyword_check(pattern: "re.Pattern[str]") -> Callable[[str], bool]:
    """A predicate equal to `pattern.search(text) is not None`, answered by substring finds where it can."""
    split = _split(pattern)
    if split is None:
        return lambda text: pattern.search(text) is not None
    ordered, residual, ignore_case = split

    def check(text: str) -> bool:
        if not text.isascii():
            return pattern.search(text) is not None
        haystack = text.lower() if ignore_case else text
        for word in ordered:
            if word in haystack:
                return True
        return residual is not None and residual.search(text) is not None

    return check


@lru_cache(maxsize=None)
def ascii_may_match(pattern: "re.Pattern[str]") -> Optional[Callable[[bytes, bytes], bool]]:
    """`check(data, lowered)`: False proves `pattern` finds nothing in the ASCII text `data`.

    `lowered` is `data.lower()`, made once by the caller for every check of a file (on ASCII bytes,
    bytes.lower() and IGNORECASE agree). None when the pattern is not a plain list of words (the
    caller then decodes and uses `keyword_check`). Word families that differ only by separators
    (`app-key`, `app.key`, `app_key`, `appkey`) are searched once, in a copy without separators:
    that can only add matches (a miss is still a proof), and one pass replaces several.
    """
    split = _split(pattern)
    if split is None or split[1] is not None:
        return None
    words, _, ignore_case = split
    squeezed = _minimal({w.translate(_NO_SEPARATORS) for w in words})
    squeeze = ignore_case and len(squeezed) <= len(words) - 2
    encoded = tuple(w.encode("ascii") for w in (squeezed if squeeze else words))

    def check(data: bytes, lowered: bytes) -> bool:
        haystack = lowered if ignore_case else data
        if squeeze:
            haystack = haystack.translate(None, _SEPARATORS)
        for word in encoded:
            if word in haystack:
                return True
        return False

    return check


_SEPARATORS = b"-_."
_NO_SEPARATORS = str.maketrans("", "", "-_.")


def _minimal(words: set[str]) -> tuple[str, ...]:
    """The words, less any that contains another (it can never be the only one found), shortest first."""
    return tuple(sorted((w for w in words if not any(o != w and o in w for o in words)), key=len))


def _split(pattern: "re.Pattern[str]") -> Optional[tuple[tuple[str, ...], Optional["re.Pattern[str]"], bool]]:
    """(words, residual regex or None, ignore-case) for a keyword regex, or None when not taken apart."""
    words: set[str] = set()
    rest: list[str] = []
    for piece in _alternatives(_LEADING_FLAGS.sub("", pattern.pattern)):
        expanded = _words(piece, pattern.flags)
        if expanded is None:
            rest.append(piece)
        else:
            words |= expanded
    if not words or len(words) > _MAX_WORDS or not all(w.isascii() for w in words):
        return None
    ignore_case = bool(pattern.flags & re.IGNORECASE)
    if ignore_case:
        words = {w.lower() for w in words}
    residual: Optional[re.Pattern[str]] = None
    if rest:
        try:
            residual = re.compile("|".join(rest), pattern.flags)
        except re.error:
            return None
    return _minimal(words), residual, ignore_case


def _alternatives(source: str) -> list[str]:
    """The top-level `|` alternatives of a regex source (inside groups and classes `|` is literal)."""
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    in_class = escaped = False
    for ch in source:
        if escaped:
            escaped = False
        elif ch == "\\":
            escaped = True
        elif in_class:
            in_class = ch != "]"
        elif ch == "[":
            in_class = True
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "|" and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _words(piece: str, flags: int) -> Optional[set[str]]:
    """Every string one alternative matches, when that is a short list (`app[-_.]?key`), else None."""
    try:
        parsed = _sre_parse.parse(piece, flags & ~re.UNICODE)
    except re.error:
        return None
    return _expand(list(parsed))


def _expand(items: list) -> Optional[set[str]]:  # type: ignore[type-arg]
    out = {""}
    for op, av in items:
        options: Optional[set[str]]
        if op is _sre.LITERAL:
            options = {chr(av)}
        elif op is _sre.IN:
            options = _charset(av)
        elif op is _sre.SUBPATTERN and not av[1] and not av[2]:
            options = _expand(list(av[3]))
        elif op is _sre.BRANCH:
            options = set()
            for branch in av[1]:
                sub = _expand(list(branch))
                if sub is None:
                    return None
                options |= sub
        elif op in (_sre.MAX_REPEAT, _sre.MIN_REPEAT) and av[1] <= 1:
            sub = _expand(list(av[2]))
            options = None if sub is None else sub | ({""} if av[0] == 0 else set())
        else:
            return None
        if options is None:
            return None
        out = {a + b for a in out for b in options}
        if len(out) > _MAX_WORDS:
            return None
    return out


def _charset(av: list) -> Optional[set[str]]:  # type: ignore[type-arg]
    chars: set[str] = set()
    for op, value in av:
        if op is _sre.LITERAL:
            chars.add(chr(value))
        elif op is _sre.RANGE and value[1] - value[0] < 16:
            chars.update(chr(c) for c in range(value[0], value[1] + 1))
        else:
            return None
    return chars
