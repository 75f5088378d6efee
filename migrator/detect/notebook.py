"""Find static Celonis keys in Jupyter notebooks: code cells as Python, magics as shell, outputs for leaks.

The code cells are scanned as one Python module, so a BASE set in cell 1 is known in cell 5;
IPython syntax is first replaced line for line (`!cmd`, `%magic`, `obj?` become `pass` at the
same indentation; a `%%` cell is blanked), keeping every line where it was. `!` lines,
`%%bash`/`%%sh` cells and `%env NAME=value` (an assignment with a literal) are scanned together
as one shell text, and Markdown cells as Markdown. Each finding is mapped back to its cell
(0-based, among all cells), its line in the cell, and the line and column of the `.ipynb` file
where that source line is written, found by a small position-tracking pass over the raw JSON.
Outputs are only searched for real-shape keys: pycelonis prints `'[secure]'`, never the key.
Real-shape key literals in any cell's source are reported here too, with their cell and line, so
that the generic literal pass (which reads the raw JSON) finds them taken, or merges into them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from migrator import redact
from migrator.detect.literals import KEY_CANDIDATE
from migrator.detect.shell import scan_shell_text
from migrator.errors import MigratorError
from migrator.findings import make_finding
from migrator.types import Finding, KeySource, SourceFile

_KEYWORDS = re.compile(r"(?i)appkey|bearer|authorization|oauth2-bearer|celonis_api_token|get_celonis|api_token")
_JSON_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]:,]|[^\s{}\[\]:,"]+', re.DOTALL)
#: `!cmd`, `%magic args`, `files = !ls`; a `%` continuing an expression (`% b)`) is Python.
_MAGIC_LINE = re.compile(
    r"^(?P<indent>[ \t]*)(?:[\w.]+(?:\s*,\s*[\w.]+)*\s*=\s*)?(?P<mark>!!?(?!=)|%(?=[A-Za-z]))(?P<rest>.*)$"
)
_HELP_LINE = re.compile(r"^[ \t]*(?:\?\??[\w.]+|[\w.]+\?\??)[ \t]*$")
_ENV_MAGIC = re.compile(
    r"^(?P<magic>[ \t]*%(?:env|set_env)[ \t]+)(?P<name>[A-Za-z_]\w*)(?P<sep>=|[ \t]+)(?P<value>\S.*)$"
)
_SHELL_MAGICS = re.compile(r"^(?:sx|system)\b")
_SHELL_CELL = re.compile(r"^%%(?:bash|sh|zsh|script[ \t]+(?:ba|z)?sh|system)\b")
_PYTHON_CELL = re.compile(r"^%%(?:time|timeit|capture|prun|debug|writefile[ \t]+\S+\.py)\b")
_KEY_TYPE_MAGIC = re.compile(
    r"^[ \t]*%(?:env|set_env)[ \t]+CELONIS_KEY_TYPE(?:=|[ \t]+)[\"']?(?P<value>\w+)", re.MULTILINE
)
_SCHEME_BY_KEY_TYPE = {"APP_KEY": "AppKey", "USER_KEY": "Bearer", "BEARER": "Bearer"}
_KEY_TOKEN = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{108}(?![A-Za-z0-9+/=])")
_SCHEME_BEFORE = re.compile(r"(?i)\b(appkey|bearer)\W{1,3}$")
_RULE_BY_SCHEME = {"AppKey": "celonis-appkey-header", "Bearer": "celonis-bearer-static-key"}
_LITERAL_RULE = "celonis-key-literal"

Path = tuple[Any, ...]
#: JSON path -> (line, 1-based column, raw token) of a string in the file.
Positions = dict[Path, tuple[int, int, str]]


@dataclass(frozen=True)
class _Origin:
    """Where one cell line is written in the file: inside which JSON string, from which character."""

    line: int
    #: 1-based column of the JSON string's opening quote.
    column: int
    token: str
    #: Decoded offset of the cell line's first character inside that string.
    offset: int

    def locate(self, column: int) -> tuple[int, int]:
        """(file line, file column) of a 1-based column of the cell line."""
        return self.line, self.column + _raw_index(self.token, self.offset + max(column, 1) - 1)


@dataclass
class _Cell:
    index: int
    kind: str
    lines: list[str]
    origins: list[_Origin]
    #: (text, where it is written, its first line within its output) of each text output piece.
    outputs: list[tuple[str, _Origin, int]] = field(default_factory=list)


@dataclass
class _View:
    """A text assembled from cell lines (a module, a shell script), remembering each line's cell."""

    lines: list[str] = field(default_factory=list)
    where: list[tuple[int, int]] = field(default_factory=list)

    def add(self, cell: int, cell_line: int, text: str) -> None:
        self.lines.append(text)
        self.where.append((cell, cell_line))

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + "\n"


