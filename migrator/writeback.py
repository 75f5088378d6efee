"""Write rewritten files back safely: inside the given paths only, atomically, byte-faithful.

- Encoding as found: UTF-8, UTF-8 with BOM, UTF-16/32 with their BOM; newline style kept (a
  `\\r\\n` file stays `\\r\\n` even where a codemod produced `\\n`); file mode kept.
- Python is re-parsed with LibCST (notebooks: every code cell, and the JSON) before anything is
  written; a result that does not parse is never written.
- Atomic: a temporary file in the same directory, fsync, then `os.replace`, so an interrupted run
  (Ctrl-C, a full disk) leaves either the old or the new file, never half of one.
- Refused: symlinks, paths outside the given roots, read-only files (no write permission bit, or
  not writable by this user), and files that changed on disk since they were read.

Notebooks: only code cells' `source` changes; cells are joined into one module (so names defined
in one cell resolve in another) with marker statements between them, and IPython magics are kept
out of LibCST's way by placeholders. The JSON is written back with the file's own indent, key
order and trailing newline; a notebook whose layout cannot be reproduced exactly is not rewritten.
"""

from __future__ import annotations

import codecs
import contextlib
import json
import os
import re
import signal
import stat
import tempfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from migrator.errors import MigratorError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"), (codecs.BOM_UTF32_BE, "utf-32-be"), (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"),
)


class WriteError(MigratorError):
    """A file was not written; the message says why (one line, no secrets)."""


# ---------------------------------------------------------------------- roots
class Roots:
    """The PATH arguments: a write must land on a given file or under a given directory."""

    def __init__(self, paths: Iterable[str], cwd: str | None = None) -> None:
        base = os.path.abspath(cwd or os.getcwd())
        self.files: set[str] = set()
        self.dirs: list[str] = []
        for p in paths:
            real = os.path.realpath(os.path.join(base, p))
            (self.dirs.append(real) if os.path.isdir(real) else self.files.add(real))

    def allows(self, path: str, *, sibling_of_given_file: bool = False) -> bool:
        """True when `path` is a given file, under a given directory, or (for the generated helper)
        next to a given file."""
        real = os.path.realpath(path)
        if real in self.files or any(real == d or real.startswith(d + os.sep) for d in self.dirs):
            return True
        return sibling_of_given_file and any(os.path.dirname(f) == os.path.dirname(real) for f in self.files)


