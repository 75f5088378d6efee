"""Dispatch a source file to the detector for its kind.

Each detector starts with a cheap byte-level keyword check so that most files
are decided without a parse, and LibCST is imported only for Python files that
pass it.
"""

from __future__ import annotations

from typing import Iterable, Union

from migrator.types import Finding, Skip, SourceFile


def prefilter(kind: str, data: str) -> bool:
    """True when a file of this kind could hold a finding and must be parsed."""
    if kind == "python":
        from migrator.detect.python import prefilter as py_prefilter

        return py_prefilter(data)
    return False


def scan_source(source: SourceFile, *, extra_hosts: Iterable[str] = ()) -> Union[list[Finding], Skip]:
    """Findings for one file, or a Skip when it cannot be parsed. Never raises for bad input."""
    if source.kind == "python":
        import libcst

        from migrator.detect.python import scan_python

        try:
            return scan_python(source.path, source.text, extra_hosts=extra_hosts)
        except libcst.ParserSyntaxError as exc:
            return Skip(source.path, "parse-error", f"Python syntax error at line {exc.raw_line}: "
                        f"{str(exc.message).splitlines()[0]}")
        except RecursionError:
            return Skip(source.path, "parse-error", "Python code nested too deeply to analyse")
    return []