def prefilter(text: str) -> bool:
    """Cheap check: can this notebook hold a finding at all?"""
    return _KEYWORDS.search(text) is not None


def scan(source: SourceFile, extra_hosts: tuple[str, ...] = ()) -> list[Finding]:
    """Detector entry point (see migrator.detect). Malformed JSON raises MigratorError (a Skip)."""
    notebook = _load(source.text)
    cells = _cells(notebook, _string_positions(source.text))
    python_cells: dict[int, _View] = {}
    shell, markdown = _View(), _View()
    python_kernel = _is_python(notebook)
    for cell in cells:
        if cell.kind == "code" and python_kernel:
            python_cells[cell.index] = _split_code_cell(cell, shell)
        elif cell.kind == "markdown":
            for n, text in enumerate(cell.lines, 1):
                markdown.add(cell.index, n, text)
    found = _scan_python(source.path, python_cells, cells, extra_hosts)
    if shell.lines:
        commands = scan_shell_text(source.path, shell.text, extra_hosts=extra_hosts)
        found += [_remap(f, shell, cells) for f in commands]
    found += _scan_markdown(source.path, markdown, cells, extra_hosts)
    found = _with_key_type(found, cells)
    extra = _source_literal_findings(source.path, cells, found) + _output_findings(source.path, cells)
    return _unique_fingerprints(_annotate_repeated_keys(found + extra))


# --- parsing ---------------------------------------------------------------------------------


def _load(text: str) -> dict[str, Any]:
    try:
        notebook = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise MigratorError(f"malformed notebook JSON: {where}: {exc.msg}") from None
    if not isinstance(notebook, dict) or not isinstance(_raw_cells(notebook)[0], list):
        raise MigratorError("malformed notebook JSON: no list of cells")
    return notebook


def _raw_cells(notebook: dict[str, Any]) -> tuple[Any, Path]:
    """The cell list and its JSON path: nbformat 4 `cells`, nbformat 3 `worksheets[0].cells`."""
    if "cells" in notebook:
        return notebook["cells"], ("cells",)
    sheets = notebook.get("worksheets")
    if isinstance(sheets, list) and sheets and isinstance(sheets[0], dict):
        return sheets[0].get("cells"), ("worksheets", 0, "cells")
    return None, ()


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _is_python(notebook: dict[str, Any]) -> bool:
    """False for R, Julia, Scala... kernels: their code cells are not Python."""
    metadata = _mapping(notebook.get("metadata"))
    for key, sub in (("kernelspec", "language"), ("language_info", "name")):
        value = _mapping(metadata.get(key)).get(sub)
        if isinstance(value, str):
            return value.lower().startswith("python")
    return True


def _string_positions(text: str) -> Positions:
    """JSON path -> (line, column, raw token) of every string value, and of every key (path + ("@key",))."""
    positions: Positions = {}
    stack: list[list[Any]] = []  # [is_object, current key or index, expecting a key]
    line, last, line_start = 1, 0, 0
    for found in _JSON_TOKEN.finditer(text):
        token, start = found.group(0), found.start()
        newline = text.rfind("\n", last, start)
        if newline >= 0:
            line += text.count("\n", last, start)
            line_start = newline + 1
        last = start
        column = start - line_start + 1
        if token in "{[":
            stack.append([token == "{", None if token == "{" else 0, token == "{"])
        elif token in "}]":
            if stack:
                stack.pop()
        elif token == ":":
            if stack:
                stack[-1][2] = False
        elif token == ",":
            if stack and stack[-1][0]:
                stack[-1][2] = True
            elif stack:
                stack[-1][1] += 1
        elif stack and stack[-1][0] and stack[-1][2]:
            stack[-1][1] = json.loads(token)
            positions[tuple(e[1] for e in stack) + ("@key",)] = (line, column, token)
        elif token.startswith('"'):
            positions[tuple(e[1] for e in stack)] = (line, column, token)
    return positions


