"""The stat index of `scan --cache-dir`: files unchanged since the last scan are not even read.

The content-hash cache (migrator.cache) still reads and hashes every file; on a monorepo that is
most of a re-scan's time. This index remembers, per file, its `stat` identity (size, mtime, ctime,
inode, device) and the whole per-file outcome of the last scan. When the identity is the same, the
outcome is reused without opening the file.

Never stale, by construction:
- Any write to a file changes its ctime (which no user call can set back), so a rewrite that keeps
  size and mtime (`touch -d`, `cp -p`, an editor restoring times) still misses.
- "Racily clean" files (git's term) are never indexed: a file whose mtime or ctime lies within
  RACY_NS of the moment it was stat'ed may be changed again within the same timestamp tick
  (coarse file-system clocks) without its stat changing. It is simply read again next time.
- The stat is taken before the file is read, so a change during the scan shows as a new identity.
- The index lives in a directory named by the fingerprint of the rules, the tool and every option
  that changes a file's outcome, and its file name by the working directory and the scan roots:
  change any and a different (empty) index is used.
- Only outcomes that depend on the content alone are stored (not "unreadable", "vanished",
  "timeout" or "internal-error" skips), and nothing key-shaped is ever written (see migrator.cache).

The index is written once, atomically, at the end of a completed scan, and only when something
changed; an unreadable or corrupt index is an empty one, never an error. A scan of file arguments
alone (a pre-commit run) uses no index: each set of files would get its own, without end; the
content-hash cache serves it.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from typing import Any, Iterable, Optional

from migrator.cache import FORMAT, _decode, _encode, options_fingerprint, store_text

#: Files changed less than this long before they were stat'ed are not indexed (2 s covers FAT's
#: 2-second mtime and every coarser-than-nanosecond clock in use).
RACY_NS = 2_000_000_000
#: Skip reasons that depend on the file's bytes alone (and the options, which name the index).
STORABLE_SKIPS = frozenset({"binary", "undecodable", "too-large", "parse-error", "malformed"})

Identity = tuple[int, int, int, int, int]


def identity(st: os.stat_result) -> Identity:
    """What must be equal for a file to count as unchanged."""
    return (st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_ino, st.st_dev)


def trustworthy(st: os.stat_result, now_ns: int) -> bool:
    """False for a racily clean file: changed so recently that a further change may not show."""
    return max(st.st_mtime_ns, st.st_ctime_ns) < now_ns - RACY_NS


class StatIndex:
    """`lookup` each file before it is read, `record` its outcome, `save` once the scan completed."""

    def __init__(self, directory: str, *, cwd: str, roots: Iterable[str], options_key: Any,
                 extra_hosts: Iterable[str] = ()) -> None:
        fingerprint = options_fingerprint(extra_hosts)
        options = json.dumps(options_key, sort_keys=True, default=str)
        self.root = os.path.join(directory, f"v{FORMAT}", fingerprint[:32])
        where = hashlib.sha256(json.dumps([cwd, sorted(roots), options]).encode("utf-8", "surrogatepass"))
        self.path = os.path.join(self.root, "index", f"{where.hexdigest()[:32]}.json")
        self.old: dict[str, list[Any]] = self._load()
        self.new: dict[str, list[Any]] = {}
        self._seen: dict[str, tuple[Identity, bool]] = {}
        #: Files answered by the index in this scan (tests and --verbose read it).
        self.hits = 0

    def _load(self) -> dict[str, list[Any]]:
        try:
            with open(self.path, encoding="utf-8") as fh:
                data = json.load(fh)
            if isinstance(data, dict) and data.get("format") == FORMAT and isinstance(data.get("files"), dict):
                return data["files"]
        except (OSError, ValueError, RecursionError):
            pass
        return {}

    def lookup(self, path: str, abspath: str) -> Optional[dict[str, Any]]:
        """The stored outcome (as `record` got it) when the file is unchanged, else None.

        The file is stat'ed here, before anything reads it; a file that cannot be stat'ed is a miss
        (reading it gives the reason).
        """
        try:
            st = os.stat(abspath)
        except OSError:
            return None
        ident = identity(st)
        self._seen[path] = (ident, trustworthy(st, time.time_ns()))
        entry = self.old.get(path)
        if not isinstance(entry, list) or len(entry) != 2 or tuple(entry[0]) != ident:
            return None
        try:
            outcome = _decode_outcome(entry[1])
        except (KeyError, TypeError, ValueError, AttributeError, IndexError):
            return None
        del self._seen[path]  # answered: nothing to record
        self.new[path] = entry
        self.hits += 1
        return outcome

    def record(self, path: str, outcome: Any) -> None:
        """Remember a file's outcome (a mapping, or a NamedTuple such as api's _FileOutcome; its "path"
        is left out) under the identity `lookup` saw, unless it must not be reused."""
        seen = self._seen.pop(path, None)
        if seen is None or not seen[1]:
            return  # answered by the index, or never looked up, or racily clean
        items = outcome._asdict() if hasattr(outcome, "_asdict") else outcome
        outcome = {k: v for k, v in items.items() if k != "path"}
        skip = outcome.get("skip")
        if skip is not None and skip.reason not in STORABLE_SKIPS:
            return
        self.new[path] = [list(seen[0]), _encode_outcome(outcome)]

    def save(self) -> None:
        """Write the index of this scan atomically; a failure only means no index next time."""
        if self.new == self.old:
            return  # every file answered by the index (or nothing to remember): the file is already right
        text = json.dumps({"format": FORMAT, "files": self.new}, separators=(",", ":"), ensure_ascii=True)
        store_text(self.path, text)


#: The outcome of a clean file decided without a parse: by far the most common, stored as one token.
_CLEAN = 0


def _encode_outcome(outcome: dict[str, Any]) -> Any:
    if outcome.get("prefiltered") and outcome.get("skip") is None and not any(
            outcome.get(k) for k in ("findings", "suppressed", "unused_ignores")):
        return _CLEAN
    return {k: _encode(v) for k, v in outcome.items()}


def _decode_outcome(value: Any) -> dict[str, Any]:
    if value == _CLEAN:
        return {"skip": None, "prefiltered": True, "findings": (), "suppressed": (), "unused_ignores": ()}
    if not isinstance(value, dict):
        raise ValueError("not an outcome")
    out = {k: _decode(v) for k, v in value.items()}
    if set(out) != {"skip", "prefiltered", "findings", "suppressed", "unused_ignores"}:
        raise ValueError("not an outcome")
    return out
