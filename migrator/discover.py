"""PATH arguments -> files to scan, streamed as Candidate or Skip, then read as SourceFile or Skip.

Inside a git work tree the list comes from `git ls-files`, so .gitignore is honoured (as in
gitleaks); elsewhere the tree is walked. Vendored and generated directories are pruned with
one Skip each, and every file that cannot be scanned is a Skip with a one-line reason, so a
report says what was left out (bandit keeps its skipped files the same way). Nothing here
raises for a bad path, and nothing holds the whole file list: a monorepo streams through.
"""

from __future__ import annotations

import codecs
import errno
import os
import re
import stat
import subprocess
from collections.abc import Generator, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple

from .types import Skip, SourceFile

#: File kind by lower-case extension. Compound names such as `.postman_collection.json`
#: fall under their last extension.
KIND_BY_SUFFIX: dict[str, str] = {
    ".py": "python", ".pyw": "python",
    ".ipynb": "notebook",
    ".yaml": "yaml", ".yml": "yaml",
    ".json": "json",
    ".env": "dotenv",
    ".ini": "ini", ".cfg": "ini", ".conf": "ini",
    ".toml": "toml",
    ".properties": "properties",
    ".sh": "shell", ".bash": "shell", ".zsh": "shell", ".ksh": "shell",
    ".groovy": "groovy",
    ".md": "markdown", ".markdown": "markdown",
    ".rst": "text", ".txt": "text",
    ".ps1": "powershell", ".psm1": "powershell",
    ".js": "javascript", ".mjs": "javascript", ".cjs": "javascript",
    ".jsx": "javascript", ".ts": "javascript", ".tsx": "javascript",
    ".java": "java",
    ".cs": "csharp",
    ".go": "go",
    ".kt": "kotlin", ".kts": "kotlin",
    ".scala": "scala",
    ".http": "http", ".rest": "http",
    ".dockerfile": "dockerfile",
}

#: File kind by lower-case whole name, checked before the extension.
KIND_BY_NAME: dict[str, str] = {".env": "dotenv", "dockerfile": "dockerfile", "jenkinsfile": "groovy"}

#: File kind by lower-case name prefix (`.env.local`, `Dockerfile.dev`), checked before the extension.
KIND_BY_PREFIX: tuple[tuple[str, str], ...] = (
    (".env.", "dotenv"), ("dockerfile.", "dockerfile"), ("jenkinsfile.", "groovy"),
)

#: Kind of an extensionless file by its `#!` interpreter (version digits stripped).
KIND_BY_INTERPRETER: dict[str, str] = {
    "sh": "shell", "bash": "shell", "zsh": "shell", "ksh": "shell", "dash": "shell", "python": "python",
}

#: Every kind discovery can give a file; "text" is the fallback.
KINDS: tuple[str, ...] = tuple(sorted(
    {*KIND_BY_SUFFIX.values(), *KIND_BY_NAME.values(), *KIND_BY_INTERPRETER.values(), "text"}
))

#: Directory names pruned below a PATH argument: VCS data, dependencies, caches, virtualenvs.
#: Any directory holding a `pyvenv.cfg` is pruned as well, whatever its name.
EXCLUDED_DIRS: frozenset[str] = frozenset({
    ".git", ".hg", ".svn", "node_modules", "bower_components", "__pycache__", ".venv", "venv",
    "site-packages", ".tox", ".nox", ".mypy_cache", ".pytest_cache", ".ruff_cache",
    ".ipynb_checkpoints",
})

_SHEBANG_PEEK = 128
_BINARY_PEEK = 8192
# fsmonitor is a command named in the repository's config: never run it in a repo we only scan.
_GIT = ("git", "-c", "core.fsmonitor=false")
# (byte-order mark, encoding reported, codec for the bytes after the mark). UTF-32 LE comes
# first because its mark starts with the UTF-16 LE one.
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32", "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32", "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8-sig", "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16", "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16", "utf-16-be"),
)


@dataclass(frozen=True)
class Candidate:
    """A file chosen for scanning, not read yet."""

    #: POSIX path as shown to the user: relative to the cwd when under it, else absolute.
    path: str
    #: Absolute path used to open the file (symlinks are kept, not resolved).
    abspath: str
    #: One of KINDS.
    kind: str