def _cells(notebook: dict[str, Any], positions: Positions) -> list[_Cell]:
    raw, base = _raw_cells(notebook)
    cells = []
    for i, cell in enumerate(raw):
        if not isinstance(cell, dict):
            continue
        key = "source" if "source" in cell else "input"
        lines, origins = _source_lines(cell.get(key), base + (i, key), positions)
        kind = cell.get("cell_type")
        cells.append(_Cell(i, kind if isinstance(kind, str) else "code", lines, origins,
                           _outputs(cell, base + (i,), positions)))
    return cells


def _source_lines(source: Any, path: Path, positions: Positions) -> tuple[list[str], list[_Origin]]:
    """A cell's lines and, for each, the JSON string it is written in (`source` may be a list or a string)."""
    pieces = source if isinstance(source, list) else [source]
    paths = [path + (j,) for j in range(len(pieces))] if isinstance(source, list) else [path]
    fallback = positions.get(path + ("@key",), (1, 1, '""'))
    lines, origins = [""], []
    current: _Origin | None = None
    for piece, where in zip(pieces, paths):
        if not isinstance(piece, str):
            continue
        line, column, token = positions.get(where, fallback)
        offset = 0
        for part in piece.split("\n")[:-1]:
            current = current or _Origin(line, column, token, offset)
            lines[-1] += part
            origins.append(current)
            lines.append("")
            offset += len(part) + 1
            current = None
        if piece.split("\n")[-1]:
            current = current or _Origin(line, column, token, offset)
            lines[-1] += piece.split("\n")[-1]
    if lines[-1] or current:
        origins.append(current or _Origin(*fallback, 0))
    else:
        lines.pop()
    return lines, origins


def _outputs(cell: dict[str, Any], path: Path, positions: Positions) -> list[tuple[str, _Origin, int]]:
    """Text outputs (stream text, text/plain results, tracebacks) with their positions; images never.

    Each piece also carries the line of the output it starts on (1-based; a traceback's frames count
    as lines), so that a key printed in it can be placed on a line of that output.
    """
    out: list[tuple[str, _Origin, int]] = []
    outputs = cell.get("outputs")
    for k, output in enumerate(outputs if isinstance(outputs, list) else []):
        if not isinstance(output, dict):
            continue
        data = _mapping(output.get("data"))
        for key, value in (("text", output.get("text")), (("data", "text/plain"), data.get("text/plain")),
                           ("traceback", output.get("traceback")), ("evalue", output.get("evalue"))):
            where = path + ("outputs", k) + (key if isinstance(key, tuple) else (key,))
            items = list(enumerate(value)) if isinstance(value, list) else [(None, value)]
            line_in_output = 1
            for j, text in items:
                if isinstance(text, str):
                    line, column, token = positions.get(where if j is None else where + (j,), (1, 1, '""'))
                    out.append((text, _Origin(line, column, token, 0), line_in_output))
                    line_in_output += text.count("\n") + (1 if key == "traceback" and not text.endswith("\n") else 0)
    return out


def _raw_index(token: str, decoded: int) -> int:
    """Offset in a raw JSON string token (quote included) of its `decoded`-th character."""
    i, n = 1, 0
    while i < len(token) - 1 and n < decoded:
        i += 6 if token.startswith("\\u", i) else 2 if token[i] == "\\" else 1
        n += 1
    return i


# --- cells -> texts --------------------------------------------------------------------------


