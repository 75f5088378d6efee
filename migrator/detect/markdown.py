"""Find static Celonis keys in Markdown: fenced code blocks by their language, and commands in prose.

Fenced blocks (``` and ~~~, at any indentation, so list items count) are grouped by the file
kind their info string names, and each group is scanned by that kind's detector as one text in
which every other line is blank: line numbers stay the document's own, and blocks of one
language share their variables (a BASE exported in one block, used in the next). Python blocks
are scanned together, and one by one when the whole does not parse (docs show fragments).
Outside fences only command lines are read: a line (or inline code) that runs curl, wget,
httpie or Invoke-RestMethod, with its continuation lines. Prose that merely names the
`Authorization: Bearer <token>` header teaches nothing static and is ignored.

A placeholder key (`AppKey <your-app-key>`) is reported at severity info, "documentation still
teaches static keys"; a real-shape key in a README is a leak like anywhere else.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import replace

from migrator.types import Finding, Skip, SourceFile

_KEYWORDS = re.compile(
    r"(?i)appkey|bearer|authorization|oauth2-bearer|celonis_api_token|get_celonis|api_token"
    r"|authenticationheadervalue"
)
_FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*\{?\.?(?P<info>[^\s`{}]*)")

#: Fence info string -> file kind whose detector scans the block.
KIND_BY_INFO = {
    **dict.fromkeys(("bash", "sh", "shell", "console", "zsh", "ksh", "shell-session", "terminal"), "shell"),
    **dict.fromkeys(("powershell", "ps1", "pwsh", "ps", "posh"), "powershell"),
    **dict.fromkeys(("http", "rest"), "http"),
    **dict.fromkeys(("python", "py", "python3", "pycon", "ipython", "py3"), "python"),
    **dict.fromkeys(("javascript", "js", "typescript", "ts", "jsx", "tsx", "node", "mjs"), "javascript"),
    **dict.fromkeys(("java",), "java"),
    **dict.fromkeys(("csharp", "cs", "c#"), "csharp"),
    **dict.fromkeys(("go", "golang"), "go"),
    **dict.fromkeys(("kotlin", "kt", "kts"), "kotlin"),
    **dict.fromkeys(("scala",), "scala"),
    **dict.fromkeys(("dockerfile", "docker"), "dockerfile"),
    **dict.fromkeys(("yaml", "yml"), "yaml"),
    **dict.fromkeys(("json", "jsonc"), "json"),
    **dict.fromkeys(("dotenv", "env"), "dotenv"),
    **dict.fromkeys(("properties",), "properties"),
    **dict.fromkeys(("ini", "cfg"), "ini"),
    **dict.fromkeys(("toml",), "toml"),
}

_PROSE_COMMAND = re.compile(
    r"(?i)(?:^|[\s`$>(])(?:curl(?:\.exe)?|wget|xh|https?(?=\s+(?:GET|POST|PUT|PATCH|DELETE|-)))\s"
    r"|\b(?:Invoke-RestMethod|Invoke-WebRequest|irm|iwr)\b"
)
_PS_COMMAND = re.compile(r"(?i)\b(?:Invoke-RestMethod|Invoke-WebRequest|irm|iwr)\b")
_SHELL_PROMPT = re.compile(r"^(?P<prompt>[ \t]*(?:\$|PS [^>\n]*>|>)[ \t])")
_PY_PROMPT = re.compile(r"^(?:>>>|\.\.\.)(?: |$)")
_DOC_NOTE = "documentation still teaches static keys: show the OAuth client-credentials flow instead"


def prefilter(text: str) -> bool:
    """Cheap check: can this document hold a finding at all?"""
    return _KEYWORDS.search(text) is not None


def scan(source: SourceFile, extra_hosts: tuple[str, ...] = ()) -> list[Finding]:
    """Detector entry point (see migrator.detect)."""
    return scan_markdown_text(source.path, source.text, extra_hosts=extra_hosts)


def scan_markdown_text(path: str, text: str, *, extra_hosts: Iterable[str] = ()) -> list[Finding]:
    """Findings of every fenced block and prose command of a Markdown text, as Markdown findings."""
    lines = text.replace("\r", "").split("\n")
    views: dict[str, list[str]] = {}
    python_blocks: list[list[str]] = []
    fenced: set[int] = set()
    for info, start, end, indent in _fences(lines):
        fenced.update(range(start - 1, end + 1))
        kind = KIND_BY_INFO.get(info.lower())
        if kind is None:
            continue
        body = [_dedent(line, indent) for line in lines[start:end]]
        if kind == "python":
            body = _python_body(body)
            python_blocks.append(_padded(len(lines), start, body))
        views.setdefault(kind, [""] * len(lines))[start:end] = body
    for n, line, kind in _prose_commands(lines, fenced):
        views.setdefault(kind, [""] * len(lines))[n] = line
    found = [f for kind, view in views.items() if kind != "python"
             for f in _scan(path, kind, view, extra_hosts)]
    if "python" in views:
        found += _scan_python(path, views["python"], python_blocks, extra_hosts)
    return [_as_markdown(f) for f in found]


def _fences(lines: list[str]) -> Iterator[tuple[str, int, int, int]]:
    """(info string, first body line, line after the body, fence indentation) of every fenced block."""
    i = 0
    while i < len(lines):
        opening = _FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence = opening.group("fence")
        end = next((j for j in range(i + 1, len(lines)) if _closes(lines[j], fence)), len(lines))
        yield opening.group("info"), i + 1, end, len(opening.group("indent"))
        i = end + 1


def _closes(line: str, fence: str) -> bool:
    stripped = line.strip()
    return stripped.startswith(fence[0] * len(fence)) and not stripped.strip(fence[0])


def _dedent(line: str, indent: int) -> str:
    """Remove up to the fence's own indentation, as CommonMark does for list items."""
    width = len(line) - len(line.lstrip(" \t"))
    return line[min(width, indent):]