def refusal(path: str, roots: Roots, *, helper: bool = False) -> str | None:
    """Why `path` can never be rewritten by fix (one line, no secret), or None when it may be.

    Checked before anything is planned, so that the preview says so too, and again by
    `atomic_write` just before the write.
    """
    if os.path.islink(path):
        return "is a symlink: not rewritten (pass the real path)"
    if not roots.allows(path, sibling_of_given_file=helper):
        return "outside the given paths: not rewritten"
    try:
        st = os.stat(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        return f"cannot be read ({exc.strerror}): not rewritten"
    if not stat.S_IMODE(st.st_mode) & 0o222 or not os.access(path, os.W_OK):
        return "read-only file: not rewritten"
    return None


# ---------------------------------------------------------------------- bytes <-> text
def encode_like(original: bytes, text: str) -> bytes:
    """`text` encoded as `original` was: same BOM and codec, same newline style."""
    bom, codec = next(((b, c) for b, c in _BOMS if original.startswith(b)), (b"", "utf-8"))
    before = original[len(bom):].decode(codec, "replace")
    if "\r\n" in before and "\n" not in before.replace("\r\n", ""):
        text = re.sub(r"(?<!\r)\n", "\r\n", text)
    return bom + text.encode(codec)


def check_python(text: str, path: str) -> None:
    import libcst as cst

    try:
        cst.parse_module(text)
    except cst.ParserSyntaxError as exc:
        raise WriteError(f"{path}: the rewritten code does not parse (line {exc.raw_line}); nothing written") from None


# ---------------------------------------------------------------------- atomic write
def atomic_write(path: str, data: bytes, roots: Roots, *, expected: bytes | None, helper: bool = False) -> None:
    """Replace (or create, when `expected` is None) `path` with `data`, atomically."""
    refused = refusal(path, roots, helper=helper)
    if refused:
        raise WriteError(f"{path}: {refused}")
    directory = os.path.dirname(os.path.abspath(path)) or "."
    try:
        st = os.stat(path)
        mode = stat.S_IMODE(st.st_mode)
        with open(path, "rb") as fh:
            current: bytes | None = fh.read()
    except FileNotFoundError:
        current, mode = None, 0o666 & ~_umask()
    if current != expected:
        raise WriteError(f"{path}: changed on disk while fix was running; not written")
    with _interrupts_deferred():
        fd, tmp = tempfile.mkstemp(dir=directory, prefix="." + os.path.basename(path) + ".", suffix=".celonis-tmp")
        try:
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
                fh.flush()
                os.fsync(fh.fileno())
            os.chmod(tmp, mode)
            os.replace(tmp, path)
        except BaseException:
            try:
                os.unlink(tmp)
            except OSError:
                pass
            raise


#: Signals held back while a temporary file exists: Ctrl-C, a terminal hang-up and `kill`.
_DEFERRED = tuple(getattr(signal, name) for name in ("SIGINT", "SIGTERM", "SIGHUP") if hasattr(signal, name))


@contextlib.contextmanager
def _interrupts_deferred() -> Iterator[None]:
    """Hold SIGINT/SIGTERM/SIGHUP until the block ends, so a temporary file is always renamed or removed.

    Without this, Ctrl-C between `mkstemp` and the `try` (or inside the clean-up) would leave a
    stray `.celonis-tmp` file; `kill` would do so anywhere. The signal is delivered as soon as the
    block ends (Python then raises KeyboardInterrupt there). Where signals cannot be masked (not the
    main thread, no pthread_sigmask), the block runs unprotected, as before.
    """
    import threading

    mask = getattr(signal, "pthread_sigmask", None)
    if mask is None or threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = mask(signal.SIG_BLOCK, _DEFERRED)
    try:
        yield
    finally:
        mask(signal.SIG_SETMASK, previous)


def _umask() -> int:
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


# ---------------------------------------------------------------------- notebooks
_MAGIC = re.compile(r"^(\s*)[%!]")
_PLACEHOLDER = re.compile(r"^(\s*)pass  # __celonis_magic_(\d+)__$")
_MARKER = re.compile(r"^__celonis_cell__ = (\d+)$")


@dataclass(frozen=True)
class NotebookCode:
    """All code cells of a notebook as one Python module, and what is needed to put them back."""

    code: str
    #: Indices (in nb["cells"]) of the cells that went into `code`.
    cells: tuple[int, ...]
    magics: tuple[str, ...]
    #: Combined line -> (cell index, line in cell), 1-based lines.
    line_map: tuple[tuple[int, int], ...]


def notebook_code(text: str) -> NotebookCode:
    """Join the Python code cells; `%`/`!` lines become placeholders, `%%` cells are left out."""
    nb = json.loads(text)
    parts: list[str] = []
    magics: list[str] = []
    cells: list[int] = []
    line_map: list[tuple[int, int]] = [(-1, 0)]
    for i, cell in enumerate(nb.get("cells", [])):
        if cell.get("cell_type") != "code":
            continue
        source = _source(cell)
        if source.lstrip().startswith("%%"):
            continue
        cells.append(i)
        parts.append(f"__celonis_cell__ = {i}\n")
        line_map.append((i, 0))
        for n, line in enumerate(source.splitlines(), start=1):
            m = _MAGIC.match(line)
            if m:
                magics.append(line)
                line = f"{m.group(1)}pass  # __celonis_magic_{len(magics) - 1}__"
            parts.append(line + "\n")
            line_map.append((i, n))
    return NotebookCode("".join(parts), tuple(cells), tuple(magics), tuple(line_map))


def notebook_with_code(text: str, nbcode: NotebookCode, new_code: str) -> str:
    """The notebook JSON with each code cell's source taken from `new_code`; layout kept."""
    nb = json.loads(text)
    indent = _indent(text)
    if _dump(nb, indent, text) != text:
        raise WriteError("the notebook's JSON layout cannot be reproduced exactly; not rewritten")
    chunks: dict[int, list[str]] = {}
    current = nbcode.cells[0] if nbcode.cells else -1
    for line in new_code.splitlines():
        m = _MARKER.match(line)
        if m:
            current = int(m.group(1))
            continue
        p = _PLACEHOLDER.match(line)
        if p:
            line = nbcode.magics[int(p.group(2))]
        chunks.setdefault(current, []).append(line)
    for i in nbcode.cells:
        cell = nb["cells"][i]
        old = _source(cell)
        lines = chunks.get(i, [])
        new = "\n".join(lines) + ("\n" if old.endswith("\n") and lines else "")
        if new == old:
            continue
        cell["source"] = new.splitlines(keepends=True) if isinstance(cell.get("source"), list) else new
    return _dump(nb, indent, text)


def _source(cell: dict[str, Any]) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else str(src)


def _indent(text: str) -> int | None:
    m = re.search(r"^\{\s*\n([ \t]+)\"", text)
    return len(m.group(1)) if m else None


def _dump(nb: Any, indent: int | None, original: str) -> str:
    ascii_only = not any(ord(c) > 127 for c in original)
    out = json.dumps(nb, indent=indent, ensure_ascii=ascii_only and "\\u" in original)
    return out + "\n" if original.endswith("\n") else out


def cell_location(nbcode: NotebookCode, line: int) -> tuple[int, int]:
    """(cell index, line in cell) of a line of the joined code (lines added by a codemod map to the cell above)."""
    if 0 < line < len(nbcode.line_map):
        return nbcode.line_map[line]
    return (nbcode.cells[-1] if nbcode.cells else -1), 0


def cell_line_map(code: str) -> list[tuple[int, int]]:
    """(cell index, line in cell) of each 1-based line of joined notebook code (`[0]` is unused).

    Works on the code as `notebook_code` made it or as a codemod rewrote it: lines before the first
    marker (an import a codemod added at the top) belong to the first cell, as `notebook_with_code`
    puts them there; a marker line itself maps to (cell, 0).
    """
    lines = code.splitlines()
    first = next((int(m.group(1)) for m in map(_MARKER.match, lines) if m), -1)
    out = [(-1, 0)]
    current, n = first, 0
    for line in lines:
        m = _MARKER.match(line)
        if m:
            if int(m.group(1)) != current:
                current, n = int(m.group(1)), 0
            out.append((current, 0))
            continue
        n += 1
        out.append((current, n))
    return out


def python_files_importing(texts: Sequence[tuple[str, str]], module: str) -> set[str]:
    """Names other files import from `module` (`from module import A`, `module.A`)."""
    names: set[str] = set()
    pat = re.compile(rf"^\s*from\s+[.\w]*?\b{re.escape(module)}\s+import\s+\(?([\w\s,]+)", re.MULTILINE)
    attr = re.compile(rf"\b{re.escape(module)}\.(\w+)")
    for _path, text in texts:
        for m in pat.finditer(text):
            names.update(n.split(" as ")[0].strip() for n in m.group(1).split(",") if n.strip())
        if re.search(rf"^\s*import\s+[.\w]*\b{re.escape(module)}\b", text, re.MULTILINE):
            names.update(attr.findall(text))
    return names