def _split_code_cell(cell: _Cell, shell: _View) -> _View:
    """The cell's Python lines (IPython syntax neutralised) and its shell lines added to `shell`."""
    python = _View()
    first = next((line.strip() for line in cell.lines if line.strip()), "")
    if first.startswith("%%"):
        body_is_shell = bool(_SHELL_CELL.match(first))
        body_is_python = bool(_PYTHON_CELL.match(first))
        seen_magic = False
        for n, line in enumerate(cell.lines, 1):
            is_magic = not seen_magic and line.strip().startswith("%%")
            seen_magic = seen_magic or is_magic
            python.add(cell.index, n, line if body_is_python and not is_magic else "")
            if body_is_shell and not is_magic:
                shell.add(cell.index, n, line)
        return python
    continued_indent: str | None = None
    for n, line in enumerate(cell.lines, 1):
        if continued_indent is not None:
            python.add(cell.index, n, continued_indent + "pass")
            shell.add(cell.index, n, line)
            continued_indent = continued_indent if line.rstrip().endswith("\\") else None
            continue
        magic = _MAGIC_LINE.match(line)
        if magic or _HELP_LINE.match(line):
            indent = magic.group("indent") if magic else line[:len(line) - len(line.lstrip())]
            python.add(cell.index, n, indent + "pass")
            if magic:
                _add_magic_to_shell(shell, cell.index, n, line, magic)
                continued_indent = indent if line.rstrip().endswith("\\") else None
            continue
        python.add(cell.index, n, line)
    return python


def _add_magic_to_shell(shell: _View, cell: int, n: int, line: str, magic: re.Match[str]) -> None:
    """`!cmd` and `%sx cmd` become the command; `%env NAME=value` becomes `NAME=value`; same columns."""
    env = _ENV_MAGIC.match(line)
    if env:
        name, padding = env.group("name"), " " * (len(env.group("sep")) - 1)
        shell.add(cell, n, " " * len(env.group("magic")) + name + "=" + padding + env.group("value"))
    elif magic.group("mark").startswith("!") or _SHELL_MAGICS.match(magic.group("rest")):
        shell.add(cell, n, " " * magic.start("rest") + magic.group("rest"))


def _scan_python(path: str, views: dict[int, _View], cells: list[_Cell],
                 extra_hosts: Iterable[str]) -> list[Finding]:
    """Scan the code cells as one module; a cell that does not parse is left out and the rest rescanned."""
    import libcst

    from migrator.detect.python import scan_python

    active = dict(views)
    while active:
        module = _View()
        for view in active.values():
            for text, (cell, n) in zip(view.lines, view.where):
                module.add(cell, n, text)
        try:
            findings = scan_python(path, module.text, extra_hosts=extra_hosts)
        except libcst.ParserSyntaxError as exc:
            index = min(max(exc.raw_line, 1), len(module.where)) - 1
            active.pop(module.where[index][0] if module.where else next(iter(active)), None)
            continue
        return [_remap(f, module, cells) for f in findings]
    return []


def _scan_markdown(path: str, view: _View, cells: list[_Cell], extra_hosts: Iterable[str]) -> list[Finding]:
    if not view.lines:
        return []
    from migrator.detect.markdown import scan_markdown_text

    return [_remap(f, view, cells) for f in scan_markdown_text(path, view.text, extra_hosts=extra_hosts)]


# --- findings --------------------------------------------------------------------------------


def _remap(finding: Finding, view: _View, cells: list[_Cell]) -> Finding:
    """Move a finding from view lines to the notebook: cell, line in cell, file line and column."""
    by_index = {c.index: c for c in cells}

    def locate(view_line: int, column: int = 1) -> tuple[int, int]:
        cell, n = view.where[min(max(view_line, 1), len(view.where)) - 1]
        origins = by_index[cell].origins
        return origins[min(n, len(origins)) - 1].locate(column) if origins else (1, 1)

    cell, cell_line = view.where[finding.line - 1]
    line, column = locate(finding.line, finding.column)
    end_line, end_column = locate(finding.end_line, finding.end_column)
    if end_line != line or end_column < column:
        end_line, end_column = line, column
    endpoints = tuple(replace(e, line=locate(e.line)[0]) if e.line else e for e in finding.endpoints)
    related = tuple(f"{locate(int(r.split(':')[0]))[0]}:1" for r in finding.related
                    if r.split(":")[0].isdigit())
    notes = tuple(re.sub(r"\bline (\d+)", lambda m: _cell_words(view, int(m.group(1))), note)
                  for note in finding.notes)
    return replace(finding, line=line, column=column, end_line=end_line, end_column=end_column, cell=cell,
                   cell_line=cell_line, endpoints=endpoints, related=related, notes=notes, language="notebook")


