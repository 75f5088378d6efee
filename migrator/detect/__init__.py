"""Dispatch a source file to the detector for its kind.

Each detector module exposes `prefilter(text) -> bool` (a cheap keyword check, so
that most files are decided without a parse) and `scan(source, extra_hosts) ->
list[Finding]`. Modules are imported on first use, so LibCST is loaded only when a
Python file or notebook passes its prefilter.
"""

from __future__ import annotations

import importlib
import re
from functools import lru_cache
from types import ModuleType
from typing import TYPE_CHECKING, Callable, Iterable, Union

from migrator.types import Finding, Skip, SourceFile

if TYPE_CHECKING:
    from migrator.cache import Cache

#: File kind -> detector module (under migrator.detect).
DETECTORS: dict[str, str] = {
    "python": "python",
    "yaml": "yamlconfig",
    "json": "jsonconfig",
    "dotenv": "keyvalue",
    "ini": "keyvalue",
    "toml": "keyvalue",
    "properties": "keyvalue",
    "notebook": "notebook",
    "shell": "shell",
    "dockerfile": "shell",
    "http": "shell",
    "powershell": "shell",
    "groovy": "shell",
    "markdown": "markdown",
    "javascript": "codepatterns",
    "java": "codepatterns",
    "csharp": "codepatterns",
    "go": "codepatterns",
    "kotlin": "codepatterns",
    "scala": "codepatterns",
}


def _module(kind: str) -> ModuleType | None:
    name = DETECTORS.get(kind)
    return importlib.import_module(f"migrator.detect.{name}") if name else None


#: File kind -> function in migrator.detect.prefilters, for detectors that are costly to import.
CHEAP_PREFILTERS: dict[str, str] = {
    "python": "python",
}

#: File kind -> "module.ATTRIBUTE" of the keyword regex its detector's `prefilter` searches. The
#: search is answered by `prefilters.keyword_check` (substring finds, same answer, many times faster);
#: tests/test_prefilters.py checks that each is what the detector's own prefilter says.
KEYWORD_PATTERNS: dict[str, str] = {
    **dict.fromkeys(("yaml", "json", "dotenv", "ini", "toml", "properties"), "configrules.KEYWORDS"),
    "notebook": "notebook._KEYWORDS",
    **dict.fromkeys(("shell", "dockerfile", "http", "powershell"), "shell._KEYWORDS"),
    "groovy": "shell._KEYWORDS",
    "markdown": "markdown._KEYWORDS",
    **dict.fromkeys(("javascript", "java", "csharp", "go", "kotlin", "scala"), "codepatterns._KEYWORDS"),
}


def prefilter(kind: str, text: str) -> bool:
    """True when a file of this kind could hold a finding and must be parsed."""
    from migrator.detect import prefilters

    if kind in CHEAP_PREFILTERS:
        return bool(getattr(prefilters, CHEAP_PREFILTERS[kind])(text))
    module = _module(kind)
    if module is None:
        return False
    pattern = _keyword_pattern(kind)
    if pattern is not None:
        return prefilters.keyword_check(pattern)(text)
    return bool(module.prefilter(text))


def certainly_clean(kind: str, data: bytes) -> bool:
    """True when raw bytes cannot hold a finding, decided without decoding them (the fast lane).

    Only ASCII files without a NUL byte are decided here (an ASCII file is valid UTF-8 and not
    binary, so reading it as text could give no Skip), and only when the kind's keyword regex is a
    plain word list: then no keyword and no key-literal candidate means `detect_file` would report
    nothing. Every other file (False) goes the full way: decode, prefilter, detect.
    """
    return _clean_check(kind)(data)


@lru_cache(maxsize=None)
def _clean_check(kind: str) -> Callable[[bytes], bool]:
    """certainly_clean for one kind, with its keyword check looked up once."""
    from migrator.detect import prefilters
    from migrator.detect.literals import may_hold_key_literal

    pattern = prefilters.PYTHON if kind == "python" else _keyword_pattern(kind)
    if pattern is None and kind in DETECTORS:
        return lambda data: False  # a detector with its own prefilter: no shortcut
    may_match = prefilters.ascii_may_match(pattern) if pattern is not None else (lambda data, lowered: False)
    if may_match is None:
        return lambda data: False

    def check(data: bytes) -> bool:
        if not data.isascii() or b"\0" in data or may_match(data, data.lower()):
            return False
        return not may_hold_key_literal(data)

    return check