def iter_candidates(
    paths: Iterable[str | os.PathLike[str]],
    *,
    cwd: str | None = None,
    follow_symlinks: bool = False,
    use_git: bool = True,
    include: Iterable[str] = (),
    exclude: Iterable[str] = (),
) -> Iterator[Candidate | Skip]:
    """Yield each file to scan under `paths`, or a Skip saying why a path is left out.

    File arguments are always candidates (even when gitignored); directories are listed by
    git when inside a work tree, else walked. `include`/`exclude` are globs (`**` allowed)
    matched against the display path, any trailing part of it and any directory above the
    file; excluded files are dropped without a Skip. A file under two arguments comes once.
    A lone string is one path or pattern, not a sequence of characters.
    """
    base = os.path.abspath(cwd or os.getcwd())
    paths = [paths] if isinstance(paths, (str, os.PathLike)) else paths
    roots = list(dict.fromkeys(os.path.normpath(os.path.join(base, os.fspath(p))) for p in paths))
    walker = _Walker(
        roots, cwd=base, follow=follow_symlinks, use_git=use_git,
        include=_glob_regex(include), exclude=_glob_regex(exclude),
    )
    for root in roots:
        yield from walker.root(root)


def read_source(candidate: Candidate, *, max_bytes: int = 5_000_000) -> SourceFile | Skip:
    """Read and decode a candidate; every failure is a Skip with a one-line reason, never an exception."""
    data = read_bytes(candidate, max_bytes=max_bytes)
    if isinstance(data, Skip):
        return data
    return decode(candidate, data)


def kind_of(path: str) -> str:
    """The kind of a file by its name; an extensionless file is told by its `#!` line."""
    return _kind_by_name(os.path.basename(path), path)


def _kind_by_name(name: str, path: str) -> str:
    """kind_of, for a caller that has the file name already (the walk: one call per file)."""
    name = name.lower()
    if name in KIND_BY_NAME:
        return KIND_BY_NAME[name]
    for prefix, kind in KIND_BY_PREFIX:
        if name.startswith(prefix):
            return kind
    suffix = os.path.splitext(name)[1]
    if suffix:
        return KIND_BY_SUFFIX.get(suffix, "text")
    return _shebang_kind(_peek(path, _SHEBANG_PEEK)) or "text"


# --- walking ---------------------------------------------------------------------------


class _Subdir(NamedTuple):
    """A directory to descend into; `linked` when reached through a followed symlink."""

    path: str
    linked: bool


class _GitUnavailable(Exception):
    """git is missing, or cannot list this directory."""