def _cell_words(view: _View, view_line: int) -> str:
    if not 1 <= view_line <= len(view.where):
        return f"line {view_line}"
    cell, n = view.where[view_line - 1]
    return f"cell {cell} line {n}"


#: Rules whose scheme follows pycelonis' CELONIS_KEY_TYPE (content-cli probes its own).
_KEY_TYPE_RULES = ("pycelonis-static-key", "celonis-api-token-env")


def _with_key_type(findings: list[Finding], cells: list[_Cell]) -> list[Finding]:
    """`%env CELONIS_KEY_TYPE=...` in the notebook decides the scheme of the CELONIS_API_TOKEN it sets:
    the env-only pycelonis login and the `%env CELONIS_API_TOKEN` finding take it."""
    found = next(((c.index, m.group("value").upper()) for c in cells if c.kind == "code"
                  for m in [_KEY_TYPE_MAGIC.search("\n".join(c.lines))] if m), None)
    if found is None or found[1] not in _SCHEME_BY_KEY_TYPE:
        return findings
    cell, key_type = found
    scheme = _SCHEME_BY_KEY_TYPE[key_type]
    note = f"%env CELONIS_KEY_TYPE={key_type} in cell {cell}: the key is sent as {scheme}"
    out = []
    for f in findings:
        reads_token = f.key_source == KeySource("env", "CELONIS_API_TOKEN") or (
            f.rule_id == "celonis-api-token-env" and f.key_source.kind == "literal")
        if reads_token and f.rule_id in _KEY_TYPE_RULES and len(f.auth_schemes) > 1:
            f = _with_schemes(f, (scheme,))
            f = replace(f, notes=tuple(n for n in f.notes if "scheme depends on" not in n) + (note,))
        out.append(f)
    return out


def _with_schemes(finding: Finding, schemes: tuple[str, ...]) -> Finding:
    """The finding with its scheme decided: kind, scheme and message follow; location and fingerprint stay."""
    decided = make_finding(rule_id=finding.rule_id, path=finding.path, start=(finding.line, finding.column),
                           end=(finding.end_line, finding.end_column), schemes=schemes,
                           key_source=finding.key_source, content="", endpoints=finding.endpoints)
    what, sep, _ = decided.message.partition(", key from ")
    _, old_sep, rest = finding.message.partition(", key from ")
    message = what + sep + rest if sep and old_sep else decided.message
    return replace(finding, auth_schemes=decided.auth_schemes, credential_kind=decided.credential_kind,
                   message=message)


def _source_literal_findings(path: str, cells: list[_Cell], found: list[Finding]) -> list[Finding]:
    """Real-shape key literals written in cell sources, each with its cell and line in the cell.

    A key already reported at that place is skipped; the others become `celonis-key-literal`
    findings (see `_annotate_repeated_keys` for how one key at several places is merged).
    """
    at_cell: set[tuple[str, int | None, int | None]] = {(f.key_hash, f.cell, f.cell_line) for f in found if f.key_hash}
    at_line: set[tuple[str, int]] = {(f.key_hash, f.line) for f in found if f.key_hash}
    findings = []
    for cell in cells:
        for n, (text, origin) in enumerate(zip(cell.lines, cell.origins), 1):
            for key in KEY_CANDIDATE.finditer(text):
                value = key.group(0)
                if redact.classify_literal(value) != "real-shape":
                    continue
                line, column = origin.locate(key.start() + 1)
                finding = make_finding(
                    rule_id=_LITERAL_RULE,
                    path=path,
                    start=(line, column),
                    end=(line, column + len(value)),
                    schemes=("AppKey", "Bearer"),
                    key_source=KeySource("literal"),
                    content=redact.content_hash(value),
                    literal=value,
                    language="notebook",
                    notes=((f"a Celonis static key literal in {cell.kind} cell {cell.index}; the scheme it is "
                            "sent with is not visible here"),),
                    cell=cell.index,
                    cell_line=n,
                )
                key_hash = finding.key_hash or ""
                if (key_hash, cell.index, n) not in at_cell and (key_hash, line) not in at_line:
                    at_cell.add((key_hash, cell.index, n))
                    findings.append(finding)
    return findings


