"""Dispatch a source file to the detector for its kind.

Each detector module exposes `prefilter(text) -> bool` (a cheap keyword check, so
that most files are decided without a parse) and `scan(source, extra_hosts) ->
list[Finding]`. Modules are imported on first use, so LibCST is loaded only when a
Python file or notebook passes its prefilter.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Iterable, Union

from migrator.types import Finding, Skip, SourceFile

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


def prefilter(kind: str, text: str) -> bool:
    """True when a file of this kind could hold a finding and must be parsed."""
    if kind in CHEAP_PREFILTERS:
        from migrator.detect import prefilters

        return bool(getattr(prefilters, CHEAP_PREFILTERS[kind])(text))
    module = _module(kind)
    return bool(module is not None and module.prefilter(text))


def detect_file(source: SourceFile, *, extra_hosts: Iterable[str] = ()) -> tuple[Union[list[Finding], Skip], bool]:
    """All findings for one file and whether it needed a parse (False: decided by the prefilter).

    The kind's detector runs when its prefilter passes; then real-shape key literals are looked for
    on every file, whatever its kind, on the lines no finding covers yet.
    """
    parsed = prefilter(source.kind, source.text)
    result: Union[list[Finding], Skip] = scan_source(source, extra_hosts=extra_hosts) if parsed else []
    if isinstance(result, Skip):
        return result, parsed
    from migrator.detect.literals import find_key_literals

    taken = {f.line for f in result if f.redacted}
    known = {f.key_hash for f in result if f.key_hash}
    extra = find_key_literals(source.path, source.text, language=source.kind, taken_lines=taken)
    return result + [f for f in extra if f.key_hash not in known], parsed


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
            return Skip(source.path, "malformed", scrub(str(exc)).splitlines()[0])
        kind = type(exc).__name__
        if kind == "ParserSyntaxError":
            line = getattr(exc, "editor_line", "?")
            return Skip(source.path, "parse-error", f"Python syntax error near line {line}")
        return Skip(source.path, "internal-error", f"{kind} while scanning (please report): "
                    f"{scrub(str(exc)).splitlines()[0] if str(exc) else ''}")