def _keyword_pattern(kind: str) -> "re.Pattern[str] | None":
    """The compiled keyword regex named in KEYWORD_PATTERNS, or None (then the detector's prefilter runs)."""
    where = KEYWORD_PATTERNS.get(kind)
    if where is None:
        return None
    name, _, attribute = where.partition(".")
    pattern = getattr(importlib.import_module(f"migrator.detect.{name}"), attribute, None)
    return pattern if isinstance(pattern, re.Pattern) else None


def detect_file(source: SourceFile, *, extra_hosts: Iterable[str] = (),
                cache: "Cache | None" = None) -> tuple[Union[list[Finding], Skip], bool]:
    """All findings for one file and whether it needed a parse (False: decided by the prefilter).

    The kind's detector runs when its prefilter passes; then real-shape key literals are looked for
    on every file, whatever its kind, on the lines no finding covers yet. With a `cache`, the result
    of a file that passes its prefilter is looked up first and stored after (see migrator.cache).
    """
    parsed = prefilter(source.kind, source.text)
    if parsed and cache is not None:
        hit = cache.get(source)
        if hit is not None:
            return hit, parsed
    result, parsed = _detect(source, parsed, extra_hosts)
    if parsed and cache is not None:
        cache.put(source, result)
    return result, parsed


def _detect(source: SourceFile, parsed: bool, extra_hosts: Iterable[str]) -> tuple[Union[list[Finding], Skip], bool]:
    result: Union[list[Finding], Skip] = scan_source(source, extra_hosts=extra_hosts) if parsed else []
    if isinstance(result, Skip):
        return result, parsed
    from migrator.detect.literals import find_key_literals

    taken = {f.line for f in result if f.redacted}
    extra = find_key_literals(source.path, source.text, language=source.kind, taken_lines=taken)
    return _merge_repeated_keys(result + extra), parsed


def _merge_repeated_keys(findings: list[Finding]) -> list[Finding]:
    """One key literal seen at several places of a file is one finding with the others as related locations.

    The finding that shows how the key is sent (a header or login) is kept over a bare literal.
    """
    import dataclasses

    primary: dict[str, int] = {}
    out: list[Finding] = []
    for f in sorted(findings, key=lambda f: (f.rule_id == "celonis-key-literal", f.line, f.column)):
        if f.key_hash is None or f.key_hash not in primary:
            if f.key_hash is not None:
                primary[f.key_hash] = len(out)
            out.append(f)
            continue
        i = primary[f.key_hash]
        out[i] = dataclasses.replace(out[i], related=(*out[i].related, f"{f.line}:{f.column}"))
    return sorted(out, key=lambda f: (f.line, f.column, f.rule_id))


def scan_source(source: SourceFile, *, extra_hosts: Iterable[str] = ()) -> Union[list[Finding], Skip]:
    """Findings of the kind's own detector, or a Skip when it cannot be parsed. Never raises for bad input."""
    module = _module(source.kind)
    if module is None:
        return []
    try:
        return module.scan(source, tuple(extra_hosts))
    except RecursionError:
        return Skip(source.path, "parse-error", "nested too deeply to analyse")
    except Exception as exc:  # noqa: BLE001 - a detector bug must not hide other files' findings
        from migrator.errors import MigratorError
        from migrator.redact import scrub

        if isinstance(exc, MigratorError):
            return Skip(source.path, getattr(exc, "reason", "malformed"), scrub(str(exc)).splitlines()[0])
        kind = type(exc).__name__
        if kind == "ParserSyntaxError":
            line = getattr(exc, "editor_line", "?")
            return Skip(source.path, "parse-error", f"Python syntax error near line {line}")
        return Skip(source.path, "internal-error", f"{kind} while scanning (please report): "
                    f"{scrub(str(exc)).splitlines()[0] if str(exc) else ''}")
