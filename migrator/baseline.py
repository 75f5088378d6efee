"""The baseline file: findings a team has accepted, so that only new ones fail a run.

Identity is (path, rule_id, fingerprint), and the fingerprint is a hash of the rule, the
path and the normalised code, never the line: moving code or editing other lines keeps
an entry matched. The file holds no line numbers, no timestamps and no tool version, so
it only changes when the set of accepted findings does, and it never holds a key (the
fingerprint is a one-way hash; detect-secrets keeps plaintext out of its baseline too).

    {"version": 1, "tool": "celonis-oauth-migrator",
     "findings": [{"fingerprint": "...", "rule_id": "...", "path": "..."}]}

A format change bumps `version` and ships an upgrade in `load`.
"""

from __future__ import annotations

import dataclasses
import json
import os
import tempfile
from typing import Any, Callable, Iterable

from migrator.errors import MigratorError
from migrator.redact import scrub
from migrator.types import BaselineEntry, Finding

VERSION = 1
TOOL = "celonis-oauth-migrator"
DEFAULT_PATH = ".celonis-migrator-baseline.json"
_ENTRY_KEYS = ("fingerprint", "rule_id", "path")


class BaselineError(MigratorError):
    """A baseline file is missing or invalid; the message names the file and the bad value."""

    def __init__(self, file: str, where: str, problem: str) -> None:
        super().__init__(f"{file}: at {where}: {problem}" if where else f"{file}: {problem}")


def entry_of(finding: Finding) -> BaselineEntry:
    return BaselineEntry(finding.path, finding.rule_id, finding.fingerprint)


def entries_of(findings: Iterable[Finding]) -> tuple[BaselineEntry, ...]:
    return normalise(entry_of(f) for f in findings)


def normalise(entries: Iterable[BaselineEntry]) -> tuple[BaselineEntry, ...]:
    """Deduplicated and sorted by path, rule, fingerprint: the order of the file."""
    return tuple(sorted(set(entries), key=lambda e: (e.path, e.rule_id, e.fingerprint)))


def dumps(entries: Iterable[BaselineEntry]) -> str:
    data = {
        "version": VERSION,
        "tool": TOOL,
        "findings": [{"fingerprint": e.fingerprint, "rule_id": e.rule_id, "path": e.path} for e in normalise(entries)],
    }
    return scrub(json.dumps(data, indent=2, ensure_ascii=False)) + "\n"


def loads(text: str, file: str) -> tuple[BaselineEntry, ...]:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BaselineError(file, "", f"not valid JSON (line {exc.lineno}): {exc.msg}") from None
    if not isinstance(data, dict):
        raise BaselineError(file, "top", "expected an object")
    unknown = sorted(set(data) - {"version", "tool", "findings"})
    if unknown:
        raise BaselineError(file, unknown[0], "unknown key; valid keys: version, tool, findings")
    if data.get("version") != VERSION:
        raise BaselineError(file, "version", f"unsupported version {data.get('version')!r}, expected {VERSION}")
    items = data.get("findings")
    if not isinstance(items, list):
        raise BaselineError(file, "findings", "must be a list")
    return normalise(_entry(file, i, item) for i, item in enumerate(items))


def _entry(file: str, index: int, item: Any) -> BaselineEntry:
    where = f"findings[{index}]"
    if not isinstance(item, dict) or set(item) != set(_ENTRY_KEYS):
        raise BaselineError(file, where, f"must have exactly the keys {', '.join(_ENTRY_KEYS)}")
    for key in _ENTRY_KEYS:
        if not isinstance(item[key], str) or not item[key]:
            raise BaselineError(file, f"{where}.{key}", "must be a non-empty string")
    return BaselineEntry(item["path"], item["rule_id"], item["fingerprint"])


def load(path: str) -> tuple[BaselineEntry, ...]:
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except FileNotFoundError:
        raise BaselineError(path, "", "no such baseline file; create it with `celonis-migrator baseline create`") \
            from None
    except (OSError, UnicodeDecodeError) as exc:
        raise BaselineError(path, "", f"cannot read: {getattr(exc, 'strerror', None) or exc}") from None
    return loads(text, path)


def save(path: str, entries: Iterable[BaselineEntry]) -> None:
    """Write atomically (a crash leaves the old file), with `\\n` newlines; creates the directory."""
    text = dumps(entries)
    directory = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(directory, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".baseline-", suffix=".tmp", dir=directory)
        try:
            with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            os.unlink(tmp)
            raise
    except OSError as exc:
        raise BaselineError(path, "", f"cannot write: {exc.strerror or exc}") from None


def mark(findings: Iterable[Finding], entries: Iterable[BaselineEntry]) -> tuple[list[Finding], set[BaselineEntry]]:
    """Set `baseline_status` to "known" or "new" on each finding; return them and the entries used."""
    known = set(entries)
    used: set[BaselineEntry] = set()
    out = []
    for f in findings:
        e = entry_of(f)
        status = "known" if e in known else "new"
        if status == "known":
            used.add(e)
        out.append(dataclasses.replace(f, baseline_status=status))
    return out, used


def stale(entries: Iterable[BaselineEntry], used: set[BaselineEntry], scanned: Callable[[str], bool],
          exists: Callable[[str], bool]) -> tuple[BaselineEntry, ...]:
    """Entries matching nothing: of a file that was scanned, or of a file that no longer exists.

    An entry of a file this run did not look at (a pre-commit run passes only the staged
    files) is not stale: nothing is known about it.
    """
    return normalise(e for e in entries if e not in used and (scanned(e.path) or not exists(e.path)))


def updated(old: Iterable[BaselineEntry], current: Iterable[BaselineEntry],
            stale_entries: Iterable[BaselineEntry]) -> tuple[BaselineEntry, ...]:
    """The baseline after `baseline update`: today's findings, plus old entries of files not scanned."""
    dropped = set(stale_entries)
    return normalise([*current, *(e for e in old if e not in dropped)])