class _Walker:
    """The options and the little state one iter_candidates call shares across its roots."""

    def __init__(
        self,
        roots: list[str],
        *,
        cwd: str,
        follow: bool,
        use_git: bool,
        include: re.Pattern[str] | None,
        exclude: re.Pattern[str] | None,
    ) -> None:
        self.cwd = cwd
        self.follow = follow
        self.use_git = use_git
        self.include = include
        self.exclude = exclude
        # Roots inside another root: the outer walk leaves them to their own argument.
        self.nested = _nested(roots)
        # Only when following symlinks: (st_dev, st_ino) already yielded or walked.
        self.seen_files: set[tuple[int, int]] = set()
        self.seen_dirs: set[tuple[int, int]] = set()
        # Real path of the PATH argument being listed: links into it are not followed.
        self.root_real = cwd
        # Excluded directories already reported from git listings, and the last parent checked.
        self.reported: set[str] = set()
        self.last_parent: tuple[tuple[str, str], Skip | None] = (("", ""), None)

    def display(self, abspath: str) -> str:
        """The path shown to the user: relative to the cwd when under it, POSIX separators."""
        if abspath == self.cwd:
            return "."
        prefix = os.path.join(self.cwd, "")
        shown = abspath.removeprefix(prefix)
        return shown if os.sep == "/" else shown.replace(os.sep, "/")

    def root(self, abspath: str) -> Iterator[Candidate | Skip]:
        """One PATH argument: explicit files and symlinks are taken as given."""
        display = self.display(abspath)
        self.root_real = os.path.realpath(abspath)
        try:
            mode = os.stat(abspath).st_mode
        except OSError as e:
            yield Skip(display, "unreadable", _os_detail(e))
            return
        if stat.S_ISDIR(mode):
            yield from self.directory(abspath)
        elif stat.S_ISREG(mode):
            yield from self.candidate(abspath, display)
        else:
            yield Skip(display, "unreadable", "not a regular file")

    def directory(self, top: str) -> Iterator[Candidate | Skip]:
        """A directory argument: git's list when it has one, else a walk."""
        if self.use_git:
            handled = yield from self.git_listing(top)
            if handled:
                return
        yield from self.walk(top)

    def git_listing(self, top: str) -> Generator[Candidate | Skip, None, bool]:
        """Yield what git lists under `top`; False when git cannot help and `top` must be walked.

        An empty listing of a gitignored directory also returns False: the user named it.
        """
        listed = 0
        try:
            for rel in _git_ls_files(top):
                listed += 1
                yield from self.git_entry(top, rel)
        except _GitUnavailable as e:
            if not listed:
                return False
            yield Skip(self.display(top), "unreadable", f"file list incomplete: {e}")
        return bool(listed) or not _git_ignores(top)

    def git_entry(self, top: str, rel: str) -> Iterator[Candidate | Skip]:
        """One path from `git ls-files`, relative to `top`."""
        abspath = os.path.join(top, rel)
        if self.claimed(abspath, top):
            return
        excluded = self.excluded_parent(top, rel)
        if excluded:
            if excluded.path not in self.reported:
                self.reported.add(excluded.path)
                yield excluded
            return
        try:
            mode = os.lstat(abspath).st_mode
        except FileNotFoundError:
            return  # deleted but still in the index, or outside a sparse checkout
        except OSError as e:
            yield Skip(self.display(abspath), "unreadable", _os_detail(e))
            return
        for item in self.entry(abspath, _mode_kind(mode)):
            if isinstance(item, _Subdir):
                # A real directory here is a submodule or a nested repository: ask git again.
                yield from (self.walk(item.path) if item.linked else self.directory(item.path))
            else:
                yield item

    def excluded_parent(self, top: str, rel: str) -> Skip | None:
        """The Skip for the first excluded directory on a git-listed path, if any."""
        parent = os.path.dirname(rel)
        if (top, parent) != self.last_parent[0]:
            skip, path = None, top
            for name in parent.split("/") if parent else ():
                path = os.path.join(path, name)
                skip = self.excluded_dir(path)
                if skip:
                    break
            self.last_parent = ((top, parent), skip)
        return self.last_parent[1]

    def walk(self, top: str) -> Iterator[Candidate | Skip]:
        """Walk a tree without git: each directory's files in name order, then its subdirectories."""
        stack = [top]
        while stack:
            path = stack.pop()
            if self.follow and self.walked_before(path):
                continue
            try:
                with os.scandir(path) as it:
                    entries = sorted(it, key=lambda e: e.name)
            except OSError as e:
                yield _skip_for(self.display(path), e)
                continue
            subdirs = []
            # The common case, a plain file with no --include/--exclude, nested root or link
            # following in play, is decided inline: this loop runs for every file of a monorepo.
            plain = os.sep == "/" and not (self.nested or self.include or self.exclude or self.follow)
            shown = "" if path == self.cwd else self.display(path) + "/"  # display() of this dir's files
            for entry in entries:
                if plain:
                    try:
                        if entry.is_file(follow_symlinks=False):
                            name = entry.name
                            yield Candidate(shown + name, entry.path, _kind_by_name(name, entry.path))
                            continue
                    except OSError:
                        pass  # decided the long way below, which reports it
                if self.claimed(entry.path, top):
                    continue
                try:
                    kind = _entry_kind(entry)
                except OSError as e:
                    yield _skip_for(self.display(entry.path), e)
                    continue
                for item in self.entry(entry.path, kind):
                    if isinstance(item, _Subdir):
                        subdirs.append(item.path)
                    else:
                        yield item
            stack.extend(reversed(subdirs))

    def entry(self, abspath: str, kind: str) -> Iterator[Candidate | Skip | _Subdir]:
        """Decide one listed path below a root: "file", "dir", "link" or "other"."""
        display = self.display(abspath)
        linked = kind == "link"
        if linked:
            kind, skip = self.resolve_link(abspath, display)
            if skip:
                wanted = not self.pruned(display) if kind == "dir" else self.selected(display)
                if wanted:
                    yield skip
                return
        if kind == "file":
            yield from self.candidate(abspath, display)
        elif kind == "dir":
            if not self.pruned(display):
                yield self.excluded_dir(abspath) or _Subdir(abspath, linked)
        else:
            yield Skip(display, "unreadable", "not a regular file")

    def resolve_link(self, abspath: str, display: str) -> tuple[str, Skip | None]:
        """The kind a symlink points to, and the Skip when it is not followed."""
        try:
            target = os.stat(abspath)
        except OSError as e:
            reason = "symlink-loop" if self.follow and e.errno == errno.ELOOP else "symlink"
            return "link", Skip(display, reason, f"broken link: {_os_detail(e)}")
        kind = _mode_kind(target.st_mode)
        if not self.follow:
            what = "directory" if kind == "dir" else "file"
            return kind, Skip(display, "symlink", f"link to a {what}, not followed")
        if kind == "dir" and _links_to_ancestor(abspath, target):
            return kind, Skip(display, "symlink-loop", "links to a directory that contains it")
        if _within(os.path.realpath(abspath), self.root_real):
            # The target is listed on its own, under its real path and the ignore rules.
            return kind, Skip(display, "symlink", "target is inside the scanned tree")
        return kind, None

    def excluded_dir(self, abspath: str) -> Skip | None:
        """The Skip for a directory pruned by default: by name, or a virtualenv (pyvenv.cfg)."""
        if os.path.basename(abspath) in EXCLUDED_DIRS:
            return Skip(self.display(abspath), "excluded-dir", "excluded by default")
        if os.path.isfile(os.path.join(abspath, "pyvenv.cfg")):
            return Skip(self.display(abspath), "excluded-dir", "virtual environment (has pyvenv.cfg)")
        return None

    def candidate(self, abspath: str, display: str) -> Iterator[Candidate]:
        """The Candidate for a file, unless the globs drop it or it was yielded before."""
        if not self.selected(display):
            return
        if self.follow:
            try:
                st = os.stat(abspath)
            except OSError:
                pass  # read_source reports it
            else:
                if (st.st_dev, st.st_ino) in self.seen_files:
                    return
                self.seen_files.add((st.st_dev, st.st_ino))
        yield Candidate(display, abspath, kind_of(abspath))

    def walked_before(self, path: str) -> bool:
        """True for a directory already walked through another symlink; marks it otherwise."""
        try:
            st = os.stat(path)
        except OSError:
            return False  # scandir reports it
        key = (st.st_dev, st.st_ino)
        if key in self.seen_dirs:
            return True
        self.seen_dirs.add(key)
        return False

    def claimed(self, abspath: str, top: str) -> bool:
        """True when another PATH argument inside `top` covers this path, so it is scanned once."""
        while self.nested and len(abspath) > len(top):
            if abspath in self.nested:
                return True
            abspath = os.path.dirname(abspath)
        return False

    def selected(self, display: str) -> bool:
        """Whether --include/--exclude keep a file."""
        if self.include and not self.include.fullmatch(display):
            return False
        return not self.pruned(display)

    def pruned(self, display: str) -> bool:
        """Whether --exclude drops a path (and, for a directory, everything below it)."""
        return bool(self.exclude and self.exclude.fullmatch(display))