def _python_body(body: list[str]) -> list[str]:
    """A `>>>` session keeps only its input lines, without prompts; plain code is unchanged."""
    if not any(_PY_PROMPT.match(line) for line in body):
        return body
    return [line[4:] if _PY_PROMPT.match(line) else "" for line in body]


def _padded(total: int, start: int, body: list[str]) -> list[str]:
    view = [""] * total
    view[start:start + len(body)] = body
    return view


def _prose_commands(lines: list[str], fenced: set[int]) -> Iterator[tuple[int, str, str]]:
    """(index, line as a command, kind) of command lines outside fences, with their continuations."""
    continued = False
    for n, line in enumerate(lines):
        if n in fenced or not (continued or _PROSE_COMMAND.search(line)):
            continued = False
            continue
        command = _SHELL_PROMPT.sub(lambda m: " " * len(m.group("prompt")), line.replace("`", " "))
        yield n, command, "powershell" if _PS_COMMAND.search(line) else "shell"
        continued = line.rstrip().endswith("\\")


def _scan(path: str, kind: str, view: list[str], extra_hosts: Iterable[str]) -> list[Finding]:
    """One kind's view through its detector; a view that cannot be parsed gives nothing."""
    from migrator.detect import prefilter as kind_prefilter
    from migrator.detect import scan_source

    text = "\n".join(_strip_prompts(view) if kind in ("shell", "powershell") else view)
    if not kind_prefilter(kind, text):
        return []
    result = scan_source(SourceFile(path=path, abspath=path, kind=kind, text=text), extra_hosts=extra_hosts)
    return [] if isinstance(result, Skip) else result


def _strip_prompts(view: list[str]) -> list[str]:
    """`$ curl ...` in a console block: the prompt becomes blanks so columns stay."""
    return [_SHELL_PROMPT.sub(lambda m: " " * len(m.group("prompt")), line) for line in view]


def _scan_python(path: str, view: list[str], blocks: list[list[str]],
                 extra_hosts: Iterable[str]) -> list[Finding]:
    """All Python blocks as one module, else each block that parses on its own."""
    whole = _scan_python_view(path, view, extra_hosts)
    if whole is not None:
        return whole
    return [f for block in blocks for f in (_scan_python_view(path, block, extra_hosts) or [])]


def _scan_python_view(path: str, view: list[str], extra_hosts: Iterable[str]) -> list[Finding] | None:
    from migrator.detect import prefilter as kind_prefilter
    from migrator.detect import scan_source

    text = "\n".join(view)
    if not kind_prefilter("python", text):
        return []
    result = scan_source(SourceFile(path=path, abspath=path, kind="python", text=text), extra_hosts=extra_hosts)
    return None if isinstance(result, Skip) else result


def _as_markdown(finding: Finding) -> Finding:
    """Docs are never rewritten; a placeholder says the docs teach static keys."""
    notes = finding.notes
    if finding.literal_class in ("placeholder", "doc-example"):
        notes = (*notes, _DOC_NOTE)
    return replace(finding, language="markdown", fixable_by="manual", notes=notes)
