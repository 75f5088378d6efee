"""A content-hash cache of detector results, so that a re-scan of an unchanged tree skips every parse.

An entry's key is the SHA-256 of the file's decoded text, its kind and its display path, under a
directory named by the *fingerprint* of everything else that decides a result: every file under
rules/, the package's own source and `__version__`, and the detector options (extra hosts). Change a
file, a rule, the tool or an option, and the key changes: an entry is never reused for an input it
was not computed from. Old fingerprints' directories are simply never read again.

Only files that pass their kind's keyword prefilter are cached: the others are decided by a few
substring finds, which cost less than the hash. What is stored is the detector's output as JSON:
`Finding` values (already redacted: a masked preview and a truncated `key_hash`, never a key) or
the Skip of an unparsable file. Writes are atomic (temporary file, then `os.replace`); an entry
that cannot be read or rebuilt is a miss, never an error. Nothing here raises for a bad cache.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Optional, Union

from migrator import __version__
from migrator.redact import scrub
from migrator.types import Endpoint, Finding, KeySource, Resource, Skip, SourceFile, UnusedIgnore

#: Bumped when the entry layout changes.
FORMAT = 1
_TYPES: dict[str, type] = {t.__name__: t for t in (Finding, KeySource, Endpoint, Resource, Skip, UnusedIgnore)}
_PACKAGE = Path(__file__).resolve().parent

Result = Union[list[Finding], Skip]
#: Skip reasons that depend on the text alone (a time-budget "timeout" or an "internal-error" do not).
_DETERMINISTIC_SKIPS = frozenset({"parse-error", "malformed", "too-large"})


@lru_cache(maxsize=None)
def tool_fingerprint() -> str:
    """SHA-256 over `__version__`, every file under rules/ and the package's own source files."""
    from migrator.resources import rules_dir

    h = hashlib.sha256(f"celonis-oauth-migrator {__version__} cache {FORMAT}\0".encode())
    for label, root, pattern in (("rules", rules_dir(), "*"), ("code", _PACKAGE, "*.py")):
        for path in sorted(p for p in root.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
            h.update(f"{label}/{path.relative_to(root).as_posix()}\0".encode())
            h.update(hashlib.sha256(path.read_bytes()).digest())
    return h.hexdigest()


def options_fingerprint(extra_hosts: Iterable[str]) -> str:
    """The tool fingerprint and the options that change what a detector reports."""
    h = hashlib.sha256(tool_fingerprint().encode())
    h.update(json.dumps({"extra_hosts": sorted(extra_hosts)}).encode())
    return h.hexdigest()


class Cache:
    """Entries under `<directory>/v<FORMAT>/<fingerprint[:32]>/<key[:2]>/<key>.json`."""

    def __init__(self, directory: str, extra_hosts: Iterable[str] = ()) -> None:
        self.root = os.path.join(directory, f"v{FORMAT}", options_fingerprint(extra_hosts)[:32])
        #: Counters for this process (tests and benchmarks read them).
        self.hits = 0
        self.misses = 0

    @staticmethod
    def key(source: SourceFile) -> str:
        h = hashlib.sha256()
        for part in (source.kind, source.path, source.encoding):
            h.update(part.encode("utf-8", "surrogatepass") + b"\0")
        h.update(source.text.encode("utf-8", "surrogatepass"))
        return h.hexdigest()

    def _path(self, key: str) -> str:
        return os.path.join(self.root, key[:2], key + ".json")

    def get(self, source: SourceFile) -> Optional[Result]:
        """The stored result for this exact input, or None (also for an unreadable or corrupt entry)."""
        try:
            with open(self._path(self.key(source)), encoding="utf-8") as fh:
                data = json.load(fh)
            result = _decode_result(data, source.path)
        except (OSError, ValueError, TypeError, KeyError, AttributeError, RecursionError):
            result = None
        if result is None:
            self.misses += 1
        else:
            self.hits += 1
        return result

    def put(self, source: SourceFile, result: Result) -> None:
        """Store a result; a failure to write (read-only or full disk) only means no entry."""
        if isinstance(result, Skip) and result.reason not in _DETERMINISTIC_SKIPS:
            return  # a timeout or a detector bug may not happen next time: never pin it
        text = json.dumps({"format": FORMAT, "path": source.path, "result": _encode(result)},
                          separators=(",", ":"), ensure_ascii=True)
        store_text(self._path(self.key(source)), text)


def store_text(path: str, text: str) -> None:
    """Write a cache file atomically (temporary file, then `os.replace`), best effort.

    Nothing key-shaped is ever written: text that `scrub` would change is dropped. A failure to write
    (read-only or full disk) only means no entry; an interrupted write leaves no temporary file.
    """
    if scrub(text) != text:
        return
    try:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".entry-", suffix=".tmp")
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise
    except OSError:
        pass


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        out = {f.name: _encode(getattr(value, f.name)) for f in dataclasses.fields(value)}
        out["__type__"] = type(value).__name__
        return out
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    return value


def _decode(value: Any) -> Any:
    if isinstance(value, dict):  # (the dict is left as it is: the stat index writes entries back)
        cls = _TYPES[value["__type__"]]
        return cls(**{k: _decode(v) for k, v in value.items() if k != "__type__"})
    if isinstance(value, list):
        return tuple(_decode(v) for v in value)
    return value


def _decode_result(data: Any, path: str) -> Optional[Result]:
    if not isinstance(data, dict) or data.get("format") != FORMAT or data.get("path") != path:
        return None
    result = _decode(data["result"])
    if isinstance(result, Skip):
        return result
    if isinstance(result, tuple) and all(isinstance(f, Finding) for f in result):
        return list(result)
    return None