def _nested(roots: list[str]) -> frozenset[str]:
    """The roots that lie inside another root."""
    known = set(roots)
    inner = set()
    for root in roots:
        path, parent = root, os.path.dirname(root)
        while parent != path:
            if parent in known:
                inner.add(root)
                break
            path, parent = parent, os.path.dirname(parent)
    return frozenset(inner)


def _git_ls_files(top: str) -> Iterator[str]:
    """Stream tracked and untracked, not ignored, paths under `top` (relative to it).

    Raises _GitUnavailable when git is missing or fails; an unmerged path (listed once
    per stage) comes out once.
    """
    cmd = [*_GIT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"]
    try:
        proc = subprocess.Popen(cmd, cwd=top, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    except OSError as e:
        raise _GitUnavailable(_os_detail(e)) from e
    stdout = proc.stdout
    assert stdout is not None  # stdout=PIPE
    previous = rest = b""
    try:
        for chunk in iter(lambda: stdout.read(65536), b""):
            *names, rest = (rest + chunk).split(b"\0")
            for name in names:
                if name != previous:
                    yield os.fsdecode(name).rstrip("/")
                    previous = name
        if proc.wait():
            raise _GitUnavailable(f"git ls-files exited with status {proc.returncode}")
    finally:
        if proc.returncode is None:  # the consumer stopped early
            proc.kill()
            proc.wait()
        stdout.close()


def _git_ignores(path: str) -> bool:
    """Whether git ignores `path` (so `git ls-files` lists nothing in it)."""
    try:
        done = subprocess.run(
            [*_GIT, "check-ignore", "-q", path], cwd=path,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False,
        )
    except OSError:
        return False
    return done.returncode == 0


def _links_to_ancestor(link: str, target: os.stat_result) -> bool:
    """Whether a directory symlink points at a directory on its own path (walking it would loop)."""
    path, parent = link, os.path.dirname(link)
    while parent != path:
        try:
            if os.path.samestat(os.stat(parent), target):
                return True
        except OSError:
            pass
        path, parent = parent, os.path.dirname(parent)
    return False


def _within(path: str, directory: str) -> bool:
    """Whether `path` is `directory` or below it (both absolute and normalised)."""
    return path == directory or path.startswith(os.path.join(directory, ""))


def _entry_kind(entry: os.DirEntry[str]) -> str:
    """"link", "dir", "file" or "other", from the directory listing without following links."""
    if entry.is_symlink():
        return "link"
    if entry.is_dir(follow_symlinks=False):
        return "dir"
    return "file" if entry.is_file(follow_symlinks=False) else "other"


def _mode_kind(mode: int) -> str:
    """The same classification as _entry_kind, from a stat mode."""
    if stat.S_ISLNK(mode):
        return "link"
    if stat.S_ISDIR(mode):
        return "dir"
    return "file" if stat.S_ISREG(mode) else "other"


# --- globs -----------------------------------------------------------------------------


def _glob_regex(patterns: Iterable[str]) -> re.Pattern[str] | None:
    """One regex for all patterns, matching a whole display path.

    A pattern may start at any path component and cover a directory above the file, so
    `*.py`, `tests` and `src/**/gen` work as they do in .gitignore.
    """
    patterns = [patterns] if isinstance(patterns, str) else patterns
    parts = [regex for regex in map(_glob_to_regex, patterns) if regex]
    if not parts:
        return None
    return re.compile(rf"(?:.*/)?(?:{'|'.join(parts)})(?:/.*)?", re.DOTALL)


def _glob_to_regex(pattern: str) -> str:
    """Translate one glob: `*` and `?` stay within a component, `**` crosses components."""
    pat = pattern.replace(os.sep, "/").rstrip("/")
    while pat.startswith("./"):
        pat = pat[2:]
    out, i = [], 0
    while i < len(pat):
        if pat.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pat.startswith("**", i):
            out.append(".*")
            i += 2
        elif pat[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pat[i] == "?":
            out.append("[^/]")
            i += 1
        elif pat[i] == "[" and _class_end(pat, i) > 0:
            end = _class_end(pat, i)
            body = pat[i + 1:end].replace("\\", "\\\\")
            if body.startswith("!"):
                body = "^" + body[1:]
            elif body.startswith("^"):
                body = "\\" + body
            out.append(f"[{body}]")
            i = end + 1
        else:
            out.append(re.escape(pat[i]))
            i += 1
    return "".join(out)


def _class_end(pat: str, start: int) -> int:
    """Index of the `]` closing the character class at `start`, or -1 (then `[` is literal)."""
    i = start + 1
    if i < len(pat) and pat[i] == "!":
        i += 1
    if i < len(pat) and pat[i] == "]":
        i += 1
    return pat.find("]", i)


# --- reading ---------------------------------------------------------------------------


def read_bytes(candidate: Candidate, *, max_bytes: int = 5_000_000) -> bytes | Skip:
    """The file's bytes, or a Skip; the size is checked before reading anything.

    One open and one fstat per file, at the os level (this runs for every file of a monorepo):
    O_NONBLOCK means that opening a FIFO, or a file swapped for one, cannot hang the scan, and the
    fstat of the open file is what is read. A binary file is decided by its head and its rest is
    never read (as grep -I).
    """
    try:
        fd = os.open(candidate.abspath, _READ_FLAGS)
    except OSError as e:
        return _skip_for(candidate.path, e)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return Skip(candidate.path, "unreadable", "not a regular file")
        if st.st_size > max_bytes:
            return _too_large(candidate.path, st.st_size, max_bytes)
        want = min(st.st_size, max_bytes) + 1  # one more than seen: a file that grew is noticed
        data = _read_upto(fd, min(want, _BINARY_PEEK))
        if _is_binary(data):
            return _binary(candidate.path)
        if len(data) == _BINARY_PEEK and len(data) < want:
            data += _read_upto(fd, want - len(data))
        if len(data) == want:  # it grew after the fstat: read on up to the cap
            data += _read_upto(fd, max_bytes + 1 - want)
    except OSError as e:
        return _skip_for(candidate.path, e)
    finally:
        os.close(fd)
    if len(data) > max_bytes:
        return _too_large(candidate.path, len(data), max_bytes)
    return data


_READ_FLAGS = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)


def _read_upto(fd: int, size: int) -> bytes:
    """Up to `size` bytes; fewer only at the end of the file.

    One read call for the usual file: a regular file reads short only at its end (or past Linux's
    per-call limit, just under 2 GiB, when the rest is read in further calls), so no extra call is
    spent to see the end.
    """
    chunk = os.read(fd, min(size, _READ_LIMIT))
    if len(chunk) == size or len(chunk) < _READ_LIMIT:
        return chunk
    chunks = [chunk]
    size -= len(chunk)
    while size > 0:
        chunk = os.read(fd, min(size, _READ_LIMIT))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


#: Bytes one read call may return: Linux stops at 0x7ffff000.
_READ_LIMIT = 0x7FFFF000


def decode(candidate: Candidate, data: bytes) -> SourceFile | Skip:
    """Text from bytes: a byte-order mark decides the encoding, else strict UTF-8. Newlines are kept."""
    if _is_binary(data):
        return _binary(candidate.path)
    bom, encoding, codec = next((b for b in _BOMS if data.startswith(b[0])), (b"", "utf-8", "utf-8"))
    try:
        text = data[len(bom):].decode(codec)
    except UnicodeDecodeError as e:
        offset = len(bom) + e.start
        what = f"invalid {codec.upper()} after its byte-order mark" if bom else "not UTF-8 or UTF-16"
        return Skip(candidate.path, "undecodable", f"{what} (byte 0x{data[offset]:02x} at offset {offset})")
    return SourceFile(candidate.path, candidate.abspath, candidate.kind, text, encoding)


def _is_binary(data: bytes) -> bool:
    """A NUL byte in the first 8 KiB of a file without a UTF-16/32 byte-order mark (where NULs are text)."""
    if data.find(b"\0", 0, _BINARY_PEEK) < 0:
        return False
    bom = next((b for b in _BOMS if data.startswith(b[0])), None)
    return bom is None or bom[1] == "utf-8-sig"


def _binary(path: str) -> Skip:
    return Skip(path, "binary", "NUL byte in the first 8 KiB")


def _too_large(path: str, size: int, cap: int) -> Skip:
    """The too-large Skip, in sizes a person reads; exact bytes when rounding would hide the excess."""
    shown, limit = _human_size(size), _human_size(cap)
    if shown == limit:
        shown, limit = f"{size} B", f"{cap} B"
    return Skip(path, "too-large", f"{shown} > {limit} cap")


def _human_size(n: int) -> str:
    if n >= 1_000_000:
        return f"{n / 1_000_000:.1f} MB"
    if n >= 1_000:
        return f"{n / 1_000:.1f} kB"
    return f"{n} B"


def _peek(path: str, size: int) -> bytes:
    """The first bytes of a file, or b"" when it cannot be read (read_source reports that)."""
    try:
        with open(path, "rb") as f:
            return f.read(size)
    except OSError:
        return b""


def _shebang_kind(head: bytes) -> str | None:
    """The kind named by a `#!` line (`/bin/sh`, `/usr/bin/env -S python3 -u`), if known."""
    if not head.startswith(b"#!"):
        return None
    words = head[2:].split(b"\n", 1)[0].split()
    if words and os.path.basename(words[0]) == b"env":
        words = [w for w in words[1:] if not w.startswith(b"-") and b"=" not in w]
    if not words:
        return None
    program = os.fsdecode(os.path.basename(words[0])).rstrip("0123456789.")
    return KIND_BY_INTERPRETER.get(program)


def _skip_for(path: str, error: OSError) -> Skip:
    """A Skip for an OS error met after the path was listed."""
    if isinstance(error, FileNotFoundError):
        return Skip(path, "vanished", "deleted after it was listed")
    return Skip(path, "unreadable", _os_detail(error))


def _os_detail(error: OSError) -> str:
    """One line from an OS error, without the path (the Skip carries it)."""
    text = error.strerror.lower() if error.strerror else str(error) or type(error).__name__
    return " ".join(text.split())