def _output_findings(path: str, cells: list[_Cell]) -> list[Finding]:
    """Real-shape keys printed in text outputs (headers, tracebacks): leaks, whatever the scheme."""
    findings = []
    for cell in cells:
        for text, origin, first_line in cell.outputs:
            for key in _KEY_TOKEN.finditer(text):
                if redact.is_real_shape(key.group(0)):
                    output_line = first_line + text.count("\n", 0, key.start())
                    findings.append(_output_finding(path, cell.index, text, key, origin, output_line))
    return findings


def _output_finding(path: str, cell: int, text: str, key: re.Match[str], origin: _Origin,
                    output_line: int) -> Finding:
    shown = _SCHEME_BEFORE.search(text[max(0, key.start() - 12):key.start()])
    schemes: tuple[str, ...] = ("AppKey", "Bearer")
    if shown:
        schemes = ("AppKey",) if shown.group(1).lower() == "appkey" else ("Bearer",)
    line, column = origin.line, origin.column + _raw_index(origin.token, key.start())
    return make_finding(
        rule_id=_RULE_BY_SCHEME[schemes[0]] if len(schemes) == 1 else _LITERAL_RULE,
        path=path,
        start=(line, column),
        end=(line, column + len(key.group(0))),
        schemes=schemes,
        key_source=KeySource("literal"),
        content=redact.content_hash(key.group(0)),
        literal=key.group(0),
        language="notebook",
        notes=(f"printed in the output of cell {cell} (output line {output_line}): clear the output as well",),
        cell=cell,
        cell_line=output_line,
    )


def _annotate_repeated_keys(findings: list[Finding]) -> list[Finding]:
    """One key at several places (a cell's source, its output, another cell) stays one finding per place
    here; `migrator.detect` merges them into the one that shows how the key is sent, else the earliest,
    with the others as related locations. That one is given the others' notes now (where the key is
    printed, which cells hold it), so nothing is lost in the merge.

    Every place keeps a finding of its own so that its line is taken: the generic literal pass reads
    the raw JSON and would otherwise report it again, without its cell.
    """
    groups: dict[str, list[int]] = {}
    for i, f in enumerate(findings):
        if f.key_hash:
            groups.setdefault(f.key_hash, []).append(i)
    out = list(findings)
    for members in groups.values():
        if len(members) < 2:
            continue
        primary = min(members, key=lambda i: (findings[i].rule_id == _LITERAL_RULE, findings[i].line,
                                               findings[i].column))
        notes = list(out[primary].notes)
        for i in members:
            other = findings[i]
            if i == primary:
                continue
            extra = [n for n in other.notes if n.startswith("printed in the output")]
            if not extra and other.cell is not None and other.cell_line is not None:
                extra = [f"the key is also written in cell {other.cell} line {other.cell_line}"]
            notes.extend(n for n in extra if n not in notes)
        out[primary] = replace(out[primary], notes=tuple(notes))
    return out


def _unique_fingerprints(findings: list[Finding]) -> list[Finding]:
    """Cells are scanned together, but identical lines in two cells must still be two findings."""
    seen: dict[str, int] = {}
    out = []
    for f in findings:
        n = seen.get(f.fingerprint, 0)
        seen[f.fingerprint] = n + 1
        out.append(f if n == 0 else replace(f, fingerprint=redact.content_hash(f.fingerprint, str(n))[:32]))
    return out

